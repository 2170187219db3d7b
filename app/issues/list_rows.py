"""The rows of the problem list and the board, prepared once per page.

A page of 50 rows drawn twice (phone cards and table) called a macro, ``url_for`` and a
translation per cell: the dots and badges have a handful of values (statuses, priorities,
lights), so each is drawn once per value by its own macro (``issues/_macros.html`` stays
the one definition), and the rows' links come from one ``url_for`` per endpoint
(``core.web.UrlPattern``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from app.core.web import UrlPattern
from app.issues.models import Issue


def id_url(endpoint: str, **values) -> Callable[[int], str]:
    """``url_for(endpoint, issue_id=…)`` for many ids at the cost of one call."""
    return UrlPattern(endpoint, "issue_id", **values)


class Marks:
    """The macros of ``issues/_macros.html``, each drawn once per distinct value."""

    def __init__(self, labels: Mapping[str, Any]):
        template = current_app.jinja_env.get_template("issues/_macros.html")
        self._macros = template.make_module(dict(labels))
        self._drawn: dict[tuple[str, object], Markup] = {}

    def __call__(self, macro: str, value) -> Markup:
        key = (macro, value)
        drawn = self._drawn.get(key)
        if drawn is None:
            drawn = self._drawn[key] = Markup(getattr(self._macros, macro)(value))
        return drawn

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
