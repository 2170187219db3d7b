"""Creating and editing items and categories over HTTP, as the forms do.

Two people editing one item, Markdown that must not carry a script, the history an item
keeps, codes per dimension, and the category tree: rename, move, reorder, archive.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from app.core.errors import ValidationFailed
from app.core.models import AuditEvent
from app.core.scope import task_force_scope
from app.extensions import db
from app.issues import service
from app.issues.models import CLOSED, IN_PROGRESS, Category, Issue
from app.people.models import User
from tests.factories import make_category, make_issue
from tests.issues.pages import list_codes, section

_VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')


def form_version(html: str) -> int:
    match = _VERSION.search(html)
    assert match, "the form carries no version"
    return int(match.group(1))


def issue_form(issue: Issue, **changes) -> dict:
    """What the edit form posts for ``issue``, with ``changes`` typed in."""
    data = {
        "title": issue.title,
        "category_id": issue.category_id,
        "description": issue.description,
        "solution": issue.solution,
        "owner_id": issue.owner_id or "",
        "collaborator_ids": [u.id for u in issue.collaborators],
        "org_unit_id": issue.org_unit_id or "",
        "deadline": issue.deadline.isoformat() if issue.deadline else "",
        "priority": issue.priority,
        "source": issue.source,
        "version": issue.version,
    }
    if issue.major:
        data["major"] = "y"
    data.update(changes)
    return data


@pytest.fixture
def saved(app):
    """Read one item as it is stored now."""

    def read(issue_id: int) -> Issue:
        issue = db.session.get(Issue, issue_id)
        db.session.refresh(issue)
        return issue

    return read


def new_item(world, **fields) -> dict:
    return {
        "title": "现金管理类产品归集",
        "category_id": world.category_id,
        "owner_id": world.users["member"],
        "deadline": "2024-07-15",
        "priority": "high",
        "source": "meeting",
        **fields,
    }


# --- items -----------------------------------------------------------------------------------


def test_a_leader_creates_an_item_assigned_to_a_member(world, login, look):
    response = login("leader").post("/issues/new", data=new_item(world, description="**急**"))

    assert response.status_code == 302
    issue_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with look():
        issue = db.session.get(Issue, issue_id)
        assert issue.code == "KH-001"
        assert (issue.title, issue.priority, issue.source) == (
            "现金管理类产品归集",
            "high",
            "meeting",
        )
        assert issue.deadline.isoformat() == "2024-07-15"
        assert issue.owner_id == world.users["member"]
        assert issue.acknowledged_at is None
        assert issue.created_by_id == world.users["leader"]


def test_a_member_creates_an_item_for_themselves(world, login, look):
    response = login("member").post("/issues/new", data=new_item(world))

    assert response.status_code == 302
    with look():
        issue = db.session.scalar(select(Issue).where(Issue.code == "KH-001"))
        assert issue.owner_id == world.users["member"]
        assert issue.acknowledged_at is not None


def test_a_member_cannot_create_an_item_for_someone_else(world, login, look):
    data = new_item(world, owner_id=world.users["temp_member"])

    response = login("member").post("/issues/new", data=data)

    assert response.status_code == 400
    with look():
        assert db.session.scalar(select(Issue).where(Issue.code == "KH-001")) is None


def test_an_item_needs_a_title_and_a_category(world, login, look):
    response = login("leader").post("/issues/new", data=new_item(world, title="", category_id=""))

    assert response.status_code == 400
    with look():
        assert db.session.scalar(select(Issue).where(Issue.code == "KH-001")) is None


def test_codes_are_numbered_per_top_level_dimension(world, login, look):
    with look():
        top = db.session.get(Category, world.category_id)
        sub = make_category(world.task_force_id, "引客", parent=top)
        grand = make_category(world.task_force_id, "新客首投", parent=sub)
        channel = make_category(world.task_force_id, "渠道端", prefix="QD")
        unprefixed = make_category(world.task_force_id, "其他")
        categories = [top.id, top.id, sub.id, channel.id, grand.id, unprefixed.id]
    client = login("leader")

    for category_id in categories:
        response = client.post("/issues/new", data=new_item(world, category_id=category_id))
        assert response.status_code == 302

    with look():
        codes = db.session.scalars(
            select(Issue.code)
            .where(Issue.created_by_id == world.users["leader"])
            .order_by(Issue.id)
        ).all()
    assert codes == ["KH-001", "KH-002", "KH-003", "QD-001", "KH-004", "GJ-001"]


def test_an_edit_is_saved(world, login, look, saved):
    client = login("member")
    with look():
        data = issue_form(saved(world.issue_id), title="归集与支付（二期）")
    page = client.get(f"/issues/{world.issue_id}/edit").get_data(as_text=True)
    assert form_version(page) == data["version"]

    response = client.post(f"/issues/{world.issue_id}/edit", data=data)

    assert response.status_code == 302
    with look():
        issue = saved(world.issue_id)
        assert issue.title == "归集与支付（二期）"
        assert issue.version == data["version"] + 1


def test_a_member_cannot_reassign_or_mark_major(world, login, look, saved):
    client = login("member")
    with look():
        issue = saved(world.issue_id)
        reassign = issue_form(issue, owner_id=world.users["temp_member"])
        major = issue_form(issue, major="y")

    assert client.post(f"/issues/{world.issue_id}/edit", data=reassign).status_code == 400
    assert client.post(f"/issues/{world.issue_id}/edit", data=major).status_code == 400
    with look():
        issue = saved(world.issue_id)
        assert (issue.owner_id, issue.major) == (world.users["member"], False)


def test_a_stale_edit_is_refused_showing_what_changed_and_keeping_what_was_typed(
    world, login, look, saved
):
    owner, leader = login("member"), login("leader")
    with look():
        opened = issue_form(saved(world.issue_id))
    # The leader saves first, from a form opened at the same version.
    theirs = dict(opened, title="组长改过的标题", priority="urgent")
    assert leader.post(f"/issues/{world.issue_id}/edit", data=theirs).status_code == 302

    mine = dict(opened, title="责任人写的标题", solution="分三步上线归集功能")
    response = owner.post(f"/issues/{world.issue_id}/edit", data=mine)

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    conflict = unescape(section(html, "stale-edit", "</div>"))
    assert "组长改过的标题" in conflict  # what the other person saved
    assert "责任人写的标题" in conflict  # beside what this person typed
    form = unescape(section(html, "issue-form", "</form>"))
    assert 'value="责任人写的标题"' in form
    assert "分三步上线归集功能" in form
    assert form_version(html) == opened["version"] + 1
    with look():
        issue = saved(world.issue_id)
        assert (issue.title, issue.priority) == ("组长改过的标题", "urgent")
        assert issue.solution == "上线归集与支付功能"
        assert issue.version == opened["version"] + 1

    # Having seen the conflict, the owner saves again, deliberately.
    again = dict(mine, version=form_version(html))
    assert owner.post(f"/issues/{world.issue_id}/edit", data=again).status_code == 302
    with look():
        issue = saved(world.issue_id)
        assert (issue.title, issue.solution) == ("责任人写的标题", "分三步上线归集功能")


def test_markdown_in_the_description_is_rendered_and_sanitised(world, login, look, saved):
    client = login("member")
    text = (
        "**关键举措**\n\n"
        "<script>alert('x')</script>\n\n"
        '[点我](javascript:alert(1)) <a href="javascript:alert(2)">链接</a>\n\n'
        "<img src=x onerror=alert(3)>"
    )
    with look():
        data = issue_form(saved(world.issue_id), description=text)
    assert client.post(f"/issues/{world.issue_id}/edit", data=data).status_code == 302

    html = client.get(f"/issues/{world.issue_id}").get_data(as_text=True)

    assert "<strong>关键举措</strong>" in html
    # What survives is text, escaped: no script, no javascript: link, no image to fire.
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert not re.search(r"<a [^>]*href=.javascript", html)
    assert "<img" not in html


def test_every_change_lands_in_the_audit_log_and_the_history_tab(world, login, look, saved):
    owner = login("member")
    with look():
        data = issue_form(saved(world.issue_id), title="归集与支付（修订）", priority="urgent")
    owner.post(f"/issues/{world.issue_id}/edit", data=data)
    owner.post(f"/issues/{world.issue_id}/progress", data={"note": "完成联调", "percent": 60})
    owner.post(f"/issues/{world.issue_id}/subtasks", data={"title": "分行培训"})
    owner.post(
        f"/issues/{world.issue_id}/milestones", data={"title": "全辖推广", "due_on": "2024-07-20"}
    )
    owner.post(f"/issues/{world.issue_id}/status", data={"status": "verifying"})

    with look():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "issue", AuditEvent.entity_id == world.issue_id)
            .order_by(AuditEvent.id)
        ).all()
        assert [e.action for e in events] == [
            "updated",
            "progress",
            "subtask_added",
            "milestone_added",
            "status_changed",
        ]
        assert all(e.actor_id == world.users["member"] for e in events)
        assert events[0].changes["title"] == ["现金管理类产品归集与支付", "归集与支付（修订）"]
        assert events[0].changes["priority"][1] == "urgent"
        assert events[1].changes["percent"] == [0, 60]
        assert events[4].changes["status"] == [IN_PROGRESS, "verifying"]

    history = section(
        owner.get(f"/issues/{world.issue_id}").get_data(as_text=True), "issue-history", "</ul>"
    )
    # The history reads labels, not keys (core/history.py).
    for label in ("修改问题", "报告进展", "新增子任务", "新增里程碑", "状态变更"):
        assert label in history
    assert "status_changed" not in history and "<code>" not in history
    assert "归集与支付（修订）" in history
    assert "紧急" in history


def test_only_the_leaders_move_a_deadline_the_owner_asks_for_an_extension(
    world, login, look, saved
):
    owner = login("member")
    with look():
        data = issue_form(saved(world.issue_id), title="归集与支付（修订）", deadline="2024-08-31")
        before = saved(world.issue_id).deadline
    page = owner.get(f"/issues/{world.issue_id}/edit").get_data(as_text=True)
    assert "责任人请在事项页面提交延期申请" in page
    response = owner.post(f"/issues/{world.issue_id}/edit", data=data)
    html = response.get_data(as_text=True)
    # Refused on the form with what was typed kept; nothing saved.
    assert response.status_code == 400
    assert "只有组长可以调整完成时限" in html and "归集与支付（修订）" in html
    with look():
        assert saved(world.issue_id).deadline == before
        assert saved(world.issue_id).title != "归集与支付（修订）"
    leader = login("leader")
    assert "延期申请" not in leader.get(f"/issues/{world.issue_id}/edit").get_data(as_text=True)
    with look():
        data = issue_form(saved(world.issue_id), deadline="2024-08-31")
    assert leader.post(f"/issues/{world.issue_id}/edit", data=data).status_code == 302
    with look():
        assert saved(world.issue_id).deadline.isoformat() == "2024-08-31"


# --- categories ------------------------------------------------------------------------------


@pytest.fixture
def tree(app, world):
    """客户端 › 引客 › 新客首投 and 渠道端, with one open item in 新客首投."""
    with app.app_context(), task_force_scope(world.task_force_id):
        top = db.session.get(Category, world.category_id)
        mid = make_category(world.task_force_id, "引客", parent=top)
        leaf = make_category(world.task_force_id, "新客首投", parent=mid)
        channel = make_category(world.task_force_id, "渠道端", prefix="QD")
        item = make_issue(leaf, "新客首投达标率", status=IN_PROGRESS)
        return {
            "top": top.id,
            "mid": mid.id,
            "leaf": leaf.id,
            "channel": channel.id,
            "item": item.code,
        }


def category_form(category: Category, **changes) -> dict:
    data = {
        "name": category.name,
        "parent_id": category.parent_id or "",
        "code_prefix": category.code_prefix or "",
        "action_priority": category.action_priority,
        "description": category.description or "",
        "version": category.version,
    }
    data.update(changes)
    return data


def test_a_leader_creates_a_dimension_and_a_sub_dimension(world, login, look):
    client = login("exec_leader")

    client.post(
        "/categories/new", data={"name": "产品端", "code_prefix": "cp", "action_priority": 1}
    )
    with look():
        product = db.session.scalar(select(Category).where(Category.name == "产品端"))
        product_id = product.id
        assert (product.code_prefix, product.depth, product.path) == ("CP", 0, f"/{product.id}/")
        assert product.action_priority == 1
    client.post(
        "/categories/new", data={"name": "理财", "parent_id": product_id, "action_priority": 2}
    )

    with look():
        child = db.session.scalar(select(Category).where(Category.name == "理财"))
        assert (child.parent_id, child.depth, child.path) == (
            product_id,
            1,
            f"/{product_id}/{child.id}/",
        )
        assert child.code_prefix is None


def test_only_a_top_level_dimension_has_a_code_prefix(world, login, look):
    data = {
        "name": "理财",
        "parent_id": world.category_id,
        "code_prefix": "LC",
        "action_priority": 2,
    }

    login("leader").post("/categories/new", data=data)

    with look():
        assert db.session.scalar(select(Category).where(Category.name == "理财")) is None


def test_a_category_is_renamed(world, login, look):
    client = login("leader")
    with look():
        data = category_form(db.session.get(Category, world.category_id), name="客户端（获客）")

    assert client.post(f"/categories/{world.category_id}", data=data).status_code == 302

    with look():
        category = db.session.get(Category, world.category_id)
        assert (category.name, category.code_prefix) == ("客户端（获客）", "KH")


def test_moving_a_category_moves_its_subtree_and_the_filter_follows(tree, login, look):
    client = login("leader")
    with look():
        data = category_form(db.session.get(Category, tree["mid"]), parent_id=tree["channel"])

    assert client.post(f"/categories/{tree['mid']}", data=data).status_code == 302

    with look():
        mid, leaf = db.session.get(Category, tree["mid"]), db.session.get(Category, tree["leaf"])
        assert (mid.path, mid.depth) == (f"/{tree['channel']}/{tree['mid']}/", 1)
        assert (leaf.path, leaf.depth) == (f"/{tree['channel']}/{tree['mid']}/{tree['leaf']}/", 2)
    under_channel = list_codes(
        client.get(f"/issues?category={tree['channel']}").get_data(as_text=True)
    )
    under_top = list_codes(client.get(f"/issues?category={tree['top']}").get_data(as_text=True))
    assert tree["item"] in under_channel
    assert tree["item"] not in under_top


def test_an_item_filed_under_a_moved_sub_category_takes_its_new_dimension_prefix(
    tree, world, login, look
):
    client = login("leader")
    with look():
        data = category_form(db.session.get(Category, tree["mid"]), parent_id=tree["channel"])
    client.post(f"/categories/{tree['mid']}", data=data)

    client.post("/issues/new", data=new_item(world, category_id=tree["leaf"]))

    with look():
        codes = db.session.scalars(select(Issue.code).where(Issue.category_id == tree["leaf"]))
        assert sorted(codes) == ["QD-001", tree["item"]]


def test_a_category_cannot_move_under_its_own_descendant(tree, world, login, look):
    client = login("leader")
    with look():
        top = db.session.get(Category, tree["top"])
        data = category_form(top, parent_id=tree["leaf"])
        before = (top.parent_id, top.path, top.version)

    response = client.post(f"/categories/{tree['top']}", data=data)

    assert response.status_code != 302  # the form does not even offer the descendants
    with look():
        top = db.session.get(Category, tree["top"])
        assert (top.parent_id, top.path, top.version) == before
        # The service refuses it too, whatever a form offers.
        leader = db.session.get(User, world.users["leader"])
        with task_force_scope(world.task_force_id), pytest.raises(ValidationFailed) as caught:
            service.update_category(
                leader, top, service.CategoryInput(name=top.name, parent_id=tree["leaf"]), None
            )
        assert caught.value.field == "parent_id"


def _order(look, world) -> list[str]:
    with look(), task_force_scope(world.task_force_id):
        return [
            row.category.name
            for row in service.category_tree(world.task_force_id)
            if row.depth == 0
        ]


def test_categories_are_reordered_up_and_down(tree, world, login, look):
    with look():
        make_category(world.task_force_id, "产品端", prefix="CP")
    client = login("leader")
    assert _order(look, world) == ["客户端", "渠道端", "产品端"]

    client.post(f"/categories/{tree['channel']}/move", data={"direction": "up"})
    assert _order(look, world) == ["渠道端", "客户端", "产品端"]

    client.post(f"/categories/{tree['top']}/move", data={"direction": "down"})
    assert _order(look, world) == ["渠道端", "产品端", "客户端"]

    client.post(f"/categories/{tree['top']}/move", data={"direction": "down"})  # already last
    assert _order(look, world) == ["渠道端", "产品端", "客户端"]


def test_a_category_with_open_items_in_its_subtree_cannot_be_archived(tree, login, look):
    client = login("leader")

    for category in ("top", "mid", "leaf"):
        client.post(f"/categories/{tree[category]}/archive", data={"archived": "1"})

    with look():
        assert not any(db.session.get(Category, tree[c]).archived for c in ("top", "mid", "leaf"))


def test_a_category_with_only_finished_items_is_archived_and_restored(tree, world, login, look):
    with look():
        issue = db.session.scalar(select(Issue).where(Issue.code == tree["item"]))
        issue.status = CLOSED
        db.session.commit()
    client = login("leader")

    client.post(f"/categories/{tree['mid']}/archive", data={"archived": "1"})
    with look():
        assert db.session.get(Category, tree["mid"]).archived
    # An archived category takes no new items.
    assert (
        client.post("/issues/new", data=new_item(world, category_id=tree["mid"])).status_code == 400
    )

    client.post(f"/categories/{tree['mid']}/archive", data={"archived": "0"})
    with look():
        assert not db.session.get(Category, tree["mid"]).archived
