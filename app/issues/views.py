"""Pages of the problem list: list, board, detail, my items, schedule, categories."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core import hooks, sections
from app.core.errors import ConfirmationRequired, DomainError, InvalidTransition, StaleEdit
from app.core.freshness import cached_body, cached_value
from app.core.i18n import Labels
from app.core.idempotency import once
from app.core.nav import NavItem
from app.core.permissions import can
from app.core.web import (
    across_task_forces,
    current_task_force,
    flash_refusal,
    form_error,
    refusal_status,
    requires,
    send_stored_file,
)
from app.extensions import db
from app.issues import service
from app.issues.filtering import (
    FOUND,
    category_choices,
    filter_bar,
    org_unit_choices,
    people_choices,
)
from app.issues.forms import (
    AttachmentForm,
    CategoryForm,
    IssueForm,
    MilestoneForm,
    ProgressForm,
    RescheduleForm,
    StatusForm,
    SubtaskForm,
)
from app.issues.labels import LIGHT_LABELS, PRIORITY_LABELS, SOURCE_LABELS, STATUS_LABELS
from app.issues.lights import LightRules, light_of, light_reasons
from app.issues.link_page import link_context
from app.issues.list_rows import Marks, across_rows, board_cards, item_rows
from app.issues.models import DROPPED, OPEN_STATUSES, STATUSES
from app.issues.saved_views import open_with_default
from app.issues.service import relations

bp = Blueprint("issues", __name__)

NAV_ITEMS = (
    NavItem("issues.issue_list", _l("Problem list"), "issue.view", 20, ("issues.",), "issues"),
    NavItem("issues.board", _l("Board"), "issue.view", 22, group="issues"),
    NavItem("issues.schedule", _l("Landing schedule"), "issue.view", 24, group="issues"),
    NavItem("issues.my_items", _l("My items"), "issue.view", 30, group="issues"),
    NavItem(
        "issues.categories",
        _l("Categories"),
        "issue.view",
        45,
        ("issues.create_category", "issues.edit_category"),
        "issues",
    ),
)


# Translated once per language, not once per row: lazy strings cost a catalogue look-up
# every time they are printed.
# Other features' sections on an item's page, as cards (or as they are: the banners).
_PANELS = "issues/_panels.html"
_LABELS = {
    "status_label": Labels(STATUS_LABELS),
    "priority_label": Labels(PRIORITY_LABELS),
    "source_label": Labels(SOURCE_LABELS),
    "light_label": Labels(LIGHT_LABELS),
}


@bp.app_context_processor
def issue_labels():
    return _LABELS


def _task_force_id() -> int:
    return current_task_force().id


@bp.get("/issues")
@requires("issue.view")
def issue_list():
    task_force_id = _task_force_id()
    if (opened := open_with_default()) is not None:
        return opened

    def content() -> dict:
        filters, bar = filter_bar(task_force_id, "issues/_list_filters.html")
        page = service.list_issues(
            current_user,
            task_force_id,
            filters,
            per_page=current_app.config["PAGE_SIZE"],
            rows_only=True,
        )
        args = request.args.to_dict(flat=False)
        args.pop("page", None)
        marks = Marks(_LABELS)
        # The bulk bar's tick boxes: the roles are part of the cached body's key.
        bulk = can(current_user, "issue.bulk", task_force_id) and bool(page.rows)
        return {
            "filter_bar": bar,
            "found_slot": FOUND,
            "page": page,
            "rows": item_rows(page.rows, marks, bulk),
            "bulk": bulk,
            "filters": filters,
            "args": args,
        }

    return render_template("issues/list.html", body=cached_body("issues/_list_body.html", content))


@bp.get("/board")
@requires("issue.view")
def board():
    task_force_id = _task_force_id()
    if (opened := open_with_default()) is not None:
        return opened

    def content() -> dict:
        filters, bar = filter_bar(task_force_id, "issues/_board_filters.html")
        columns, counts = service.board(current_user, task_force_id, filters)
        shown = [issue.id for cards in columns.values() for issue, _light in cards]
        marks = Marks(_LABELS)
        blocked_by = relations.open_blockers(shown)
        return {
            "filter_bar": bar,
            "columns": {
                status: board_cards(cards, marks, blocked_by) for status, cards in columns.items()
            },
            "counts": counts,
            "statuses": STATUSES,
        }

    return render_template(
        "issues/board.html", body=cached_body("issues/_board_body.html", content)
    )


@bp.get("/my")
@requires("issue.view")
def my_items():
    """Mine in every task force I am on (or the one the filter picks)."""
    _task_force_id()
    across = across_task_forces("issue.view")

    def content() -> dict:
        items = service.my_items(current_user, across.ids)
        marks = Marks(_LABELS)
        return {
            "items": items,
            "owned": across_rows(items.owned, marks, across),
            "collaborating": across_rows(items.collaborating, marks, across),
            # Kept per the task forces' badges too: the sections show them (``across``).
            "sections": sections.drawn(
                hooks.MY_ITEMS,
                (tuple(across.ids),),
                "issues/_my_sections.html",
                (tuple(across.badges.items()),),
                across=across.allowed,
                page_across=across,
            ),
            "across": across,
        }

    body = cached_body("issues/_my_body.html", content, personal=True, across=across.allowed)
    return render_template("issues/my.html", body=body)


@bp.get("/schedule")
@requires("issue.view")
def schedule():
    task_force_id = _task_force_id()

    def content() -> dict:
        filters, bar = filter_bar(task_force_id, "issues/_schedule_filters.html")
        rows, total = service.schedule(
            current_user, task_force_id, filters.category_id, filters.owner_id
        )
        tasks = []
        for issue, milestones in rows:
            for milestone in milestones:
                start = milestone.starts_on or milestone.due_on
                tasks.append(
                    {
                        "id": f"m{milestone.id}",
                        "name": f"{issue.code} · {milestone.title}",
                        "start": start.isoformat(),
                        "end": milestone.due_on.isoformat(),
                        "progress": 100 if milestone.done else 0,
                        "custom_class": "gantt-done" if milestone.done else "gantt-open",
                        "url": url_for("issues.issue_detail", issue_id=issue.id),
                    }
                )
        return {
            "rows": rows,
            "tasks": tasks,
            "total": total,
            "filter_bar": bar,
            "found_slot": FOUND,
        }

    body = cached_body("issues/_schedule_body.html", content)
    return render_template("issues/schedule.html", body=body)


# --- one item ------------------------------------------------------------------------------


def _fill_issue_form(form: IssueForm, task_force_id: int) -> None:
    form.category_id.choices = category_choices(task_force_id)
    form.owner_id.choices = people_choices(task_force_id)
    form.collaborator_ids.choices = people_choices(task_force_id, blank=None)
    form.org_unit_id.choices = org_unit_choices()


def _issue_input(form: IssueForm) -> service.IssueInput:
    return service.IssueInput(
        title=form.title.data.strip(),
        category_id=form.category_id.data,
        description=(form.description.data or "").strip(),
        solution=(form.solution.data or "").strip(),
        owner_id=form.owner_id.data,
        collaborator_ids=list(form.collaborator_ids.data or []),
        org_unit_id=form.org_unit_id.data,
        deadline=form.deadline.data,
        priority=form.priority.data,
        major=bool(form.major.data),
        source=form.source.data,
    )


@bp.route("/issues/new", methods=["GET", "POST"])
@requires("issue.create")
def create_issue():
    task_force_id = _task_force_id()
    form = IssueForm()
    _fill_issue_form(form, task_force_id)
    if request.method == "GET":
        form.category_id.data = request.args.get("category", type=int)
        if not can(current_user, "issue.manage", task_force_id):
            form.owner_id.data = current_user.id
    if form.validate_on_submit():
        try:
            with once(url_for("issues.issue_list")) as receipt:
                issue = service.create_issue(current_user, task_force_id, _issue_input(form))
                receipt.location = _issue_url(issue.id)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("%(code)s created.", code=issue.code), "success")
            return redirect(url_for("issues.issue_detail", issue_id=issue.id))
    return render_template("issues/form.html", form=form, issue=None), (
        400 if form.errors or form.form_errors else 200
    )


def _load_issue(issue_id: int):
    """The item of the URL, for ``requires``' per-object check (404 for none here)."""
    return service.load_issue(current_user, issue_id)


