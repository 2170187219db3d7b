"""Reading the problem list: one item with its page, the filtered list, the board, my
items, the landing schedule, and the headline figures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import (
    CompoundSelect,
    Select,
    case,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    union_all,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.core.database import among_ids, constant, constant_in, kept_statement
from app.core.errors import NotFound
from app.core.freshness import setup_value
from app.core.paging import within
from app.core.permissions import authorize, can
from app.core.scope import unscoped
from app.extensions import db
from app.issues.lights import STALE_BEFORE, LightRules, light_clause, light_expression
from app.issues.models import (
    CLOSED,
    DROPPED,
    FINISHED_STATUSES,
    LIGHTS,
    OPEN_STATUSES,
    PRIORITIES,
    RED,
    STATUSES,
    VERIFYING,
    YELLOW,
    Attachment,
    Category,
    Issue,
    Milestone,
    ProgressUpdate,
    Subtask,
    count_items,
    issue_collaborator,
)
from app.people.models import User


def load_issue(actor: User, issue_id) -> Issue:
    """One item with everything its page shows, in a fixed number of queries.

    :raise NotFound: for an unknown id or an item of another task force.
    """
    try:
        ident = int(issue_id)
    except (TypeError, ValueError):
        raise NotFound("issue not found") from None
    issue = (
        db.session.scalars(
            select(Issue)
            .where(Issue.id == ident)
            .options(
                joinedload(Issue.owner),
                joinedload(Issue.category),
                joinedload(Issue.org_unit),
                # Collaborators and milestones are few per item: joined into the one
                # row set (their product stays small); subtasks come in one more query.
                joinedload(Issue.collaborators),
                joinedload(Issue.milestones),
                selectinload(Issue.subtasks).joinedload(Subtask.owner),
            )
        )
        .unique()
        .one_or_none()
    )
    if issue is None:
        raise NotFound("issue not found")
    authorize(actor, "issue.view", issue.task_force_id)
    return issue


@dataclass
class Timeline:
    updates: list[ProgressUpdate]
    attachments: list[Attachment]
    history: list


def issue_timeline(issue: Issue) -> Timeline:
    from app.core.models import AuditEvent

    updates = list(
        db.session.scalars(
            select(ProgressUpdate)
            .where(ProgressUpdate.issue_id == issue.id)
            .options(joinedload(ProgressUpdate.author))
            .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
        )
    )
    attachments = list(
        db.session.scalars(
            select(Attachment)
            .where(Attachment.issue_id == issue.id)
            .options(joinedload(Attachment.uploaded_by))
            .order_by(Attachment.created_at.desc())
        )
    )
    history = db.session.execute(
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.entity_type == "issue", AuditEvent.entity_id == issue.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    return Timeline(updates=updates, attachments=attachments, history=history)


@dataclass
class IssueFilter:
    category_id: int | None = None
    owner_id: int | None = None
    org_unit_id: int | None = None
    statuses: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    light: str | None = None
    major: bool | None = None
    deadline_from: date | None = None
    deadline_to: date | None = None
    unacknowledged: bool = False
    open_only: bool = False
    path_defined: bool | None = None
    # Items whose deadline was moved by at least this many approved extension requests.
    delayed: int | None = None
    q: str = ""
    sort: str = "code"
    page: int = 1


def _priority_rank():
    return case({p: i for i, p in enumerate(PRIORITIES)}, value=Issue.priority, else_=9)


def _status_rank():
    from sqlalchemy import case

    return case({s: i for i, s in enumerate(STATUSES)}, value=Issue.status, else_=99)


def path_defined_clause():
    """已明确路径: a solution is written and a landing schedule exists."""
    return (func.length(func.trim(Issue.solution)) > 0) & (
        select(Milestone.id).where(Milestone.issue_id == Issue.id).exists()
    )


# The extension requests (延期申请) of ``decisions``, read by table name: the problem list
# filters on them without importing a feature of the floor above.
_extension = table("deadline_extension", column("issue_id"), column("status"))


def delayed_clause(times: int = 2):
    """SQL: the item's deadline was moved by ``times`` or more approved extension requests."""
    approved = (
        select(_extension.c.issue_id)
        .where(_extension.c.status == "approved")
        .group_by(_extension.c.issue_id)
        .having(func.count() >= times)
    )
    return Issue.id.in_(approved)


