"""Pages of meetings and the calendar: series, one meeting, minutes PDF, calendar grid,
iCalendar downloads and the personal feed."""

from __future__ import annotations

from datetime import date, time, timedelta

from babel.dates import get_day_names
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core import clock, hooks
from app.core.errors import ConfirmationRequired, DomainError, StaleEdit, ValidationFailed
from app.core.forms import choices
from app.core.freshness import cached_body
from app.core.i18n import Labels, current_locale, format_clock
from app.core.idempotency import once
from app.core.nav import NavItem
from app.core.pdf import pdf_response, render_pdf
from app.core.permissions import can
from app.core.web import (
    allowed_here,
    current_task_force,
    download,
    flash_refusal,
    form_error,
    public,
    refusal_status,
    requires,
)
from app.extensions import db
from app.issues import service as issues
from app.meetings import calendar, service
from app.meetings.forms import (
    ActionForm,
    AgendaItemForm,
    MinutesForm,
    MoveForm,
    SeriesForm,
    ToIssueForm,
)
from app.meetings.labels import (
    ATTENDANCE_LABELS,
    CADENCE_LABELS,
    EVENT_LABELS,
    KIND_LABELS,
    STATE_LABELS,
)
from app.meetings.models import ATTENDANCE, ONE_ON_ONE
from app.people import roster
from app.people.service import org_unit_options

bp = Blueprint("meetings", __name__)

NAV_ITEMS = (
    NavItem("meetings.index", _l("Meetings"), "meeting.view", 50, ("meetings.",), "meetings"),
    NavItem("meetings.calendar_page", _l("Calendar"), "calendar.view", 55, group="meetings"),
)


_LABELS = {
    "meeting_kind_label": Labels(KIND_LABELS),
    "cadence_label": Labels(CADENCE_LABELS),
    "meeting_state_label": Labels(STATE_LABELS),
}


@bp.app_context_processor
def meeting_labels():
    return _LABELS


def _task_force_id() -> int:
    return current_task_force().id


def _people(task_force_id: int, blank: bool = True):
    people = roster.assignee_options(task_force_id)
    return choices(([("", "—")] if blank else []) + people)


# --- series --------------------------------------------------------------------------------


@bp.get("/meetings")
@requires("meeting.view")
def index():
    task_force_id = _task_force_id()
    series = service.list_series(current_user, task_force_id)
    upcoming, recent = service.upcoming_and_recent(task_force_id)
    return render_template("meetings/index.html", series=series, upcoming=upcoming, recent=recent)


@bp.get("/meetings/figures")
@requires("meeting.view")
def figures():
    task_force_id = _task_force_id()
    today = clock.today()
    start = request.args.get("from", type=date.fromisoformat) or today - timedelta(days=365)
    end = request.args.get("to", type=date.fromisoformat) or today
    if start > end:
        start, end = end, start
    return render_template(
        "meetings/figures.html", figures=service.figures(task_force_id, start, end)
    )


def _fill_series_form(form: SeriesForm, task_force_id: int) -> None:
    form.chair_id.choices = _people(task_force_id)
    form.attendee_ids.choices = _people(task_force_id, blank=False)
    form.counterpart_user_ids.choices = _people(task_force_id, blank=False)
    form.counterpart_unit_ids.choices = choices(org_unit_options())


def _series_input(form: SeriesForm) -> service.SeriesInput:
    return service.SeriesInput(
        name=form.name.data,
        kind=form.kind.data,
        cadence=form.cadence.data,
        rrule=form.rrule.data or "",
        starts_on=form.starts_on.data,
        start_time=form.start_time.data,
        duration_minutes=form.duration_minutes.data,
        chair_id=form.chair_id.data,
        place=form.place.data or "",
        online_link=form.online_link.data or "",
        agenda_template=form.agenda_template.data or "",
        attendee_ids=list(form.attendee_ids.data or []),
        counterpart_user_ids=list(form.counterpart_user_ids.data or []),
        counterpart_unit_ids=list(form.counterpart_unit_ids.data or []),
    )


@bp.route("/meetings/series/new", methods=["GET", "POST"])
@requires("meeting.manage")
def create_series():
    task_force_id = _task_force_id()
    form = SeriesForm()
    _fill_series_form(form, task_force_id)
    if request.method == "GET":
        form.chair_id.data = current_user.id
        form.starts_on.data = clock.today()
    status = 200
    if form.validate_on_submit():
        data = _series_input(form)
        try:
            series = service.create_series(current_user, task_force_id, data)
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error)
        else:
            flash(_("%(name)s created.", name=series.name), "success")
            return redirect(url_for("meetings.series_detail", series_id=series.id))
    elif request.method == "POST":
        status = 400
    return render_template("meetings/series_form.html", form=form, series=None), status


