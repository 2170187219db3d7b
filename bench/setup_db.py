"""Creates the benchmark database: migrations, then the dataset (run by bench.run).

python -m bench.setup_db                                  # 10,000 items, one task force
python -m bench.setup_db --task-forces 50 --items 2000    # 50 task forces of 2,000 items
"""

import argparse
import time

from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.core.database import refresh_statistics
from app.core.scope import unscoped
from app.extensions import db
from bench import dataset


def build(**options) -> dict:
    """In an app context: an empty database at the newest migration, filled with
    ``dataset.build(**options)``; returns the counts. On PostgreSQL the schema is emptied
    first, and the tables are vacuumed and analysed after the load, as autovacuum soon does
    on a live database: without statistics the planner guesses (a nested loop per person)."""
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade()
    with unscoped():
        counts = dataset.build(**options)
    if postgresql:
        # Vacuumed too, as autovacuum soon does after so many inserts: its visibility map
        # lets the planner count from an index alone.
        autocommit = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with autocommit as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        # SQLite's statistics, as the daily job measures them (core.database).
        refresh_statistics()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task-forces", type=int, default=1, help="how many task forces")
    parser.add_argument("--items", type=int, default=10_000, help="items of each task force")
    options = parser.parse_args()
    started = time.perf_counter()
    app = create_app()
    with app.app_context():
        counts = build(task_forces=options.task_forces, issues=options.items)
    seconds = time.perf_counter() - started
    print("dataset: " + ", ".join(f"{k}={v}" for k, v in counts.items()) + f" ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
