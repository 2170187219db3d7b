"""The leader's instructions (领导批示): written by the leaders, read and answered by their
owner, told through the outbox, red on the boards and reminded daily until answered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.core import clock
from app.core.errors import InvalidTransition, PermissionDenied, StaleEdit, ValidationFailed
from app.core.links import in_task_force
from app.core.models import AuditEvent, Notification
from app.core.scope import task_force_scope
from app.decisions import service
from app.decisions.instructions import Instruction
from app.decisions.models import Escalation
from app.decisions.service import instructions as orders
from app.extensions import db
from app.issues.models import Issue
from app.notify.service import Preferences, save_preferences
from app.people.models import TaskForce, User
from tests import factories
from tests.jobs import run_rule

from .conftest import TODAY, days


def _user(world, persona: str) -> User:
    return db.session.get(User, world.users[persona])


def _issue(world, **fields) -> Issue:
    """A fresh item owned by "member", green (far deadline, recent progress)."""
    category = db.session.get(factories.Category, world.category_id)
    issue = factories.make_issue(
        category,
        fields.pop("title", "个人养老金开户转化率偏低"),
        owner_id=world.users["member"],
        deadline=days(60),
        **fields,
    )
    issue.last_progress_at = datetime(2024, 6, 1, tzinfo=UTC)
    db.session.commit()
    return issue


def _told(kind: str, recipient_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.kind == kind, Notification.recipient_id == recipient_id)
            .order_by(Notification.id)
        )
    )


# --- the service -------------------------------------------------------------------------------


def test_the_leader_writes_and_the_owner_is_told_in_their_language_with_a_link(ctx, world):
    member = _user(world, "member")
    member.locale = "en"
    db.session.commit()
    with task_force_scope(world.task_force_id):
        issue = _issue(world)
        instruction = orders.write_instruction(
            _user(world, "leader"), issue, "  请两周内**拿出方案**，报我。 "
        )
        db.session.commit()
        [message] = _told("instruction", member.id)
    assert instruction.text == "请两周内**拿出方案**，报我。"
    assert instruction.owner_id == member.id and not instruction.answered
    assert "wrote an instruction on" in message.text and issue.code in message.text
    assert message.link == f"/issues/{issue.id}#instruction-{instruction.id}"
    assert message.task_force_id == world.task_force_id
    # Delivered links name the task force, like every other message's.
    linked = in_task_force(message.link, message.task_force_id)
    assert linked == f"/issues/{issue.id}?tf={world.task_force_id}#instruction-{instruction.id}"
    logged = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_type == "instruction", AuditEvent.entity_id == instruction.id
        )
    )
    assert logged.action == "written" and logged.actor_id == world.users["leader"]


@pytest.mark.parametrize("persona", ["member", "temp_member", "viewer", "admin"])
def test_only_the_leaders_write(ctx, world, persona):
    with task_force_scope(world.task_force_id):
        issue = _issue(world)
        with pytest.raises(PermissionDenied):
            orders.write_instruction(_user(world, persona), issue, "请抓紧")


def test_the_executive_leader_writes_too_but_not_empty_nor_on_a_finished_item(ctx, world):
    exec_leader = _user(world, "exec_leader")
    with task_force_scope(world.task_force_id):
        issue = _issue(world)
        assert orders.write_instruction(exec_leader, issue, "请本周更新进度").id
        with pytest.raises(ValidationFailed):
            orders.write_instruction(exec_leader, issue, "   ")
        closed = _issue(world, title="已销号事项", status="closed")
        with pytest.raises(InvalidTransition):
            orders.write_instruction(exec_leader, closed, "请复盘")
        orphan = _issue(world, title="无责任人事项")
        orphan.owner_id = None
        db.session.commit()
        with pytest.raises(InvalidTransition):
            orders.write_instruction(exec_leader, orphan, "请明确责任人")


def test_the_owner_reads_and_answers_and_the_writer_is_told(ctx, world):
    member, leader = _user(world, "member"), _user(world, "leader")
    events = []
    listener = orders.listen(lambda event, instruction, actor: events.append((event, actor.id)))
    try:
        with task_force_scope(world.task_force_id):
            issue = _issue(world)
            instruction = orders.write_instruction(leader, issue, "请两周内拿出方案")
            db.session.commit()
            assert orders.mark_read(member, instruction) is True
            assert orders.mark_read(member, instruction) is False  # once
            assert instruction.read_at == clock.now() and instruction.read_by_id == member.id
            orders.answer_instruction(
                member, instruction, "已成立专班，6月14日前报方案。", instruction.version
            )
            db.session.commit()
            [told] = _told("instruction", leader.id)
    finally:
        orders.LISTENERS.remove(listener)
    assert instruction.answered and instruction.answered_by_id == member.id
    assert "答复" in told.text and "6月14日前报方案" in told.text
    assert told.link == f"/issues/{issue.id}#instruction-{instruction.id}"
    wanted = [("written", leader.id), ("read", member.id), ("answered", member.id)]
    assert events == wanted


def test_answering_checks_who_and_the_version(ctx, world):
    leader = _user(world, "leader")
    with task_force_scope(world.task_force_id):
        issue = _issue(world)
        issue.collaborators = [_user(world, "temp_member")]
        instruction = orders.write_instruction(leader, issue, "请两周内拿出方案")
        db.session.commit()
        for persona in ("temp_member", "viewer"):  # a collaborator is not its owner
            with pytest.raises(PermissionDenied):
                orders.answer_instruction(_user(world, persona), instruction, "已阅")
            with pytest.raises(PermissionDenied):
                orders.mark_read(_user(world, persona), instruction)
        version = instruction.version
        orders.answer_instruction(_user(world, "member"), instruction, "第一次答复", version)
        db.session.commit()
        with pytest.raises(StaleEdit):
            orders.answer_instruction(_user(world, "member"), instruction, "旧页面的答复", version)
        with pytest.raises(ValidationFailed):
            orders.answer_instruction(_user(world, "member"), instruction, " ")
        # The leaders may answer too (on the owner's behalf).
        orders.answer_instruction(_user(world, "exec_leader"), instruction, "执行组长代为答复")
        db.session.commit()
    assert instruction.answer == "执行组长代为答复"


def test_an_instruction_on_an_escalation_is_its_raisers(ctx, world):
    temp = _user(world, "temp_member")
    with task_force_scope(world.task_force_id):
        escalation = db.session.get(Escalation, world.ids["escalation"])
        escalation.raised_by_id = temp.id
        db.session.commit()
        instruction = orders.write_instruction(
            _user(world, "leader"), escalation.issue, "同意先试点，月底前报效果。", escalation
        )
        db.session.commit()
        [message] = _told("instruction", temp.id)
        assert instruction.owner_id == temp.id
        assert message.link == f"/escalations/{escalation.id}#instruction-{instruction.id}"
        # The item's owner is not the instruction's: they hear of it once, as a follower.
        [heard] = _told("instruction", world.users["member"])
        assert heard.link == message.link and instruction.owner_id != world.users["member"]
        orders.answer_instruction(temp, instruction, "已安排长春分行试点")
        other = _issue(world, title="另一事项")
        with pytest.raises(ValidationFailed):
            orders.write_instruction(_user(world, "leader"), other, "错配", escalation)


# --- pages, per role ---------------------------------------------------------------------------


def _fresh(app, world) -> tuple[int, int]:
    """A fresh item of "member" with the leader's unanswered instruction on it."""
    with app.app_context(), task_force_scope(world.task_force_id):
        issue = _issue(world)
        instruction = orders.write_instruction(_user(world, "leader"), issue, "请本周内**报方案**")
        db.session.commit()
        return issue.id, instruction.id


