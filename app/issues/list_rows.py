"""The rows of the problem list and the board, prepared once per page.

A page of 50 rows drawn twice (phone cards and table) called a macro, ``url_for`` and a
translation per cell: the dots and badges have a handful of values (statuses, priorities,
lights), so each is drawn once per value by its own macro (``issues/_macros.html`` stays
the one definition), and the rows' links come from one ``url_for`` per endpoint
(``core.web.UrlPattern``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.core.web import Across, UrlPattern, task_force_link
from app.issues.models import Issue


def id_url(endpoint: str, **values) -> Callable[[int], str]:
    """``url_for(endpoint, issue_id=…)`` for many ids at the cost of one call."""
    return UrlPattern(endpoint, "issue_id", **values)


# Stand-ins that escaping leaves as they are (private-use characters around a name).
_MARKERS = {name: f"\ue000{name}\ue001" for name in ("code", "title", "href")}
_MARKED = re.compile("\ue000(code|title|href)\ue001")


class Marks:
    """The macros of ``issues/_macros.html``, each drawn once per distinct value."""

    def __init__(self, labels: Mapping[str, Any]):
        template = current_app.jinja_env.get_template("issues/_macros.html")
        self._macros = template.make_module(dict(labels))
        self._drawn: dict[tuple[str, object], Markup] = {}
        self._lines: dict[tuple, tuple] = {}

    def __call__(self, macro: str, value) -> Markup:
        key = (macro, value)
        drawn = self._drawn.get(key)
        if drawn is None:
            drawn = self._drawn[key] = Markup(getattr(self._macros, macro)(value))
        return drawn

    def line(self, issue, light: str, href: str) -> Markup:
        """What ``issue_line(issue, light, href)`` draws: the macro is drawn once per
        light, major and supervision with markers in the code's, the title's and the
        link's places, then filled per row (escaped, as Jinja escapes them)."""
        key = ("issue_line", light, bool(issue.major), bool(issue.supervised))
        pieces = self._lines.get(key)
        if pieces is None:
            pieces = self._lines[key] = self._line_pieces(light, *key[2:])
        values = {"code": issue.code, "title": issue.title, "href": href}
        out = [pieces[0]]
        for name, piece in pieces[1]:
            out += (escape(values[name]), piece)
        return Markup("".join(out))

    def _line_pieces(self, light: str, major: bool, supervised: bool):
        marked = SimpleNamespace(
            id=0, code=_MARKERS["code"], title=_MARKERS["title"], major=major, supervised=supervised
        )
        drawn = str(self._macros.issue_line(marked, light, _MARKERS["href"]))
        parts = _MARKED.split(drawn)  # text, name, text, name, … text
        names = parts[1::2]
        if sorted(names) != sorted(_MARKERS):
            raise ValueError(f"issue_line: each of {sorted(_MARKERS)} must be drawn once")
        return parts[0], list(zip(names, parts[2::2], strict=True))

    def supervised(self) -> Markup:
        """The leader's supervision badge (what ``supervised_badge`` draws for such an item)."""
        key = ("supervised_badge", True)
        if key not in self._drawn:
            item = SimpleNamespace(supervised=True)
            self._drawn[key] = Markup(self._macros.supervised_badge(item))
        return self._drawn[key]


@dataclass(frozen=True, slots=True)
class ItemRow:
    issue: Issue
    light: str
    href: str
    light_dot: Markup
    status_badge: Markup
    priority_badge: Markup
    select_label: Markup  # the bulk bar's tick box


def item_rows(pairs: Iterable[tuple[Issue, str]], marks: Marks) -> list[ItemRow]:
    """Each ``(issue, light)`` as a row with its link, dot and badges."""
    href = id_url("issues.issue_detail")
    select = Markup(_("Select %(code)s"))  # as Jinja's gettext: the code escaped
    return [
        ItemRow(
            issue=issue,
            light=light,
            href=href(issue.id),
            light_dot=marks("light_dot", light),
            status_badge=marks("status_badge", issue.status),
            priority_badge=marks("priority_badge", issue.priority),
            select_label=select % {"code": issue.code},
        )
        for issue, light in pairs
    ]


@dataclass(frozen=True, slots=True)
class AcrossRow:
    """A row of a list across the reader's task forces (my items)."""

    issue: Any  # a plain row (``service.my_items``)
    line: Markup  # ``issue_line``, its link naming the row's task force
    status_badge: Markup
    task_force_badge: Markup


def across_rows(pairs: Iterable[tuple[Any, str]], marks: Marks, across: Across) -> list[AcrossRow]:
    """Each ``(row, light)`` of my items with its line, status and task force drawn."""
    href = id_url("issues.issue_detail")
    badges = across.badges
    return [
        AcrossRow(
            issue=issue,
            line=marks.line(issue, light, task_force_link(href(issue.id), issue.task_force_id)),
            status_badge=marks("status_badge", issue.status),
            task_force_badge=badges[issue.task_force_id],
        )
        for issue, light in pairs
    ]