@bp.get("/meetings/series/<int:series_id>")
@requires("meeting.view")
def series_detail(series_id: int):
    series = service.get_series(series_id)
    weeks = min(max(request.args.get("weeks", 4, type=int), 1), 52)
    coverage = service.coverage(series, weeks) if series.kind == ONE_ON_ONE else []
    return render_template(
        "meetings/series.html",
        series=series,
        meetings=service.series_meetings(series),
        coverage=coverage,
        weeks=weeks,
    )


@bp.route("/meetings/series/<int:series_id>/edit", methods=["GET", "POST"])
@requires("meeting.manage")
def edit_series(series_id: int):
    series = service.get_series(series_id)
    form = SeriesForm(obj=series) if request.method == "GET" else SeriesForm()
    _fill_series_form(form, series.task_force_id)
    # The rhythm is fixed once planned: shown, not edited.
    form.kind.data, form.cadence.data = series.kind, series.cadence
    form.rrule.data, form.starts_on.data = series.rrule, series.starts_on
    if request.method == "GET":
        form.version.data = series.version
        people = [c["user"] for c in series.counterparts or [] if "user" in c]
        form.counterpart_user_ids.data = people
        form.counterpart_unit_ids.data = [
            c["unit"] for c in series.counterparts or [] if "unit" in c
        ]
    status = 200
    if form.validate_on_submit():
        try:
            service.update_series(current_user, series, _series_input(form), form.version_value)
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("meetings.series_detail", series_id=series.id))
    elif request.method == "POST":
        status = 400
    return render_template("meetings/series_form.html", form=form, series=series), status


@bp.post("/meetings/series/<int:series_id>/plan")
@requires("meeting.manage")
def plan_series(series_id: int):
    series = service.get_series(series_id)
    added = service.plan_ahead(current_user, series)
    flash(_("%(n)d meetings planned.", n=added), "success")
    return redirect(url_for("meetings.series_detail", series_id=series.id))


@bp.get("/meetings/series/<int:series_id>/calendar.ics")
@requires("meeting.view")
def series_ics(series_id: int):
    series = service.get_series(series_id)
    data = calendar.ical(calendar.series_events(series), calendar.series_feed_name(series))
    return download(
        data, "text/calendar", _("Meeting"), "meeting", "ics", series.name, f"series-{series.id}"
    )


# --- one meeting ---------------------------------------------------------------------------
#
# A meeting's page is ONE form: the minutes, the decisions and the attendance typed on it
# are carried with every action the page offers (an action item, an agenda line, "held",
# "publish" ...). Each action first saves what was typed (``service.keep_typed``), then
# runs: no button discards what the secretary typed, and a stale page keeps the typing.


def _typed() -> service.TypedRecord:
    """What the meeting's page carried in this request."""
    form = request.form
    minutes = {
        int(key[8:]): value
        for key, value in form.items()
        if key.startswith("minutes-") and key[8:].isdigit()
    }
    attendance = {
        int(key[4:]): value or None
        for key, value in form.items()
        if key.startswith("att-") and key[4:].isdigit()
    }
    try:
        version = int(form.get("version", ""))
    except ValueError:
        version = None
    return service.TypedRecord(
        minutes=minutes, decisions=form.get("decisions"), attendance=attendance, version=version
    )


def _confirmed() -> bool:
    return request.form.get("confirm") == "1"


