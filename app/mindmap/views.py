"""Pages of the mind map: the map, its JSON, edits from the map, map import and export,
and the problem list's spreadsheet export and import."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
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

from app.core import clock
from app.core.errors import DomainError, ValidationFailed
from app.core.freshness import cached_value
from app.core.nav import NavItem
from app.core.web import current_task_force, download, form_error, requires
from app.issues import service as issues
from app.issues.filtering import filter_form, filter_from_args
from app.mindmap import imports, service, spreadsheets
from app.mindmap.formats import WRITERS
from app.mindmap.forms import ApplyForm, MapUploadForm, SheetForm, SheetUploadForm

bp = Blueprint("mindmap", __name__)

NAV_ITEMS = (
    NavItem("mindmap.mind_map", _l("Mind map"), "mindmap.view", 40, ("mindmap.",), "issues"),
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _task_force_id() -> int:
    return current_task_force().id


def _stamp() -> str:
    return clock.today().isoformat()


# --- the map -------------------------------------------------------------------------------


@bp.get("/mindmap")
@requires("mindmap.view")
def mind_map():
    current_task_force()
    return render_template("mindmap/map.html", formats=list(WRITERS))


@bp.get("/mindmap/data.json")
@requires("mindmap.view")
def map_data():
    task_force_id = _task_force_id()
    # The tree with its counts and lights changes only with the task force's data.
    data = cached_value("map", lambda: service.map_data(current_user, task_force_id))
    return jsonify(data)


@bp.get("/mindmap/categories/<int:category_id>/issues.json")
@requires("mindmap.view")
def category_issues(category_id: int):
    category = issues.get_category(category_id)
    return jsonify(service.category_issues(current_user, category))


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed(_("The request could not be understood."))
    return body


def _json_error(error: DomainError):
    return jsonify({"error": error.message}), error.status


def _name(body: dict) -> str:
    name = " ".join(str(body.get("name") or "").split())
    if not name:
        raise ValidationFailed(_("A name is required."), "name")
    if len(name) > 100:
        raise ValidationFailed(_("At most 100 characters."), "name")
    return name


def _optional_id(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Unknown category.")) from None


@bp.post("/mindmap/categories")
@requires("category.manage")
def add_category():
    try:
        body = _json_body()
        data = issues.CategoryInput(name=_name(body), parent_id=_optional_id(body.get("parent")))
        category = issues.create_category(current_user, _task_force_id(), data)
    except DomainError as error:
        return _json_error(error)
    return jsonify({"id": category.id, "name": category.name}), 201


def _category_input(category, **changes) -> issues.CategoryInput:
    values = {
        "name": category.name,
        "parent_id": category.parent_id,
        "code_prefix": category.code_prefix,
        "action_priority": category.action_priority,
        "description": category.description,
    }
    values.update(changes)
    return issues.CategoryInput(**values)


@bp.post("/mindmap/categories/<int:category_id>/rename")
@requires("category.manage")
def rename_category(category_id: int):
    category = issues.get_category(category_id)
    try:
        body = _json_body()
        issues.update_category(
            current_user, category, _category_input(category, name=_name(body)), None
        )
    except DomainError as error:
        return _json_error(error)
    return jsonify({"id": category.id, "name": category.name})


@bp.post("/mindmap/categories/<int:category_id>/move")
@requires("category.manage")
def move_category(category_id: int):
    """Move under another parent (``parent``; empty for the top) or among siblings (``step``)."""
    category = issues.get_category(category_id)
    try:
        body = _json_body()
        if "step" in body:
            step = body.get("step")
            if step not in (-1, 1):
                raise ValidationFailed(_("The request could not be understood."))
            issues.reorder_category(current_user, category, step)
        elif "parent" in body:
            parent_id = _optional_id(body.get("parent"))
            prefix = category.code_prefix if parent_id is None else None
            issues.update_category(
                current_user,
                category,
                _category_input(category, parent_id=parent_id, code_prefix=prefix),
                None,
            )
        else:
            raise ValidationFailed(_("The request could not be understood."))
    except DomainError as error:
        return _json_error(error)
    return jsonify({"id": category.id, "parent": category.parent_id})


# --- map import and export -----------------------------------------------------------------


def _preview_page(preview: imports.Preview):
    # The parsed tree stays on the server; the page carries only its token.
    form = ApplyForm(formdata=None, token=preview.token)
    sheet_form = None
    if len(preview.sheets) > 1:
        sheet_form = SheetForm(formdata=None, token=preview.token, sheet=preview.sheet)
        sheet_form.sheet.choices = [
            (n, _("Sheet %(n)d: %(title)s", n=n + 1, title=title))
            for n, title in enumerate(preview.sheets)
        ]
    return render_template(
        "mindmap/preview.html", preview=preview, form=form, sheet_form=sheet_form
    )


@bp.route("/mindmap/import", methods=["GET", "POST"])
@requires("mindmap.import")
def import_map():
    task_force_id = _task_force_id()
    form = MapUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        upload.close()
        try:
            preview = imports.preview_import(
                current_user, task_force_id, upload.filename or "", data
            )
        except DomainError as error:
            form_error(form, error)
        else:
            return _preview_page(preview)
    return render_template("mindmap/import.html", form=form), (
        400 if form.errors or form.form_errors else 200
    )


@bp.post("/mindmap/import/sheet")
@requires("mindmap.import")
def import_sheet_choice():
    """The same upload again, another of its sheets read."""
    form = SheetForm()
    if not form.validate_on_submit() or not isinstance(form.sheet.data, int):
        flash(_("The preview is missing. Upload the file again."), "danger")
        return redirect(url_for("mindmap.import_map")), 302
    try:
        preview = imports.choose_sheet(
            current_user, _task_force_id(), form.token.data, form.sheet.data
        )
    except ValidationFailed as error:
        flash(error.message, "danger")
        preview = imports.stored_preview(current_user, _task_force_id(), form.token.data)
        return _preview_page(preview), 400
    return _preview_page(preview)


@bp.post("/mindmap/import/apply")
@requires("mindmap.import")
def apply_import():
    form = ApplyForm()
    if not form.validate_on_submit():
        flash(_("The preview is missing. Upload the file again."), "danger")
        return redirect(url_for("mindmap.import_map")), 302
    counts = imports.apply_import(
        current_user, _task_force_id(), form.token.data, keep_closed=form.keep_closed.data
    )
    flash(
        _(
            "Imported: %(c)d new categories, %(i)d new items, %(u)d updated.",
            c=counts["categories"],
            i=counts["issues"],
            u=counts["updated"],
        ),
        "success",
    )
    return redirect(url_for("mindmap.mind_map"))


@bp.get("/mindmap/export/<fmt>")
@requires("issue.export")
def export_map(fmt: str):
    if fmt not in WRITERS:
        abort(404)
    task_force = current_task_force()
    writer, mimetype, ext = WRITERS[fmt]
    data = writer(service.framework(current_user, task_force))
    return download(data, mimetype, _("Mind map"), "mind-map", ext, _stamp())


# --- spreadsheets --------------------------------------------------------------------------


def _list_filters(task_force_id: int):
    return filter_from_args(filter_form(task_force_id))


@bp.get("/issues/export.xlsx")
@requires("issue.export")
def export_xlsx():
    task_force = current_task_force()
    data = spreadsheets.export_xlsx(current_user, task_force.id, _list_filters(task_force.id))
    return download(data, XLSX, _("Problem list"), "problem-list", "xlsx", _stamp())


@bp.get("/issues/export.csv")
@requires("issue.export")
def export_csv():
    task_force = current_task_force()
    data = spreadsheets.export_csv(current_user, task_force.id, _list_filters(task_force.id))
    csv = "text/csv; charset=utf-8"
    return download(data, csv, _("Problem list"), "problem-list", "csv", _stamp())


@bp.get("/issues/import/template.xlsx")
@requires("issue.import")
def import_template():
    data = spreadsheets.template(current_user, _task_force_id())
    return download(data, XLSX, _("Problem list import template"), "problem-list-template", "xlsx")


def _sheet_import_summary(result: spreadsheets.SheetImport) -> str:
    parts = [
        _(
            "Imported: %(c)d new items, %(u)d updated, %(n)d unchanged.",
            c=result.created,
            u=result.updated,
            n=result.unchanged,
        )
    ]
    if result.matched:
        parts.append(
            _(
                "%(n)d rows without a code found their item by category and title.",
                n=result.matched,
            )
        )
    if result.samples:
        parts.append(_("%(n)d sample rows of the template skipped.", n=result.samples))
    # Chinese sentences follow each other without a space.
    return "".join(part + ("" if part.endswith("。") else " ") for part in parts).strip()


@bp.route("/issues/import", methods=["GET", "POST"])
@requires("issue.import")
def import_sheet():
    task_force_id = _task_force_id()
    form = SheetUploadForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        upload.close()
        result = spreadsheets.import_sheet(current_user, task_force_id, upload.filename or "", data)
        if result.file_error:
            form_error(form, ValidationFailed(result.file_error, "file"))
        elif result.ok:
            flash(_sheet_import_summary(result), "success")
            return redirect(url_for("issues.issue_list"))
    failed = form.errors or form.form_errors or (result is not None and not result.ok)
    return render_template("mindmap/sheet_import.html", form=form, result=result), (
        400 if failed else 200
    )
