"""Pages of escalations and the decision register, supervision, scorecards and incentives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core import clock, hooks
from app.core.errors import ConfirmationRequired, DomainError, StaleEdit
from app.core.forms import choices
from app.core.freshness import cached_body
from app.core.i18n import Labels
from app.core.idempotency import once
from app.core.nav import NavItem
from app.core.paging import requested_page
from app.core.pdf import pdf_response, render_pdf
from app.core.permissions import can
from app.core.web import (
    across_task_forces,
    current_task_force,
    download,
    flash_refusal,
    form_error,
    requires,
)
from app.decisions import exports, instruction_views, scorecards, service
from app.decisions.forms import (
    DecisionForm,
    EscalationForm,
    IncentiveForm,
    NudgeForm,
    RegisterFilterForm,
    ScheduleForm,
    ScorecardForm,
)
from app.decisions.labels import (
    ESCALATION_STATUS_LABELS,
    INCENTIVE_KIND_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    POLARITY_LABELS,
)
from app.decisions.models import Escalation
from app.extensions import db
from app.issues import service as issues
from app.issues.models import Issue
from app.people import roster
from app.people.service import get_user, org_unit_options

bp = Blueprint("decisions", __name__)

NAV_ITEMS = (
    NavItem(
        "decisions.queue",
        _l("Escalations"),
        "escalation.view",
        60,
        ("decisions.queue", "decisions.escalation", "decisions.register", "decisions.raise"),
        "oversight",
    ),
    NavItem("decisions.supervision", _l("Supervision"), "supervision.view", 62, group="oversight"),
    NavItem(
        "decisions.scorecard",
        _l("Scorecards"),
        "scorecard.view",
        64,
        ("decisions.scorecard", "decisions.incentive", "decisions.person_record"),
        "oversight",
    ),
)


_LABELS = {
    "escalation_kind_label": Labels(KIND_LABELS),
    "escalation_level_label": Labels(LEVEL_LABELS),
    "escalation_status_label": Labels(ESCALATION_STATUS_LABELS),
    "polarity_label": Labels(POLARITY_LABELS),
    "incentive_kind_label": Labels(INCENTIVE_KIND_LABELS),
}


@bp.app_context_processor
def decision_labels():
    return _LABELS


def _task_force_id() -> int:
    return current_task_force().id


def _people_choices(task_force_id: int, blank: str = "—"):
    return choices([("", blank)] + roster.assignee_options(task_force_id))


# --- the panel on an issue's page ------------------------------------------------------------


@dataclass
class IssuePanel:
    issue: Issue
    escalations: list[Escalation]
    form: EscalationForm | None
    may_raise: bool
    may_nudge: bool
    may_lift: bool
    nudges: int
    today: date


def _escalation_panel(user, issue):
    if not can(user, "escalation.view", issue.task_force_id):
        return []
    may_raise = can(user, "escalation.raise", issue) and issue.is_open
    form = None
    if may_raise:
        form = EscalationForm(formdata=None)
        form.due_on.data = service.default_due_on()
    escalations, nudges = service.escalations_of_issue(issue)
    panel = IssuePanel(
        issue=issue,
        escalations=escalations,
        form=form,
        may_raise=may_raise,
        may_nudge=can(user, "supervision.nudge", issue.task_force_id)
        and issue.is_open
        and issue.owner_id is not None,
        may_lift=issue.supervised and can(user, "supervision.lift", issue.task_force_id),
        nudges=nudges,
        today=clock.today(),
    )
    return [
        hooks.Section(
            "escalations",
            _("Escalations and supervision"),
            "decisions/_issue_panel.html",
            [panel],
            len(panel.escalations),
        )
    ]


# --- raising ---------------------------------------------------------------------------------


def _escalation_input(form: EscalationForm) -> service.EscalationInput:
    return service.EscalationInput(
        kind=form.kind.data,
        level=form.level.data,
        question=form.question.data or "",
        options=service.parse_options(form.options.data),
        recommendation=form.recommendation.data or "",
        due_on=form.due_on.data,
    )


def _issue(issue_id: int) -> Issue:
    return issues.load_issue(current_user, issue_id)


@bp.route("/issues/<int:issue_id>/escalate", methods=["GET", "POST"])
@requires("escalation.raise", load=_issue)
def raise_escalation(issue: Issue, issue_id: int):
    form = EscalationForm()
    if request.method == "GET":
        form.due_on.data = service.default_due_on()
        form.kind.data = request.args.get("kind") or form.kind.data
    status = 200
    if form.validate_on_submit():
        try:
            with once(url_for("issues.issue_detail", issue_id=issue_id)) as receipt:
                escalation = service.raise_escalation(current_user, issue, _escalation_input(form))
                receipt.location = url_for("decisions.escalation", escalation_id=escalation.id)
        except DomainError as error:
            form_error(form, error)
            status = error.status if error.status in (400, 409) else 400
        else:
            flash(_("Escalated; the deciders have been told."), "success")
            return redirect(url_for("decisions.escalation", escalation_id=escalation.id))
    elif request.method == "POST":
        status = 400
    return render_template("decisions/raise.html", form=form, issue=issue), status


# --- the queue and one escalation ------------------------------------------------------------


@bp.get("/escalations")
@requires("escalation.view")
def queue():
    """The task force's pending escalations; "mine to decide" spans every task force
    where the reader decides (or the one the filter picks)."""
    task_force_id = _task_force_id()
    mine_only = request.args.get("mine") == "1"
    across = across_task_forces("escalation.decide")
    if mine_only:
        rows = service.to_decide(current_user, across.ids)
    else:
        rows = service.queue(current_user, task_force_id)
    return render_template("decisions/queue.html", rows=rows, mine_only=mine_only, across=across)


def _meeting_label(meeting) -> str:
    return f"{meeting.day.isoformat()} {meeting.label}"


def _decision_form(
    escalation: Escalation, meetings: service.MeetingOptions, form: DecisionForm | None = None
) -> DecisionForm:
    fresh = form is None
    form = form or DecisionForm(formdata=None)
    form.chosen_option.choices = choices([("", "—")] + [(o, o) for o in escalation.options])
    form.new_owner_id.choices = _people_choices(escalation.task_force_id, _("— unchanged —"))
    form.meeting_id.choices = choices(
        [("", _("— not in a meeting —"))] + [(m.id, _meeting_label(m)) for m in meetings.recent]
    )
    if fresh and meetings.today is not None:
        form.meeting_id.data = meetings.today.id
    if form.version.data in (None, ""):
        form.version.data = escalation.version
    return form


def _schedule_form(
    escalation: Escalation, meetings: service.MeetingOptions, form: ScheduleForm | None = None
) -> ScheduleForm:
    fresh = form is None
    form = form or ScheduleForm(formdata=None)
    form.meeting_id.choices = choices(
        [("", "—")] + [(m.id, _meeting_label(m)) for m in meetings.upcoming]
    )
    if fresh and escalation.scheduled_for is not None:
        on_day = [m for m in meetings.upcoming if m.day == escalation.scheduled_for]
        if on_day:
            form.meeting_id.data = on_day[0].id
        else:
            form.day.data = escalation.scheduled_for
    return form


def _meeting_options(escalation: Escalation) -> service.MeetingOptions:
    decision = escalation.decision
    return service.meeting_options(
        escalation.task_force_id, [decision.meeting_id] if decision else []
    )


def _escalation_page(escalation: Escalation, status: int = 200, meetings=None, **forms):
    meetings = meetings or _meeting_options(escalation)
    decision = escalation.decision
    return (
        render_template(
            "decisions/escalation.html",
            escalation=escalation,
            issue=escalation.issue,
            decision=decision,
            decided_in=meetings.by_id.get(decision.meeting_id) if decision else None,
            scheduled_on=next(
                (m for m in meetings.upcoming if m.day == escalation.scheduled_for), None
            ),
            may_decide=escalation.pending and can(current_user, "escalation.decide", escalation),
            form=_decision_form(escalation, meetings, forms.get("form")),
            schedule_form=_schedule_form(escalation, meetings, forms.get("schedule_form")),
            schedule_confirmation=forms.get("schedule_confirmation"),
            today=clock.today(),
            banners=instruction_views.escalation_block(current_user, escalation),
        ),
        status,
    )


@bp.get("/escalations/<int:escalation_id>")
@requires("escalation.view")
def escalation(escalation_id: int):
    return _escalation_page(service.load_escalation(current_user, escalation_id))


@bp.post("/escalations/<int:escalation_id>/decide")
@requires("escalation.decide")
def decide(escalation_id: int):
    escalation = service.load_escalation(current_user, escalation_id)
    meetings = _meeting_options(escalation)
    form = _decision_form(escalation, meetings, DecisionForm())
    if not form.validate_on_submit():
        return _escalation_page(escalation, 400, meetings, form=form)
    data = service.DecisionInput(
        text=form.text.data,
        chosen_option=form.chosen_option.data or "",
        rationale=form.rationale.data or "",
        unblock=bool(form.unblock.data),
        new_deadline=form.new_deadline.data,
        new_owner_id=form.new_owner_id.data,
        meeting_id=form.meeting_id.data,
    )
    try:
        service.decide(current_user, escalation, data, form.version_value)
    except DomainError as error:
        # The page shows the escalation as saved, not what the refused decision flushed.
        db.session.rollback()
        escalation = service.load_escalation(current_user, escalation_id)
        form_error(form, error)
        code = 409 if isinstance(error, StaleEdit) else error.status
        return _escalation_page(escalation, code if code in (400, 403, 409) else 400, form=form)
    flash(_("Decided; the raiser and the owner have been told."), "success")
    return redirect(url_for("decisions.escalation", escalation_id=escalation_id))


@bp.post("/escalations/<int:escalation_id>/schedule")
@requires("escalation.decide")
def schedule(escalation_id: int):
    escalation = service.load_escalation(current_user, escalation_id)
    meetings = _meeting_options(escalation)
    form = _schedule_form(escalation, meetings, ScheduleForm())
    if form.validate_on_submit():
        try:
            service.schedule(
                current_user,
                escalation,
                form.day.data,
                form.meeting_id.data,
                confirmed=form.confirm.data == "1",
            )
        except ConfirmationRequired as asked:
            return _escalation_page(
                escalation, asked.status, meetings, schedule_form=form, schedule_confirmation=asked
            )
        except DomainError as error:
            form_error(form, error)
            return _escalation_page(escalation, 400, meetings, schedule_form=form)
        flash(_("Agenda updated."), "success")
        return redirect(url_for("decisions.escalation", escalation_id=escalation_id))
    return _escalation_page(escalation, 400, meetings, schedule_form=form)


# --- the register ----------------------------------------------------------------------------


def _register_filter() -> tuple[RegisterFilterForm, service.RegisterFilter]:
    form = RegisterFilterForm(request.args)
    data = dict(form.data)
    if not form.validate():
        for name in form.errors:
            data[name] = None
    filters = service.RegisterFilter(
        kind=data.get("kind") or None,
        level=data.get("level") or None,
        status=data.get("status") or None,
        raised_from=data.get("raised_from"),
        raised_to=data.get("raised_to"),
        q=(data.get("q") or "").strip(),
    )
    return form, filters


def _page_args() -> dict:
    """The query string without the page number, for the pager's and the exports' links."""
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    return args


@bp.get("/decisions")
@requires("escalation.view")
def register():
    task_force_id = _task_force_id()

    def content() -> dict:
        form, filters = _register_filter()
        page = service.register_page(
            current_user,
            task_force_id,
            filters,
            requested_page(),
            per_page=current_app.config["PAGE_SIZE"],
        )
        return {
            "form": form,
            "page": page,
            "figures": page.figures,
            "meetings": _register_meetings(task_force_id, page.rows),
            "args": _page_args(),
        }

    return render_template(
        "decisions/register.html", body=cached_body("decisions/_register_body.html", content)
    )


def _register_meetings(task_force_id: int, rows) -> dict:
    """The meetings the register's decisions were taken in: one query, none without any."""
    return service.meetings_by_id(
        task_force_id, [r.decision.meeting_id for r in rows if r.decision]
    )