@pytest.mark.parametrize(
    ("persona", "code"),
    [
        ("leader", 302),
        ("exec_leader", 302),
        ("member", 403),
        ("temp_member", 403),
        ("viewer", 403),
        ("frontline", 403),
    ],
)
def test_writing_over_http_per_role(app, world, login, look, persona, code):
    issue_id, _instruction_id = _fresh(app, world)
    response = login(persona).post(f"/issues/{issue_id}/instructions", data={"text": "请加快"})
    assert response.status_code == code
    with look():
        count = len(
            db.session.scalars(select(Instruction).where(Instruction.issue_id == issue_id)).all()
        )
    assert count == (2 if code == 302 else 1)
    if code == 302:
        assert "#instruction-" in response.headers["Location"]


def test_the_item_page_shows_it_on_top_to_whoever_sees_the_item(app, world, login):
    issue_id, instruction_id = _fresh(app, world)
    for persona in ("leader", "exec_leader", "member", "viewer", "temp_member"):
        page = login(persona).get(f"/issues/{issue_id}").get_data(as_text=True)
        assert f'id="instruction-{instruction_id}"' in page, persona
        assert "<strong>报方案</strong>" in page  # Markdown, sanitised
        # Above the description: at the top of the item.
        assert page.index('data-testid="instructions"') < page.index("markdown-body mb-3")
        answerable = 'data-testid="instruction-read"' in page
        # Its owner, or the other leader on the owner's behalf; not its writer.
        assert answerable == (persona in ("exec_leader", "member")), persona
        writable = 'data-testid="instruction-new"' in page
        assert writable == (persona in ("leader", "exec_leader")), persona
    assert login("frontline").get(f"/issues/{issue_id}").status_code == 403


