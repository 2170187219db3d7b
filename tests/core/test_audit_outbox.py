"""The audit log is append-only; the outbox keeps one message per key; the centre shows them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.core import audit, outbox
from app.core.models import AppendOnlyViolation, AuditEvent, Notification
from app.extensions import db
from tests import factories


def test_audit_events_cannot_be_changed_or_deleted(ctx):
    user = factories.make_user("auditor")
    event = audit.record(user, "updated", user, {"display_name": ["甲", "乙"]})
    db.session.commit()
    event.summary = "rewritten history"
    with pytest.raises(AppendOnlyViolation):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AppendOnlyViolation):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).summary == ""


def test_apply_changes_reports_only_real_changes(ctx):
    user = factories.make_user("changer", display_name="旧名")
    changes = audit.apply_changes(user, {"display_name": "新名", "role": user.role})
    assert changes == {"display_name": ["旧名", "新名"]}
    assert user.display_name == "新名"


def test_the_same_message_key_is_written_once(ctx):
    user = factories.make_user("reader")
    first = outbox.notify(user.id, "nudge", "请更新进度", unique_key="nudge:1:2026-11-28")
    second = outbox.notify(user.id, "nudge", "请更新进度", unique_key="nudge:1:2026-11-28")
    db.session.commit()
    assert first is not None and second is None
    count = db.session.scalar(select(func.count(Notification.id)))
    assert count == 1


def test_the_database_refuses_a_duplicate_key_from_a_second_writer(ctx):
    from sqlalchemy.exc import IntegrityError

    user = factories.make_user("racer")
    for _ in range(2):
        db.session.add(
            Notification(recipient_id=user.id, kind="k", text="t", unique_key="same-key")
        )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def _notify(app, user_id: int, n: int = 1) -> None:
    with app.app_context():
        for i in range(n):
            outbox.notify(
                user_id, "test", f"第{i + 1}条通知", unique_key=f"t:{user_id}:{i}", link="/"
            )
        db.session.commit()


def test_unread_badge_list_and_mark_read(app, world, auth, client):
    member_id = world.users["member"]
    _notify(app, member_id, 3)
    auth.login("member")
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="unread-badge">3<' in page

    listing = client.get("/notifications").get_data(as_text=True)
    assert "第1条通知" in listing and "第3条通知" in listing

    with app.app_context():
        first = db.session.scalar(
            select(Notification.id).where(Notification.recipient_id == member_id).limit(1)
        )
    client.post(f"/notifications/{first}/read")
    assert 'data-testid="unread-badge">2<' in client.get("/").get_data(as_text=True)

    client.post("/notifications/read-all")
    assert "unread-badge" not in client.get("/").get_data(as_text=True)


def test_nobody_can_mark_someone_elses_notification_read(app, world, auth, client):
    _notify(app, world.users["leader"], 1)
    with app.app_context():
        theirs = db.session.scalar(select(Notification.id))
    auth.login("member")
    client.post(f"/notifications/{theirs}/read")
    with app.app_context():
        assert db.session.get(Notification, theirs).read_at is None


def test_a_notification_link_to_another_site_is_not_rendered_as_a_link(app, world, auth, client):
    with app.app_context():
        outbox.notify(
            world.users["member"], "t", "外部链接", unique_key="ext", link="https://evil.example/"
        )
        db.session.commit()
    auth.login("member")
    page = client.get("/notifications").get_data(as_text=True)
    assert "外部链接" in page
    assert "evil.example" not in page