@bp.get("/decisions.xlsx")
@requires("escalation.view")
def register_xlsx():
    task_force = current_task_force()
    _form, filters = _register_filter()
    rows = service.register_rows(current_user, task_force.id, filters)
    data = exports.register_workbook(rows, _register_meetings(task_force.id, rows))
    return download(
        data,
        exports.XLSX,
        _("Decision register"),
        "decision-register",
        "xlsx",
        clock.today().isoformat(),
    )


@bp.get("/decisions.pdf")
@requires("escalation.view")
def register_pdf():
    task_force = current_task_force()
    _form, filters = _register_filter()
    rows = service.register_rows(current_user, task_force.id, filters)
    figures = service.register_figures(current_user, task_force.id, filters)
    data = render_pdf(
        "decisions/register_pdf.html",
        task_force=task_force,
        rows=rows,
        meetings=_register_meetings(task_force.id, rows),
        figures=figures,
        today=clock.today(),
    )
    return pdf_response(
        data, _("Decision register"), "decision-register", clock.today().isoformat()
    )


# --- supervision -----------------------------------------------------------------------------


@bp.get("/supervision")
@requires("supervision.view")
def supervision():
    task_force_id = _task_force_id()
    board = "exec" if request.args.get("board") == "exec" else "leader"

    def content() -> dict:
        show = service.exec_board if board == "exec" else service.leader_board
        page = show(
            current_user,
            task_force_id,
            requested_page(),
            per_page=current_app.config["PAGE_SIZE"],
        )
        return {"board": board, "page": page, "args": _page_args()}

    # Personal: the nudge buttons' forms carry the session's CSRF token.
    body = cached_body("decisions/_supervision_body.html", content, personal=True)
    return render_template("decisions/supervision.html", body=body)


