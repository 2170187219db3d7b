"""The leader's instructions on paper: the supervision notice (督办单), the item's dossier PDF
and the quarterly review pack's section, in Chinese with the CJK font embedded."""

from __future__ import annotations

from datetime import UTC, datetime

from app.core.quarters import Quarter
from app.core.scope import task_force_scope
from app.decisions import review
from app.decisions.service import instructions as orders
from app.extensions import db
from app.people.models import User
from app.reports import service as reports
from app.reports.models import DONE
from tests import factories
from tests.pdfcheck import embedded_fonts, needs_poppler, pdf_text

from .conftest import days

Q2 = Quarter(2024, 2)


def _two(world) -> tuple[int, int]:
    """Two instructions of the leader in Q2: one answered, one waiting."""
    leader = db.session.get(User, world.users["leader"])
    member = db.session.get(User, world.users["member"])
    category = db.session.get(factories.Category, world.category_id)
    issue = factories.make_issue(
        category, "代发工资客户理财转化率低", owner_id=member.id, deadline=days(30)
    )
    issue.last_progress_at = datetime(2024, 6, 1, tzinfo=UTC)
    db.session.commit()
    done = orders.write_instruction(leader, issue, "请六月底前完成代发客户分层营销方案")
    orders.answer_instruction(member, done, "已完成客户分层，6月20日启动营销")
    waiting = orders.write_instruction(leader, issue, "请每周报送转化数据")
    db.session.commit()
    return issue.id, waiting.id


def test_the_notice_prints_the_instructions(app, world, login):
    with app.app_context(), task_force_scope(world.task_force_id):
        issue_id, _waiting = _two(world)
    page = login("viewer").get(f"/issues/{issue_id}/notice").get_data(as_text=True)
    printed = page.split('data-testid="printed-instructions"')[1].split("</table>")[0]
    assert "请六月底前完成代发客户分层营销方案" in printed and "请每周报送转化数据" in printed
    assert "已完成客户分层" in printed and "尚未阅" in printed
    assert 'data-testid="instruction-read"' not in page  # paper has no buttons


@needs_poppler
def test_the_dossier_pdf_has_the_instructions_in_chinese(app, world, login):
    with app.app_context(), task_force_scope(world.task_force_id):
        issue_id, _waiting = _two(world)
    response = login("leader").get(f"/reports/issues/{issue_id}/dossier.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data).replace(" ", "").replace("\n", "")
    assert "领导批示" in text and "请六月底前完成代发客户分层营销方案" in text
    assert "已完成客户分层" in text
    assert any(name.startswith("Noto-Sans-CJK-SC") for name in embedded_fonts(response.data))


def test_the_review_section_lists_the_quarters_instructions(ctx, world):
    with task_force_scope(world.task_force_id):
        _two(world)
        section = review.instructions_section(world.task_force_id, Q2)
        empty = review.instructions_section(world.task_force_id, Quarter(2024, 1))
    rows = [(r.instruction.text, r.instruction.answered, r.owner) for r in section["rows"]]
    member = db.session.get(User, world.users["member"]).display_name
    assert rows == [
        ("请本周内拿出**归集功能**上线计划。", True, member),  # the world's, answered
        ("请六月底前完成代发客户分层营销方案", True, member),
        ("请每周报送转化数据", False, member),
    ]
    assert section["rows"][1].days_to_answer == 0
    assert section["rows"][2].days_to_answer is None
    assert section["figures"][1][1] == "2 / 3" and section["answered"] == 2
    assert empty["rows"] == [] and empty["answered"] == 0


@needs_poppler
def test_the_review_pack_prints_whether_each_was_carried_out(ctx, world):
    with task_force_scope(world.task_force_id):
        _two(world)
        leader = db.session.get(User, world.users["leader"])
        pack = reports.generate_pack(leader, world.task_force_id, Q2, checkpoint=db.session.commit)
    assert pack.status == DONE, pack.error
    text = pdf_text(pack.content).replace(" ", "").replace("\n", "")
    assert "本季度领导批示3条，已答复落实情况2条，未答复1条。" in text
    assert "请每周报送转化数据" in text and "已落实" in text and "未答复" in text
    assert any(name.startswith("Noto-Sans-CJK-SC") for name in embedded_fonts(pack.content))
