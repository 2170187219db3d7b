"""The rows of the problem list and the board, prepared once per page.

A page of 50 rows drawn twice (phone cards and table) called a macro, ``url_for`` and a
translation per cell: the dots and badges have a handful of values (statuses, priorities,
lights), so each is drawn once per value by its own macro (``issues/_macros.html`` stays
the one definition), and the rows' links come from one ``url_for`` per endpoint
(``core.web.UrlPattern``). A row's whole line or a board's card is drawn once per shape
(its light, its badges) with markers in its values' places and filled per row
(``Stamp``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from types import SimpleNamespace
from typing import Any

from flask import current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.core.freshness import FragmentCache
from app.core.i18n import format_day
from app.core.web import Across, UrlPattern, task_force_link
from app.issues.models import FINISHED_STATUSES


def id_url(endpoint: str, **values) -> Callable[[int], str]:
    """``url_for(endpoint, issue_id=…)`` for many ids at the cost of one call."""
    return UrlPattern(endpoint, "issue_id", **values)


# Stand-ins that escaping leaves as they are (private-use characters around a name).
_MARKED = re.compile("\ue000(\\w+)\ue001")


def _marker(name: str) -> str:
    return f"\ue000{name}\ue001"


class Stamp:
    """What ``macro(*shape, **values)`` draws, drawn once per ``shape`` (a tuple of the
    macro's first arguments: a light, whether a badge shows) with a marker in each
    value's place, then filled per row with the values escaped as Jinja escapes them (a
    ``Markup`` value goes in as it is). The macro must put each value into its text as
    it is, not through a filter: a day goes in written."""

    def __init__(self, macro: Callable[..., Any], names: Iterable[str]):
        self._macro = macro
        self._names = tuple(names)
        self._drawn: dict[tuple, tuple[str, list[tuple[str, str]]]] = {}

    def __call__(self, shape: tuple, **values: Any) -> Markup:
        pieces = self._drawn.get(shape)
        if pieces is None:
            pieces = self._drawn[shape] = self._pieces(shape)
        head, rest = pieces
        out = [head]
        for name, piece in rest:
            out += (escape(values[name]), piece)
        return Markup("".join(out))

    def _pieces(self, shape: tuple) -> tuple[str, list[tuple[str, str]]]:
        drawn = str(self._macro(*shape, **{name: _marker(name) for name in self._names}))
        parts = _MARKED.split(drawn)  # text, name, text, name, … text
        names = parts[1::2]
        if not set(names) <= set(self._names):
            raise ValueError(f"a marker the stamp does not fill: {sorted(set(names))}")
        return parts[0], list(zip(names, parts[2::2], strict=True))


class Marks:
    """The macros of ``issues/_macros.html``, each drawn once per distinct value."""

    def __init__(self, labels: Mapping[str, Any]):
        template = current_app.jinja_env.get_template("issues/_macros.html")
        self._macros = template.make_module(dict(labels))
        self._drawn: dict[tuple[str, object], Markup] = {}
        self._line = Stamp(self._issue_line, ("code", "title", "href"))

    def __call__(self, macro: str, value) -> Markup:
        key = (macro, value)
        drawn = self._drawn.get(key)
        if drawn is None:
            drawn = self._drawn[key] = Markup(getattr(self._macros, macro)(value))
        return drawn

    def line(self, issue, light: str, href: str) -> Markup:
        """What ``issue_line(issue, light, href)`` draws (a ``Stamp`` per light, major
        and supervision)."""
        shape = (light, bool(issue.major), bool(issue.supervised))
        return self._line(shape, code=issue.code, title=issue.title, href=href)

    def _issue_line(self, light: str, major: bool, supervised: bool, code, title, href):
        issue = SimpleNamespace(id=0, code=code, title=title, major=major, supervised=supervised)
        return self._macros.issue_line(issue, light, href)

    def stamp(self, macro: str, names: Iterable[str]) -> Stamp:
        """A ``Stamp`` of one of the macros (``board_card``, ``list_card``…)."""
        return Stamp(getattr(self._macros, macro), names)

    def blocked(self, codes: list[str]) -> Markup:
        """``blocked_badge(codes)``."""
        return Markup(self._macros.blocked_badge(codes))


# The values ``list_card`` and ``list_row`` take after their shape.
ROW_VALUES = (
    "id",
    "version",
    "code",
    "title",
    "href",
    "select_label",
    "status_badge",
    "priority_badge",
    "category",
    "owner",
    "deadline",
)


@dataclass(frozen=True, slots=True)
class ItemRow:
    """A row of the problem list, drawn as a phone's card and as the table's row."""

    card: Markup  # ``list_card``
    line: Markup  # ``list_row``


# Rows and cards drawn before, kept by the worker under all they are drawn from: the
# row's every value, its light, the language and the site's path (the same row draws
# the same markup). After a change one item's row differs; the page's others are taken
# as drawn (the board's 175 cards cost about 4 ms to fill).
_drawn = FragmentCache(4096)


def _drawing(kind: str) -> tuple:
    """What a kind of row is drawn from besides its values."""
    return (kind, str(get_locale()), request.script_root)


def item_rows(pairs: Iterable[tuple[Any, str]], marks: Marks, bulk: bool) -> list[ItemRow]:
    """Each ``(row, light)`` of the list (plain rows, ``service.list_issues(…,
    rows_only=True)``) as its card and its table row (``list_card``, ``list_row``), with
    the bulk bar's tick box when ``bulk``."""
    card = marks.stamp("list_card", ROW_VALUES)
    line = marks.stamp("list_row", ROW_VALUES)
    href = id_url("issues.issue_detail")
    select = Markup(_("Select %(code)s"))  # as Jinja's gettext: the code escaped
    drawing = _drawing("list")

    def draw(issue, light: str) -> ItemRow:
        shape = (
            bulk,
            light,
            bool(issue.major),
            bool(issue.supervised),
            bool(
                issue.owner_id
                and not issue.acknowledged_at
                and issue.status not in FINISHED_STATUSES
            ),
        )
        values = dict(
            id=issue.id,
            version=issue.version,
            code=issue.code,
            title=issue.title,
            href=href(issue.id),
            select_label=select % {"code": issue.code},
            status_badge=marks("status_badge", issue.status),
            priority_badge=marks("priority_badge", issue.priority),
            category=issue.category_name,
            owner="—" if issue.owner_name is None else issue.owner_name,
            deadline=format_day(issue.deadline) if issue.deadline else "—",
        )
        return ItemRow(card=card(shape, **values), line=line(shape, **values))

    return [
        _drawn.get_or_build(
            (*drawing, bulk, light, issue._fields, tuple(issue)),
            partial(draw, issue, light),
        )
        for issue, light in pairs
    ]