def _back(default: str):
    from app.core.web import safe_next

    return redirect(safe_next(request.form.get("next"), default))


@bp.post("/issues/<int:issue_id>/nudge")
@requires("supervision.nudge")
def nudge(issue_id: int):
    issue = issues.load_issue(current_user, issue_id)
    form = NudgeForm()
    back = _back(url_for("issues.issue_detail", issue_id=issue_id))
    try:
        with once(back.location):
            service.nudge(current_user, issue, form.note.data or "")
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(_("Reminder sent to %(name)s.", name=issue.owner.display_name), "success")
    return back


@bp.post("/issues/<int:issue_id>/supervision/lift")
@requires("supervision.nudge")
def lift_supervision(issue_id: int):
    issue = issues.load_issue(current_user, issue_id)
    try:
        service.lift_supervision(current_user, issue)
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(_("The leader's supervision is lifted."), "success")
    return _back(url_for("issues.issue_detail", issue_id=issue_id))


# --- scorecards and incentives ---------------------------------------------------------------


def _period(form: ScorecardForm) -> scorecards.Period:
    default = scorecards.default_period()
    if not form.validate():
        return default
    start = form.start.data or default.start
    end = form.end.data or default.end
    return scorecards.Period(start, end) if start <= end else default


@bp.get("/scorecards")
@requires("scorecard.view")
def scorecard():
    task_force_id = _task_force_id()

    def content() -> dict:
        form = ScorecardForm(request.args)
        period = _period(form)
        by = "unit" if request.args.get("by") == "unit" else "member"
        sort = request.args.get("sort") or "name"
        lines = scorecards.scorecards(current_user, task_force_id, period, by, sort)
        form.start.data, form.end.data, form.by.data = period.start, period.end, by
        args = {"start": period.start.isoformat(), "end": period.end.isoformat(), "by": by}
        return {"form": form, "lines": lines, "by": by, "sort": sort, "args": args}

    body = cached_body("decisions/_scorecards_body.html", content)
    return render_template("decisions/scorecards.html", body=body)


