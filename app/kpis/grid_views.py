"""Pages of a broken-down KPI's Excel grid: its template, and importing it.

The routes hang on the goal figures' own blueprint (``views.bp``); ``init_app`` imports
this module once ``views`` is registered.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.core import clock
from app.core.errors import DomainError
from app.core.web import download, form_error, requires
from app.kpis import service
from app.kpis.forms import ImportForm
from app.kpis.service import grid
from app.kpis.views import XLSX, bp


def _what(what: str) -> str:
    if what not in grid.WHATS:
        abort(404)
    return what


def _done_url(kpi_id: int) -> str:
    return url_for("kpis.breakdown", kpi_id=kpi_id)


@bp.route("/kpis/<int:kpi_id>/breakdown/import/<what>", methods=["GET", "POST"])
@requires("kpi.manage")
def import_grid(kpi_id: int, what: str):
    """Upload the units' targets or readings as one grid; all or nothing."""
    what = _what(what)
    kpi = service.load_kpi(current_user, kpi_id)
    form = ImportForm()
    result = None
    if kpi.breakdown is not None and form.validate_on_submit():
        upload = form.file.data
        try:
            result = grid.import_grid(current_user, kpi, what, upload.read(), upload.filename or "")
        except DomainError as error:
            form_error(form, error)
        else:
            if not result.failed:
                flash(
                    ngettext(
                        "Imported: %(num)d figure changed.",
                        "Imported: %(num)d figures changed.",
                        result.changed,
                    ),
                    "success",
                )
                return redirect(_done_url(kpi.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "kpis/grid_import.html", kpi=kpi, what=what, form=form, result=result
    ), status


@bp.get("/kpis/<int:kpi_id>/breakdown/template/<what>.xlsx")
@requires("kpi.manage")
def grid_template(kpi_id: int, what: str):
    """The grid of the KPI's units and periods, filled with the current figures."""
    what = _what(what)
    kpi = service.load_kpi(current_user, kpi_id)
    if kpi.breakdown is None:
        flash(_("This KPI is not broken down by unit and period yet."), "warning")
        return redirect(url_for("kpis.import_grid", kpi_id=kpi.id, what=what))
    if what == grid.TARGETS:
        label = _("%(name)s unit targets", name=kpi.name)
    else:
        label = _("%(name)s unit readings", name=kpi.name)
    return download(
        grid.grid_template(current_user, kpi, what),
        XLSX,
        label,
        f"kpi-{kpi.id}-unit-{what}",
        "xlsx",
        clock.today().isoformat(),
    )
