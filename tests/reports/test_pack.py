"""The pack as PDF, its snapshots and its background generation."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.core import hooks, jobs
from app.core.quarters import Quarter
from app.core.scope import task_force_scope
from app.extensions import db
from app.people.models import User
from app.reports import service
from app.reports.models import DONE, ReviewPack, SnapshotImmutable
from tests.pdfcheck import embedded_fonts, needs_poppler, pdf_text
from tests.reports.conftest import Q2

pytestmark = needs_poppler


def _leader(world) -> User:
    return db.session.get(User, world.users["leader"])


def test_the_pack_prints_the_quarters_figures_and_names(quarter_data, ctx, world):
    with task_force_scope(world.task_force_id):
        pack = service.generate_pack(
            _leader(world), world.task_force_id, Q2, checkpoint=db.session.commit
        )
    assert pack.status == DONE, pack.error
    text = pdf_text(pack.content)
    assert "非存AUM攻坚克难小组" in text and "2024年第2季度" in text
    assert "4 个问题中已销号 2 个（50%）；本季度销号 1 个。" in text
    assert "理财签约客户" in text and "赵静" in text and "2024-05-10" in text  # closed in Q2
    assert "营销竞赛常态化" in text and "逾期 15 天" in text  # red then, with its reason
    assert "MGM场景拓客" not in text  # raised after the quarter
    assert "第 1 页" not in text  # the cover has no page number
    assert f"第{pack.pages}页/共{pack.pages}页" in text.replace(" ", "")


def test_the_pack_embeds_the_chinese_font(quarter_data, ctx, world):
    with task_force_scope(world.task_force_id):
        pack = service.generate_pack(
            _leader(world), world.task_force_id, Q2, checkpoint=db.session.commit
        )
    assert any(name.startswith("Noto-Sans-CJK-SC") for name in embedded_fonts(pack.content))


def test_sections_come_in_order_and_the_registry_takes_new_ones(quarter_data, ctx, world):
    extra = hooks.ReviewSection(
        "decisions_test",
        60,
        "提级决策测试",
        "pdf/_sample.html",
        lambda task_force_id, quarter: {"figures": [("本季度决策", 7)]},
    )
    hooks.REVIEW_SECTIONS.register(extra)
    try:
        with task_force_scope(world.task_force_id):
            pack = service.generate_pack(
                _leader(world), world.task_force_id, Q2, checkpoint=db.session.commit
            )
    finally:
        hooks.REVIEW_SECTIONS.unregister("decisions_test")
    text = pdf_text(pack.content)
    titles = ["目录", "附件一：数据摘要", "各维度进展", "本季度销号事项", "未销号问题与落地排期"]
    titles += ["提级决策测试", "下季度重点"]
    body = text[text.index("目录") :]
    positions = [body.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "本季度决策" in text and "7" in text  # the section's figure on the summary page


def test_an_empty_quarter_gives_a_sensible_pack(app, world):
    # As the scheduler calls it: no request, no task force in scope.
    with app.app_context():
        pack = service.generate_pack(
            None, world.other_task_force_id, Quarter(2024, 1), checkpoint=db.session.commit
        )
        assert pack.status == DONE, pack.error
        content, requested_by_id = pack.content, pack.requested_by_id
        db.session.remove()
    text = pdf_text(content)
    assert "本季度没有销号的问题。" in text and "季度末没有未销号的问题。" in text
    assert requested_by_id is None


def test_each_generation_is_a_new_immutable_version(quarter_data, ctx, world):
    with task_force_scope(world.task_force_id):
        first = service.generate_pack(
            _leader(world), world.task_force_id, Q2, checkpoint=db.session.commit
        )
        second = service.generate_pack(
            _leader(world), world.task_force_id, "2024Q2", checkpoint=db.session.commit
        )
        assert (first.number, second.number) == (1, 2)
        for pack in (first, second):
            assert pack.sha256 == hashlib.sha256(pack.content).hexdigest()
            assert pack.size == len(pack.content)
        first.content = b"%PDF tampered"
        with pytest.raises(SnapshotImmutable):
            db.session.flush()
        db.session.rollback()
        db.session.delete(second)
        with pytest.raises(SnapshotImmutable):
            db.session.flush()
        db.session.rollback()
        assert (
            len(db.session.scalars(select(ReviewPack).where(ReviewPack.quarter == "2024Q2")).all())
            == 2
        )


def test_a_quarter_not_begun_is_refused(ctx, world):
    from app.core.errors import ValidationFailed

    with task_force_scope(world.task_force_id), pytest.raises(ValidationFailed):
        service.request_pack(_leader(world), world.task_force_id, "2024Q4")


def test_the_pack_is_built_by_the_worker_and_downloaded(app, quarter_data, world, login, look):
    client = login("leader")
    response = client.post("/reports/packs", data={"quarter": "2024Q2"})
    assert response.status_code == 302
    with look():
        pack_id = db.session.scalars(
            select(ReviewPack.id).where(ReviewPack.quarter == "2024Q2")
        ).one()
    status = client.get(f"/reports/packs/{pack_id}/status").get_data(as_text=True)
    assert 'data-status="queued"' in status and 'hx-trigger="every 2s"' in status
    assert jobs.run_pending(app) == 1  # as the worker would
    with look():
        pack = db.session.scalars(select(ReviewPack).where(ReviewPack.quarter == "2024Q2")).one()
        pack_id, sha = pack.id, pack.sha256
    status = client.get(f"/reports/packs/{pack_id}/status").get_data(as_text=True)
    assert 'data-status="done"' in status and "hx-trigger" not in status
    download = client.get(f"/reports/packs/{pack_id}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert hashlib.sha256(download.data).hexdigest() == sha == download.headers["X-Content-SHA256"]
    assert "2024年第2季度" in pdf_text(download.data)
    page = client.get("/reports/").get_data(as_text=True)
    assert f"pack-{pack_id}" in page and sha[:12] in page


def test_a_pack_in_progress_is_polled(world, login, look, commit):
    with look(), task_force_scope(world.task_force_id):
        pack, _created = service.request_pack(_leader(world), world.task_force_id, Q2)
        pack_id = pack.id
        commit()
    page = login("viewer").get(f"/reports/packs/{pack_id}/status").get_data(as_text=True)
    assert 'data-status="queued"' in page and 'hx-trigger="every 2s"' in page


def test_members_read_packs_but_only_leaders_generate(world, login):
    member = login("member")
    assert member.get("/reports/").status_code == 200
    assert member.post("/reports/packs", data={"quarter": "2024Q2"}).status_code == 403
    assert member.get(f"/reports/packs/{world.ids['pack']}/download").status_code == 200


def test_another_task_forces_pack_is_not_found(world, login, look):
    with look(), task_force_scope(world.other_task_force_id):
        other_id = service.generate_pack(
            None, world.other_task_force_id, Q2, checkpoint=db.session.commit
        ).id
    client = login("leader")
    assert client.get(f"/reports/packs/{other_id}/download").status_code == 404
    assert client.get(f"/reports/packs/{other_id}/status").status_code == 404


def test_the_reports_page_runs_the_same_queries_for_many_packs(app, world, login, look):
    def count() -> int:
        response = login("leader").get("/reports/")
        assert response.status_code == 200
        return int(response.headers["X-Query-Count"])

    app.config["COUNT_QUERIES"] = True
    try:
        few = count()
        with look():
            for number in range(2, 12):
                db.session.add(
                    ReviewPack(
                        task_force_id=world.task_force_id,
                        quarter="2024Q2",
                        number=number,
                        status=DONE,
                        requested_by_id=world.users["exec_leader"],
                        content=b"%PDF",
                        sha256="0" * 64,
                        size=4,
                    )
                )
            db.session.commit()
        assert count() == few <= 12
    finally:
        app.config["COUNT_QUERIES"] = False
