"""Creates the benchmark database: migrations, then the dataset (run by bench.run)."""

from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.core.scope import unscoped
from app.extensions import db
from bench import dataset


def build(**options) -> dict:
    """In an app context: an empty database at the newest migration, filled with
    ``dataset.build(**options)``; returns the counts. On PostgreSQL the schema is emptied
    first, and the tables are analysed after the load, as autovacuum soon does on a live
    database: without statistics the planner guesses (a nested loop per person)."""
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade()
    with unscoped():
        counts = dataset.build(**options)
    if postgresql:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return counts


def main() -> None:
    app = create_app()
    with app.app_context():
        counts = build()
    print("dataset: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