def headline_clauses(rules: LightRules, status=None) -> dict:
    """What each of the problem list's headline figures counts: a WHERE clause over
    ``Issue``.

    One definition for the battle map and the quarterly review pack, so both print the
    same numbers. ``status`` is the status column to count by: the issue's own, or an
    expression giving its status at some past instant.
    """
    status = Issue.status if status is None else status
    is_open = status.in_(OPEN_STATUSES)
    return {
        "problems": status != DROPPED,
        "closed": status == CLOSED,
        "open": is_open,
        "path_defined": is_open & path_defined_clause(),
        "overdue": is_open & (Issue.deadline < rules.today),
    }


def headline_counts(rules: LightRules, status=None) -> dict:
    """The problem list's headline figures as SELECT columns over ``Issue``."""
    count = count_items()
    return {name: count.filter(c) for name, c in headline_clauses(rules, status).items()}


def category_subtree(task_force_id: int, category_id: int) -> tuple[int, ...]:
    """The ids of a category and of every category under it (none when it is not the
    task force's), kept under the task force's setup version."""

    def read() -> tuple[int, ...]:
        node = db.session.scalar(
            select(Category.path).where(
                Category.id == category_id, Category.task_force_id == task_force_id
            )
        )
        if node is None:
            return ()
        return tuple(
            db.session.scalars(
                select(Category.id).where(
                    Category.task_force_id == task_force_id, Category.path.like(f"{node}%")
                )
            )
        )

    return setup_value(f"category_subtree:{category_id}", task_force_id, read)


def _one_of(column, wanted: Iterable[str], words: tuple[str, ...]):
    """SQL: ``column`` is one of ``wanted`` among the code's own ``words`` (anything else
    selects nothing), written into the statement, so PostgreSQL plans each filter once."""
    known = [word for word in words if word in wanted]
    return constant_in(column, known) if known else false()


def filtered(task_force_id: int, filters: IssueFilter, rules: LightRules) -> Select:
    stmt = select(Issue).where(Issue.task_force_id == task_force_id)
    if filters.category_id:
        # The whole subtree, as its ids: the index of (task force, category) reads its
        # items alone (SQLite read all the task force's for "in (the subtree's query)").
        subtree = category_subtree(task_force_id, filters.category_id)
        stmt = stmt.where(among_ids(Issue.category_id, list(subtree)))
    if filters.owner_id:
        stmt = stmt.where(Issue.owner_id == filters.owner_id)
    if filters.org_unit_id:
        stmt = stmt.where(Issue.org_unit_id == filters.org_unit_id)
    if filters.statuses:
        stmt = stmt.where(_one_of(Issue.status, filters.statuses, STATUSES))
    if filters.open_only:
        stmt = stmt.where(constant_in(Issue.status, OPEN_STATUSES))
    if filters.priorities:
        stmt = stmt.where(_one_of(Issue.priority, filters.priorities, PRIORITIES))
    if filters.light in LIGHTS:
        stmt = stmt.where(light_clause(rules, filters.light))
    if filters.major is not None:
        stmt = stmt.where(Issue.major.is_(filters.major))
    if filters.deadline_from:
        stmt = stmt.where(Issue.deadline >= filters.deadline_from)
    if filters.deadline_to:
        stmt = stmt.where(Issue.deadline <= filters.deadline_to)
    if filters.unacknowledged:
        stmt = stmt.where(
            Issue.owner_id.is_not(None),
            Issue.acknowledged_at.is_(None),
            Issue.status.in_(OPEN_STATUSES),
        )
    if filters.path_defined is not None:
        clause = path_defined_clause()
        stmt = stmt.where(clause if filters.path_defined else ~clause)
    if filters.delayed:
        stmt = stmt.where(delayed_clause(filters.delayed))
    if filters.q:
        like = f"%{filters.q.strip()}%"
        stmt = stmt.where(
            or_(
                Issue.code.ilike(like),
                Issue.title.ilike(like),
                Issue.description.ilike(like),
                Issue.solution.ilike(like),
            )
        )
    return stmt


