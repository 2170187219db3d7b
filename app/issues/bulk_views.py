"""Bulk edit on the problem list (批量操作): the bar under the list and its result page.

The rows' checkboxes live in the list's cached body (they carry each item's id and the
version the list showed, nothing of the reader); the bar with its form token is drawn
per request, outside the cache, and posts to the list's own address with the filter in
its query string, so "all matching the filter" is the filter run again on the server.
"""

from __future__ import annotations

from datetime import datetime

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional

from app.core import clock
from app.core.errors import DomainError, ValidationFailed
from app.core.forms import choices, optional_int
from app.core.freshness import cache_key, render_cached
from app.core.permissions import can
from app.core.web import current_task_force, flash_refusal, requires
from app.issues.filtering import filter_form, filter_from_args, open_categories
from app.issues.labels import PRIORITY_LABELS, STATUS_LABELS
from app.issues.models import PRIORITIES, STATUSES
from app.issues.service import bulk
from app.issues.views import bp
from app.people import roster


class BulkForm(FlaskForm):
    owner_id = SelectField(_l("Owner"), coerce=optional_int, validators=[Optional()])
    add_collaborator_ids = SelectMultipleField(
        _l("Add collaborators"), coerce=int, validators=[Optional()], render_kw={"data-picker": ""}
    )
    remove_collaborator_ids = SelectMultipleField(
        _l("Remove collaborators"),
        coerce=int,
        validators=[Optional()],
        render_kw={"data-picker": ""},
    )
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    priority = SelectField(_l("Priority"), validators=[Optional()])
    category_id = SelectField(_l("Category"), coerce=optional_int, validators=[Optional()])
    major = SelectField(_l("Major item"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    reason = StringField(
        _l("Reason or verification note"), validators=[Optional(), Length(max=2000)]
    )


def _bulk_form(task_force_id: int, formdata=None) -> BulkForm:
    form = BulkForm(formdata)
    keep = _("— no change —")
    people = roster.assignee_options(task_force_id)
    form.owner_id.choices = choices([("", keep)] + people)
    form.add_collaborator_ids.choices = choices(people)
    form.remove_collaborator_ids.choices = choices(people)
    form.priority.choices = choices([("", keep)] + [(p, PRIORITY_LABELS[p]) for p in PRIORITIES])
    form.category_id.choices = choices([("", keep)] + open_categories(task_force_id))
    form.major.choices = choices([("", keep), ("yes", _("Mark as major")), ("no", _("Not major"))])
    form.status.choices = choices([("", keep)] + [(s, STATUS_LABELS[s]) for s in STATUSES])
    return form


def bulk_bar() -> Markup:
    """The bar under the list for those who may change items in bulk (nothing for others)."""
    if not can(current_user, "issue.bulk", current_task_force().id):
        return Markup("")
    task_force_id = current_task_force().id
    # The fields show the roster and the categories: the same for every reader of these
    # roles until the task force's setup changes, so they are kept; token and moment are not.
    fields = render_cached(
        "issues/_bulk_fields.html",
        cache_key("bulk_fields", setup=True),
        lambda: {"bulk_form": _bulk_form(task_force_id)},
    )
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    return Markup(
        render_template(
            "issues/_bulk_bar.html",
            fields=fields,
            action=url_for("issues.bulk_edit", **args),
            shown_at=clock.now().isoformat(),
        )
    )


def _instant(text: str) -> datetime | None:
    """The moment the list was shown, as its bar wrote it; None for anything else."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _selection(task_force_id: int) -> bulk.Selection:
    if request.form.get("scope") == "all":
        shown_at = _instant(request.form.get("shown_at", ""))
        filters = filter_from_args(filter_form(task_force_id))
        return bulk.Selection(filters=filters, shown_at=shown_at)
    versions: dict[int, int | None] = {}
    for value in request.form.getlist("item"):
        ident, _sep, version = value.partition(":")
        if ident.isdigit():
            versions[int(ident)] = int(version) if version.isdigit() else None
    return bulk.Selection(versions=versions)


def _change(form: BulkForm) -> bulk.BulkChange:
    return bulk.BulkChange(
        owner_id=form.owner_id.data,
        add_collaborator_ids=list(form.add_collaborator_ids.data or []),
        remove_collaborator_ids=list(form.remove_collaborator_ids.data or []),
        deadline=form.deadline.data,
        priority=form.priority.data or None,
        category_id=form.category_id.data,
        major={"yes": True, "no": False}.get(form.major.data or ""),
        status=form.status.data or None,
        reason=(form.reason.data or "").strip(),
    )


def _first_error(form: BulkForm) -> str:
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return _("Check the input.")


@bp.post("/issues/bulk")
@requires("issue.bulk")
def bulk_edit():
    task_force_id = current_task_force().id
    form = _bulk_form(task_force_id, request.form)
    back = url_for("issues.issue_list", **request.args.to_dict(flat=False))
    try:
        if not form.validate():
            raise ValidationFailed(_first_error(form))
        result = bulk.apply_bulk(
            current_user, task_force_id, _selection(task_force_id), _change(form)
        )
    except DomainError as error:
        flash_refusal(error, "warning")
        return redirect(back)
    return render_template(
        "issues/bulk_result.html",
        result=result,
        back=back,
        describe=bulk.describe_changes,
    )


def init_app(app) -> None:
    app.jinja_env.globals["bulk_bar"] = bulk_bar
