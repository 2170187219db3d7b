"""The quarterly review's narrative (汇报正文): drafted from the data, saved under the
version it was opened with, approved by the leader alone, printed in the pack and kept
with it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from docx import Document
from sqlalchemy import select

from app.core import clock
from app.core.errors import PermissionDenied, StaleEdit
from app.core.quarters import Quarter
from app.core.scope import task_force_scope
from app.decisions.models import Escalation
from app.extensions import db
from app.kpis.models import Kpi, KpiReading
from app.people.models import User
from app.pilots.models import Pilot
from app.reports import narrative, service
from app.reports.models import APPROVED, DONE, DRAFT, ReviewDraft
from tests.pdfcheck import needs_libreoffice, needs_poppler, pdf_text, word_to_pdf
from tests.reports.conftest import Q2

LESSON = "长春私行试点经验：客户经理与投顾双人上门，先讲配置再讲产品"


def _user(world, role: str) -> User:
    return db.session.get(User, world.users[role])


@pytest.fixture
def more_data(quarter_data, app, world):
    """A reviewed pilot with its lessons, a goal figure, a pending escalation."""
    with app.app_context(), task_force_scope(world.task_force_id):
        db.session.add(
            Pilot(
                task_force_id=world.task_force_id,
                name="长春分行私人银行客户经营试点",
                status="reviewing",
                starts_on=date(2024, 4, 1),
                what_worked="私行客户AUM提升12%",
                lessons=LESSON,
                reviewed_at=datetime(2024, 6, 20, 2, tzinfo=UTC),
            )
        )
        kpi = Kpi(
            task_force_id=world.task_force_id,
            name="私行客户AUM",
            unit="yi_yuan",
            direction="up",
            baseline=Decimal("862"),
            target=Decimal("1000"),
        )
        db.session.add(kpi)
        db.session.flush()
        db.session.add(
            KpiReading(
                task_force_id=world.task_force_id,
                kpi_id=kpi.id,
                period=date(2024, 6, 30),
                value=Decimal("931"),
            )
        )
        db.session.add(
            Escalation(
                task_force_id=world.task_force_id,
                issue_id=quarter_data["KH-903"],
                kind="decision",
                level="leader",
                question="现金管理产品是否由总行统一采购",
                options=["总行统一采购", "分行自行采购"],
                recommendation="总行统一采购",
                due_on=date(2024, 8, 30),
                raised_by_id=world.users["exec_leader"],
            )
        )
        db.session.commit()
        db.session.remove()
    return quarter_data


def _start(world, role: str = "exec_leader") -> ReviewDraft:
    with task_force_scope(world.task_force_id):
        draft = narrative.get_or_start_draft(_user(world, role), world.task_force_id, Q2)
        db.session.commit()
        return draft


def test_the_draft_starts_from_every_features_facts(more_data, ctx, world):
    draft = _start(world)
    texts = narrative.bodies(draft)
    assert draft.status == DRAFT and draft.quarter == "2024Q2"
    assert "理财签约客户" in texts["results"]  # closed in Q2 (the problem list)
    assert "私行客户AUM" in texts["results"] and "931" in texts["results"]  # the goal figure
    assert "营销竞赛常态化" in texts["problems"]  # red at Q2's end
    assert "现金管理产品" in texts["plan"]  # open priority due next quarter
    assert LESSON in texts["practices"] and "长春分行私人银行" in texts["practices"]
    assert "总行统一采购" in texts["decisions"]  # pending escalation, options
    assert "盯牢" in texts["mechanisms"]
    assert all(key in texts for key in narrative.SECTION_KEYS)


def test_an_empty_quarter_gives_empty_sections(ctx, world):
    with task_force_scope(world.other_task_force_id):
        texts = narrative.prefill(world.other_task_force_id, Quarter(2024, 1))
    assert texts == dict.fromkeys(narrative.SECTION_KEYS, "")


def test_saving_keeps_who_changed_what_with_the_text_before(quarter_data, ctx, world):
    draft = _start(world)
    before = narrative.bodies(draft)["results"]
    with task_force_scope(world.task_force_id):
        saved, withdrawn = narrative.save_draft(
            _user(world, "exec_leader"),
            draft.id,
            draft.version,
            {"results": "本季度主要成效：销号两项。"},
        )
        db.session.commit()
        changes = narrative.history(saved)
    assert not withdrawn and narrative.bodies(saved)["results"] == "本季度主要成效：销号两项。"
    edited = [c for c in changes if c.action == "section_edited"]
    assert len(edited) == 1 and edited[0].key == "results" and edited[0].before == before
    assert edited[0].actor == _user(world, "exec_leader").display_name


def test_a_stale_save_is_refused_and_changes_nothing(quarter_data, ctx, world):
    draft = _start(world)
    version = draft.version
    with task_force_scope(world.task_force_id):
        narrative.save_draft(_user(world, "leader"), draft.id, version, {"plan": "组长的计划"})
        db.session.commit()
        with pytest.raises(StaleEdit):
            narrative.save_draft(_user(world, "exec_leader"), draft.id, version, {"plan": "旧"})
        db.session.rollback()
        assert narrative.bodies(db.session.get(ReviewDraft, draft.id))["plan"] == "组长的计划"


def test_only_the_leader_approves(quarter_data, ctx, world):
    draft = _start(world)
    with task_force_scope(world.task_force_id):
        for role in ("exec_leader", "member", "viewer"):
            with pytest.raises(PermissionDenied):
                narrative.approve(_user(world, role), draft.id, draft.version, "")
        with pytest.raises(PermissionDenied):
            narrative.save_draft(_user(world, "member"), draft.id, draft.version, {"plan": "x"})
        approved = narrative.approve(_user(world, "leader"), draft.id, draft.version, "同意。")
        db.session.commit()
    assert approved.status == APPROVED and approved.approved_by_id == world.users["leader"]
    assert approved.instruction == "同意。"


def test_a_save_after_approval_withdraws_it(quarter_data, ctx, world):
    draft = _start(world)
    with task_force_scope(world.task_force_id):
        draft = narrative.approve(_user(world, "leader"), draft.id, draft.version, "")
        db.session.commit()
        draft, withdrawn = narrative.save_draft(
            _user(world, "exec_leader"), draft.id, draft.version, {"plan": "改了"}
        )
        db.session.commit()
        assert withdrawn and draft.status == DRAFT and draft.approved_by_id is None
        assert narrative.approved_narrative(world.task_force_id, Q2) is None
        assert "approval_withdrawn" in [c.action for c in narrative.history(draft)]


def test_a_section_too_long_is_refused(quarter_data, ctx, world):
    draft = _start(world)
    with task_force_scope(world.task_force_id), pytest.raises(Exception, match="20000"):
        narrative.save_draft(
            _user(world, "exec_leader"), draft.id, draft.version, {"plan": "长" * 20_001}
        )


def test_refill_proposes_the_datas_text_without_saving_it(quarter_data, ctx, world):
    draft = _start(world)
    with task_force_scope(world.task_force_id):
        narrative.save_draft(_user(world, "exec_leader"), draft.id, draft.version, {"results": ""})
        db.session.commit()
        proposal = narrative.refill_section(_user(world, "exec_leader"), draft, "results")
        assert "理财签约客户" in proposal
        assert narrative.bodies(db.session.get(ReviewDraft, draft.id))["results"] == ""


@needs_poppler
@needs_libreoffice
def test_the_pack_prints_the_approved_text_and_keeps_it(quarter_data, ctx, world, tmp_path):
    draft = _start(world)
    leader = _user(world, "leader")
    with task_force_scope(world.task_force_id):
        narrative.save_draft(
            leader,
            draft.id,
            draft.version,
            {"results": "审定后的主要成效文字<script>alert(1)</script>"},
        )
        db.session.commit()
        draft = db.session.get(ReviewDraft, draft.id)
        narrative.approve(leader, draft.id, draft.version, "请各分行对照落实。")
        db.session.commit()
        pack = service.generate_pack(leader, world.task_force_id, Q2, db.session.commit)
        assert pack.status == DONE, pack.error
        text = pdf_text(pack.content)
        assert "一、主要成效" in text and "审定后的主要成效文字" in text
        assert "请各分行对照落实。" in text and "附件一：数据摘要" in text
        assert text.index("审定后的主要成效文字") < text.rindex(
            "附件一：数据摘要"
        )  # after the contents
        # The Word file says the same, in Word's own headings and tables, and LibreOffice
        # (as a bank's WPS or Word would) reads it.
        document = Document(BytesIO(pack.docx))
        headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
        assert "一、主要成效" in headings and "附件一：数据摘要" in headings, headings
        paragraphs = "\n".join(p.text for p in document.paragraphs)
        assert "审定后的主要成效文字" in paragraphs and "请各分行对照落实。" in paragraphs
        assert len(document.tables) >= 3 and pack.docx_size == len(pack.docx)
        printed = "".join(pdf_text(word_to_pdf(pack.docx, tmp_path)).split())
        assert "审定后的主要成效文字" in printed and "附件一：数据摘要" in printed
        with ctx.test_request_context():
            html = service.pack_html(world.task_force_id, Q2, narrative_text=pack.narrative)
        assert "<script>" not in html and "alert(1)" in html  # sanitised, text kept
        # The draft changes afterwards: the archived pack keeps its text.
        draft = db.session.get(ReviewDraft, draft.id)
        narrative.save_draft(leader, draft.id, draft.version, {"results": "后来改写的文字"})
        db.session.commit()
        kept = db.session.get(type(pack), pack.id)
        assert kept.narrative["sections"][0]["markdown"].startswith("审定后的主要成效文字")
        assert kept.narrative["approved_by"] == leader.display_name
        again = service.generate_pack(leader, world.task_force_id, Q2, db.session.commit)
        second = pdf_text(again.content)
        assert "后来改写的文字" not in second and "审定后的主要成效文字" not in second
        assert "尚未审定" in second and again.narrative is None


def _page(client, quarter: str = "2024Q2"):
    return client.get(f"/reports/narrative/{quarter}")


def test_pages_as_each_role(quarter_data, login, look, world):
    exec_leader = login("exec_leader")
    assert exec_leader.post("/reports/narrative/2024Q2/start").status_code == 302
    page = _page(exec_leader)
    assert page.status_code == 200 and 'data-testid="narrative-form"' in page.text
    assert 'data-testid="approve-form"' not in page.text
    leader_page = _page(login("leader")).text
    assert 'data-testid="approve-form"' in leader_page
    for role in ("member", "viewer"):
        text = _page(login(role)).text
        assert "narrative-form" not in text and "理财签约客户" in text  # read-only
    assert login("member").post("/reports/narrative/2024Q2/start").status_code == 403
    with look():
        draft_id = db.session.scalar(select(ReviewDraft.id))
    assert login("member").post(f"/reports/narratives/{draft_id}", data={}).status_code == 403
    response = exec_leader.post(f"/reports/narratives/{draft_id}/approve", data={"version": "1"})
    assert response.status_code == 403
    assert _page(exec_leader, "garbage").status_code == 404


def test_saving_on_the_page_and_a_stale_save_shows_both_texts(quarter_data, login, look):
    client = login("exec_leader")
    client.post("/reports/narrative/2024Q2/start")
    with look():
        draft = db.session.scalars(select(ReviewDraft)).one()
        draft_id, version = draft.id, draft.version
    response = client.post(
        f"/reports/narratives/{draft_id}",
        data={"version": version, "results": "我写的成效", "save": "1"},
    )
    assert response.status_code == 302
    stale = login("leader").post(
        f"/reports/narratives/{draft_id}",
        data={"version": version, "results": "组长写的成效", "save": "1"},
    )
    assert stale.status_code == 409
    assert "组长写的成效" in stale.text and "我写的成效" in stale.text
    assert 'data-testid="saved-results"' in stale.text
    with look():
        assert narrative.bodies(db.session.get(ReviewDraft, draft_id))["results"] == "我写的成效"


def test_refill_and_preview_on_the_page_save_nothing(quarter_data, login, look):
    client = login("exec_leader")
    client.post("/reports/narrative/2024Q2/start")
    with look():
        draft = db.session.scalars(select(ReviewDraft)).one()
        draft_id, version = draft.id, draft.version
    data = {"version": version, "results": "**加粗**<script>x()</script>"}
    refill = client.post(f"/reports/narratives/{draft_id}", data={**data, "refill": "results"})
    assert refill.status_code == 200 and 'data-testid="proposal-results"' in refill.text
    preview = client.post(f"/reports/narratives/{draft_id}", data={**data, "preview": "1"})
    assert "<strong>加粗</strong>" in preview.text and "<script>x()" not in preview.text
    with look():
        draft = db.session.get(ReviewDraft, draft_id)
        assert draft.version == version and "加粗" not in narrative.bodies(draft)["results"]


def test_another_task_forces_draft_is_not_found(quarter_data, login, look, world):
    with look(), task_force_scope(world.other_task_force_id):
        other = ReviewDraft(task_force_id=world.other_task_force_id, quarter="2024Q2")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    client = login("leader")
    for path in ("", "/approve", "/withdraw"):
        assert client.post(f"/reports/narratives/{other_id}{path}", data={}).status_code == 404


def test_the_draft_page_runs_a_bounded_number_of_queries(quarter_data, app, login, world):
    client = login("leader")
    client.post("/reports/narrative/2024Q2/start")
    app.config["COUNT_QUERIES"] = True
    try:
        first = int(_page(client).headers["X-Query-Count"])
        with app.app_context(), task_force_scope(world.task_force_id):
            draft = db.session.scalars(select(ReviewDraft)).one()
            for n in range(6):
                narrative.save_draft(
                    db.session.get(User, world.users["leader"]),
                    draft.id,
                    draft.version,
                    {key: f"第{n}稿" for key in narrative.SECTION_KEYS},
                )
                db.session.commit()
            db.session.remove()
        assert int(_page(client).headers["X-Query-Count"]) == first <= 14
    finally:
        app.config["COUNT_QUERIES"] = False


def test_the_reports_page_shows_each_quarters_narrative(quarter_data, login):
    client = login("leader")
    client.post("/reports/narrative/2024Q2/start")
    text = client.get("/reports/").text
    assert 'data-testid="narrative-2024Q2" data-status="draft"' in text
    assert clock.today() == date(2024, 8, 15)
