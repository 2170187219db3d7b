"""The problem list as a spreadsheet: export (.xlsx, CSV) of the current filter, an import
template, and import of .xlsx or CSV that creates and updates items by code.

Headers are Chinese whatever the interface language, so that an exported sheet, the
template and an import all speak the same columns. Text that a spreadsheet would run as a
formula is a quote-prefixed text cell in the workbook and has a leading apostrophe in the
CSV (which reading takes off again); uploads are read within the bounds of
``app.core.sheets``. The template's sample row says it is one (its code is ``示例``) and is
never imported. A row without a code that names an existing item by its category and
title updates that item, so a filled sheet uploaded twice does not make copies.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.core import clock
from app.core.errors import InvalidTransition
from app.core.permissions import authorize
from app.core.sheets import SheetError, SheetLimits, append_row, neutralise, read_rows
from app.extensions import db
from app.issues import service as issues
from app.issues.forms import IssueForm
from app.issues.labels import PRIORITY_LABELS
from app.issues.lights import LightRules, light_expression
from app.issues.models import PRIORITIES, Category, Issue
from app.mindmap import xlsx
from app.people import roster
from app.people.models import OrgUnit, User

HEADERS = (
    ("code", "编号"),
    ("title", "问题标题"),
    ("category", "分类"),
    ("owner", "责任人"),
    ("org_unit", "牵头部门"),
    ("deadline", "完成时限"),
    ("priority", "优先级"),
    ("status", "状态"),
    ("light", "灯号"),
    ("major", "重大问题"),
    ("percent", "进展%"),
    ("description", "问题描述"),
    ("solution", "解决方案"),
    ("updated", "最近更新"),
)
# The words older exports used for a column (one vocabulary since: 责任人, 完成时限, 牵头部门,
# 灯号); files written with them still import.
HEADER_ALIASES = {
    "负责人": "owner",
    "截止日期": "deadline",
    "截止时间": "deadline",
    "机构": "org_unit",
    "红黄绿灯": "light",
    "进度%": "percent",
    "问题分类": "category",
}
IMPORT_COLUMNS = (
    "code",
    "title",
    "category",
    "owner",
    "deadline",
    "priority",
    "major",
    "description",
    "solution",
)
ZH_PRIORITY = {"urgent": "紧急", "high": "高", "medium": "中", "low": "低"}
ZH_STATUS = {
    "new": "待分析",
    "planning": "方案制定",
    "in_progress": "推进中",
    "verifying": "待验收",
    "closed": "已销号",
    "blocked": "受阻",
    "dropped": "已撤销",
}
ZH_LIGHT = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "grey": "已完成"}


def header_labels() -> list[str]:
    """The export's column heads; the time column names its zone, as spreadsheets have none."""
    name = clock.zone().key
    zone = "北京时间" if name in ("Asia/Shanghai", "Asia/Chongqing", "PRC") else name
    return [f"{label}（{zone}）" if key == "updated" else label for key, label in HEADERS]


# The code cell of the template's sample row: such rows are skipped, and counted.
SAMPLE_MARK = "示例"
YES = {"是", "yes", "y", "true", "1", "重大"}
NO = {"否", "no", "n", "false", "0", ""}


def _category_paths(task_force_id: int) -> dict[int, str]:
    categories = list(
        db.session.scalars(select(Category).where(Category.task_force_id == task_force_id))
    )
    names = {c.id: c.name for c in categories}
    return {
        c.id: "/".join(names.get(int(i), "?") for i in c.path.strip("/").split("/"))
        for c in categories
    }


