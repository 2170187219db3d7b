"""Links that carry their task force.

A person on several task forces works in one at a time; a page of another one answers
404 (``core.scope``). So every link that may be followed from elsewhere — a notification,
an e-mail or robot message, a reminder page, a list across the reader's task forces —
names the task force its object belongs to in the query (``?tf=<id>``). Opening it
switches the reader there when they are on that task force, and goes on to the same
address without the parameter (the request hook in ``app/__init__.py``).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TASK_FORCE_ARG = "tf"


def in_task_force(link: str | None, task_force_id: int | None, current: int | None = None):
    """``link`` (a path in the app) naming ``task_force_id``, unless that is ``current``.

    Absolute URLs, empty links and links of no task force are returned as they are.
    """
    if not link or task_force_id is None or task_force_id == current:
        return link
    if not link.startswith("/") or link.startswith("//"):
        return link
    parts = urlsplit(link)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [pair for pair in pairs if pair[0] != TASK_FORCE_ARG]
    query.append((TASK_FORCE_ARG, str(task_force_id)))
    return urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))


def without_task_force(path: str, args) -> str:
    """``path`` with the query ``args`` (a MultiDict) but the task force's parameter."""
    rest = [(key, value) for key, value in args.items(multi=True) if key != TASK_FORCE_ARG]
    return path + ("?" + urlencode(rest) if rest else "")
