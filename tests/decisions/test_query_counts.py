"""Queries, not loops: the pages of escalations, supervision, scorecards and intake issue as
many SQL statements for many rows as for a few."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.core.scope import unscoped
from app.decisions.extensions import DeadlineExtension
from app.decisions.instructions import Instruction
from app.decisions.models import Decision, Escalation, Incentive, Nudge
from app.extensions import db
from app.intake.models import Submission
from app.meetings.models import ActionItem, AgendaItem, Meeting, MeetingSeries
from tests import factories

PAGES = [
    "/escalations",
    "/escalations?mine=1",
    "/decisions",
    "/decisions?status=pending&page=2",
    "/supervision",
    "/supervision?board=exec",
    "/supervision?board=exec&page=2",
    "/scorecards",
    "/scorecards?by=unit&sort=-owned",
    "/incentives",
    "/intake",
    "/intake?state=all",
    "/intake/mine",
    "/issues/{issue_id}",
    "/my",
    "/people/{member}/record",
]


def _grow(app, world, n: int) -> None:
    with app.app_context(), unscoped():
        task_force = db.session.get(factories.TaskForce, world.task_force_id)
        category = db.session.get(factories.Category, world.category_id)
        leader = world.users["leader"]
        series = MeetingSeries(
            task_force_id=task_force.id,
            name=f"推进会{n}",
            starts_on=date(2024, 1, 1),
            chair_id=leader,
        )
        db.session.add(series)
        db.session.flush()
        for i in range(n):
            unit = factories.make_org_unit(f"网点{i}-{n}", kind="sub_branch")
            user = factories.make_user(f"grow{i}x{n}", org_unit_id=unit.id)
            factories.make_membership(user, task_force, "member")
            issue = factories.make_issue(
                category,
                owner_id=user.id,
                org_unit_id=unit.id,
                deadline=date(2024, 6, 1) + timedelta(days=i - n // 2),
                priority="high" if i % 3 == 0 else "medium",
                acknowledged_at=None if i % 4 == 0 else datetime(2024, 5, 1, tzinfo=UTC),
            )
            escalation = Escalation(
                task_force_id=task_force.id,
                issue_id=issue.id if i % 2 else world.issue_id,
                kind=("communication", "decision", "supervision")[i % 3],
                level="leader" if i % 2 else "exec_leader",
                question=f"问题{i}",
                options=["甲", "乙"],
                due_on=date(2024, 6, 1) + timedelta(days=i - n // 2),
                raised_by_id=user.id,
                raised_at=datetime(2024, 5, 1, tzinfo=UTC) + timedelta(hours=i),
                status="decided" if i % 3 == 0 else "pending",
            )
            db.session.add(escalation)
            db.session.flush()
            # The leader's instructions on the world's item (some on its escalations, some
            # read, some answered) and on the boards' items.
            db.session.add(
                Instruction(
                    task_force_id=task_force.id,
                    issue_id=escalation.issue_id if i % 2 == 0 else issue.id,
                    escalation_id=escalation.id if i % 4 == 0 else None,
                    text=f"批示{i}",
                    written_by_id=leader,
                    written_at=datetime(2024, 5, 2, tzinfo=UTC) + timedelta(hours=i),
                    read_at=datetime(2024, 5, 3, tzinfo=UTC) if i % 3 else None,
                    read_by_id=user.id if i % 3 else None,
                    answer="已落实" if i % 5 == 0 else "",
                    answered_at=datetime(2024, 5, 4, tzinfo=UTC) if i % 5 == 0 else None,
                    answered_by_id=user.id if i % 5 == 0 else None,
                )
            )
            meeting = Meeting(
                task_force_id=task_force.id,
                series_id=series.id,
                number=i + 1,
                title=f"推进会{i}",
                kind="progress",
                scheduled_on=date(2024, 1, 1) + timedelta(days=7 * i),
                starts_at=datetime(2024, 1, 1, 9, 30, tzinfo=UTC) + timedelta(days=7 * i),
                chair_id=leader,
            )
            db.session.add(meeting)
            db.session.flush()
            # The world's item on the meeting's agenda, and an action item about it.
            db.session.add_all(
                [
                    AgendaItem(
                        task_force_id=task_force.id,
                        meeting_id=meeting.id,
                        title=f"议题{i}",
                        subject_type="issue",
                        subject_id=world.issue_id,
                    ),
                    ActionItem(
                        task_force_id=task_force.id,
                        meeting_id=meeting.id,
                        title=f"行动{i}",
                        owner_id=user.id,
                        issue_id=world.issue_id if i % 2 else issue.id,
                    ),
                ]
            )
            if i % 3 == 0:
                db.session.add(
                    Decision(
                        task_force_id=task_force.id,
                        escalation_id=escalation.id,
                        text=f"决定{i}",
                        decided_by_id=leader,
                        decided_at=datetime(2024, 5, 3, tzinfo=UTC) + timedelta(hours=i),
                        meeting_id=meeting.id,
                    )
                )
            db.session.add_all(
                [
                    Nudge(
                        task_force_id=task_force.id,
                        issue_id=world.issue_id if i % 2 else issue.id,
                        recipient_id=user.id,
                        sent_by_id=leader,
                        sent_at=datetime(2024, 5, 20, tzinfo=UTC),
                    ),
                    Incentive(
                        task_force_id=task_force.id,
                        polarity="positive" if i % 2 else "negative",
                        kind="commendation" if i % 2 else "criticism",
                        user_id=world.users["member"] if i % 2 else user.id,
                        org_unit_id=unit.id,
                        reason=f"理由{i}",
                        issue_id=issue.id,
                        awarded_on=date(2024, 5, 20),
                        recorded_by_id=leader,
                    ),
                    # Extension requests: approved ones on the world's item (its panel),
                    # pending ones on the new items ("my items", the scorecards).
                    DeadlineExtension(
                        task_force_id=task_force.id,
                        issue_id=world.issue_id if i % 2 else issue.id,
                        current_deadline=date(2024, 6, 1),
                        requested_deadline=date(2024, 7, 1) + timedelta(days=i),
                        reason=f"延期{i}",
                        status="approved" if i % 2 else "pending",
                        requested_by_id=world.users["member"] if i % 2 else user.id,
                        requested_at=datetime(2024, 5, 10, tzinfo=UTC) + timedelta(hours=i),
                        decided_by_id=leader if i % 2 else None,
                        decided_at=datetime(2024, 5, 11, tzinfo=UTC) if i % 2 else None,
                    ),
                    Submission(
                        task_force_id=task_force.id,
                        submitter_id=world.users["member"] if i % 2 else world.users["frontline"],
                        title=f"建议{i}",
                        org_unit_id=unit.id,
                        category_id=category.id,
                        state="merged" if i % 2 else "submitted",
                        issue_id=issue.id if i % 2 else None,
                        show_name=bool(i % 2),
                    ),
                ]
            )
        db.session.commit()


def _counts(app, world) -> dict[str, int]:
    counts = {}
    for persona in ("leader", "member"):
        client = app.test_client()
        client.post("/login", data={"login": persona, "password": factories.PASSWORD})
        for page in PAGES:
            url = page.format(issue_id=world.issue_id, member=world.users["member"])
            response = client.get(url)
            if response.status_code == 403:
                continue
            assert response.status_code == 200, (persona, url)
            counts[f"{persona} {url}"] = int(response.headers["X-Query-Count"])
    return counts


def test_query_counts_do_not_grow_with_the_rows(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 5)  # the register and boards page too
    # A few rows of every kind first (a decision taken in a meeting reads its meetings).
    _grow(app, world, 2)
    # Each page read once, then a change: both measurements below are first views after
    # a change that move what is kept as items change (the scorecards' counts).
    _counts(app, world)
    _grow(app, world, 1)
    before = _counts(app, world)
    _grow(app, world, 12)
    after = _counts(app, world)
    assert after == before
    assert {k: v for k, v in after.items() if "/issues/" in k} == {
        # 12: the instructions' banner and the deadline extensions' panel read the item's
        # instructions and requests in one query each; its links (关联) with their other
        # items are one query (the items to link to are fetched when the picker is used);
        # the reader comes with their task forces in one query; the people of its pickers
        # are kept under the task force's setup (read by a page before).
        f"{p} /issues/{world.issue_id}": 12
        for p in ("leader", "member")
    }
    # Every page, the item's with its panels (escalations, pilots, meetings) included.
    assert {k: v for k, v in after.items() if v > 15} == {}


@pytest.mark.parametrize("persona", ["frontline"])
def test_my_submissions_is_one_query_more_or_less_whatever_the_rows(app, world, persona):
    client = app.test_client()
    client.post("/login", data={"login": persona, "password": factories.PASSWORD})
    before = int(client.get("/intake/mine").headers["X-Query-Count"])
    _grow(app, world, 6)
    assert int(client.get("/intake/mine").headers["X-Query-Count"]) == before
