"""The thread's routes, and the panel every object's page shows (``thread_panel``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.core import clock
from app.core.errors import DomainError, NotFound, PermissionDenied, StaleEdit
from app.core.freshness import cache_key, render_cached
from app.core.i18n import pinyin_key
from app.core.idempotency import once
from app.core.web import flash_refusal, form_error, refusal_status, requires, send_stored_file
from app.discussion import following, service
from app.discussion.forms import CommentForm, DeleteCommentForm, EditCommentForm, FollowForm
from app.discussion.pinyin import search_keys
from app.extensions import db
from app.people.models import Membership, User
from app.people.roster import person_label

bp = Blueprint("discussion", __name__)


def _load(thread_kind: str, target_id: int):
    try:
        return service.load_target(current_user, thread_kind, target_id)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


def _people(task_force_id: int) -> list[dict]:
    """The picker's people: everyone on the task force today, in pinyin order (one query)."""
    users = db.session.scalars(
        select(User)
        .options(joinedload(User.org_unit))
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.task_force_id == task_force_id,
            Membership.active_on(clock.today()),
            User.active.is_(True),
        )
    ).unique()
    ordered = sorted(users, key=lambda u: (pinyin_key(u.display_name), u.id))
    return [
        {
            "id": u.id,
            "name": u.display_name,
            "label": person_label(u),
            "keys": search_keys(u.display_name),
        }
        for u in ordered
    ]


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value < 2**31 else None


def _context(kind, target, form=None, edit_form=None, edit_id=None) -> dict:
    """What the thread's panel shows; a fixed number of queries, whatever the comments.
    The page shown is the one asked for, else the one holding the comment being edited
    or linked to (``?comment=``), else the newest."""
    page = service.thread_page(kind, target, _int_arg("cpage"), edit_id or _int_arg("comment"))
    may_comment = service.may_comment(current_user, target)
    form = form or CommentForm()
    quote = None
    quote_id = form.quote_id.data if form.quote_id.data else _int_arg("quote")
    if quote_id:
        quote = next((c for c in page.comments if c.id == quote_id), None) or db.session.scalar(
            select(service.Comment).where(
                service.Comment.id == quote_id,
                service.Comment.target_kind == kind.name,
                service.Comment.target_id == target.id,
            )
        )
        form.quote_id.data = quote.id if quote else None
    return {
        "kind": kind,
        "target": target,
        "thread": page,
        "may_comment": may_comment,
        "following": following.is_following(current_user.id, target),
        "form": form,
        "quote": quote,
        "edit_form": edit_form,
        "edit_id": edit_id,
        "people": _people(target.task_force_id) if may_comment else [],
        "may_edit": lambda comment: service.may_edit(current_user, comment),
        "excerpt": service.excerpt,
        "page_url": lambda n: f"{kind.url(target)}?cpage={n}#discussion",
        "reply_url": lambda comment_id: f"{kind.url(target)}?quote={comment_id}#comment-form",
        "comment_href": lambda comment_id: service.comment_url(kind, target, comment_id),
    }


def thread_panel(thread_kind: str, target_id: int) -> Markup:
    """The discussion of one object, for its page: ``{{ thread_panel("issue", issue.id) }}``.

    The page carries a placeholder that fetches the thread (``panel``) once shown, so the
    object's page costs no query for it; without JavaScript it links to the thread's own
    page. The page's query (``?comment=``, ``?cpage=``, ``?quote=``) goes along."""
    url = url_for("discussion.panel", thread_kind=thread_kind, target_id=target_id)
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return Markup(
        render_template(
            "discussion/_placeholder.html",
            panel_url=url,
            thread_url=url_for("discussion.thread", thread_kind=thread_kind, target_id=target_id),
        )
    )


@bp.get("/threads/<thread_kind>/<int:target_id>/panel")
@requires("discussion.view")
def panel(thread_kind: str, target_id: int):
    """The thread's panel, fetched by its object's page: a fixed number of queries
    whatever the comments, none when shown again before anything changed."""
    kind, target = _load(thread_kind, target_id)
    # Kept like the page bodies: per reader and session (the forms' tokens), under the
    # task force's data version. The minute is part of the key: an "Edit" link goes when
    # its 15 minutes are up.
    key = cache_key(
        "thread",
        request.path,
        request.query_string,
        current_user.id,
        session.get("csrf_token"),
        clock.now().replace(second=0, microsecond=0),
    )
    return render_cached("discussion/_thread.html", key, lambda: _context(kind, target))


