"""Supervision (督导) and nudges (催办): the leader's board (major items and those under the
leader's supervision, 组长督办), the executive leader's board, a reminder to an item's
owner, and lifting the leader's supervision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from app.core import audit, clock
from app.core.errors import InvalidTransition
from app.core.paging import within
from app.core.permissions import authorize
from app.decisions.instructions import Instruction
from app.decisions.models import Nudge
from app.decisions.service.escalations import _tell
from app.decisions.service.instructions import unanswered_clause
from app.extensions import db
from app.issues.lights import LightRules, light_clause, light_expression
from app.issues.models import OPEN_STATUSES, RED, YELLOW, Issue
from app.issues.service import relations
from app.people.models import User

MAJOR_PRIORITIES = ("urgent", "high")


def major_clause():
    """The leader's items: major, urgent or high priority, or under the leader's supervision."""
    return or_(Issue.major.is_(True), Issue.priority.in_(MAJOR_PRIORITIES), Issue.supervised)


def _nudge_count():
    return (
        select(func.count(Nudge.id))
        .where(Nudge.issue_id == Issue.id)
        .correlate(Issue)
        .scalar_subquery()
        .label("nudges")
    )


def _waiting_count():
    """The item's instructions not answered yet."""
    return (
        select(func.count(Instruction.id))
        .where(Instruction.issue_id == Issue.id, Instruction.answered_at.is_(None))
        .correlate(Issue)
        .scalar_subquery()
        .label("waiting")
    )


def board_light(rules: LightRules):
    """The colour of an item on the boards: its light, but red while the leader's
    instruction on it is not answered."""
    return case((unanswered_clause(), RED), else_=light_expression(rules))


def board_red(rules: LightRules):
    """Red on the boards: a red light, or an unanswered instruction."""
    return or_(light_clause(rules, RED), unanswered_clause())


@dataclass
class BoardRow:
    issue: Issue
    light: str
    nudges: int
    waiting: int = 0  # the leader's instructions not answered
    blocked_by: list[str] = field(default_factory=list)  # codes of open items blocking it


@dataclass
class BoardPage:
    rows: list[BoardRow]
    total: int
    page: int
    pages: int


def _board(task_force_id: int, condition, page: int, per_page: int) -> BoardPage:
    """One page of a board: supervised items first, then red, yellow, the rest, each by
    deadline. Two queries: the count, then the page's ids sorted alone and joined to the
    items, their owners, lights and nudge counts."""
    rules = LightRules.current()
    where = (
        Issue.task_force_id == task_force_id,
        Issue.status.in_(OPEN_STATUSES),
        condition(rules),
    )
    total = db.session.scalar(select(func.count(Issue.id)).where(*where)) or 0
    page, pages = within(page, total, per_page)
    urgency = case((board_red(rules), 0), (light_clause(rules, YELLOW), 1), else_=2)
    order = (Issue.supervised.desc(), urgency, Issue.deadline.is_(None), Issue.deadline, Issue.id)
    shown = (
        select(Issue.id, urgency.label("urgency"))
        .where(*where)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery()
    )
    rows = db.session.execute(
        select(Issue, board_light(rules).label("light"), _nudge_count(), _waiting_count())
        .join(shown, shown.c.id == Issue.id)
        .options(joinedload(Issue.owner))
        .order_by(
            Issue.supervised.desc(),
            shown.c.urgency,
            Issue.deadline.is_(None),
            Issue.deadline,
            Issue.id,
        )
    ).unique()
    rows = rows.all()
    blockers = relations.open_blockers(row[0].id for row in rows)
    return BoardPage(
        [
            BoardRow(issue, light, nudges or 0, waiting or 0, blockers.get(issue.id, []))
            for issue, light, nudges, waiting in rows
        ],
        total,
        page,
        pages,
    )


def leader_board(actor: User, task_force_id: int, page: int = 1, per_page: int = 50) -> BoardPage:
    """组长抓重大事项督导: major items and those under the leader's supervision."""
    authorize(actor, "supervision.view", task_force_id)
    return _board(task_force_id, lambda rules: major_clause(), page, per_page)


def exec_board(actor: User, task_force_id: int, page: int = 1, per_page: int = 50) -> BoardPage:
    """执行组长抓日常督导: everything else that is red (or has an unanswered instruction),
    yellow (due soon, a milestone late, stale) or not acknowledged by its owner."""
    authorize(actor, "supervision.view", task_force_id)
    return _board(
        task_force_id,
        lambda rules: and_(
            ~major_clause(),
            or_(
                board_red(rules),
                light_clause(rules, YELLOW),
                and_(Issue.owner_id.is_not(None), Issue.acknowledged_at.is_(None)),
            ),
        ),
        page,
        per_page,
    )


def nudge(actor: User, issue: Issue, note: str = "") -> Nudge:
    """Remind the owner (催办): an in-app message now, logged on the item and counted.

    :raise PermissionDenied: for anyone but the leaders.
    :raise InvalidTransition: for a finished item or one without an owner.
    """
    authorize(
        actor,
        "supervision.nudge",
        issue,
        message=_("Only the leader or the executive leader may do this."),
    )
    if issue.status not in OPEN_STATUSES:
        raise InvalidTransition(_("The item is finished; there is nobody to remind."))
    if issue.owner_id is None:
        raise InvalidTransition(_("The item has no owner to remind."))
    note = (note or "").strip()[:300]
    entry = Nudge(
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        recipient_id=issue.owner_id,
        sent_by_id=actor.id,
        note=note,
        sent_at=clock.now(),
    )
    db.session.add(entry)
    db.session.flush()
    count = db.session.scalar(select(func.count(Nudge.id)).where(Nudge.issue_id == issue.id))
    audit.record(actor, "nudged", issue, {"nudges": [count - 1, count]}, summary=note or issue.code)
    owner = db.session.get(User, issue.owner_id)

    def message() -> str:
        text = _(
            "%(who)s reminds you of %(code)s %(title)s (reminder %(n)d).",
            who=actor.display_name,
            code=issue.code,
            title=issue.title,
            n=count,
        )
        return f"{text} {note}" if note else text

    _tell(
        owner,
        "nudge",
        f"nudge:{entry.id}",
        f"/issues/{issue.id}",
        issue,
        issue.task_force_id,
        message,
    )
    return entry


def lift_supervision(actor: User, issue: Issue) -> None:
    """:raise PermissionDenied: for anyone but the leader."""
    authorize(actor, "supervision.nudge", issue.task_force_id)
    authorize(
        actor,
        "supervision.lift",
        issue,
        message=_("Only the leader lifts the leader's supervision."),
    )
    if not issue.supervised:
        raise InvalidTransition(_("The item is not under the leader's supervision."))
    issue.supervised = False
    audit.record(
        actor, "supervision_lifted", issue, {"supervised": [True, False]}, summary=issue.code
    )


def nudge_count(issue: Issue) -> int:
    return db.session.scalar(select(func.count(Nudge.id)).where(Nudge.issue_id == issue.id)) or 0


def issue_options(task_force_id: int) -> list[tuple[int, str]]:
    """(id, "code title") of the task force's items, for selects: one query."""
    return [
        (i, f"{code} {title}")
        for i, code, title in db.session.execute(
            select(Issue.id, Issue.code, Issue.title)
            .where(Issue.task_force_id == task_force_id)
            .order_by(Issue.code)
        )
    ]