# The values ``board_card`` takes after its shape.
CARD_VALUES = (
    "id",
    "version",
    "status",
    "status_url",
    "code",
    "title",
    "href",
    "blocked",
    "owner",
    "deadline",
)


def board_cards(
    pairs: Iterable[tuple[Any, str]],
    marks: Marks,
    blocked_by: Mapping[int, list[str]],
) -> list[Markup]:
    """Each ``(row, light)`` of a board column as its card (``board_card``), with the
    codes of the open items blocking it (``blocked_by``)."""
    card = marks.stamp("board_card", CARD_VALUES)
    href = id_url("issues.issue_detail")
    status_url = id_url("issues.change_status")
    unassigned = _("Unassigned")
    drawing = _drawing("board")

    def draw(issue, light: str, codes: list[str]) -> Markup:
        return card(
            (
                light,
                bool(issue.major),
                bool(issue.supervised),
                bool(issue.owner_id and not issue.acknowledged_at),
                issue.deadline is not None,
            ),
            id=issue.id,
            version=issue.version,
            status=issue.status,
            status_url=status_url(issue.id),
            code=issue.code,
            title=issue.title,
            href=href(issue.id),
            blocked=marks.blocked(codes) if codes else Markup(""),
            owner=unassigned if issue.owner_name is None else issue.owner_name,
            deadline=format_day(issue.deadline),
        )

    cards = []
    for issue, light in pairs:
        codes = blocked_by.get(issue.id) or []
        key = (*drawing, light, issue._fields, tuple(issue), tuple(codes))
        cards.append(_drawn.get_or_build(key, partial(draw, issue, light, codes)))
    return cards


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