def _thread_page(kind, target, status: int, **forms):
    """The thread on a page of its own: where a refused comment is shown again, its text
    kept, with what was wrong."""
    context = _context(kind, target, **forms)
    return render_template("discussion/thread.html", **context), status


@bp.get("/threads/<thread_kind>/<int:target_id>")
@requires("discussion.view")
def thread(thread_kind: str, target_id: int):
    kind, target = _load(thread_kind, target_id)
    return _thread_page(kind, target, 200)


@bp.post("/threads/<thread_kind>/<int:target_id>/comments")
@requires("discussion.comment")
def post_comment(thread_kind: str, target_id: int):
    kind, target = _load(thread_kind, target_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _thread_page(kind, target, 400, form=form)
    upload = form.file.data
    files = [service.Upload(upload.filename, upload.stream)] if upload and upload.filename else []
    data = service.NewComment(body=form.body.data or "", quote_id=form.quote_id.data, files=files)
    try:
        with once(kind.url(target)) as receipt:
            comment = service.post_comment(current_user, kind, target, data)
            receipt.location = service.comment_url(kind, target, comment.id)
    except DomainError as error:
        form_error(form, error)
        return _thread_page(kind, target, refusal_status(error), form=form)
    flash(_("Comment posted."), "success")
    return redirect(service.comment_url(kind, target, comment.id))


def _comment_or_refuse(comment_id: int):
    try:
        return service.get_comment(current_user, comment_id)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


@bp.post("/comments/<int:comment_id>/edit")
@requires("discussion.comment")
def edit_comment(comment_id: int):
    comment, kind, target = _comment_or_refuse(comment_id)
    form = EditCommentForm()
    if not form.validate_on_submit():
        return _thread_page(kind, target, 400, edit_form=form, edit_id=comment.id)
    try:
        service.edit_comment(current_user, comment.id, form.body.data or "", form.version_value)
    except PermissionDenied as error:
        flash_refusal(error)
        return redirect(service.comment_url(kind, target, comment.id))
    except DomainError as error:
        form_error(form, error)
        status = 409 if isinstance(error, StaleEdit) else refusal_status(error)
        if status == 409:
            db.session.rollback()
            comment, kind, target = _comment_or_refuse(comment_id)
            form.version.data = comment.version
        return _thread_page(kind, target, status, edit_form=form, edit_id=comment.id)
    flash(_("Comment saved."), "success")
    return redirect(service.comment_url(kind, target, comment.id))


@bp.post("/comments/<int:comment_id>/delete")
@requires("discussion.comment")
def delete_comment(comment_id: int):
    comment, kind, target = _comment_or_refuse(comment_id)
    form = DeleteCommentForm()
    if form.validate_on_submit():
        try:
            service.delete_comment(current_user, comment.id, form.version_value)
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(_("Comment deleted."), "success")
    else:
        flash(_("The form expired. Try again."), "danger")
    return redirect(service.comment_url(kind, target, comment.id))


@bp.get("/comment-files/<int:comment_file_id>")
@requires("discussion.view")
def download_file(comment_file_id: int):
    try:
        row = service.get_file(current_user, comment_file_id)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
    return send_stored_file(row)


@bp.post("/threads/<thread_kind>/<int:target_id>/follow")
@requires("discussion.follow")
def follow(thread_kind: str, target_id: int):
    kind, target = _load(thread_kind, target_id)
    form = FollowForm()
    if form.validate_on_submit():
        wanted = form.following.data == "1"
        try:
            following.set_following(current_user, target, wanted)
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(
                _("You follow this now.") if wanted else _("You no longer follow this."), "success"
            )
    else:
        flash(_("The form expired. Try again."), "danger")
    return redirect(kind.url(target) + "#discussion")
