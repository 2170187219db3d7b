"""Search (搜索): one box in the menu bar finds items, progress notes, comments,
milestones and subtasks, minutes and action items, escalations and decisions, pilots,
goal figures and frontline submissions, within what the reader may read.

On the top floor: it reads every feature's rows (``kinds.py``) and keeps its index in
the same transaction as their writes (``index.py``).
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup


def init_app(app: Flask) -> None:
    """The search page, the index's listener and ``flask search reindex``."""
    from app.core.unit import committing
    from app.search import index, views
    from app.search.kinds import register_all

    register_all()
    index.listen()
    if "search" not in app.blueprints:
        app.register_blueprint(views.bp)

    group = AppGroup("search", help="The full-text search index.")

    @group.command("reindex")
    def reindex_command() -> None:
        """Build the search index again from every feature's rows."""
        with committing():
            counts = index.reindex()
        click.echo(f"Indexed {sum(counts.values())} entries:")
        for kind, n in counts.items():
            click.echo(f"  {kind:<20} {n}")

    if "search" not in app.cli.commands:
        app.cli.add_command(group)