def _order(stmt: Select, sort: str) -> Select:
    if sort == "priority":
        # Items without a deadline last, on every engine (SQLite sorts NULL first).
        return stmt.order_by(_priority_rank(), Issue.deadline.is_(None), Issue.deadline, Issue.code)
    if sort == "deadline":
        return stmt.order_by(Issue.deadline.is_(None), Issue.deadline, Issue.code)
    if sort == "-deadline":
        return stmt.order_by(Issue.deadline.is_(None), Issue.deadline.desc(), Issue.code)
    if sort == "updated":
        return stmt.order_by(Issue.updated_at.desc(), Issue.id.desc())
    if sort == "title":
        return stmt.order_by(Issue.title, Issue.id)
    if sort == "status":
        return stmt.order_by(_status_rank(), Issue.code)  # in workflow order
    return stmt.order_by(Issue.category_id, Issue.id)


SORT_KEYS = ("code", "deadline", "-deadline", "priority", "updated", "title", "status")


# What a row of the list and a card of the board show of an item (and the board sorts
# by), read as plain rows: 175 cards as ORM objects cost more than their query.
ROW_COLUMNS = (
    Issue.id,
    Issue.code,
    Issue.title,
    Issue.owner_id,
    Issue.deadline,
    Issue.priority,
    Issue.status,
    Issue.major,
    Issue.supervised,
    Issue.acknowledged_at,
    Issue.updated_at,
    Issue.version,
)


# One alias for every statement that shows the owner's name: a new alias per statement
# adapts its columns afresh (a millisecond a statement, more than reading the rows).
_OWNER = aliased(User, name="item_owner")


def with_owner_name(stmt: Select) -> Select:
    """``stmt`` (of items) with the owner's name (``owner_name``, None without an owner)."""
    return stmt.add_columns(_OWNER.display_name.label("owner_name")).outerjoin(
        _OWNER, _OWNER.id == Issue.owner_id
    )


def _shown_rows(rules: LightRules, *, category: bool) -> Select:
    """``ROW_COLUMNS``, the light, the owner's name (``owner_name``, None without an
    owner) and the category's (``category_name``) if asked."""
    stmt = with_owner_name(select(*ROW_COLUMNS, light_expression(rules).label("light")))
    if category:
        stmt = stmt.add_columns(Category.name.label("category_name")).join(
            Category, Category.id == Issue.category_id
        )
    return stmt


@dataclass
class IssuePage:
    rows: list[tuple[Issue | Row, str]]  # (issue, light); rows_only: (row, light)
    total: int
    page: int
    pages: int