def test_the_owner_reads_and_answers_over_http(app, world, login, look):
    issue_id, instruction_id = _fresh(app, world)
    # A collaborator or a viewer may not.
    assert login("viewer").post(f"/instructions/{instruction_id}/read").status_code == 403
    refused = login("temp_member").post(
        f"/instructions/{instruction_id}/answer", data={"answer": "x"}
    )
    assert refused.status_code == 302
    member = login("member")
    assert member.post(f"/instructions/{instruction_id}/read").status_code == 302
    with look():
        instruction = db.session.get(Instruction, instruction_id)
        assert instruction.read_at is not None and instruction.answered_at is None
        version = instruction.version
    response = member.post(
        f"/instructions/{instruction_id}/answer",
        data={"answer": "已制定方案，6月10日上会。", "version": version},
    )
    assert response.headers["Location"].endswith(f"/issues/{issue_id}#instruction-{instruction_id}")
    with look():
        instruction = db.session.get(Instruction, instruction_id)
        assert instruction.answer == "已制定方案，6月10日上会。"
    page = login("leader").get(f"/issues/{issue_id}").get_data(as_text=True)
    assert 'data-testid="instruction-answer"' in page and "6月10日上会" in page
    assert "已答复" in page


def test_the_escalation_page_shows_and_takes_its_instructions(app, world, login, look):
    escalation_id = world.ids["escalation"]
    leader = login("leader")
    page = leader.get(f"/escalations/{escalation_id}").get_data(as_text=True)
    assert 'data-testid="instruction-new"' in page
    response = leader.post(
        f"/escalations/{escalation_id}/instructions", data={"text": "同意先试点"}
    )
    assert response.status_code == 302
    assert f"/escalations/{escalation_id}#instruction-" in response.headers["Location"]
    page = login("member").get(f"/escalations/{escalation_id}").get_data(as_text=True)
    assert "同意先试点" in page and 'data-testid="instruction-read"' in page
    assert (
        login("member")
        .post(f"/escalations/{escalation_id}/instructions", data={"text": "x"})
        .status_code
        == 403
    )


# --- the boards ---------------------------------------------------------------------------------


def _rows(board, world) -> dict[int, tuple[str, int]]:
    leader = _user(world, "leader")
    page = board(leader, world.task_force_id)
    return {row.issue.id: (row.light, row.waiting) for row in page.rows}


def test_an_unanswered_instruction_is_red_on_the_boards_until_answered(ctx, world):
    leader, member = _user(world, "leader"), _user(world, "member")
    with task_force_scope(world.task_force_id):
        major = _issue(world, title="重大事项", major=True)
        daily = _issue(world, title="日常事项")
        assert _rows(service.leader_board, world)[major.id] == ("green", 0)
        assert daily.id not in _rows(service.exec_board, world)
        on_major = orders.write_instruction(leader, major, "请周五前报进展")
        on_daily = orders.write_instruction(leader, daily, "请明确时间表")
        db.session.commit()
        assert _rows(service.leader_board, world)[major.id] == ("red", 1)
        assert _rows(service.exec_board, world)[daily.id] == ("red", 1)
        # Read is not enough: only an answer turns it back.
        orders.mark_read(member, on_major)
        db.session.commit()
        assert _rows(service.leader_board, world)[major.id] == ("red", 1)
        orders.answer_instruction(member, on_major, "已报进展")
        orders.answer_instruction(member, on_daily, "时间表已报")
        db.session.commit()
        assert _rows(service.leader_board, world)[major.id] == ("green", 0)
        assert daily.id not in _rows(service.exec_board, world)


def test_the_board_page_marks_the_waiting_instruction(app, world, login):
    with app.app_context(), task_force_scope(world.task_force_id):
        issue = _issue(world, title="重大事项", major=True)
        orders.write_instruction(_user(world, "leader"), issue, "请周五前报进展")
        db.session.commit()
    page = login("leader").get("/supervision").get_data(as_text=True)
    assert 'data-testid="instruction-waiting"' in page and "批示未答复" in page


