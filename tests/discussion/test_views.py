"""The thread over HTTP, per role: reading, posting, mentions refused with the text kept,
editing, deleting, files, following; the item page's queries; a mention on the robots."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core import clock
from app.discussion.models import Comment, Follow
from app.extensions import db
from app.people.models import User
from tests.discussion.conftest import messages

PDF = b"%PDF-1.4 minutes"


def _post(client, issue_id, body, **more):
    return client.post(f"/threads/issue/{issue_id}/comments", data={"body": body, **more})


@pytest.mark.parametrize("persona", ["leader", "exec_leader", "member", "temp_member"])
def test_workers_post_and_land_on_their_comment(login, world, look, persona):
    response = _post(login(persona), world.issue_id, "已与分行对齐口径")
    assert response.status_code == 302
    with look():
        comment = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
    assert response.headers["Location"].endswith(
        f"/issues/{world.issue_id}?comment={comment.id}#comment-{comment.id}"
    )


@pytest.mark.parametrize("persona", ["viewer", "frontline", "expired_temp", "admin"])
def test_others_may_not_post(login, world, persona):
    assert _post(login(persona), world.issue_id, "我来说两句").status_code == 403


def test_a_viewer_reads_the_thread_on_the_item_page_without_a_form(login, world):
    page = login("viewer").get(f"/threads/issue/{world.issue_id}/panel").get_data(as_text=True)
    assert 'id="discussion"' in page and "归集口径请组长" in page
    assert 'data-testid="comment-form"' not in page
    assert 'data-testid="follow"' in page


def test_a_member_of_another_task_force_sees_nothing(login, world):
    client = login("stranger")
    assert client.get(f"/threads/issue/{world.issue_id}").status_code == 404
    assert _post(client, world.issue_id, "越界").status_code == 404


def test_a_mention_outside_the_task_force_is_refused_and_the_text_kept(login, world, look):
    response = _post(login("member"), world.issue_id, "@陈磊 请协助对公口径，附上数据")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "陈磊" in page and "请协助对公口径，附上数据" in page
    assert 'data-testid="comment-error"' in page
    with look():
        assert db.session.scalar(select(Comment).where(Comment.body.like("%对公口径%"))) is None


def test_the_edit_window_and_the_deleted_mark(login, world, look):
    client = login("member")
    _post(client, world.issue_id, "初稿")
    with look():
        comment = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
        cid, version = comment.id, comment.version
    response = client.post(f"/comments/{cid}/edit", data={"body": "修改稿", "version": version})
    assert response.status_code == 302
    page = client.get(f"/threads/issue/{world.issue_id}/panel").get_data(as_text=True)
    assert "修改稿" in page and 'data-testid="edited"' in page
    clock.set_now(clock.now() + timedelta(minutes=16))
    late = client.post(f"/comments/{cid}/edit", data={"body": "太晚了", "version": version + 1})
    assert late.status_code == 400
    # Someone else's comment: refused, and nothing changes.
    other = login("leader").post(f"/comments/{cid}/delete", data={"version": version + 1})
    assert other.status_code == 302
    client.post(f"/comments/{cid}/delete", data={"version": version + 1})
    page = client.get(f"/threads/issue/{world.issue_id}/panel").get_data(as_text=True)
    assert 'data-testid="deleted"' in page and "修改稿" not in page


def test_a_file_is_accepted_or_refused_by_the_evidence_rules(login, world, look):
    client = login("member")
    ok = _post(client, world.issue_id, "纪要见附件", file=(io.BytesIO(PDF), "纪要.pdf"))
    assert ok.status_code == 302
    page = client.get(f"/threads/issue/{world.issue_id}/panel").get_data(as_text=True)
    link = re.search(r'href="(/comment-files/\d+)"[^>]*>📎 纪要.pdf', page).group(1)
    download = client.get(link, buffered=True)
    assert download.status_code == 200 and download.data == PDF
    bad = _post(client, world.issue_id, "可执行文件", file=(io.BytesIO(b"MZ"), "run.exe"))
    assert bad.status_code == 400 and "可执行文件" in bad.get_data(as_text=True)
    assert login("viewer").get(link, buffered=True).status_code == 200  # as visible as the item
    assert login("stranger").get(link, buffered=True).status_code == 404


def test_quote_reply_shows_the_quoted_author_and_an_excerpt(login, world, look):
    _post(login("leader"), world.issue_id, "请说明这个月的归集口径和支付链路")
    with look():
        quoted = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first().id
    client = login("member")
    form = client.get(f"/threads/issue/{world.issue_id}/panel?quote={quoted}").get_data(
        as_text=True
    )
    assert 'data-testid="quoting"' in form and "李明远" in form
    _post(client, world.issue_id, "口径如下", quote_id=str(quoted))
    page = client.get(f"/threads/issue/{world.issue_id}/panel").get_data(as_text=True)
    assert f"?comment={quoted}#comment-{quoted}" in page


def test_follow_and_stop_following_from_the_item_page(login, world, look):
    client = login("viewer")
    assert (
        client.post(f"/threads/issue/{world.issue_id}/follow", data={"following": "1"}).status_code
        == 302
    )
    panel = client.get(f"/threads/issue/{world.issue_id}/panel").get_data(as_text=True)
    assert 'data-testid="unfollow"' in panel
    client.post(f"/threads/issue/{world.issue_id}/follow", data={"following": "0"})
    with look():
        viewer = db.session.scalar(select(User).where(User.username == "viewer"))
        row = db.session.scalar(select(Follow).where(Follow.user_id == viewer.id))
        assert row.following is False
    assert (
        login("frontline")
        .post(f"/threads/issue/{world.issue_id}/follow", data={"following": "1"})
        .status_code
        == 403
    )


def test_the_link_of_a_mention_switches_task_force(login, world, look):
    """刘洋 (member) reads another task force; the link in the message brings them back."""
    _post(login("leader"), world.issue_id, "@刘洋 请补充材料")
    with look():
        [told] = messages(kind="mention")
        link = told.link
    from app.core.links import in_task_force

    outside = in_task_force(link, world.task_force_id)
    assert f"tf={world.task_force_id}" in outside and outside.endswith(link.split("#")[1])


def _grow(app, world, n: int) -> None:
    from tests.conftest import in_app

    with in_app(app):
        author = db.session.scalar(select(User).where(User.username == "leader"))
        for i in range(n):
            db.session.add(
                Comment(
                    task_force_id=world.task_force_id,
                    target_kind="issue",
                    target_id=world.issue_id,
                    author_id=author.id if i % 2 else world.users["member"],
                    body=f"第{i}条 **进展**",
                    quote_id=world.ids["comment"],
                )
            )
        db.session.commit()


def test_the_thread_costs_the_same_with_5_or_20_of_25_comments_shown(app, login, world):
    client = login("member")

    def count(url: str) -> int:
        # The first views after a change fill the caches (menu, page body, the panel);
        # the first answers what a fresh panel costs, the third what a kept one does.
        counts = []
        for _ in range(3):
            response = client.get(url)
            assert response.status_code == 200
            counts.append(int(response.headers["X-Query-Count"]))
        return counts[0]

    item = f"/issues/{world.issue_id}"
    panel = f"/threads/issue/{world.issue_id}/panel?cpage=1"
    client.get(item)  # its pickers' people, the task force's setup, are kept from now on
    _grow(app, world, 4)  # 5 with the world's
    few = count(panel), count(item)
    assert client.get(panel).get_data(as_text=True).count('data-testid="comment"') == 5
    _grow(app, world, 20)  # 25, on two pages of 20
    many = count(panel), count(item)
    assert client.get(panel).get_data(as_text=True).count('data-testid="comment"') == 20
    assert many == few
    # The item's page carries the thread's place only: it fetches the panel, or links to
    # the thread's page without JavaScript, with the page's own query passed on.
    page = client.get(item + "?comment=7").get_data(as_text=True)
    assert f'hx-get="/threads/issue/{world.issue_id}/panel?comment=7"' in page
    assert f'href="/threads/issue/{world.issue_id}"' in page


def test_a_mention_reaches_the_robots_with_real_mention_fields(app, login, world, receiver, look):
    from app.notify.delivery import deliver_due
    from app.notify.models import DINGTALK, FEISHU, WECOM
    from tests.notify.conftest import make_channel, subscribe

    with look():
        leader = db.session.scalar(select(User).where(User.username == "leader"))
        leader.mobile = "13800138000"
        leader.wecom_userid = "LiMingYuan"
        leader.feishu_user_id = "ou_leader"
        db.session.commit()
        subscribe(leader.id, make_channel("企业微信", WECOM, receiver.url + "/wecom"))
        subscribe(
            leader.id,
            make_channel("钉钉", DINGTALK, receiver.url + "/dingtalk", receiver.dingtalk_secret),
        )
        subscribe(
            leader.id,
            make_channel("飞书", FEISHU, receiver.url + "/feishu", receiver.feishu_secret),
        )
    clock.set_now(clock.now() + timedelta(minutes=1))
    assert _post(login("member"), world.issue_id, "@李明远 请拍板归集口径").status_code == 302
    with look():
        assert deliver_due().sent == 3
    bodies = {hit.path: hit.body for hit in receiver.hits}
    wecom = bodies["/wecom"]["text"]
    assert wecom["mentioned_list"] == ["LiMingYuan"] and "刘洋" in wecom["content"]
    assert bodies["/dingtalk"]["at"]["atMobiles"] == ["13800138000"]
    assert "@13800138000" in bodies["/dingtalk"]["text"]["content"]
    assert bodies["/feishu"]["content"]["text"].startswith('<at user_id="ou_leader">李明远</at>')
    assert "comment=" in wecom["content"]