def list_issues(
    actor: User,
    task_force_id: int,
    filters: IssueFilter,
    per_page: int = 50,
    rows_only: bool = False,
):
    """One page of the filtered list with each row's light: three queries at most.

    ``rows_only``: plain rows of what the list shows (``_shown_rows``), not items."""
    authorize(actor, "issue.view", task_force_id)
    rules = LightRules.current()
    base = filtered(task_force_id, filters, rules)
    # Counted over the filter itself: no subquery of every column for the engine to carry.
    total = db.session.scalar(base.with_only_columns(func.count()))
    page, pages = within(filters.page, total, per_page)
    # The page's ids first, then its rows with their lights: the light (with its milestone
    # subquery) is computed for the rows shown only, not for every row the engine sorts.
    # Each order ends on a unique column, so the outer order is the page's.
    shown = (
        _order(base.with_only_columns(Issue.id), filters.sort)
        # Written in: with the page's bounds as parameters PostgreSQL planned it afresh
        # at every view (a millisecond).
        .limit(constant(per_page))
        .offset(constant((page - 1) * per_page))
    )
    if rows_only:
        stmt = _order(_shown_rows(rules, category=True).where(Issue.id.in_(shown)), filters.sort)
        rows = [(row, row.light) for row in db.session.execute(stmt)]
        return IssuePage(rows=rows, total=total, page=page, pages=pages)
    stmt = _order(
        select(Issue, light_expression(rules).label("light"))
        .where(Issue.id.in_(shown))
        .options(joinedload(Issue.owner), joinedload(Issue.category)),
        filters.sort,
    )
    rows = [(issue, light) for issue, light in db.session.execute(stmt).unique()]
    return IssuePage(rows=rows, total=total, page=page, pages=pages)


def board(actor: User, task_force_id: int, filters: IssueFilter, per_column: int = 25):
    """Items per status column with lights; closed and dropped show the most recent only.
    Each item is a plain row of what its card shows (``_shown_rows``)."""
    authorize(actor, "issue.view", task_force_id)
    rules = LightRules.current()

    def statements() -> tuple[Select, Select]:
        return _board_statements(task_force_id, filters, rules, per_column)

    if replace(filters, sort=IssueFilter.sort, page=IssueFilter.page) == IssueFilter():
        # The whole board, a task force's usual view: its statements built once a day.
        parts = (task_force_id, per_column, *rules.of_the_day)
        count_stmt = kept_statement("board_counts", parts, lambda: statements()[0])
        cards_stmt = kept_statement(
            "board_cards", parts, lambda: statements()[1], given=(STALE_BEFORE,)
        )
    else:
        count_stmt, cards_stmt = statements()
    counts = dict(db.session.execute(count_stmt).all())
    columns: dict[str, list[tuple[Row, str]]] = {status: [] for status in STATUSES}
    for row in db.session.execute(cards_stmt, {STALE_BEFORE: rules.stale_before}):
        columns[row.status].append((row, row.light))
    for status, cards in columns.items():
        if status in FINISHED_STATUSES:
            cards.sort(key=lambda pair: pair[0].updated_at, reverse=True)
        else:
            cards.sort(
                key=lambda pair: (
                    pair[0].deadline is None,
                    pair[0].deadline or date.max,
                    pair[0].id,
                )
            )
    return columns, counts


def _board_statements(
    task_force_id: int, filters: IssueFilter, rules: LightRules, per_column: int
) -> tuple[Select, Select]:
    """The board's count per status and its cards."""
    base = filtered(task_force_id, filters, rules)
    # Grouped over the filter itself (an index-only scan of (task force, status, …) when
    # nothing else is asked), not over "id in (the filter)".
    counts = base.with_only_columns(Issue.status, func.count()).group_by(Issue.status)
    # One small, index-backed query per column, glued with UNION ALL into one statement;
    # the light (with its milestone subquery) is computed for the cards shown only. The
    # columns' statuses and size are written in: PostgreSQL then plans it once.
    per_status = []
    for status in STATUSES:
        order = (
            (Issue.updated_at.desc(), Issue.id.desc())
            if status in FINISHED_STATUSES
            # "Deadline, none last" as the index (task force, status, deadline) reads it
            # on PostgreSQL: its 25 first without sorting all of a column's items.
            else (Issue.deadline.asc().nulls_last(), Issue.id)
        )
        per_status.append(
            base.with_only_columns(Issue.id)
            .where(constant_in(Issue.status, (status,)))
            .order_by(*order)
            .limit(constant(per_column))
            .subquery()
            .select()
        )
    shown = union_all(*per_status).subquery()
    return counts, _shown_rows(rules, category=False).where(Issue.id.in_(select(shown.c.id)))


