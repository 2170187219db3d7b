"""Names and titles are one line: control characters are stripped on input, by forms and
by the models whoever sets them (services, imports, the CLI)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.forms import is_web_link, one_line
from app.decisions.models import Nudge
from app.extensions import db
from app.intake.models import Submission
from app.issues.models import Category, Issue, Milestone, Subtask
from app.kpis.models import Kpi, KpiReading
from app.meetings.models import ActionItem, AgendaItem, Meeting, MeetingSeries
from app.notify.models import Channel
from app.people.models import Membership, OrgUnit, TaskForce, User
from app.pilots.models import Pilot, PilotObjective

HOSTILE = "第一行\r\n第二行\t制表\x00空\x1b[31m\u2028分段\u202e反向\x85 "


def test_one_line_strips_controls_breaks_and_overrides():
    assert one_line(HOSTILE) == "第一行 第二行 制表 空 [31m 分段反向"
    assert one_line("  普通名称  ") == "普通名称"
    assert one_line("A  B") == "A  B"  # spaces a person typed stay
    assert one_line(None) is None


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("https://meeting.example.cn/j/1", True),
        ("HTTP://10.0.0.1:8080/x", True),
        ("javascript:alert(1)", False),
        ("JAVASCRIPT:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("https://exa\nmple.cn", False),
        ("data:text/html,x", False),
        ("ftp://files.example.cn", False),
        ("//example.cn", False),
        ("https://", False),
        ("https://[::1", False),
        ("", False),
    ],
)
def test_only_absolute_http_links_are_web_links(text, ok):
    assert is_web_link(text) is ok


ATTRIBUTES = [
    (TaskForce, "name"),
    (OrgUnit, "name"),
    (User, "display_name"),
    (Membership, "note"),
    (Category, "name"),
    (Issue, "title"),
    (Subtask, "title"),
    (Milestone, "title"),
    (MeetingSeries, "name"),
    (MeetingSeries, "place"),
    (Meeting, "title"),
    (Meeting, "place"),
    (AgendaItem, "section"),
    (AgendaItem, "title"),
    (ActionItem, "title"),
    (Pilot, "name"),
    (PilotObjective, "title"),
    (PilotObjective, "metric"),
    (Kpi, "name"),
    (KpiReading, "note"),
    (Submission, "title"),
    (Channel, "name"),
    (Nudge, "note"),
]


@pytest.mark.parametrize(("model", "name"), ATTRIBUTES, ids=lambda v: getattr(v, "__name__", v))
def test_every_name_and_title_is_one_line_however_it_is_set(model, name):
    made = model(**{name: HOSTILE})
    assert getattr(made, name) == one_line(HOSTILE)
    setattr(made, name, "又\n一个")
    assert getattr(made, name) == "又 一个"


def test_forms_strip_them_too_and_the_length_counts_the_clean_text(world, client, auth, look):
    auth.login("admin")
    response = client.post(
        "/admin/task-forces/new",
        data={
            "name": "对公\n存款\x00攻坚" + " " * 200,  # 200 trailing spaces: not over the limit
            "goal": "目标",
            "starts_on": "2024-01-01",
            "leader_id": world.users["leader"],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with look():
        names = set(db.session.scalars(select(TaskForce.name)))
    assert "对公 存款 攻坚" in names


def test_a_category_renamed_from_the_mind_map_is_one_line(world, client, auth, look):
    auth.login("leader")
    response = client.post(
        f"/mindmap/categories/{world.category_id}/rename", json={"name": "客户\x00端\u202e"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    with look():
        assert db.session.get(Category, world.category_id).name == "客户 端"