def _meeting_context(meeting, items=None, typed=None, stale=None, confirmation=None, **forms):
    task_force_id = meeting.task_force_id
    if items is None:
        items = service.agenda_items(meeting)
    previous = service.previous_meeting(meeting)
    actions = service.actions_of([meeting.id] + ([previous.id] if previous else []))
    previous_actions = actions.get(previous.id, []) if previous else []
    proposals = []
    if not items and meeting.status == "planned":
        proposals = service.build_agenda(meeting, previous, previous_actions)
    may_run = can(current_user, "meeting.run", meeting)
    action_form = forms.get("action_form") or ActionForm()
    action_form.owner_id.choices = _people(task_force_id)
    people_choices = action_form.owner_id.choices
    issue_form = ToIssueForm()
    if may_run and any(not a.issue_id for a in actions.get(meeting.id, [])):
        issue_form.category_id.choices = choices(
            [("", "—")] + issues.category_options(task_force_id)
        )
    minutes_form = forms.get("minutes_form") or MinutesForm()
    minutes_form.version.data = meeting.version
    if request.method == "GET":
        minutes_form.decisions.data = meeting.decisions
    return {
        "meeting": meeting,
        "items": items,
        "sections": service.grouped(items),
        "proposals": service.grouped(proposals),
        "previous": previous,
        "previous_actions": previous_actions,
        "actions": actions.get(meeting.id, []),
        "attendance": service.attendance(meeting),
        "attendance_labels": ATTENDANCE_LABELS,
        "attendance_states": ATTENDANCE,
        "may_run": may_run,
        "may_manage": may_run and allowed_here("meeting.manage"),
        # A stale page sent back shows what was typed, not what is saved (that shows
        # beside it); any other page shows the saved record, which holds the typing.
        "typed_minutes": typed.minutes if typed else {},
        "typed_attendance": typed.attendance if typed else {},
        "stale": stale,
        "confirmation": confirmation,
        "action_form": action_form,
        "people_choices": people_choices,
        "agenda_form": forms.get("agenda_form") or AgendaItemForm(prefix="agenda"),
        "minutes_form": minutes_form,
        "move_form": MoveForm(
            day=clock.local_date(meeting.starts_at),
            start_time=format_clock(meeting.starts_at),
            place=meeting.place,
        ),
        # Items on the agenda are offered as the parents of new subtasks.
        "agenda_codes": [i.title for i in items if i.subject_type == "issue"],
        "issue_form": issue_form,
        # What the other features show on a meeting's page (the decisions taken in it).
        "panels": hooks.MEETING_PANELS.collect(current_user, meeting),
    }


@bp.get("/meetings/<int:meeting_id>")
@requires("meeting.view")
def meeting_detail(meeting_id: int):
    meeting = service.load_meeting(current_user, meeting_id, with_agenda=True)
    context = _meeting_context(meeting, list(meeting.agenda_items))
    return render_template("meetings/meeting.html", **context)


def _meeting_url(meeting_id: int, anchor: str = "") -> str:
    return url_for("meetings.meeting_detail", meeting_id=meeting_id) + anchor


def _back(meeting_id: int, anchor: str = ""):
    return redirect(_meeting_url(meeting_id, anchor))


def _page_again(meeting_id: int, status: int, **context):
    """The meeting's page answered to a POST: a form's errors, a stale edit, a question."""
    meeting = service.load_meeting(current_user, meeting_id, with_agenda=True)
    context = _meeting_context(meeting, list(meeting.agenda_items), **context)
    return render_template("meetings/meeting.html", **context), status


class _Refused(Exception):
    """What was typed could not be kept; ``response`` says so."""

    def __init__(self, response):
        self.response = response


def _keep_typed(meeting, anchor: str = "", **forms) -> bool:
    """Save what the page carried before an action runs. Returns whether it changed
    anything.

    :raise _Refused: with the page again (stale: the typing kept) or a message.
    """
    typed = _typed()
    try:
        kept = bool(service.keep_typed(current_user, meeting, typed))
    except StaleEdit as error:
        # The page is shown again: as saved, beside what was typed.
        db.session.rollback()
        response = _page_again(meeting.id, error.status, typed=typed, stale=error, **forms)
        raise _Refused(response) from None
    except DomainError as error:
        if error.status == 404:
            raise
        flash_refusal(error)
        raise _Refused(_back(meeting.id, anchor)) from None
    if kept:
        # What was typed is a unit of work of its own, committed before the action runs:
        # an action refused or asking to confirm (an answer the boundary rolls back) must
        # not discard the secretary's typing.
        db.session.commit()
    return kept