@dataclass
class MyItems:
    """Plain rows (see ``my_items``); ``owned`` and ``collaborating`` with their light."""

    owned: list[tuple[Row, str]]
    collaborating: list[tuple[Row, str]]
    to_acknowledge: list[Row]
    to_verify: list[Row]
    unacknowledged_by_others: list[Row]
    subtasks: list[Row]
    # How many await the reader's verification, per task force; ``to_verify`` holds the
    # first VERIFY_SHOWN of them all (the longest waiting), each task force's list the rest.
    to_verify_counts: dict[int, int] = field(default_factory=dict)

    @property
    def to_verify_total(self) -> int:
        return sum(self.to_verify_counts.values())


# A leader of a big task force verifies hundreds: the page shows the longest waiting.
VERIFY_SHOWN = 20


def _overdue_first(rows: list[Row]) -> list[tuple[Row, str]]:
    """Red first, then yellow, then the rest; each by deadline (none last), then id."""
    rank = {RED: 0, YELLOW: 1}
    return [
        (row, row.light)
        for row in sorted(
            rows,
            key=lambda row: (
                rank.get(row.light, 2),
                row.deadline is None,
                row.deadline or date.max,
                row.id,
            ),
        )
    ]


# What "my items" shows of an item: plain rows, not whole items (a leader's page holds
# a hundred or more), with the task force each row links into.
_MY_COLUMNS = (*ROW_COLUMNS, Issue.task_force_id)


def _my_subtasks(actor: User, ids: list[int]) -> list[Row]:
    """My open subtasks of open items (the caller is unscoped: the query names the task
    forces)."""
    return db.session.execute(
        select(
            Subtask.id,
            Subtask.title,
            Subtask.deadline,
            Subtask.issue_id,
            Subtask.task_force_id,
            Issue.code.label("issue_code"),
        )
        .join(Issue, Issue.id == Subtask.issue_id)
        .where(
            Subtask.task_force_id.in_(ids),
            Subtask.owner_id == actor.id,
            Subtask.done_at.is_(None),
            constant_in(Issue.status, OPEN_STATUSES),
        )
        .order_by(Subtask.deadline.is_(None), Subtask.deadline, Subtask.id)
    ).all()


def _my_lists(actor: User, ids: list[int], managed: list[int], rules: LightRules):
    """The lists of items on my items, read in one query (a round trip each cost a
    millisecond on PostgreSQL): each row with its light, owner's name, when it was
    assigned and which list it is of (``list``); at most VERIFY_SHOWN of those awaiting
    verification, the longest waiting."""
    # Built once a day per reader and task forces (the stale line given at each run).
    stmt = kept_statement(
        "my_lists",
        (actor.id, tuple(ids), tuple(managed), *rules.of_the_day),
        lambda: _my_lists_statement(actor, ids, managed, rules),
        given=(STALE_BEFORE,),
    )
    lists: dict[str, list[Row]] = {
        name: [] for name in ("owned", "collaborating", "unacknowledged", "to_verify")
    }
    for row in db.session.execute(stmt, {STALE_BEFORE: rules.stale_before}):
        lists[row.list].append(row)
    return lists


