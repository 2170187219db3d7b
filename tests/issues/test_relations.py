"""Links between items (关联): blocks / blocked by, relates to, duplicates; each side reads
naturally, cycles of "blocks" are refused, closing as a duplicate points to the item kept,
and an open blocker shows on the light's explanation and on the boards."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.core.models import AuditEvent
from app.core.scope import task_force_scope, unscoped
from app.extensions import db
from app.issues.links import IssueLink
from app.issues.models import CLOSED, DROPPED, IN_PROGRESS, Category, Issue
from app.issues.service import relations
from app.people.models import User
from tests.factories import make_issue


def _make(world, code, status=IN_PROGRESS, owner="member", **fields) -> Issue:
    category = db.session.get(Category, world.category_id)
    return make_issue(
        category,
        fields.pop("title", f"事项{code}"),
        code=code,
        status=status,
        owner_id=world.users[owner] if owner else None,
        **fields,
    )


@pytest.fixture
def item(scoped, world):
    return lambda code, **fields: _make(world, code, **fields)


@pytest.fixture
def person(scoped, person):
    return person


def refusal(error_type, call, *args, **kwargs) -> str:
    with force_locale("en"), pytest.raises(error_type) as caught:
        call(*args, **kwargs)
    return caught.value.message


def kinds(issue) -> dict[str, str]:
    """The links of ``issue`` as {other code: kind from its side}."""
    return {r.other.code: r.kind for r in relations.links_of(issue)}


def text_of(response, status: int = 200) -> str:
    assert response.status_code == status, response.status_code
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html)))


# --- each kind, both sides ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "here", "there"),
    [
        ("blocks", "blocks", "blocked_by"),
        ("blocked_by", "blocked_by", "blocks"),
        ("relates", "relates", "relates"),
        ("duplicates", "duplicates", "duplicated_by"),
    ],
)
def test_each_kind_reads_from_both_sides_and_is_audited_on_both(item, person, chosen, here, there):
    a, b = item("KH-101"), item("KH-102")

    relations.add_link(person("member"), a, chosen, b)

    assert kinds(a) == {"KH-102": here}
    assert kinds(b) == {"KH-101": there}
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "linked").order_by(AuditEvent.id)
    ).all()
    assert [(e.entity_id, e.changes["link_kind"][1]) for e in events] == [
        (a.id, here),
        (b.id, there),
    ]


def test_a_link_is_removed_from_either_side_and_the_removal_is_audited(item, person):
    a, b = item("KH-111"), item("KH-112")
    relations.add_link(person("member"), a, "relates", b)
    (link,) = relations.links_of(b)

    relations.remove_link(person("member"), b, link.id)

    assert kinds(a) == {} and kinds(b) == {}
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "unlinked"))
        == 2
    )


def test_pick_an_item_by_code_by_the_pickers_line_or_by_a_word_of_its_title(item):
    a = item("KH-121", title="代发工资客户理财转化")
    item("KH-122", title="信托产品准入")

    assert relations.find_issue(a.task_force_id, "kh-121") == a
    assert relations.find_issue(a.task_force_id, "KH-121 · 代发工资客户理财转化") == a
    assert relations.find_issue(a.task_force_id, "理财转化") == a
    with force_locale("en"), pytest.raises(ValidationFailed) as none:
        relations.find_issue(a.task_force_id, "不存在的标题")
    assert "No item" in none.value.message


# --- refusals ----------------------------------------------------------------------------------


def test_self_links_duplicate_links_and_reverse_duplicates_are_refused(item, person):
    member = person("member")
    a, b = item("KH-131"), item("KH-132")

    assert "itself" in refusal(ValidationFailed, relations.add_link, member, a, "relates", a)
    relations.add_link(member, a, "blocks", b)
    assert "already linked" in refusal(ValidationFailed, relations.add_link, member, a, "blocks", b)
    assert "already linked" in refusal(
        ValidationFailed, relations.add_link, member, b, "relates", a
    )
    assert db.session.scalar(select(func.count(IssueLink.id))) == 1


def test_a_link_to_another_task_forces_item_is_refused(app, world, item, person):
    a = item("KH-141")
    with unscoped():  # as a forged form would name it
        other = db.session.get(Issue, world.other_issue_id)

    message = refusal(ValidationFailed, relations.add_link, person("leader"), a, "relates", other)

    assert "same task force" in message
    with pytest.raises(ValidationFailed):  # the page's picker does not even find it
        relations.find_issue(a.task_force_id, other.code)


def test_a_cycle_of_blocks_is_refused_with_a_clear_message(item, person):
    member = person("member")
    a, b, c = item("KH-151"), item("KH-152"), item("KH-153")
    relations.add_link(member, a, "blocks", b)
    relations.add_link(member, b, "blocks", c)

    message = refusal(ValidationFailed, relations.add_link, member, c, "blocks", a)
    assert message == (
        "KH-151 already blocks KH-153, directly or through other items: KH-153 cannot block it too."
    )
    # The same cycle chosen from the other side ("A is blocked by C").
    assert "already blocks" in refusal(
        ValidationFailed, relations.add_link, member, a, "blocked_by", c
    )
    # Other kinds between the ends of a chain are fine, and so is a parallel "blocks".
    d = item("KH-154")
    relations.add_link(member, a, "blocks", d)
    relations.add_link(member, d, "blocks", c)


def test_a_long_chain_of_blocks_refuses_the_link_that_closes_it(item, person):
    member = person("member")
    chain = [item(f"KH-2{n:02d}") for n in range(30)]
    for first, second in zip(chain, chain[1:], strict=False):
        relations.add_link(member, first, "blocks", second)

    assert "already blocks" in refusal(
        ValidationFailed, relations.add_link, member, chain[-1], "blocks", chain[0]
    )
    assert "already blocks" in refusal(
        ValidationFailed, relations.add_link, member, chain[17], "blocks", chain[3]
    )
    relations.add_link(member, chain[3], "blocks", chain[17])  # forward: no cycle


@pytest.mark.parametrize(
    ("persona", "may"),
    [
        ("leader", True),
        ("exec_leader", True),
        ("member", True),  # the owner
        ("temp_member", False),  # not on this item
        ("viewer", False),
    ],
)
def test_who_may_work_on_the_item_links_it(item, person, persona, may):
    a, b = item("KH-161"), item("KH-162", owner="leader")

    if may:
        relations.add_link(person(persona), a, "relates", b)
        assert kinds(a) == {"KH-162": "relates"}
    else:
        refusal(PermissionDenied, relations.add_link, person(persona), a, "relates", b)
        assert kinds(a) == {}


def test_a_closed_item_takes_no_new_link_but_may_be_linked_to(item, person):
    closed, open_ = item("KH-171", status=CLOSED), item("KH-172")
    leader = person("leader")

    refusal(InvalidTransition, relations.add_link, leader, closed, "relates", open_)
    relations.add_link(leader, open_, "relates", closed)
    assert kinds(closed) == {"KH-172": "relates"}


# --- closing as a duplicate --------------------------------------------------------------------


def test_dropping_an_item_as_a_duplicate_records_the_link_and_the_reason(item, person):
    kept, twin = item("KH-181"), item("KH-182")
    relations.add_link(person("member"), twin, "relates", kept)  # replaced by the duplicate

    with force_locale("zh_CN"):
        relations.drop_as_duplicate(person("exec_leader"), twin, kept)

    assert twin.status == DROPPED
    assert twin.status_reason == "重复于 KH-181"
    assert kinds(twin) == {"KH-181": "duplicates"}
    assert kinds(kept) == {"KH-182": "duplicated_by"}
    assert relations.open_blockers([kept.id]) == {}


def test_only_the_leaders_drop_an_item_as_a_duplicate(item, person):
    kept, twin = item("KH-191"), item("KH-192")

    refusal(PermissionDenied, relations.drop_as_duplicate, person("member"), twin, kept)

    assert twin.status == IN_PROGRESS
    assert kinds(twin) == {}


def test_an_item_cannot_be_a_duplicate_of_itself_or_of_its_own_duplicate(item, person):
    exec_leader = person("exec_leader")
    kept, twin = item("KH-195"), item("KH-196")
    relations.add_link(exec_leader, twin, "duplicates", kept)

    assert "itself" in refusal(
        ValidationFailed, relations.drop_as_duplicate, exec_leader, kept, kept
    )
    assert "itself a duplicate" in refusal(
        ValidationFailed, relations.drop_as_duplicate, exec_leader, kept, twin
    )


def _drop_over_http(client, world, issue_id, version, kept_text):
    return client.post(
        f"/issues/{issue_id}/status",
        data={"status": DROPPED, "reason": "", "duplicate_of": kept_text, "version": version},
    )


def test_the_status_form_drops_as_duplicate_and_both_pages_show_it(app, world, login, look):
    with look():
        kept = _make(world, "KH-012", title="代发客户理财转化")
        twin = _make(world, "KH-020", title="代发客户理财转化（重复）")
        kept_id, twin_id, version = kept.id, twin.id, twin.version
    client = login("exec_leader")

    form = client.get(f"/issues/{twin_id}").get_data(as_text=True)
    assert 'name="duplicate_of"' in form and '<datalist id="item-choices"' in form
    picker = client.get(f"/issues/{twin_id}/item-choices").get_data(as_text=True)
    assert '<option value="KH-012 · 代发客户理财转化"></option>' in picker
    assert "KH-020" not in picker  # not the item itself
    answer = _drop_over_http(client, world, twin_id, version, "KH-012 · 代发客户理财转化")
    assert answer.status_code == 302

    closed = text_of(client.get(f"/issues/{twin_id}"))
    assert "重复于 KH-012（保留）" in closed
    assert f'href="/issues/{kept_id}"' in client.get(f"/issues/{twin_id}").get_data(as_text=True)
    assert "KH-020 与本项重复" in text_of(client.get(f"/issues/{kept_id}"))
    history = text_of(client.get(f"/issues/{twin_id}"))
    assert "关联方式" in history and "link_kind" not in history and "duplicates" not in history


def test_an_unknown_duplicate_is_refused_on_the_form_and_nothing_changes(app, world, login, look):
    with look():
        twin = _make(world, "KH-030")
        twin_id, version = twin.id, twin.version
    client = login("exec_leader")

    answer = _drop_over_http(client, world, twin_id, version, "KH-999")

    assert "本小组没有与“KH-999”相符的事项" in text_of(answer, 400)
    with look():
        assert db.session.get(Issue, twin_id).status == IN_PROGRESS


# --- the light's explanation and the boards ----------------------------------------------------


def test_an_open_blocker_explains_the_light_and_a_finished_one_does_not(app, world, login, look):
    with look():
        blocker = _make(world, "KH-003", title="核心系统改造")
        blocked = _make(world, "KH-004", title="理财签约上线")
        member = db.session.get(User, world.users["member"])
        with task_force_scope(world.task_force_id):
            relations.add_link(member, blocked, "blocked_by", blocker)
        db.session.commit()
        blocker_id, blocked_id = blocker.id, blocked.id
    client = login("member")

    page = text_of(client.get(f"/issues/{blocked_id}"))
    assert "被 KH-003 阻塞（未完成）" in page
    notice = text_of(client.get(f"/issues/{blocked_id}/notice"))
    assert "被 KH-003 阻塞（未完成）" in notice

    with look():
        db.session.get(Issue, blocker_id).status = CLOSED
        db.session.commit()
    assert "阻塞（未完成）" not in text_of(client.get(f"/issues/{blocked_id}"))


def test_the_boards_say_which_open_item_blocks_a_row(app, world, login, look):
    with look():
        blocker = _make(world, "KH-005")
        # Red (overdue) and major: on the battle map's red list and the leader's board.
        from datetime import timedelta

        from app.core import clock

        blocked = _make(world, "KH-006", major=True, deadline=clock.today() - timedelta(days=3))
        with task_force_scope(world.task_force_id):
            relations.add_link(
                db.session.get(User, world.users["member"]), blocker, "blocks", blocked
            )
        db.session.commit()
    client = login("leader")

    battle_map = text_of(client.get("/"))
    assert "被 KH-005 阻塞" in battle_map
    board = text_of(client.get("/supervision"))
    assert "被 KH-005 阻塞" in board
    kanban = client.get("/board").get_data(as_text=True)
    cards = re.findall(r'<article class="card board-card.*?</article>', kanban, re.S)
    (card,) = [c for c in cards if "KH-006" in c]
    assert "被 KH-005 阻塞" in re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", card)))


# --- the page ----------------------------------------------------------------------------------


def test_add_and_remove_a_link_on_the_page_in_both_languages(app, world, login, look):
    with look():
        other = _make(world, "KH-041", title="信托产品准入")
        other_id = other.id
    client = login("member")

    added = client.post(
        f"/issues/{world.issue_id}/links", data={"link-kind": "blocks", "link-other": "信托产品"}
    )
    assert added.status_code == 302
    assert "阻塞 KH-041" in text_of(client.get(f"/issues/{world.issue_id}"))
    client.post("/locale", data={"locale": "en", "next": "/"})
    assert "blocks KH-041" in text_of(client.get(f"/issues/{world.issue_id}"))
    with look():
        link_id = db.session.scalar(select(IssueLink.id))
        code = db.session.get(Issue, world.issue_id).code
    assert f"blocked by {code}" in text_of(client.get(f"/issues/{other_id}"))

    removed = client.post(f"/issues/{world.issue_id}/links/remove", data={"link_id": link_id})
    assert removed.status_code == 302
    with look():
        assert db.session.scalar(select(func.count(IssueLink.id))) == 0


def test_a_refused_link_shows_its_reason_on_the_form(app, world, login, look):
    client = login("member")

    answer = client.post(
        f"/issues/{world.issue_id}/links", data={"link-kind": "relates", "link-other": "KH-404"}
    )

    assert "本小组没有与“KH-404”相符的事项" in text_of(answer, 400)


def test_a_viewer_sees_links_but_no_controls(app, world, login, look):
    with look():
        other = _make(world, "KH-051")
        with task_force_scope(world.task_force_id):
            relations.add_link(
                db.session.get(User, world.users["leader"]),
                db.session.get(Issue, world.issue_id),
                "relates",
                other,
            )
        db.session.commit()
    client = login("viewer")

    page = client.get(f"/issues/{world.issue_id}").get_data(as_text=True)
    assert "关联 KH-051" in text_of(client.get(f"/issues/{world.issue_id}"))
    assert "/links" not in page
    assert (
        client.post(
            f"/issues/{world.issue_id}/links", data={"link-kind": "relates", "link-other": "KH-051"}
        ).status_code
        == 403
    )


def _item_page_queries(client, issue_id) -> int:
    response = client.get(f"/issues/{issue_id}")
    assert response.status_code == 200
    return int(response.headers["X-Query-Count"])


def test_the_item_page_queries_do_not_grow_with_its_links(app, world, login, look):
    client = login("leader")

    def link(n: int) -> None:
        with look(), task_force_scope(world.task_force_id):
            leader = db.session.get(User, world.users["leader"])
            issue = db.session.get(Issue, world.issue_id)
            for i in range(n):
                other = _make(world, f"KH-Q{n}{i:02d}")
                relations.add_link(leader, issue, ("relates", "blocks", "blocked_by")[i % 3], other)
            db.session.commit()

    client.get(f"/issues/{world.issue_id}")  # its pickers' people (the setup) kept from now
    link(1)
    one = _item_page_queries(client, world.issue_id)
    link(12)
    many = _item_page_queries(client, world.issue_id)

    assert many == one