def export_rows(actor: User, task_force_id: int, filters) -> list[tuple]:
    """The filtered list as plain rows in HEADERS order: three queries, no ORM objects."""
    authorize(actor, "issue.export", task_force_id)
    rules = LightRules.current()
    base = issues.filtered(task_force_id, filters, rules)
    stmt = issues._order(base, filters.sort).with_only_columns(
        Issue.code,
        Issue.title,
        Issue.category_id,
        Issue.owner_id,
        Issue.org_unit_id,
        Issue.deadline,
        Issue.priority,
        Issue.status,
        light_expression(rules),
        Issue.major,
        Issue.percent,
        Issue.description,
        Issue.solution,
        Issue.updated_at,
    )
    paths = _category_paths(task_force_id)
    people = dict(db.session.execute(select(User.id, User.display_name)).all())
    units = dict(db.session.execute(select(OrgUnit.id, OrgUnit.name)).all())
    rows = []
    for r in db.session.execute(stmt):
        rows.append(
            (
                r[0],
                r[1],
                paths.get(r[2], ""),
                people.get(r[3], ""),
                units.get(r[4], ""),
                r[5],
                ZH_PRIORITY.get(r[6], r[6]),
                ZH_STATUS.get(r[7], r[7]),
                r[8],
                "是" if r[9] else "否",
                r[10],
                r[11],
                r[12],
                # The reader's wall-clock time: a spreadsheet cell has no zone.
                clock.local(r[13]).replace(tzinfo=None) if r[13] is not None else None,
            )
        )
    return rows


def _width(value) -> int:
    """Display width: CJK characters (three bytes in UTF-8) count twice."""
    kind = type(value)
    if kind is str:
        n = len(value)
        return n + (len(value.encode()) - n) // 2
    if value is None:
        return 0
    if kind is datetime:
        return 16
    if kind is date:
        return 11
    return len(str(value))


def _fit(widths: list[int]) -> list[float]:
    return [min(max(w + 2, 6), 60) for w in widths]


def to_xlsx(rows: list[tuple], tree: list) -> bytes:
    """The list and, on a second sheet, the category tree (see ``xlsx`` for why not openpyxl).

    ``rows`` is used up: each row is replaced by its prepared cells.
    """
    light_index = [key for key, _label in HEADERS].index("light")
    heads = header_labels()
    widths = [_width(label) for label in heads]
    prepared = rows  # prepared in place: a 10,000-row export is held once, not twice
    for n, row in enumerate(rows):
        values = list(row)  # the sheet neutralises text as it writes it
        values[light_index] = ZH_LIGHT.get(row[light_index], row[light_index])
        prepared[n] = (values, row[light_index])
    for i in range(len(HEADERS)):
        widest = max((_width(values[i]) for values, _light in prepared), default=0)
        widths[i] = min(max(widths[i], widest), 60)
    sheet = xlsx.Sheet("问题清单", widths=_fit(widths))
    bold = dict.fromkeys(range(len(HEADERS)), xlsx.BOLD)
    sheet.append(heads, bold)
    fills = {light: {light_index: style} for light, style in xlsx.FILL_STYLES.items()}
    for values, light in prepared:
        sheet.append(values, fills.get(light))
    tree_headers = ("分类", "层级", "编号前缀", "问题数", "已销号")
    tree_widths = [_width(h) for h in tree_headers]
    tree_sheet = xlsx.Sheet("分类框架")
    tree_sheet.append(tree_headers, dict.fromkeys(range(len(tree_headers)), xlsx.BOLD))
    for row in tree:
        values = (
            "\u3000" * row.depth + row.category.name,
            row.depth + 1,
            row.category.code_prefix or "",
            row.total,
            row.closed,
        )
        for i, value in enumerate(values):
            tree_widths[i] = max(tree_widths[i], _width(value))
        tree_sheet.append(values)
    tree_sheet.widths = _fit(tree_widths)
    return xlsx.workbook([sheet, tree_sheet])


def to_csv(rows: list[tuple]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header_labels())
    light_index = [key for key, _label in HEADERS].index("light")
    for row in rows:
        values = [neutralise(v) for v in row]
        values[light_index] = ZH_LIGHT.get(row[light_index], row[light_index])
        if values[5] is not None:
            values[5] = values[5].isoformat()
        if values[13] is not None:
            values[13] = values[13].strftime("%Y-%m-%d %H:%M")
        writer.writerow(["" if v is None else v for v in values])
    return buffer.getvalue().encode("utf-8-sig")


