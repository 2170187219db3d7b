"""Notification settings (everyone), channels and the delivery log (admin)."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import DomainError
from app.core.forms import choices
from app.core.paging import newer_older, requested_page
from app.core.reminders import RULES
from app.core.web import current_task_force, flash_refusal, form_error, requires
from app.notify import service
from app.notify.events import EVENT_LABELS
from app.notify.forms import CHANNEL_KIND_LABELS, ChannelForm, PreferencesForm
from app.notify.models import DELIVERY_STATES
from app.notify.rules import rule_named

bp = Blueprint("notify", __name__)

PAGE = 50


@bp.route("/notifications/settings", methods=["GET", "POST"])
@requires("notification.configure")
def preferences():
    channels = service.enabled_channels()
    form = PreferencesForm()
    form.channels.choices = choices((c.id, c.name) for c in channels)
    form.rules.choices = choices((r.name, r.label) for r in RULES)
    if request.method == "GET":
        current = service.preferences_of(current_user)
        form.channels.data = current.channel_ids
        form.rules.data = [r.name for r in RULES if r.name not in current.muted_rules]
        form.quiet_start.data = current.quiet_start
        form.quiet_end.data = current.quiet_end
    if form.validate_on_submit():
        chosen = set(form.rules.data or [])
        data = service.Preferences(
            channel_ids=list(form.channels.data or []),
            muted_rules=[r.name for r in RULES if not r.mandatory and r.name not in chosen],
            quiet_start=form.quiet_start.data,
            quiet_end=form.quiet_end.data,
        )
        try:
            service.save_preferences(current_user, data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Notification settings saved."), "success")
            return redirect(url_for("notify.preferences"))
    return render_template("notify/preferences.html", form=form, channels=channels, rules=RULES)


@bp.get("/reminders/<rule>")
@requires("issue.view")
def reminder_items(rule: str):
    """The page a grouped reminder links to: exactly the reader's items of that rule, now."""
    items = service.reminder_items(current_user, rule, current_task_force().id)
    return render_template("notify/reminder_items.html", rule=rule_named(rule), items=items)


@bp.get("/admin/channels")
@requires("channel.manage")
def channels():
    return render_template(
        "notify/channels.html",
        channels=service.list_channels(current_user),
        kind_labels=CHANNEL_KIND_LABELS,
        carried=service.carried_events(),
        event_labels=EVENT_LABELS,
    )


def _channel_input(form: ChannelForm) -> service.ChannelInput:
    return service.ChannelInput(
        name=form.name.data.strip(),
        kind=form.kind.data,
        url=(form.url.data or "").strip(),
        secret=(form.secret.data or "").strip(),
        enabled=form.enabled.data,
        clear_secret=form.clear_secret.data,
        task_force_id=form.task_force_id.data,
        events=list(form.events.data or []),
    )


def _channel_form(channel) -> ChannelForm:
    """The channel's form, with the task forces and item events to choose from."""
    form = ChannelForm(obj=channel) if request.method == "GET" else ChannelForm()
    form.task_force_id.choices = choices(
        [("", _("— no item events —")), *service.task_force_choices()]
    )
    form.events.choices = choices(EVENT_LABELS.items())
    if request.method == "GET":
        carried = service.events_of(channel)
        form.task_force_id.data = carried.task_force_id
        form.events.data = carried.events
    return form


def _saved(saved: service.SavedChannel):
    """After a save: the secret made for it, shown this once, or back to the list."""
    if saved.new_secret:
        return _secret_page(saved.channel, saved.new_secret)
    flash(_("Channel %(name)s saved.", name=saved.channel.name), "success")
    return redirect(url_for("notify.channels"))


@bp.route("/admin/channels/new", methods=["GET", "POST"])
@requires("channel.manage")
def new_channel():
    form = _channel_form(None)
    if form.validate_on_submit():
        try:
            saved = service.save_channel(current_user, None, _channel_input(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _saved(saved)
    return render_template(
        "notify/channel_form.html", form=form, channel=None, event_labels=EVENT_LABELS
    )


@bp.route("/admin/channels/<int:channel_id>", methods=["GET", "POST"])
@requires("channel.manage")
def edit_channel(channel_id: int):
    channel = service.get_channel(channel_id)
    form = _channel_form(channel)
    if request.method == "GET":
        form.url.data = channel.masked_url  # left as shown, the stored address stays
        form.secret.data = ""
    if form.validate_on_submit():
        try:
            saved = service.save_channel(current_user, channel_id, _channel_input(form))
        except DomainError as error:
            form_error(form, error)
        else:
            return _saved(saved)
    return render_template(
        "notify/channel_form.html", form=form, channel=channel, event_labels=EVENT_LABELS
    )


@bp.post("/admin/channels/<int:channel_id>/secret")
@requires("channel.manage")
def renew_secret(channel_id: int):
    """A new signing secret for a generic webhook, shown once on the answer."""
    try:
        secret = service.renew_secret(current_user, channel_id)
    except DomainError as error:
        flash_refusal(error)
        return redirect(url_for("notify.edit_channel", channel_id=channel_id))
    return _secret_page(service.get_channel(channel_id), secret)


def _secret_page(channel, secret: str):
    """The one page that shows a webhook's secret in full; kept by no cache."""
    response = make_response(
        render_template("notify/channel_secret.html", channel=channel, secret=secret)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/admin/channels/<int:channel_id>/test")
@requires("channel.manage")
def test_channel(channel_id: int):
    # Only the channel's status line: never the body it answered with.
    outcome = service.test_channel(current_user, channel_id)
    if outcome.ok:
        flash(_("Test sent. The channel answered: %(answer)s", answer=outcome.answer), "success")
    else:
        flash(_("Test failed: %(answer)s", answer=outcome.answer), "danger")
    return redirect(url_for("notify.channels"))


@bp.get("/admin/deliveries")
@requires("delivery.view")
def deliveries():
    status = request.args.get("status") or None
    if status not in (*DELIVERY_STATES, service.TROUBLE, None):
        status = None
    rows, page, has_next = newer_older(
        lambda limit, offset: service.list_deliveries(current_user, status, limit, offset),
        lambda: service.count_deliveries(current_user, status),
        requested_page(),
        PAGE,
    )
    return render_template(
        "notify/deliveries.html",
        rows=rows,
        has_next=has_next,
        page=page,
        status=status,
        counts=service.delivery_counts(current_user),
        runs=service.recent_runs(current_user),
        event_labels=EVENT_LABELS,
    )


@bp.post("/admin/deliveries/<int:delivery_id>/retry")
@requires("channel.manage")
def retry_delivery(delivery_id: int):
    service.retry_delivery(current_user, delivery_id)
    flash(_("The delivery will be tried again at the next pass."), "success")
    return redirect(url_for("notify.deliveries", status=service.TROUBLE))
