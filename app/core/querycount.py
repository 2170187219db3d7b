"""Counts the SQL statements of each request, for tests and ``make bench``.

Enabled by the ``COUNT_QUERIES`` setting; the count is sent back in the
``X-Query-Count`` response header. Pages must not issue more queries as rows grow.
"""

from __future__ import annotations

from flask import Flask, g, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine


def _count(conn, cursor, statement, parameters, context, executemany) -> None:
    if has_app_context() and "query_count" in g:
        g.query_count += 1


def init_app(app: Flask) -> None:
    if not app.config.get("COUNT_QUERIES"):
        return
    if not event.contains(Engine, "before_cursor_execute", _count):
        event.listen(Engine, "before_cursor_execute", _count)

    @app.before_request
    def start_counting():
        g.query_count = 0

    @app.after_request
    def report_count(response):
        if "query_count" in g:
            response.headers["X-Query-Count"] = str(g.query_count)
        return response