def _incentive_form(task_force_id: int, form: IncentiveForm | None = None) -> IncentiveForm:
    form = form or IncentiveForm(formdata=None)
    form.user_id.choices = _people_choices(task_force_id)
    form.org_unit_id.choices = choices([("", "—")] + org_unit_options())
    form.issue_id.choices = choices([("", "—")] + _issue_options(task_force_id))
    if form.awarded_on.data is None:
        form.awarded_on.data = clock.today()
    return form


def _issue_options(task_force_id: int):
    return service.issue_options(task_force_id)


def _incentives_page(form: IncentiveForm | None = None, status: int = 200):
    task_force_id = _task_force_id()
    return (
        render_template(
            "decisions/incentives.html",
            rows=scorecards.incentives(current_user, task_force_id),
            form=_incentive_form(task_force_id, form)
            if can(current_user, "incentive.manage", task_force_id)
            else None,
        ),
        status,
    )


@bp.get("/incentives")
@requires("scorecard.view")
def incentives():
    return _incentives_page()


@bp.post("/incentives")
@requires("incentive.manage")
def record_incentive():
    task_force_id = _task_force_id()
    form = _incentive_form(task_force_id, IncentiveForm())
    if form.validate_on_submit():
        data = scorecards.IncentiveInput(
            polarity=form.polarity.data,
            kind=form.kind.data,
            reason=form.reason.data,
            awarded_on=form.awarded_on.data,
            user_id=form.user_id.data,
            org_unit_id=form.org_unit_id.data,
            issue_id=form.issue_id.data,
        )
        try:
            scorecards.record_incentive(current_user, task_force_id, data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Incentive recorded."), "success")
            return redirect(url_for("decisions.incentives"))
    return _incentives_page(form, 400)


@bp.get("/people/<int:user_id>/record")
@requires("scorecard.view")
def person_record(user_id: int):
    task_force_id = _task_force_id()
    user = get_user(user_id)
    form = ScorecardForm(request.args)
    period = _period(form)
    record = scorecards.person_record(current_user, task_force_id, user, period)
    form.start.data, form.end.data = period.start, period.end
    return render_template("decisions/person.html", record=record, form=form, period=period)


# --- my items and the calendar -------------------------------------------------------------


MY_ESCALATIONS_SHOWN = 20


def _my_escalations(user, task_force_ids):
    viewable = [tf for tf in task_force_ids if can(user, "escalation.view", tf)]
    if not viewable:
        return []
    # The longest waiting; a decider of a big task force has hundreds (the queue: all).
    rows, total = service.first_pending_for_person(user, viewable, MY_ESCALATIONS_SHOWN)
    if not rows:
        return []
    return [
        hooks.Section(
            "escalations",
            _("Escalations awaiting a decision"),
            "decisions/_my_escalations.html",
            rows,
            total,
        )
    ]


def _escalation_due_dates(user, task_force_id, start, end, per_day=None):
    """The due dates of pending escalations: all of them for the task force's calendar
    (each day's first ``per_day``, read in SQL), those one raised or decides for a
    personal feed."""
    if user is None:
        rows = service.pending_due_between(task_force_id, start, end, per_day)
        more = hooks.rows_left_out(rows, "due_on", per_day)
    else:
        rows = [
            (e.id, e.issue.code, e.question, e.due_on)
            for e in (r.escalation for r in service.pending_for_person(user, [task_force_id]))
            if start <= e.due_on <= end
        ]
        more = []
    title = _("Decision due: %(code)s %(question)s")  # translated once, filled per row
    events = [
        hooks.CalendarEvent(
            uid=f"escalation-{row[0]}@gongjian",
            kind="escalation",
            title=title % {"code": row[1], "question": row[2]},
            start=row[3],
            url=f"/escalations/{row[0]}",  # a path: the feed adds the site's address
        )
        for row in rows
    ]
    return hooks.first_per_day(events, per_day) + more


# --- the meeting agenda ----------------------------------------------------------------------


def _pending_escalations(task_force_id, kind, since, until):
    if kind != "progress":  # one-on-ones and reviews have their own agenda
        return []
    section = _("Pending escalations")
    today = clock.today()
    proposals = []
    for escalation in service.pending_for_agenda(task_force_id, until):
        due = _("due %(day)s", day=escalation.due_on.isoformat())
        if escalation.overdue_on(until or today):
            due = _("overdue since %(day)s", day=escalation.due_on.isoformat())
        proposals.append(
            hooks.AgendaProposal(
                section=section,
                title=f"{escalation.issue.code} {escalation.question}",
                url=f"/escalations/{escalation.id}",  # works outside a request too
                subject_type="escalation",
                subject_id=escalation.id,
                detail=f"{KIND_LABELS[escalation.kind]} · {LEVEL_LABELS[escalation.level]} · {due}",
            )
        )
    return proposals


# --- a meeting's page ------------------------------------------------------------------------


def _decisions_of_meeting(user, meeting):
    """The decisions taken in a meeting: one query."""
    if not can(user, "escalation.view", meeting.task_force_id):
        return []
    if meeting.status == "planned" and clock.local_date(meeting.starts_at) > clock.today():
        return []  # decisions are taken in meetings of today or before
    rows = service.decisions_in_meeting(meeting.task_force_id, meeting.id)
    if not rows:
        return []
    return [
        hooks.Section(
            "meeting-decisions",
            _("Escalations decided in this meeting"),
            "decisions/_meeting_panel.html",
            rows,
            len(rows),
        )
    ]
