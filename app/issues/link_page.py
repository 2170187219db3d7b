"""What an item's page shows of its links (关联): the links from this item's side, the
form that adds one and the items it may pick, by code or title.

The items to pick from (all of the task force's, thousands of them) are not part of the
page: the picker's list is fetched once a person first focuses a field that uses it
(``issues.item_choices``), so the page costs the same whatever the items."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.issues.forms import LinkForm
from app.issues.models import DROPPED, Issue
from app.issues.service.relations import DUPLICATES, Related


def item_choices(issue: Issue) -> list[tuple[str, str]]:
    """The task force's other items as (code, title), for the picker: one query."""
    rows = db.session.execute(
        select(Issue.code, Issue.title)
        .where(Issue.task_force_id == issue.task_force_id, Issue.id != issue.id)
        .order_by(Issue.code)
    )
    return [(code, title) for code, title in rows]


def link_context(issue: Issue, links: list[Related], forms: dict, may_change: bool) -> dict:
    """The page's part for links; ``links`` is ``relations.links_of(issue)``."""
    kept = next((r.other for r in links if r.kind == DUPLICATES), None)
    return {
        "links": links,
        "kept_item": kept if issue.status == DROPPED else None,
        "link_form": forms.get("link_form") or LinkForm(prefix="link"),
        # The picker of the link form and of the status form's "duplicate of": its items
        # come from issues.item_choices when a field that uses it is first focused.
        "item_choices": may_change,
    }