# --- the daily reminder -------------------------------------------------------------------------


def test_the_owner_is_reminded_daily_until_answered_even_if_muted(ctx, world):
    member, leader = _user(world, "member"), _user(world, "leader")
    save_preferences(member, Preferences(muted_rules=["instruction_unanswered"]))
    with task_force_scope(world.task_force_id):
        issue = _issue(world)
        instruction = orders.write_instruction(leader, issue, "请两周内拿出方案")
        closed = _issue(world, title="已销号事项")
        orders.write_instruction(leader, closed, "请复盘")
        closed.status = "closed"
        db.session.commit()
    first = run_rule("instruction_unanswered")
    again = run_rule("instruction_unanswered")
    assert (first.written, again.written) == (1, 0)  # once a day
    [message] = _told("instruction_unanswered", member.id)
    assert issue.code in message.text and "请两周内拿出方案" in message.text
    assert message.link == f"/issues/{issue.id}#instruction-{instruction.id}"
    clock.set_today(days(1))
    try:
        assert run_rule("instruction_unanswered").written == 1  # the next day, again
        with task_force_scope(world.task_force_id):
            orders.answer_instruction(member, db.session.get(Instruction, instruction.id), "已落实")
            db.session.commit()
        clock.set_today(days(2))
        assert run_rule("instruction_unanswered").matched == 0  # answered: no more
    finally:
        clock.set_today(TODAY)
    assert len(_told("instruction_unanswered", member.id)) == 2
    assert _told("instruction_unanswered", leader.id) == []


def test_the_reminder_goes_to_the_owner_on_the_task_force_in_their_language(ctx, world):
    english = factories.make_user("eve", locale="en")
    factories.make_membership(english, db.session.get(TaskForce, world.task_force_id), "member")
    with task_force_scope(world.task_force_id):
        issue = _issue(world)
        issue.owner_id = english.id
        db.session.commit()
        orders.write_instruction(_user(world, "exec_leader"), issue, "Report by Friday")
        db.session.commit()
    run_rule("instruction_unanswered")
    [message] = _told("instruction_unanswered", english.id)
    assert "awaits your answer" in message.text


def test_the_rule_is_listed_as_daily_and_mandatory(app):
    output = app.test_cli_runner().invoke(args=["reminders", "list"]).output
    line = next(ln for ln in output.splitlines() if ln.startswith("instruction_unanswered"))
    assert "daily" in line and "mandatory" in line


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_has_one_answered_instruction_and_one_waiting_on_a_red_item(app):
    from app import demo
    from app.core.scope import unscoped
    from app.issues.lights import LightRules, light_of

    clock.set_now(None)
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context(), unscoped():
        aum = db.session.scalar(select(TaskForce).where(TaskForce.key == demo.AUM_KEY))
        with task_force_scope(aum.id):
            rows = db.session.scalars(select(Instruction).order_by(Instruction.id)).all()
            assert [bool(r.answered_at) for r in rows] == [True, False]
            answered, waiting = rows
            assert answered.answered_by_id == answered.issue.owner_id
            assert answered.read_at <= answered.answered_at
            assert light_of(waiting.issue, LightRules.current()) == "red"
            board = service.leader_board(waiting.written_by, aum.id).rows
            board += service.exec_board(waiting.written_by, aum.id).rows
            assert any(r.issue.id == waiting.issue_id and r.waiting == 1 for r in board)


def test_the_items_followers_hear_of_an_instruction_once_and_its_owner_only_once(ctx, world):
    from app.discussion.following import set_following

    viewer = _user(world, "viewer")
    with task_force_scope(world.task_force_id):
        issue = _issue(world)
        set_following(viewer, issue, True)
        instruction = orders.write_instruction(_user(world, "leader"), issue, "请抓紧出方案")
        db.session.commit()
        # The owner follows the item and was told directly: one message, not two.
        assert len(_told("instruction", world.users["member"])) == 1
        [heard] = _told("instruction", viewer.id)
        assert "请抓紧出方案" in heard.text
        assert heard.link == f"/issues/{issue.id}#instruction-{instruction.id}"
        orders.answer_instruction(_user(world, "member"), instruction, "本周五前报方案")
        db.session.commit()
        assert len(_told("instruction", world.users["leader"])) == 1
        assert [m.text for m in _told("instruction", viewer.id)][-1].endswith("本周五前报方案")
        assert len(_told("instruction", viewer.id)) == 2
        # The actor never hears of their own act.
        assert len(_told("instruction", world.users["member"])) == 1