@bp.route("/issues/<int:issue_id>/edit", methods=["GET", "POST"])
@requires("issue.work", load=_load_issue)
def edit_issue(issue, issue_id: int):
    try:
        service.require_open(issue)
    except DomainError as error:
        flash_refusal(error, "warning")
        return redirect(url_for("issues.issue_detail", issue_id=issue.id))
    form = IssueForm(obj=issue) if request.method == "GET" else IssueForm()
    _fill_issue_form(form, issue.task_force_id)
    if request.method == "GET":
        form.version.data = issue.version
        form.collaborator_ids.data = [u.id for u in issue.collaborators]
    status = 200
    if form.validate_on_submit():
        try:
            service.update_issue(current_user, issue, _issue_input(form), form.version_value)
        except StaleEdit as error:
            form_error(form, error)
            status = 409
        except DomainError as error:
            form_error(form, error)
            status = 400
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("issues.issue_detail", issue_id=issue.id))
    elif request.method == "POST":
        status = 400
    # On a stale edit, show the saved values beside what the user typed; saving again
    # (deliberately, having seen them) then applies the user's version.
    current = None
    if status == 409:
        db.session.rollback()
        current = service.load_issue(current_user, issue_id)
        form.version.data = current.version
    can_manage = can(current_user, "issue.manage", issue.task_force_id)
    return (
        render_template(
            "issues/form.html", form=form, issue=issue, current=current, can_manage=can_manage
        ),
        status,
    )


