"""Pages of the reports: the quarterly review pack and the PDF exports."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core import clock
from app.core.errors import DomainError
from app.core.forms import choices
from app.core.nav import NavItem
from app.core.pdf import WORD_MIMETYPE, pdf_response
from app.core.quarters import Quarter, recent_quarters
from app.core.web import current_task_force, download, form_error, requires
from app.reports import (
    narrative,
    review,  # noqa: F401  (registers the problem list's pack sections)
    service,
)
from app.reports.forms import PackForm

bp = Blueprint("reports", __name__, url_prefix="/reports")

NAV_ITEMS = (NavItem("reports.index", _l("Reports"), "report.view", 80, ("reports.",)),)


def _pack_form(task_force) -> PackForm:
    form = PackForm()
    today = clock.today()
    started = Quarter.of(task_force.starts_on) if task_force.starts_on else None
    quarters = [q for q in recent_quarters(today) if started is None or q >= started]
    form.quarter.choices = choices(
        (str(q), service.quarter_label(q)) for q in quarters or [Quarter.of(today)]
    )
    if not form.is_submitted():
        form.quarter.data = str(Quarter.of(today))
    return form


def _index(form: PackForm, status: int = 200):
    task_force = current_task_force()
    packs = service.list_packs(current_user, task_force.id)
    drafts = narrative.drafts_by_quarter(task_force.id)
    return (
        render_template(
            "reports/index.html",
            form=form,
            packs=packs,
            drafts=drafts,
            narrative_quarters=[choice.value for choice in form.quarter.choices],
            status_of=service.status_of,
            quarter_label=lambda text: service.quarter_label(Quarter.parse(text)),
        ),
        status,
    )


@bp.get("/")
@requires("report.view")
def index():
    """Choose a quarter and generate its pack; every pack generated so far."""
    return _index(_pack_form(current_task_force()))


@bp.post("/packs")
@requires("report.generate")
def generate():
    """Queue a new version of the quarter's pack for the worker to build; while one of
    that quarter is queued or being built, show that one instead."""
    task_force = current_task_force()
    form = _pack_form(task_force)
    if not form.validate_on_submit():
        return _index(form, 400)
    try:
        pack, created = service.request_pack(current_user, task_force.id, form.quarter.data)
    except DomainError as error:
        form_error(form, error)
        return _index(form, 400)
    if created:
        service.queue_build(pack)
        if narrative.approved_narrative(task_force.id, Quarter.parse(pack.quarter)) is None:
            flash(
                _("The quarter's narrative is not approved: the pack carries the annexes only."),
                "warning",
            )
    else:
        flash(_("This quarter's pack is being built; it is the one below."), "info")
    return redirect(url_for("reports.index", _anchor=f"pack-{pack.id}"))


@bp.get("/packs/<int:pack_id>/status")
@requires("report.view")
def pack_status(pack_id: int):
    """One pack's row, polled by htmx while the pack is being built."""
    pack = service.get_pack(current_user, pack_id)
    return render_template(
        "reports/_pack_row.html",
        pack=pack,
        status_of=service.status_of,
        quarter_label=lambda text: service.quarter_label(Quarter.parse(text)),
    )


def document_download(row, data: bytes, label: str, ascii_label: str, word: bool = False):
    """A built document's PDF or Word file, named ``<label>-<period>-v<n>``."""
    code = f"{getattr(row, row.PERIOD)}-v{row.number}"
    if word:
        return download(data, WORD_MIMETYPE, label, ascii_label, "docx", code)
    response = pdf_response(data, label, ascii_label, code)
    response.headers["X-Content-SHA256"] = row.sha256
    return response


@bp.get("/packs/<int:pack_id>/download")
@requires("report.view")
def download_pack(pack_id: int):
    pack = service.get_pack(current_user, pack_id)
    data = service.pack_content(current_user, pack)
    return document_download(pack, data, _("Quarterly review pack"), "review-pack")


@bp.get("/packs/<int:pack_id>/download.docx")
@requires("report.view")
def download_pack_docx(pack_id: int):
    """The pack as a Word file, made with its PDF from the same source."""
    pack = service.get_pack(current_user, pack_id)
    data = service.pack_word_file(current_user, pack)
    return document_download(pack, data, _("Quarterly review pack"), "review-pack", word=True)


@bp.get("/issues.pdf")
@requires("report.view")
def issue_list_pdf():
    """The problem list as PDF, with the list page's filter (same query parameters):
    queued for the worker; the page it leads to offers the file once it is made."""
    task_force_id = current_task_force().id
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k != "page"}
    job = service.queue_issue_list_pdf(current_user, task_force_id, args)
    return redirect(url_for("reports.list_pdf", job_id=job.id))


def _list_pdf_job(job_id: int):
    return service.get_list_pdf_job(g.get("task_force_id"), job_id)


@bp.get("/exports/<int:job_id>")
@requires("report.view", load=_list_pdf_job)
def list_pdf(job, job_id: int):
    """A list PDF being made (polled until done), or the link to download it."""
    return render_template("reports/list_pdf.html", job=job)


@bp.get("/exports/<int:job_id>/status")
@requires("report.view", load=_list_pdf_job)
def list_pdf_status(job, job_id: int):
    """The state of a list PDF, polled by htmx while it is being made."""
    return render_template("reports/_list_pdf_status.html", job=job)


@bp.get("/exports/<int:job_id>/download")
@requires("report.view", load=_list_pdf_job)
def download_list_pdf(job, job_id: int):
    if job.status != "done" or job.output is None:
        abort(404)
    day = clock.local_date(job.finished_at or job.created_at).isoformat()
    return pdf_response(job.output, _("Problem list"), "problem-list", day)


@bp.get("/issues/<int:issue_id>/dossier.pdf")
@requires("report.view")
def issue_dossier(issue_id: int):
    """One item's dossier as PDF."""
    issue, data = service.issue_dossier_pdf(current_user, issue_id)
    return pdf_response(data, _("Dossier"), "dossier", issue.code)


@bp.app_context_processor
def report_links():
    # The problem list's pages show these export links when the reports feature is there.
    def issue_list_pdf_url() -> str:
        args = {k: v for k, v in request.args.to_dict(flat=False).items() if k != "page"}
        return url_for("reports.issue_list_pdf", **args)

    def issue_dossier_url(issue_id: int) -> str:
        return url_for("reports.issue_dossier", issue_id=issue_id)

    return {"issue_list_pdf_url": issue_list_pdf_url, "issue_dossier_url": issue_dossier_url}