def _run(
    meeting_id: int,
    action,
    success: str | None = None,
    anchor: str = "",
    confirm: tuple[str, str] | None = None,
    saving: bool = False,
):
    """Keep what was typed, then call a service on the meeting; a refusal becomes a message
    on the meeting's page. ``confirm`` (the endpoint and the button's words): the service may
    ask to confirm, and the page asks the person. ``saving``: the action is the saving
    itself, so the page does not say that the typing was saved too."""
    meeting = service.load_meeting(current_user, meeting_id)
    try:
        kept = _keep_typed(meeting, anchor)
    except _Refused as refused:
        return refused.response
    try:
        action(meeting)
    except ConfirmationRequired as asked:
        if confirm is None:
            raise
        endpoint, label = confirm
        question = {
            "message": asked.message,
            "details": asked.details,
            "url": url_for(endpoint, meeting_id=meeting_id),
            "label": label,
        }
        return _page_again(meeting_id, asked.status, confirmation=question)
    except DomainError as error:
        if error.status == 404:
            raise
        flash_refusal(error)
    else:
        if success:
            flash(success, "success")
    if kept and not saving:
        _say_kept()
    return _back(meeting_id, anchor)


def _say_kept() -> None:
    flash(_("The minutes and attendance you typed were saved too."), "info")


@bp.post("/meetings/<int:meeting_id>/agenda/adopt")
@requires("meeting.minutes")
def adopt_agenda(meeting_id: int):
    return _run(
        meeting_id,
        lambda m: service.adopt_agenda(current_user, m),
        _("The proposed agenda is the meeting's agenda now; edit it as you need."),
        "#agenda",
    )


@bp.post("/meetings/<int:meeting_id>/agenda")
@requires("meeting.minutes")
def add_agenda_item(meeting_id: int):
    form = AgendaItemForm(prefix="agenda")
    meeting = service.load_meeting(current_user, meeting_id)
    try:
        if _keep_typed(meeting, "#agenda", agenda_form=form):
            _say_kept()
    except _Refused as refused:
        return refused.response
    if form.validate_on_submit():
        try:
            with once(_meeting_url(meeting_id, "#agenda")):
                service.add_agenda_item(
                    current_user, meeting, form.title.data, form.section.data or ""
                )
        except DomainError as error:
            if error.status in (403, 404, 409):
                flash_refusal(error)
                return _back(meeting_id, "#agenda")
            form_error(form, error)
        else:
            return _back(meeting_id, "#agenda")
    return _page_again(meeting_id, 400, agenda_form=form)


@bp.post("/meetings/agenda/<int:item_id>/remove")
@requires("meeting.minutes")
def remove_agenda_item(item_id: int):
    item = service.get_agenda_item(item_id)
    return _run(
        item.meeting_id, lambda m: service.remove_agenda_item(current_user, item), anchor="#agenda"
    )


@bp.post("/meetings/agenda/<int:item_id>/move")
@requires("meeting.minutes")
def move_agenda_item(item_id: int):
    item = service.get_agenda_item(item_id)
    direction = -1 if request.form.get("direction") == "up" else 1
    return _run(
        item.meeting_id,
        lambda m: service.move_agenda_item(current_user, item, direction),
        anchor="#agenda",
    )


@bp.post("/meetings/<int:meeting_id>/attendance")
@requires("meeting.minutes")
def record_attendance(meeting_id: int):
    statuses = _typed().attendance
    return _run(
        meeting_id,
        lambda m: service.record_attendance(current_user, m, statuses),
        _("Attendance saved."),
        "#attendance",
        saving=True,
    )


@bp.post("/meetings/<int:meeting_id>/attendance/all-present")
@requires("meeting.minutes")
def all_present(meeting_id: int):
    """Everyone not recorded otherwise came: one click at the start of the meeting."""

    def mark(meeting):
        n = service.mark_all_present(current_user, meeting)
        flash(_("%(n)d marked present.", n=n), "success")

    return _run(meeting_id, mark, anchor="#attendance")


@bp.post("/meetings/<int:meeting_id>/minutes")
@requires("meeting.minutes")
def save_minutes(meeting_id: int):
    form = MinutesForm()
    if not form.validate_on_submit():
        return _page_again(meeting_id, 400, minutes_form=form, typed=_typed())
    # Saving what was typed is what every action of the page does first: nothing more to run.
    return _run(meeting_id, lambda m: None, _("Minutes saved."), "#minutes", saving=True)


@bp.post("/meetings/<int:meeting_id>/held")
@requires("meeting.minutes")
def mark_held(meeting_id: int):
    return _run(
        meeting_id,
        lambda m: service.mark_held(current_user, m, confirmed=_confirmed()),
        _("Marked as held."),
        confirm=("meetings.mark_held", _("Mark as held anyway")),
    )


