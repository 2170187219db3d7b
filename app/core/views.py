"""The in-app notification centre, read from the outbox."""

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.core import outbox
from app.core.paging import newer_older, requested_page
from app.core.web import requires, safe_next

bp = Blueprint("core", __name__)

PAGE = 50


@bp.get("/ping")
@requires("home.view")
def ping():
    """The cheapest logged-in page: a health check, and the floor that ``make bench`` measures."""
    return jsonify(ok=True, user=current_user.username)


@bp.get("/notifications")
@requires("notification.view")
def notifications():
    items, page, has_next = newer_older(
        lambda limit, offset: outbox.recent(current_user.id, limit, offset),
        lambda: outbox.count(current_user.id),
        requested_page(),
        PAGE,
    )
    # Which task force each message belongs to matters to a person on several.
    names = {name for _message, name in items if name}
    several = len(g.get("my_task_forces", ())) > 1 or len(names) > 1
    return render_template(
        "core/notifications.html",
        notifications=items,
        page=page,
        has_next=has_next,
        several_task_forces=several,
    )


@bp.post("/notifications/<int:notification_id>/read")
@requires("notification.view")
def mark_notification_read(notification_id: int):
    outbox.mark_read(current_user.id, notification_id)
    return redirect(safe_next(request.form.get("next"), url_for("core.notifications")))


@bp.post("/notifications/read-all")
@requires("notification.view")
def mark_all_notifications_read():
    outbox.mark_read(current_user.id)
    return redirect(url_for("core.notifications"))