def export_xlsx(actor: User, task_force_id: int, filters) -> bytes:
    rows = export_rows(actor, task_force_id, filters)
    return to_xlsx(rows, issues.category_tree(task_force_id, include_archived=False))


def export_csv(actor: User, task_force_id: int, filters) -> bytes:
    return to_csv(export_rows(actor, task_force_id, filters))


def template(actor: User, task_force_id: int) -> bytes:
    """An empty import sheet with the columns, one example row and the valid categories."""
    authorize(actor, "issue.import", task_force_id)
    # openpyxl is imported where it is used: a web worker that never builds a template
    # or reads an upload does not carry it.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    labels = dict(HEADERS)
    paths = sorted(_category_paths(task_force_id).values())
    limits = text_limits()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "导入"
    sheet.append([labels[key] for key in IMPORT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    append_row(
        sheet,
        [
            SAMPLE_MARK,
            "示例：代发客户资金留存率低",
            paths[0] if paths else "客户端",
            "",
            clock.today(),
            "高",
            "否",
            "这是示例行，导入时跳过；可删除，也可保留。",
            "",
        ],
    )
    sheet.cell(row=2, column=5).number_format = "yyyy-mm-dd"
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="FF808080")
    for i, key in enumerate(IMPORT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(_width(labels[key]) + 4, 14)
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("说明")
    help_sheet.append(["列", "说明"])
    for line in (
        ("编号", "留空新建（同一分类下标题相同的已有事项则更新）；填写已有编号则更新该事项"),
        ("", f"编号写“{SAMPLE_MARK}”的行是示例，导入时跳过"),
        ("问题标题", f"必填，最多 {limits['title']} 字"),
        ("分类", "必填，写完整路径，如 客户端/代发"),
        ("负责人", "小组成员的姓名或登录名，可留空"),
        ("完成时限", "日期，如 2026-12-31，可留空"),
        ("优先级", "紧急 / 高 / 中 / 低，留空为中"),
        ("重大问题", "是 / 否"),
        ("问题描述", f"最多 {limits['description']} 字"),
        ("解决方案", f"最多 {limits['solution']} 字"),
    ):
        append_row(help_sheet, list(line))
    help_sheet.append([])
    help_sheet.append(["可用分类"])
    for path in paths:
        append_row(help_sheet, [path])
    help_sheet.column_dimensions["A"].width = 40
    help_sheet.column_dimensions["B"].width = 70
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- import --------------------------------------------------------------------------------


@dataclass
class RowProblem:
    row: int
    column: str
    message: str


@dataclass
class SheetImport:
    problems: list[RowProblem] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    matched: int = 0  # rows without a code that found their item by category and title
    samples: int = 0  # the template's sample rows, skipped
    file_error: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and not self.file_error


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def text_limits() -> dict[str, int]:
    """The most characters the item form takes in its title, description and solution:
    an import holds to the same."""
    from wtforms.validators import Length

    limits = {}
    for key in ("title", "description", "solution"):
        validators = getattr(IssueForm, key).kwargs.get("validators", ())
        limits[key] = next(v.max for v in validators if isinstance(v, Length))
    return limits


def _parse_date(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        parts = text.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                return date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                pass
    raise ValueError


def import_sheet(actor: User, task_force_id: int, filename: str, data: bytes) -> SheetImport:
    """Check every row; write only when all are valid, in one transaction."""
    authorize(actor, "issue.import", task_force_id)
    result = SheetImport()
    try:
        table = read_rows(filename, data, SheetLimits.from_config(current_app.config))
    except SheetError as error:
        result.file_error = error.message
        return result
    table = [(number, row) for number, row in table if any(_text(v) for v in row)]
    if len(table) < 2:
        result.file_error = _("The sheet has no rows below its header.")
        return result
    columns = _header_columns(table[0][1], result)
    if result.problems:
        return result
    rows = [(n, row) for n, row in table[1:] if not _is_sample(row, columns)]
    result.samples = len(table) - 1 - len(rows)
    if not rows:
        result.file_error = _("The sheet holds only the template's sample row.")
        return result
    known = _Known.read(task_force_id, columns)
    planned = []
    for number, row in rows:
        problems, existing, values = _check_row(number, row, known)
        if existing is not None and not _text(known.cell(row, "code")):
            result.matched += 1
        if not problems and existing is not None:
            problems = _check_still_open(number, existing, values)
        if problems:
            result.problems.extend(problems)
        else:
            planned.append((existing, values))
    if result.problems:
        return result
    _write(actor, task_force_id, planned, result)
    return result


def _is_sample(row: list, columns: dict[str, int]) -> bool:
    index = columns.get("code")
    return index is not None and index < len(row) and _text(row[index]) == SAMPLE_MARK


def _header_columns(header_row: list, result: SheetImport) -> dict[str, int]:
    """The index of each import column named in the header (by its Chinese label or its
    key); a missing required column is a problem of row 1."""
    labels = dict(HEADERS)
    by_label = {label: key for key, label in HEADERS}
    columns: dict[str, int] = {}
    for index, name in enumerate(_text(v) for v in header_row):
        key = by_label.get(name) or HEADER_ALIASES.get(name) or (name if name in labels else None)
        if key in IMPORT_COLUMNS and key not in columns:
            columns[key] = index
    for required in ("title", "category"):
        if required not in columns:
            result.problems.append(
                RowProblem(1, labels[required], _("This column is missing from the header."))
            )
    return columns


@dataclass
class _Known:
    """What the rows are checked against, read once per import."""

    columns: dict[str, int]
    paths: dict[str, int]  # category path -> id
    open_ids: set[int]
    people: dict[str, int | None]  # username or name -> user id (None: ambiguous)
    by_code: dict[str, Issue]
    by_title: dict[tuple[int, str], Issue | None]  # (category, title) -> item; None: several
    priority_words: dict[str, str]
    limits: dict[str, int]  # the item form's lengths

    @classmethod
    def read(cls, task_force_id: int, columns: dict[str, int]) -> _Known:
        paths = {path: cid for cid, path in _category_paths(task_force_id).items()}
        open_ids = set(
            db.session.scalars(
                select(Category.id).where(
                    Category.task_force_id == task_force_id, Category.archived_at.is_(None)
                )
            )
        )
        members = roster.active_member_ids(task_force_id)
        people: dict[str, int | None] = {}
        for uid, username, name in db.session.execute(
            select(User.id, User.username, User.display_name).where(User.id.in_(members))
        ):
            people[username.lower()] = uid
            # A name two people share cannot say who is meant.
            people[name.lower()] = None if name.lower() in people else uid
        by_code: dict[str, Issue] = {}
        by_title: dict[tuple[int, str], Issue | None] = {}
        for issue in db.session.scalars(select(Issue).where(Issue.task_force_id == task_force_id)):
            by_code[issue.code] = issue
            key = (issue.category_id, issue.title)
            # Two items of one title in one category: the title cannot say which is meant.
            by_title[key] = None if key in by_title else issue
        priority_words = {}
        for key in PRIORITIES:
            priority_words[key] = key
            priority_words[ZH_PRIORITY[key]] = key
            priority_words[str(PRIORITY_LABELS[key]).lower()] = key
        return cls(
            columns, paths, open_ids, people, by_code, by_title, priority_words, text_limits()
        )

    def cell(self, row: list, key: str):
        index = self.columns.get(key)
        return row[index] if index is not None and index < len(row) else None


def _check_row(number: int, row: list, known: _Known) -> tuple[list, Issue | None, dict]:
    """A row's problems, the item it names (None for a new one) and its values."""
    labels = dict(HEADERS)
    problems: list[RowProblem] = []

    def problem(key: str, message: str) -> None:
        problems.append(RowProblem(number, labels[key], message))

    def cell(key: str):
        return known.cell(row, key)

    code = _text(cell("code")).upper()
    existing = None
    if code:
        existing = known.by_code.get(code)
        if existing is None:
            problem("code", _("No item has this code; leave it empty to create one."))
    title = _text(cell("title"))
    if not title:
        problem("title", _("A title is required."))
    category_path = "/".join(p.strip() for p in _text(cell("category")).split("/"))
    category_id = known.paths.get(category_path)
    if not category_path:
        problem("category", _("A category is required."))
    elif category_id is None or category_id not in known.open_ids:
        problem("category", _("Unknown category: %(name)s", name=category_path))
    elif not code and title:
        existing = known.by_title.get((category_id, title))
        if existing is None and (category_id, title) in known.by_title:
            problem("code", _("Several items of this category have this title; write the code."))
    owner_text = _text(cell("owner"))
    owner_id = None
    if owner_text:
        owner_id = known.people.get(owner_text.lower())
        if owner_id is None:
            problem("owner", _("Unknown owner, or not on the roster: %(name)s", name=owner_text))
    values = {"title": title, "category_id": category_id}
    if "owner" in known.columns:
        values["owner_id"] = owner_id
    values.update(_check_choices(cell, known, problem))
    for key in ("description", "solution"):
        if key in known.columns:
            values[key] = _text(cell(key))
    for key in ("title", "description", "solution"):
        most = known.limits[key]
        if len(values.get(key, "")) > most:
            problem(
                key,
                _(
                    "At most %(most)d characters; this cell has %(n)d.",
                    most=most,
                    n=len(values[key]),
                ),
            )
    return problems, existing, values


def _check_choices(cell, known: _Known, problem) -> dict:
    """The deadline, priority and major flag of a row, as far as given."""
    values = {}
    if "deadline" in known.columns:
        try:
            values["deadline"] = _parse_date(cell("deadline"))
        except ValueError:
            problem("deadline", _("Not a date; write it as 2026-12-31."))
    priority_text = _text(cell("priority"))
    priority = known.priority_words.get(priority_text.lower()) if priority_text else None
    if priority_text and priority is None:
        problem("priority", _("Unknown priority: %(value)s", value=priority_text))
    if priority:
        values["priority"] = priority
    major_text = _text(cell("major")).lower()
    if major_text in YES:
        values["major"] = True
    elif major_text in NO:
        if major_text:
            values["major"] = False
    else:
        problem("major", _("Write 是 or 否."))
    return values


def _check_still_open(number: int, existing: Issue, values: dict) -> list[RowProblem]:
    """A closed or dropped item is read-only: a sheet re-imported as exported passes, one
    that changes such an item is refused on its row."""
    if not any(getattr(existing, k) != v for k, v in values.items()):
        return []
    try:
        issues.require_open(existing)
    except InvalidTransition as error:
        return [RowProblem(number, dict(HEADERS)["code"], error.message)]
    return []


def _write(actor: User, task_force_id: int, planned: list, result: SheetImport) -> None:
    """Create and update the checked rows through the problem list's batch services."""
    categories = {
        c.id: c
        for c in db.session.scalars(select(Category).where(Category.task_force_id == task_force_id))
    }
    new_items = [
        issues.NewItem(category=categories[values.pop("category_id")], **values)
        for existing, values in planned
        if existing is None
    ]
    issues.create_issues(actor, task_force_id, new_items)
    result.created = len(new_items)
    updates = [(existing, values) for existing, values in planned if existing is not None]
    result.updated = len(issues.update_issues(actor, updates))
    result.unchanged = len(updates) - result.updated