@bp.post("/meetings/<int:meeting_id>/publish")
@requires("meeting.minutes")
def publish(meeting_id: int):
    return _run(
        meeting_id,
        lambda m: service.publish_minutes(current_user, m, confirmed=_confirmed()),
        _("Minutes published and sent to the attendees."),
        confirm=("meetings.publish", _("Publish anyway")),
    )


@bp.post("/meetings/<int:meeting_id>/move")
@requires("meeting.manage")
def move_meeting(meeting_id: int):
    form = MoveForm()

    def move(meeting):
        if not form.validate_on_submit():
            raise ValidationFailed(_("Enter a day and a time."))
        hour, minute = (int(p) for p in form.start_time.data.split(":"))
        starts_at = clock.at(form.day.data, time(hour, minute))
        service.move_meeting(current_user, meeting, starts_at, form.place.data or "")

    return _run(meeting_id, move, _("Meeting moved."))


@bp.post("/meetings/<int:meeting_id>/cancel")
@requires("meeting.manage")
def cancel_meeting(meeting_id: int):
    return _run(
        meeting_id, lambda m: service.cancel_meeting(current_user, m), _("Meeting cancelled.")
    )


@bp.post("/meetings/<int:meeting_id>/actions")
@requires("meeting.minutes")
def add_action(meeting_id: int):
    meeting = service.load_meeting(current_user, meeting_id)
    form = ActionForm()
    form.owner_id.choices = _people(meeting.task_force_id)
    try:
        if _keep_typed(meeting, "#actions", action_form=form):
            _say_kept()
    except _Refused as refused:
        return refused.response
    if form.validate_on_submit():
        try:
            with once(_meeting_url(meeting_id, "#actions")):
                service.add_action(
                    current_user, meeting, form.title.data, form.owner_id.data, form.deadline.data
                )
        except DomainError as error:
            if error.status == 403:
                flash_refusal(error)
                return _back(meeting_id, "#actions")
            form_error(form, error)
        else:
            flash(_("Action item added."), "success")
            return _back(meeting_id, "#actions")
    return _page_again(meeting_id, 400, action_form=form)


@bp.post("/meetings/actions/<int:action_id>/done")
@requires("meeting.minutes")
def set_action_done(action_id: int):
    action = service.get_action(action_id)
    done = request.form.get("done") == "1"
    return _run(
        action.meeting_id,
        lambda m: service.set_action_done(current_user, action, done),
        anchor="#actions",
    )


@bp.post("/meetings/actions/<int:action_id>/subtask")
@requires("meeting.minutes")
def action_to_subtask(action_id: int):
    action = service.get_action(action_id)
    # Each action item's row has its own field: the page is one form.
    typed = request.form.get(f"issue_code-{action_id}") or ""
    code = typed.strip().split(" ", 1)[0]

    def convert(meeting):
        issue = service.issue_by_code(meeting.task_force_id, code)
        subtask = service.action_to_subtask(current_user, action, issue.id)
        flash(_("Now a subtask of %(code)s.", code=subtask.issue.code), "success")

    return _run(action.meeting_id, convert, anchor="#actions")


@bp.post("/meetings/actions/<int:action_id>/issue")
@requires("meeting.minutes")
def action_to_issue(action_id: int):
    action = service.get_action(action_id)
    category_id = request.form.get(f"category_id-{action_id}", type=int)

    def convert(meeting):
        if not category_id:
            raise DomainError(_("Choose a category."))
        issue = service.action_to_issue(current_user, action, category_id)
        flash(_("%(code)s created.", code=issue.code), "success")

    return _run(action.meeting_id, convert, anchor="#actions")


@bp.get("/meetings/<int:meeting_id>/minutes.pdf")
@requires("meeting.view")
def minutes_pdf(meeting_id: int):
    meeting = service.load_meeting(current_user, meeting_id)
    items = service.agenda_items(meeting)
    data = render_pdf(
        "meetings/minutes_pdf.html",
        meeting=meeting,
        sections=service.grouped(items),
        attendance=service.attendance(meeting),
        attendance_labels=ATTENDANCE_LABELS,
        actions=service.actions_of([meeting.id]).get(meeting.id, []),
    )
    day = clock.local_date(meeting.starts_at).isoformat()
    return pdf_response(data, _("Minutes"), "minutes", f"{meeting.title}-{day}", day)


# --- the calendar --------------------------------------------------------------------------


# The month grid shows at most this many events a day, then "+N 项", a link to the day's
# week (which shows them all): a busy month holds thousands of deadlines and milestones.
CALENDAR_PER_DAY = 4