def _detail_context(issue, **forms):
    rules = LightRules.current()
    task_force_id = issue.task_force_id
    subtask_form = forms.get("subtask_form") or SubtaskForm()
    subtask_form.owner_id.choices = people_choices(task_force_id)
    status_form = forms.get("status_form") or StatusForm()
    status_form.version.data = issue.version
    may_work = can(current_user, "issue.work", issue)
    links = relations.links_of(issue)
    blocked_by = [r.other.code for r in links if r.open_blocker]
    facts = hooks.IssueFacts.of(issue)
    return {
        "issue": issue,
        "light": light_of(issue, rules),
        "light_reasons": light_reasons(issue, rules, blocked_by),
        **link_context(issue, links, forms, may_work and issue.is_open),
        "timeline": service.issue_timeline(issue),
        "transitions": service.allowed_transitions(current_user, issue),
        "may_work": may_work,
        # A closed or dropped item is read-only until reopened: no control changes it.
        "may_change": may_work and issue.is_open,
        "open_work": service.describe_open_work(service.open_work(issue)),
        "open_work_lines": service.describe_open_work,
        "confirmation": forms.get("confirmation"),
        "needs_reason": service.needs_reason,
        "progress_form": forms.get("progress_form") or ProgressForm(),
        "subtask_form": subtask_form,
        "milestone_form": forms.get("milestone_form") or MilestoneForm(),
        "status_form": status_form,
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "reschedule_form": RescheduleForm(),
        "today": rules.today,
        "path_defined": bool(issue.solution.strip()) and bool(issue.milestones),
        "panels": sections.drawn(hooks.ISSUE_PANELS, (facts,), _PANELS, (True,), cards=True),
        "banners": sections.drawn(hooks.ISSUE_BANNERS, (facts,), _PANELS, (False,), cards=False),
    }


@bp.get("/issues/<int:issue_id>")
@requires("issue.view")
def issue_detail(issue_id: int):
    loaded: dict = {}

    def content() -> dict:
        issue = loaded["issue"] = service.load_issue(current_user, issue_id)
        return _detail_context(issue)

    def title() -> str:
        issue = loaded.get("issue") or service.load_issue(current_user, issue_id)
        return f"{issue.code} {issue.title}"

    body = cached_body("issues/_detail_body.html", content, personal=True)
    page_title = cached_value("title", title, personal=True)
    return render_template("issues/detail.html", body=body, page_title=page_title)


def _detail_with_error(issue_id: int, status: int, **forms):
    issue = service.load_issue(current_user, issue_id)
    return render_template("issues/detail.html", **_detail_context(issue, **forms)), status


def _issue_url(issue_id: int, anchor: str = "") -> str:
    return url_for("issues.issue_detail", issue_id=issue_id) + anchor


def _back_to(issue_id: int, anchor: str = ""):
    return redirect(_issue_url(issue_id, anchor))


def _refused(issue_id: int, error: InvalidTransition, anchor: str = ""):
    """A move the item's state forbids (it is closed, say): a message on the item's page,
    which shows no form to put it on."""
    flash_refusal(error)
    return _back_to(issue_id, anchor)


@bp.post("/issues/<int:issue_id>/acknowledge")
@requires("issue.work")
def acknowledge(issue_id: int):
    issue = service.load_issue(current_user, issue_id)
    try:
        service.acknowledge(current_user, issue)
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(_("Acknowledged. The item now counts as started by you."), "success")
    return _back_to(issue_id)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _apply_status(issue, form: StatusForm) -> None:
    """The move the status form asks for; dropping with "duplicate of" filled in drops
    the item as a duplicate of the one kept (``service.relations``)."""
    if form.status.data == DROPPED and form.duplicate_of.data:
        kept = relations.find_issue(issue.task_force_id, form.duplicate_of.data, "duplicate_of")
        relations.drop_as_duplicate(
            current_user, issue, kept, form.reason.data or "", form.version_value
        )
        return
    service.change_status(
        current_user,
        issue,
        form.status.data,
        reason=form.reason.data or "",
        verification_note=form.verification_note.data or "",
        version=form.version_value,
        confirmed=form.confirm.data == "1",
    )


