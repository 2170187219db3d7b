"""Comments, mentions and following at the service level."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core import clock
from app.core.errors import PermissionDenied, StaleEdit, ValidationFailed
from app.core.models import AuditEvent
from app.discussion import service
from app.discussion.following import followers, is_following, set_following, tell_followers
from app.discussion.models import Comment, CommentFile
from app.discussion.pinyin import matches
from app.extensions import db
from tests.discussion.conftest import later, messages

PDF = b"%PDF-1.4 minutes"


def post(actor, item, body, **more):
    kind, target = item
    comment = service.post_comment(actor, kind, target, service.NewComment(body=body, **more))
    db.session.commit()
    return comment


# --- posting and who may ------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["leader", "exec_leader", "member", "temp_member"])
def test_those_who_work_on_the_task_force_comment(item, person, persona):
    comment = post(person(persona), item, "归集口径已和财富管理部对齐")
    assert comment.id and comment.body == "归集口径已和财富管理部对齐"


@pytest.mark.parametrize("persona", ["viewer", "frontline", "expired_temp", "outsider", "admin"])
def test_viewers_frontline_staff_and_people_off_the_task_force_do_not(item, person, persona):
    with pytest.raises(PermissionDenied):
        post(person(persona), item, "我也说一句")


def test_a_member_of_another_task_force_cannot_reach_the_thread(ctx, world, person):
    from app.core.errors import NotFound
    from app.core.scope import task_force_scope

    with task_force_scope(world.other_task_force_id), pytest.raises(NotFound):
        service.load_target(person("stranger"), "issue", world.issue_id)


def test_an_empty_comment_is_refused(item, person):
    with pytest.raises(ValidationFailed):
        post(person("member"), item, "   ")


def test_posting_is_audited_with_a_label(item, person):
    post(person("member"), item, "进度已更新")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "commented"))
    assert event.entity_type == "issue" and "进度已更新" not in str(event.changes)
    from app.core.history import describe_action

    assert describe_action("issue", "commented") != "commented"


def test_posting_is_rate_limited_per_person(app, item, person, monkeypatch):
    monkeypatch.setitem(app.config, "COMMENTS_PER_MINUTE", 2)
    zhou = person("temp_member")
    post(zhou, item, "一")
    post(zhou, item, "二")
    with pytest.raises(ValidationFailed, match="2"):
        post(zhou, item, "三")
    post(person("leader"), item, "组长不受周婷的限制")
    later(2)
    post(zhou, item, "一分钟后可以再发")


# --- markdown, quotes, files ----------------------------------------------------------


def test_markdown_is_sanitised(app, item, person):
    comment = post(
        person("member"), item, "**重点** <script>alert(1)</script> [x](javascript:alert(1))"
    )
    from app.core.markdown import render

    html = str(render(comment.body))
    assert "<strong>重点</strong>" in html
    assert "<script>" not in html and 'href="javascript' not in html


def test_a_reply_quotes_a_comment_of_the_same_thread_only(item, person, world):
    first = post(person("leader"), item, "请刘洋说明口径")
    reply = post(person("member"), item, "口径见附件", quote_id=first.id)
    assert reply.quote.author.display_name == "李明远"
    with pytest.raises(ValidationFailed):
        post(person("member"), item, "引用不存在的评论", quote_id=first.id + 1000)


def test_a_file_goes_through_the_evidence_checks(item, person):
    member = person("member")
    comment = post(member, item, "会议纪要", files=[service.Upload("纪要.pdf", PDF)])
    assert [f.filename for f in comment.files] == ["纪要.pdf"]
    with pytest.raises(ValidationFailed, match=".pdf"):
        post(member, item, "可执行文件", files=[service.Upload("run.exe", b"MZ")])
    with pytest.raises(ValidationFailed):
        post(member, item, "伪装的PDF", files=[service.Upload("fake.pdf", b"MZ not a pdf")])
    db.session.rollback()
    assert (
        db.session.scalar(select(CommentFile.id).where(CommentFile.filename == "fake.pdf")) is None
    )


# --- edit and delete ------------------------------------------------------------------


def test_the_author_edits_within_fifteen_minutes_then_no_more(item, person):
    member = person("member")
    comment = post(member, item, "初稿")
    later(14)
    service.edit_comment(member, comment.id, "修改稿", comment.version)
    db.session.commit()
    assert comment.body == "修改稿" and comment.edited_at is not None
    later(2)
    with pytest.raises(ValidationFailed):
        service.edit_comment(member, comment.id, "再改", comment.version)


def test_only_the_author_edits_or_deletes(item, person):
    comment = post(person("member"), item, "刘洋的评论")
    with pytest.raises(PermissionDenied):
        service.edit_comment(person("leader"), comment.id, "组长改的", comment.version)
    with pytest.raises(PermissionDenied):
        service.delete_comment(person("leader"), comment.id)


def test_a_stale_edit_is_refused(item, person):
    member = person("member")
    comment = post(member, item, "初稿")
    seen = comment.version
    service.edit_comment(member, comment.id, "第二稿", seen)
    db.session.commit()
    with pytest.raises(StaleEdit):
        service.edit_comment(member, comment.id, "基于旧版的修改", seen)


def test_a_deleted_comment_keeps_its_place_not_its_text_or_files(item, person):
    member = person("member")
    comment = post(member, item, "附件有误", files=[service.Upload("错.pdf", PDF)])
    service.delete_comment(member, comment.id, comment.version)
    db.session.commit()
    kept = db.session.get(Comment, comment.id)
    assert kept.deleted and kept.body == "" and kept.files == []
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "comment_deleted"))
    with pytest.raises(ValidationFailed):
        service.edit_comment(member, comment.id, "复活", kept.version)


# --- mentions ---------------------------------------------------------------------------


def test_a_mention_tells_the_person_in_their_language_linking_to_the_comment(item, person):
    leader = person("leader")
    leader.locale = "en"
    db.session.commit()
    comment = post(person("member"), item, "@李明远 请确认归集口径")
    [told] = messages(kind="mention")
    assert told.recipient_id == leader.id
    assert told.text.startswith("刘洋 mentioned you on")
    assert told.link == f"/issues/{item[1].id}?comment={comment.id}#comment-{comment.id}"
    assert [p.display_name for p in comment.mentioned] == ["李明远"]


def test_mentioning_someone_off_the_task_force_is_refused_by_name(item, person):
    for name in (
        "陈磊",
        "赵静",
    ):  # another task force's member; a temporary member whose time ended
        with pytest.raises(ValidationFailed, match=name):
            post(person("member"), item, f"@{name} 请看一下")


def test_an_address_is_not_a_mention_and_longest_names_win(item, person, world):
    comment = post(person("member"), item, "发到 liuyang@bank.cn，@周婷看一下")
    assert [p.display_name for p in comment.mentioned] == ["周婷"]


def test_a_new_mention_in_an_edit_is_told_once(item, person):
    member = person("member")
    comment = post(member, item, "@李明远 请看")
    service.edit_comment(member, comment.id, "@李明远 @张慧 请看", comment.version)
    db.session.commit()
    assert sorted(m.recipient_id for m in messages(kind="mention")) == sorted(
        [person("leader").id, person("exec_leader").id]
    )


def test_pinyin_finds_people_by_initials_and_spelling():
    assert matches("刘洋", "ly") and matches("刘洋", "liu") and matches("刘洋", "liuy")
    assert matches("刘洋", "洋") and not matches("刘洋", "wang")
    assert matches("周婷", "zt") and matches("李明远", "lmy")


# --- following ----------------------------------------------------------------------------


def test_owner_and_collaborators_follow_automatically_and_may_stop(item, person):
    kind, issue = item
    assert followers(issue) == {person("member").id, person("temp_member").id}
    set_following(person("temp_member"), issue, False)
    db.session.commit()
    assert followers(issue) == {person("member").id}


def test_a_viewer_follows_what_they_can_read(item, person):
    viewer = person("viewer")
    set_following(viewer, item[1], True)
    db.session.commit()
    assert is_following(viewer.id, item[1])
    with pytest.raises(ValidationFailed):
        set_following(viewer, item[1], True)


def test_commenters_follow_and_stopping_sticks_but_a_mention_follows_again(item, person):
    leader = person("leader")
    post(leader, item, "组长意见")
    assert is_following(leader.id, item[1])
    set_following(leader, item[1], False)
    db.session.commit()
    post(leader, item, "再说一句")
    assert not is_following(leader.id, item[1])
    post(person("member"), item, "@李明远 请拍板")
    assert is_following(leader.id, item[1])


def test_one_message_per_person_per_comment_mentioned_and_follower(item, person):
    member, leader, zhou = person("member"), person("leader"), person("temp_member")
    post(leader, item, "组长在关注")  # the leader follows from now on
    second = post(member, item, "@李明远 @周婷 请看")
    about = [m for m in messages() if m.unique_key.startswith(f"comment:{second.id}:")]
    # Both are followers and mentioned: one message each, the mention; the author none.
    assert sorted((m.recipient_id, m.kind) for m in about) == sorted(
        [(leader.id, "mention"), (zhou.id, "mention")]
    )


def test_tell_followers_leaves_out_the_actor_and_those_told(item, person):
    kind, issue = item
    told = tell_followers(
        issue,
        "instruction",
        person("member"),
        lambda: "组长批示",
        key="instruction:1",
        told={person("temp_member").id},
    )
    assert told == set()
    set_following(person("viewer"), issue, True)
    told = tell_followers(issue, "instruction", person("leader"), "组长批示", key="instruction:2")
    db.session.commit()
    assert told == {person("member").id, person("temp_member").id, person("viewer").id}
    tell_followers(issue, "instruction", person("leader"), "组长批示", key="instruction:2")
    assert len(messages(kind="instruction")) == 3  # a retry tells nobody twice


def test_a_status_change_reaches_each_follower_once(item, person):
    from app.issues import service as issues

    kind, issue = item
    set_following(person("viewer"), issue, True)
    db.session.commit()
    issues.change_status(person("leader"), issue, "blocked", reason="等待系统排期")
    db.session.commit()
    status = messages(kind="status")
    recipients = [m.recipient_id for m in status]
    assert sorted(recipients) == sorted(
        {person("member").id, person("temp_member").id, person("viewer").id}
    )
    assert person("leader").id not in recipients


def test_the_clock_is_the_apps(item):
    assert clock.today().isoformat() == "2024-06-03"
