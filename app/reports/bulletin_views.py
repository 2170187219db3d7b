"""The supervision bulletins on the reports page: generate one for a month, poll it while
it is built, download its PDF (and its Word file once there is one). Routes of the
reports' blueprint."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired

from app.core import clock
from app.core.errors import DomainError, ValidationFailed
from app.core.forms import choices
from app.core.quarters import Month
from app.core.web import current_task_force, flash_refusal, requires
from app.reports import bulletin as service
from app.reports.views import bp, document_download


class BulletinForm(FlaskForm):
    month = SelectField(_l("Month"), validators=[InputRequired()], validate_choice=True)


def bulletin_form(task_force) -> BulletinForm:
    form = BulletinForm(prefix="bulletin")
    form.month.choices = choices(
        (str(m), service.month_label(m)) for m in service.months_of(task_force)
    )
    if not form.is_submitted():
        form.month.data = str(Month.of(clock.today()).previous())
    return form


def bulletin_context() -> dict:
    """What ``reports/_bulletins.html`` reads (the reports page includes it)."""
    task_force = current_task_force()
    return {
        "bulletin_form": bulletin_form(task_force),
        "bulletins": service.list_bulletins(current_user, task_force.id),
        "bulletin_status": service.status_of,
        "month_label": service.month_label,
    }


@bp.app_context_processor
def _bulletins_on_the_reports_page():
    return {"bulletin_context": bulletin_context}


@bp.post("/bulletins")
@requires("report.generate")
def generate_bulletin():
    """Queue a bulletin of the chosen month; while one is being built, show that one."""
    task_force = current_task_force()
    form = bulletin_form(task_force)
    back = redirect(url_for("reports.index", _anchor="bulletins"))
    if not form.validate_on_submit():
        flash_refusal(ValidationFailed(_("Choose a month."), "month"))
        return back
    try:
        bulletin, created = service.request_bulletin(current_user, task_force.id, form.month.data)
    except DomainError as error:
        flash_refusal(error)
        return back
    if created:
        service.queue_build(bulletin)
    else:
        flash(_("This month's bulletin is being built; it is the one below."), "info")
    return redirect(url_for("reports.index", _anchor=f"bulletin-{bulletin.id}"))


@bp.get("/bulletins/<int:bulletin_id>/status")
@requires("report.view")
def bulletin_status(bulletin_id: int):
    """One bulletin's row, polled by htmx while it is built."""
    bulletin = service.get_bulletin(current_user, bulletin_id)
    return render_template(
        "reports/_bulletin_row.html",
        bulletin=bulletin,
        bulletin_status=service.status_of,
        month_label=service.month_label,
    )


@bp.get("/bulletins/<int:bulletin_id>/download")
@requires("report.view")
def download_bulletin(bulletin_id: int):
    bulletin = service.get_bulletin(current_user, bulletin_id)
    data = service.bulletin_content(current_user, bulletin)
    return document_download(bulletin, data, _("Supervision bulletin"), "bulletin")


@bp.get("/bulletins/<int:bulletin_id>/download.docx")
@requires("report.view")
def download_bulletin_docx(bulletin_id: int):
    bulletin = service.get_bulletin(current_user, bulletin_id)
    data = service.bulletin_docx(current_user, bulletin)
    return document_download(bulletin, data, _("Supervision bulletin"), "bulletin", word=True)