@bp.post("/issues/<int:issue_id>/status")
@requires("issue.work")
def change_status(issue_id: int):
    issue = service.load_issue(current_user, issue_id)
    form = StatusForm()
    if not form.validate_on_submit():
        if _wants_json():
            return jsonify(ok=False, message=_("Unknown status.")), 400
        return _detail_with_error(issue_id, 400, status_form=form)
    try:
        _apply_status(issue, form)
    except ConfirmationRequired as asked:
        # Asked, not refused: the page (or the board) shows what is at stake and sends
        # the same move again confirmed.
        if _wants_json():
            return jsonify(
                ok=False, confirm=True, message=asked.message, details=asked.details
            ), asked.status
        return _detail_with_error(issue_id, asked.status, status_form=form, confirmation=asked)
    except DomainError as error:
        if _wants_json():
            return jsonify(ok=False, message=error.message), error.status
        form_error(form, error)
        return _detail_with_error(issue_id, error.status, status_form=form)
    message = _(
        "%(code)s is now “%(status)s”.", code=issue.code, status=STATUS_LABELS[issue.status]
    )
    if _wants_json():
        return jsonify(
            ok=True,
            message=message,
            status=issue.status,
            version=issue.version,
            light=light_of(issue, LightRules.current()),
        )
    flash(message, "success")
    return _back_to(issue_id)


@bp.post("/issues/<int:issue_id>/progress")
@requires("issue.work")
def add_progress(issue_id: int):
    issue = service.load_issue(current_user, issue_id)
    form = ProgressForm()
    status = 400
    if form.validate_on_submit():
        try:
            with once(_issue_url(issue_id, "#timeline")):
                service.add_progress(current_user, issue, form.note.data, form.percent.data)
        except InvalidTransition as error:
            return _refused(issue_id, error, "#timeline")
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error)
        else:
            flash(_("Progress recorded."), "success")
            return _back_to(issue_id, "#timeline")
    return _detail_with_error(issue_id, status, progress_form=form)


@bp.post("/issues/<int:issue_id>/subtasks")
@requires("issue.work")
def add_subtask(issue_id: int):
    issue = service.load_issue(current_user, issue_id)
    form = SubtaskForm()
    form.owner_id.choices = people_choices(issue.task_force_id)
    status = 400
    if form.validate_on_submit():
        try:
            with once(_issue_url(issue_id, "#subtasks")):
                service.add_subtask(
                    current_user, issue, form.title.data, form.owner_id.data, form.deadline.data
                )
        except InvalidTransition as error:
            return _refused(issue_id, error, "#subtasks")
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error)
        else:
            return _back_to(issue_id, "#subtasks")
    return _detail_with_error(issue_id, status, subtask_form=form)


@bp.post("/subtasks/<int:subtask_id>/done")
@requires("issue.work")
def set_subtask_done(subtask_id: int):
    subtask = service.get_subtask(subtask_id)
    try:
        service.set_subtask_done(current_user, subtask, request.form.get("done") == "1")
    except DomainError as error:
        flash_refusal(error)
    return _back_to(subtask.issue_id, "#subtasks")


@bp.post("/issues/<int:issue_id>/milestones")
@requires("issue.work")
def add_milestone(issue_id: int):
    issue = service.load_issue(current_user, issue_id)
    form = MilestoneForm()
    status = 400
    if form.validate_on_submit():
        try:
            with once(_issue_url(issue_id, "#milestones")):
                service.add_milestone(
                    current_user, issue, form.title.data, form.due_on.data, form.starts_on.data
                )
        except InvalidTransition as error:
            return _refused(issue_id, error, "#milestones")
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error)
        else:
            return _back_to(issue_id, "#milestones")
    return _detail_with_error(issue_id, status, milestone_form=form)


@bp.post("/milestones/<int:milestone_id>/done")
@requires("issue.work")
def set_milestone_done(milestone_id: int):
    milestone = service.get_milestone(milestone_id)
    try:
        service.set_milestone_done(current_user, milestone, request.form.get("done") == "1")
    except DomainError as error:
        flash_refusal(error)
    return _back_to(milestone.issue_id, "#milestones")


@bp.post("/milestones/<int:milestone_id>/reschedule")
@requires("issue.work")
def reschedule_milestone(milestone_id: int):
    milestone = service.get_milestone(milestone_id)
    form = RescheduleForm()
    if form.validate_on_submit():
        try:
            service.reschedule_milestone(current_user, milestone, form.due_on.data)
        except DomainError as error:
            flash_refusal(error)
    else:
        flash(_("Enter a date."), "danger")
    return _back_to(milestone.issue_id, "#milestones")