def _my_lists_statement(
    actor: User, ids: list[int], managed: list[int], rules: LightRules
) -> CompoundSelect:
    light = light_expression(rules).label("light")

    def part(name: str) -> Select:
        return with_owner_name(
            select(
                *_MY_COLUMNS, Issue.assigned_at, light, literal_column(f"'{name}'").label("list")
            )
        )

    is_open = constant_in(Issue.status, OPEN_STATUSES)
    parts = [
        part("owned").where(Issue.task_force_id.in_(ids), Issue.owner_id == actor.id, is_open),
        part("collaborating")
        .join(issue_collaborator, issue_collaborator.c.issue_id == Issue.id)
        .where(Issue.task_force_id.in_(ids), issue_collaborator.c.user_id == actor.id, is_open),
        # What others have not acknowledged of what I assigned.
        part("unacknowledged").where(
            Issue.task_force_id.in_(ids),
            Issue.assigned_by_id == actor.id,
            Issue.owner_id != actor.id,
            Issue.acknowledged_at.is_(None),
            is_open,
        ),
    ]
    if managed:
        awaiting = (
            part("to_verify")
            .where(Issue.task_force_id.in_(managed), constant_in(Issue.status, (VERIFYING,)))
            .order_by(Issue.updated_at, Issue.id)
            .limit(constant(VERIFY_SHOWN))
        )
        parts.append(select(awaiting.subquery()))  # a part of a union has no order of its own
    return union_all(*parts)


def _verifying_per_task_force(managed: list[int]) -> dict[int, int]:
    """How many items await verification in each of ``managed`` (read even when all are
    shown: a page's queries are as many whatever the data)."""
    return dict(
        db.session.execute(
            select(Issue.task_force_id, func.count())
            .where(Issue.task_force_id.in_(managed), constant_in(Issue.status, (VERIFYING,)))
            .group_by(Issue.task_force_id)
        ).all()
    )


def my_items(actor: User, task_force_ids: list[int]) -> MyItems:
    """Mine and where I collaborate, overdue first, then due this week; what awaits me:
    across ``task_force_ids`` (the reader's task forces), as plain rows (``_MY_COLUMNS``
    with ``light``, ``owner_name`` and ``assigned_at``).

    :raise PermissionDenied: when the actor may not view items in one of them.
    """
    for task_force_id in task_force_ids:
        authorize(actor, "issue.view", task_force_id)
    ids = list(task_force_ids)
    managed = [task_force_id for task_force_id in ids if can(actor, "issue.manage", task_force_id)]
    # Across task forces: every query names them.
    with unscoped():
        lists = _my_lists(actor, ids, managed, LightRules.current())
        to_verify = sorted(lists["to_verify"], key=lambda row: (row.updated_at, row.id))
        to_verify_counts = _verifying_per_task_force(managed) if managed else {}
        subtasks = _my_subtasks(actor, ids)
    return MyItems(
        owned=_overdue_first(lists["owned"]),
        collaborating=_overdue_first(lists["collaborating"]),
        to_acknowledge=sorted(
            (row for row in lists["owned"] if row.acknowledged_at is None),
            key=lambda row: (row.deadline is None, row.deadline or date.max, row.id),
        ),
        to_verify=to_verify,
        unacknowledged_by_others=sorted(
            lists["unacknowledged"],
            # The longest unacknowledged first; one of unknown date last (an import's).
            key=lambda row: (row.assigned_at is None, row.assigned_at or 0, row.id),
        ),
        subtasks=subtasks,
        to_verify_counts=to_verify_counts,
    )


def schedule(
    actor: User,
    task_force_id: int,
    category_id: int | None = None,
    owner_id: int | None = None,
    limit: int = 80,
) -> tuple[list[tuple[Issue, list[Milestone]]], int]:
    """Open items with their milestones (the landing schedule 落地排期), earliest deadline
    first; at most ``limit`` items, and how many there are in all."""
    authorize(actor, "issue.view", task_force_id)
    filters = IssueFilter(category_id=category_id, owner_id=owner_id, open_only=True)
    base = filtered(task_force_id, filters, LightRules.current()).where(
        select(Milestone.id).where(Milestone.issue_id == Issue.id).exists()
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    issues = list(
        db.session.scalars(
            base.options(selectinload(Issue.milestones), joinedload(Issue.owner))
            .order_by(Issue.deadline.is_(None), Issue.deadline, Issue.id)
            .limit(limit)
        ).unique()
    )
    return [(issue, list(issue.milestones)) for issue in issues], total
