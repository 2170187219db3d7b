"""Saved views (视图): named filters and sorts of the problem list, personal or shared.

A personal view is its owner's alone; a shared view is the task force's, saved, renamed,
updated and deleted by the leaders (``saved_view.share``), and audited. Each person may
open the list with one view of their own task force by default. The query string a view
keeps is checked against the list's filter form by the page before it reaches here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.core import audit
from app.core.errors import NotFound, PermissionDenied, ValidationFailed
from app.core.forms import one_line
from app.core.permissions import authorize, can
from app.core.service import check_version
from app.extensions import db
from app.issues.saved_view_models import NAME_MAX, SHARED_NAMESPACE, SavedView, SavedViewDefault
from app.people.models import User


@dataclass
class ViewMenu:
    """What the views menu shows a person: theirs, the task force's, the default."""

    mine: list[SavedView]
    shared: list[SavedView]
    default_id: int | None


def _clean_name(name: str) -> str:
    name = one_line(name or "")
    if not name:
        raise ValidationFailed(_("Give the view a name."), "name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(
            _("A view name is at most %(n)d characters long.", n=NAME_MAX), "name"
        )
    return name


def _check_unique(task_force_id: int, namespace: int, name: str, view_id: int | None) -> None:
    clash = db.session.scalar(
        select(SavedView.id).where(
            SavedView.task_force_id == task_force_id,
            SavedView.namespace == namespace,
            SavedView.name == name,
        )
    )
    if clash is not None and clash != view_id:
        if namespace == SHARED_NAMESPACE:
            message = _("The task force already has a shared view of this name.")
        else:
            message = _("You already have a view of this name.")
        raise ValidationFailed(message, "name")


def _may_change(actor: User, view: SavedView) -> None:
    if view.shared:
        authorize(actor, "saved_view.share", view, _("Only the leaders change shared views."))
    elif view.owner_id != actor.id:
        raise PermissionDenied(_("This view is someone else's."))


def may_change(actor: User, view: SavedView) -> bool:
    """May ``actor`` rename, update or delete ``view``?"""
    if view.shared:
        return can(actor, "saved_view.share", view)
    return view.owner_id == actor.id


def _visible(actor: User, task_force_id: int):
    return select(SavedView).where(
        SavedView.task_force_id == task_force_id,
        or_(SavedView.shared.is_(True), SavedView.owner_id == actor.id),
    )


def get_view(actor: User, task_force_id: int, view_id: int) -> SavedView:
    """A view the reader sees in this task force: theirs, or a shared one.

    :raise NotFound: for any other (someone else's personal view, another task force's).
    """
    view = db.session.scalar(_visible(actor, task_force_id).where(SavedView.id == view_id))
    if view is None:
        raise NotFound(_("No such view."))
    return view


def view_menu(actor: User, task_force_id: int) -> ViewMenu:
    views = db.session.scalars(
        _visible(actor, task_force_id).order_by(SavedView.name, SavedView.id)
    ).all()
    row = _default_row(actor, task_force_id)
    return ViewMenu(
        mine=[v for v in views if not v.shared],
        shared=[v for v in views if v.shared],
        default_id=row.view_id if row is not None else None,
    )


def _default_row(actor: User, task_force_id: int) -> SavedViewDefault | None:
    return db.session.scalar(
        select(SavedViewDefault).where(
            SavedViewDefault.task_force_id == task_force_id,
            SavedViewDefault.user_id == actor.id,
        )
    )


def default_view(actor: User, task_force_id: int) -> SavedView | None:
    """The view ``actor``'s list opens with in this task force, if any they still see."""
    row = _default_row(actor, task_force_id)
    if row is None:
        return None
    return db.session.scalar(_visible(actor, task_force_id).where(SavedView.id == row.view_id))


def set_default(actor: User, task_force_id: int, view: SavedView | None) -> None:
    """Open the list with ``view`` from now on (``None``: with everything)."""
    authorize(actor, "saved_view.save", task_force_id)
    row = _default_row(actor, task_force_id)
    if view is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(
            SavedViewDefault(task_force_id=task_force_id, user_id=actor.id, view_id=view.id)
        )
    else:
        row.view_id = view.id
    db.session.flush()


def save_view(
    actor: User,
    task_force_id: int,
    name: str,
    query: str,
    shared: bool = False,
    make_default: bool = False,
) -> SavedView:
    """A new view of ``query``; a shared one needs a leader and is audited."""
    authorize(actor, "saved_view.save", task_force_id)
    if shared:
        authorize(actor, "saved_view.share", task_force_id, _("Only the leaders share views."))
    name = _clean_name(name)
    namespace = SHARED_NAMESPACE if shared else actor.id
    _check_unique(task_force_id, namespace, name, None)
    view = SavedView(
        task_force_id=task_force_id,
        name=name,
        owner_id=actor.id,
        shared=shared,
        namespace=namespace,
        query=query,
    )
    db.session.add(view)
    db.session.flush()
    if shared:
        audit.record(actor, "created", view, {"name": [None, name], "query": [None, query]})
    if make_default:
        set_default(actor, task_force_id, view)
    return view


def rename_view(actor: User, view: SavedView, name: str, version: int | None) -> SavedView:
    _may_change(actor, view)
    check_version(view, version)
    name = _clean_name(name)
    _check_unique(view.task_force_id, view.namespace, name, view.id)
    changes = audit.apply_changes(view, {"name": name})
    db.session.flush()
    if view.shared and changes:
        audit.record(actor, "renamed", view, changes)
    return view


def update_view_query(actor: User, view: SavedView, query: str, version: int | None) -> SavedView:
    """The view now keeps ``query``: for everyone, when it is shared."""
    _may_change(actor, view)
    check_version(view, version)
    changes = audit.apply_changes(view, {"query": query})
    db.session.flush()
    if view.shared and changes:
        audit.record(actor, "updated", view, changes)
    return view


def delete_view(actor: User, view: SavedView, version: int | None) -> None:
    """Delete ``view``; whoever opened their list with it opens it with everything."""
    _may_change(actor, view)
    check_version(view, version)
    if view.shared:
        audit.record(actor, "deleted", view, {"name": [view.name, None]})
    for row in db.session.scalars(
        select(SavedViewDefault).where(
            SavedViewDefault.task_force_id == view.task_force_id,
            SavedViewDefault.view_id == view.id,
        )
    ):
        db.session.delete(row)
    db.session.flush()
    db.session.delete(view)
    db.session.flush()
