"""The intake queue (调研意见): front-line submissions, triage, and what the submitter sees."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.core.errors import InvalidTransition, ValidationFailed
from app.core.models import AuditEvent, Notification
from app.core.scope import task_force_scope
from app.extensions import db
from app.intake import service
from app.intake.models import Submission
from app.issues.models import Issue
from app.people.models import User


def test_a_frontline_user_submits_to_a_task_force_and_sees_it(app, world, login, look):
    frontline = login("frontline")
    form = frontline.get("/intake/new").get_data(as_text=True)
    assert "非存AUM攻坚克难小组" in form and "普惠金融攻坚小组" in form
    response = frontline.post(
        "/intake/new",
        data={
            "task_force_id": world.task_force_id,
            "title": "客户经理营销工具不好用",
            "description": "手机端无法查看客户持仓。",
            "category_id": world.category_id,
            "org_unit_id": world.org_unit_id,
            "show_name": "",
        },
    )
    assert response.status_code == 302
    mine = frontline.get("/intake/mine").get_data(as_text=True)
    assert "客户经理营销工具不好用" in mine and "理财产品起购金额偏高" in mine
    with look():
        submission = db.session.scalar(
            select(Submission).where(Submission.title == "客户经理营销工具不好用")
        )
        assert submission.task_force_id == world.task_force_id and not submission.show_name


def test_a_frontline_user_sees_nothing_else_of_the_task_force(app, world, login):
    frontline = login("frontline")
    for url in (
        "/issues",
        f"/issues/{world.issue_id}",
        "/escalations",
        "/decisions",
        "/intake",
        f"/intake/{world.ids['submission']}",
        "/supervision",
        "/scorecards",
        "/roster",
    ):
        assert frontline.get(url).status_code in (403, 404), url


def test_my_submissions_shows_only_my_own(app, world, login, look, commit):
    with look(), task_force_scope(world.task_force_id):
        member = db.session.get(User, world.users["member"])
        service.submit(
            member,
            service.SubmissionInput(task_force_id=world.task_force_id, title="成员自己的建议"),
        )
        commit()
    page = login("frontline").get("/intake/mine").get_data(as_text=True)
    assert "成员自己的建议" not in page and "理财产品起购金额偏高" in page
    page = login("member").get("/intake/mine").get_data(as_text=True)
    assert "成员自己的建议" in page and "理财产品起购金额偏高" not in page


def test_a_member_submits_only_to_their_own_task_force(ctx, world):
    member = db.session.get(User, world.users["member"])
    assert [tf.id for tf in service.open_task_forces(member)] == [world.task_force_id]
    with pytest.raises(ValidationFailed) as error:
        service.submit(
            member,
            service.SubmissionInput(task_force_id=world.other_task_force_id, title="别处"),
        )
    assert error.value.field == "task_force_id"


def test_a_dimension_must_belong_to_the_chosen_task_force(ctx, world):
    frontline = db.session.get(User, world.users["frontline"])
    with pytest.raises(ValidationFailed) as error:
        service.submit(
            frontline,
            service.SubmissionInput(
                task_force_id=world.other_task_force_id,
                title="x",
                category_id=world.category_id,  # of the first task force
            ),
        )
    assert error.value.field == "category_id"


def test_accepting_opens_a_prefilled_item_linked_back(app, world, login, look):
    leader = login("exec_leader")
    submission_id = world.ids["submission"]
    page = leader.get(f"/intake/{submission_id}").get_data(as_text=True)
    assert "理财产品起购金额偏高，客户难以尝试" in page and "建议推出 1 万元起购的入门产品" in page
    response = leader.post(
        f"/intake/{submission_id}/accept",
        data={
            "title": "理财产品起购金额偏高，客户难以尝试",
            "category_id": world.category_id,
            "description": "建议推出 1 万元起购的入门产品。",
            "owner_id": world.users["member"],
            "priority": "medium",
            "source": "research",
            "version": "1",
        },
    )
    assert response.status_code == 302
    with look():
        submission = db.session.get(Submission, submission_id)
        issue = db.session.get(Issue, submission.issue_id)
        assert submission.state == "accepted" and issue.source == "intake"
        assert issue.owner_id == world.users["member"]
        told = db.session.scalar(
            select(Notification).where(Notification.recipient_id == world.users["frontline"])
        )
        assert issue.code in told.text
        code = issue.code
    mine = login("frontline").get("/intake/mine").get_data(as_text=True)
    assert code in mine
    # The frontline user sees the outcome but cannot open the item.
    assert f'href="/issues/{submission.issue_id}"' not in mine


def _accept(leader, world, title: str):
    return leader.post(
        f"/intake/{world.ids['submission']}/accept",
        data={
            "title": title,
            "category_id": world.category_id,
            "owner_id": world.users["member"],
            "priority": "medium",
            "source": "research",
            "version": "1",
        },
    )


def test_accepting_is_one_unit_of_work_the_item_goes_when_the_link_fails(
    app, world, login, look, monkeypatch
):
    # The item is created first, then the submission is linked to it and its submitter
    # told: when that second step fails, the item created by the first one is not kept.
    def fail(*args, **kwargs):
        raise ValidationFailed("the link could not be written")

    monkeypatch.setattr(service, "_tell_submitter", fail)
    with look():
        before = db.session.scalar(select(func.count(Issue.id)))
    response = _accept(login("exec_leader"), world, "受理失败时不应留下的事项")
    assert response.status_code == 400
    with look():
        assert db.session.scalar(select(func.count(Issue.id))) == before
        assert db.session.scalar(select(Issue).where(Issue.title.like("受理失败%"))) is None
        submission = db.session.get(Submission, world.ids["submission"])
        assert submission.state == "submitted" and submission.issue_id is None
        assert not db.session.scalars(
            select(AuditEvent).where(AuditEvent.summary.like("%受理失败%"))
        ).all()


def test_an_accepted_submission_and_its_item_are_kept_together(app, world, login, look):
    with look():
        before = db.session.scalar(select(func.count(Issue.id)))
    response = _accept(login("exec_leader"), world, "受理成功的事项")
    assert response.status_code == 302
    with look():
        issue = db.session.scalar(select(Issue).where(Issue.title == "受理成功的事项"))
        submission = db.session.get(Submission, world.ids["submission"])
        assert db.session.scalar(select(func.count(Issue.id))) == before + 1
        assert submission.state == "accepted" and submission.issue_id == issue.id


def test_merging_into_an_existing_item(ctx, world):
    with task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        submission = db.session.get(Submission, world.ids["submission"])
        issue = service.merge(leader, submission, world.issue_id)
        assert (submission.state, submission.issue_id) == ("merged", issue.id)
        with pytest.raises(InvalidTransition):
            service.decline(leader, submission, "重复")


def test_merging_needs_an_item_of_the_same_task_force(ctx, world):
    with task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        submission = db.session.get(Submission, world.ids["submission"])
        with pytest.raises(ValidationFailed):
            service.merge(leader, submission, world.other_issue_id)
        assert submission.state == "submitted"


def test_declining_needs_a_reason_and_tells_the_submitter(app, world, login, look):
    leader = login("exec_leader")
    submission_id = world.ids["submission"]
    assert leader.post(f"/intake/{submission_id}/decline", data={"reason": ""}).status_code == 400
    response = leader.post(
        f"/intake/{submission_id}/decline",
        data={"reason": "已有同类产品，请向客户推荐", "version": "1"},
    )
    assert response.status_code == 302
    mine = login("frontline").get("/intake/mine").get_data(as_text=True)
    assert "已有同类产品，请向客户推荐" in mine


def test_a_hidden_name_stays_hidden_from_the_triage_pages(app, world, login, look):
    with look():
        submission = db.session.get(Submission, world.ids["submission"])
        submission.show_name = False
        frontline_name = db.session.get(User, world.users["frontline"]).display_name
        db.session.commit()
    leader = login("exec_leader")
    assert frontline_name not in leader.get("/intake").get_data(as_text=True)
    assert frontline_name not in leader.get(f"/intake/{world.ids['submission']}").get_data(
        as_text=True
    )


def test_figures_per_dimension_and_org_unit(ctx, world):
    with task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        frontline = db.session.get(User, world.users["frontline"])
        second = service.submit(
            frontline,
            service.SubmissionInput(
                task_force_id=world.task_force_id,
                title="网点排队时间长",
                category_id=world.category_id,
                org_unit_id=world.org_unit_id,
            ),
        )
        service.merge(leader, second, world.issue_id)
        figures = service.figures(leader, world.task_force_id)
    assert figures.total == 2 and figures.merged == 1 and figures.became_issues == 0
    assert ("客户端", 1, 1) in figures.by_category
    assert ("长春分行", 2, 1) in figures.by_org_unit


# --- the form follows the task force -----------------------------------------------------------


def _chosen_task_force(form: str) -> str:
    select = form.split('name="task_force_id"', 1)[1].split("</select>", 1)[0]
    return re.search(r'<option value="(\d+)" selected>', select).group(1)


def test_the_form_defaults_to_the_task_force_the_frontline_user_last_submitted_to(
    app, world, login, look
):
    frontline = login("frontline")
    # Their one submission so far went to the wealth task force.
    assert _chosen_task_force(frontline.get("/intake/new").get_data(as_text=True)) == str(
        world.task_force_id
    )
    frontline.post(
        "/intake/new",
        data={"task_force_id": world.other_task_force_id, "title": "对公开户流程长"},
    )
    form = frontline.get("/intake/new").get_data(as_text=True)
    assert _chosen_task_force(form) == str(world.other_task_force_id)


def test_a_member_s_form_defaults_to_the_task_force_they_work_in(world, login):
    form = login("member").get("/intake/new").get_data(as_text=True)
    assert _chosen_task_force(form) == str(world.task_force_id)


def test_the_dimensions_are_grouped_by_task_force_for_the_chosen_one_to_be_offered(
    app, world, login
):
    form = login("frontline").get("/intake/new").get_data(as_text=True)
    select = form.split('data-testid="category-select"', 1)[1].split("</select>", 1)[0]
    assert 'data-follows="task_force_id"' in form
    groups = dict(
        re.findall(r'<optgroup label="[^"]+" data-key="(\d+)">(.*?)</optgroup>', select, re.S)
    )
    assert set(groups) == {str(world.task_force_id), str(world.other_task_force_id)}
    assert "客户拓展" in groups[str(world.other_task_force_id)]
    assert "客户拓展" not in groups[str(world.task_force_id)]


def test_a_dimension_of_another_task_force_is_refused_and_what_was_typed_is_kept(app, world, login):
    response = login("frontline").post(
        "/intake/new",
        data={
            "task_force_id": world.other_task_force_id,
            "title": "对公客户开户慢",
            "description": "开户需要跑三次网点。",
            "category_id": world.category_id,
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "对公客户开户慢" in page and "开户需要跑三次网点。" in page
    assert _chosen_task_force(page) == str(world.other_task_force_id)