@bp.get("/calendar")
@requires("calendar.view")
def calendar_page():
    task_force_id = _task_force_id()
    mine = request.args.get("mine") == "1"

    def content() -> dict:
        today = clock.today()
        view = "week" if request.args.get("view") == "week" else "month"
        try:
            day = request.args.get("day")
            anchor = date.fromisoformat(day) if day else today
        except ValueError:
            anchor = today
        if view == "week":
            start = anchor - timedelta(days=anchor.weekday())
            end = start + timedelta(days=6)
            weeks = [[start + timedelta(days=i) for i in range(7)]]
            previous, following = start - timedelta(days=7), start + timedelta(days=7)
        else:
            anchor = anchor.replace(day=1)
            start, end, weeks = calendar.month_grid(anchor.year, anchor.month)
            previous = (anchor - timedelta(days=1)).replace(day=1)
            following = (anchor + timedelta(days=32)).replace(day=1)
        reader = current_user if mine else None
        if view == "month":  # a day's first few, and a link to its week for the rest
            shown, more = calendar.first_events_between(
                reader, task_force_id, start, end, CALENDAR_PER_DAY
            )
        else:
            shown = calendar.by_day(calendar.events_between(reader, task_force_id, start, end))
            more = {}
        names = get_day_names("abbreviated", locale=current_locale())
        labels = {k: str(v) for k, v in EVENT_LABELS.items()}
        return {
            "weekday_names": [names[d.weekday()] for d in weeks[0]],
            "agenda_days": [
                d for week in weeks for d in week if view == "week" or d.month == anchor.month
            ],
            "view": view,
            "anchor": anchor,
            "weeks": weeks,
            "events": calendar.event_lines(shown, labels, _("Event")),
            "more": calendar.more_links(more, mine),
            "previous": previous,
            "following": following,
            "mine": mine,
            "today": today,
            "event_labels": labels,
        }

    body = cached_body("meetings/_calendar_body.html", content, personal=mine)
    return render_template("meetings/calendar.html", body=body)


@bp.route("/calendar/feed", methods=["GET", "POST"])
@requires("calendar.view")
def feed_settings():
    """The personal feed: make a new secret link (shown once) or revoke it."""
    new_url = None
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            calendar.revoke_token(current_user)
            flash(_("Your calendar link no longer works."), "success")
        elif request.form.get("action") == "create":
            token = calendar.issue_token(current_user)
            new_url = url_for("meetings.personal_feed", token=token, _external=True)
        else:
            abort(400)
    return render_template(
        "meetings/feed.html", token=calendar.has_token(current_user), new_url=new_url
    )


@bp.get("/calendar/feed/<token>.ics")
@public
def personal_feed(token: str):
    """The personal iCalendar feed. An unknown or revoked token: 404, nothing more."""
    user = calendar.user_for_token(token)
    if user is None:
        abort(404)
    with force_locale(user.locale or "zh_CN"):  # nobody signed in: the owner's language
        events = calendar.personal_events(user)  # titles and categories in it too
        data = calendar.ical(events, calendar.personal_feed_name(user))
    return current_app.response_class(data, mimetype="text/calendar")


def _my_action_items(user, task_force_ids):
    """Action items from meetings that are mine and not yet done or on the problem list."""
    viewable = [tf for tf in task_force_ids if can(user, "meeting.view", tf)]
    if not viewable:
        return []
    rows = service.open_actions_of(user, viewable)
    return [
        hooks.Section(
            "meeting-actions",
            _("My action items from meetings"),
            "meetings/_my_actions.html",
            rows,
            len(rows),
        )
    ]


def _meeting_choices(task_force_id, start, end, ids=()):
    return [
        hooks.MeetingChoice(
            id=c.id,
            label=c.label,
            day=c.day,
            kind=c.kind,
            status=c.status,
            url=f"/meetings/{c.id}",  # a plain path: services call this outside requests
        )
        for c in service.meeting_choices(task_force_id, start, end, ids)
    ]


def _meetings_of_issue(user, issue):
    """The meetings that had an item on their agenda and their action items about it: one
    query."""
    if not allowed_here("meeting.view"):
        return []
    rows = service.meetings_of_issue(issue)
    if not rows:
        return []
    return [
        hooks.Section(
            "meetings",
            _("Meetings and action items"),
            "meetings/_issue_panel.html",
            rows,
            len(rows),
        )
    ]
