"""Creates the benchmark database: migrations, then the dataset (run by bench.run)."""

from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from bench import dataset


def main() -> None:
    app = create_app()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy import text

            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        counts = dataset.build()
        print("dataset: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