@bp.post("/issues/<int:issue_id>/attachments")
@requires("issue.work")
def add_attachment(issue_id: int):
    issue = service.load_issue(current_user, issue_id)
    form = AttachmentForm()
    status = 400
    if form.validate_on_submit():
        upload = form.file.data
        try:
            with once(_issue_url(issue_id, "#attachments")):
                service.add_attachment(current_user, issue, upload.filename, upload.stream)
        except InvalidTransition as error:
            return _refused(issue_id, error, "#attachments")
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error)
        else:
            flash(_("File attached."), "success")
            return _back_to(issue_id, "#attachments")
    return _detail_with_error(issue_id, status, attachment_form=form)


@bp.get("/attachments/<int:attachment_id>")
@requires("issue.view")
def download_attachment(attachment_id: int):
    attachment = service.get_attachment(attachment_id)
    return send_stored_file(service.readable_attachment(current_user, attachment))


@bp.get("/issues/<int:issue_id>/notice")
@requires("issue.view")
def supervision_notice(issue_id: int):
    """The printable supervision notice (督办单), in the colour of the item's light."""
    issue = service.load_issue(current_user, issue_id)
    rules = LightRules.current()
    blocked_by = [r.other.code for r in relations.links_of(issue) if r.open_blocker]
    return render_template(
        "issues/notice.html",
        issue=issue,
        light=light_of(issue, rules),
        light_reasons=light_reasons(issue, rules, blocked_by),
        today=rules.today,
        open_statuses=OPEN_STATUSES,
        banners=hooks.ISSUE_BANNERS.collect(current_user, hooks.IssueFacts.of(issue)),
    )


# --- categories ----------------------------------------------------------------------------


@bp.get("/categories")
@requires("issue.view")
def categories():
    task_force_id = _task_force_id()

    def content() -> dict:
        return {"rows": service.category_tree(task_force_id)}

    # Per reader and session: the leaders' reorder buttons carry the CSRF token.
    return render_template(
        "issues/categories.html",
        body=cached_body("issues/_categories_body.html", content, personal=True),
    )


def _category_input(form: CategoryForm) -> service.CategoryInput:
    return service.CategoryInput(
        name=form.name.data.strip(),
        parent_id=form.parent_id.data,
        code_prefix=(form.code_prefix.data or "").strip() or None,
        action_priority=form.action_priority.data,
        description=(form.description.data or "").strip(),
    )


@bp.route("/categories/new", methods=["GET", "POST"])
@requires("category.manage")
def create_category():
    task_force_id = _task_force_id()
    form = CategoryForm()
    form.parent_id.choices = category_choices(task_force_id, blank=_("— top level —"))
    if request.method == "GET":
        form.parent_id.data = request.args.get("parent", type=int)
    status = 200
    if form.validate_on_submit():
        try:
            category = service.create_category(current_user, task_force_id, _category_input(form))
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error, 200)
        else:
            flash(_("%(name)s created.", name=category.name), "success")
            return redirect(url_for("issues.categories"))
    return render_template("issues/category_form.html", form=form, category=None), status


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@requires("category.manage")
def edit_category(category_id: int):
    category = service.get_category(category_id)
    form = CategoryForm(obj=category) if request.method == "GET" else CategoryForm()
    form.parent_id.choices = category_choices(
        category.task_force_id, blank=_("— top level —"), exclude_path=category.path
    )
    if request.method == "GET":
        form.version.data = category.version
    status = 200
    if form.validate_on_submit():
        try:
            service.update_category(
                current_user, category, _category_input(form), form.version_value
            )
        except DomainError as error:
            form_error(form, error)
            status = refusal_status(error, 200)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("issues.categories"))
    return render_template("issues/category_form.html", form=form, category=category), status


@bp.post("/categories/<int:category_id>/move")
@requires("category.manage")
def move_category(category_id: int):
    category = service.get_category(category_id)
    direction = -1 if request.form.get("direction") == "up" else 1
    service.reorder_category(current_user, category, direction)
    return redirect(url_for("issues.categories"))


@bp.post("/categories/<int:category_id>/archive")
@requires("category.manage")
def archive_category(category_id: int):
    category = service.get_category(category_id)
    archived = request.form.get("archived") == "1"
    try:
        service.set_category_archived(current_user, category, archived)
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(_("Archived.") if archived else _("Restored."), "success")
    return redirect(url_for("issues.categories"))
