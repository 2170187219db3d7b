"""The quarterly review pack (季度复盘材料) and the PDF exports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The reports' pages and menu entry; the problem list's sections of the review pack;
    the reminder that a quarter's pack is ready; the packs and the list PDF as queued jobs,
    and the quarter's packs as a periodic one."""
    from app.core import hooks, nav, scheduler
    from app.core import jobs as queue
    from app.core import reminders as reminder_rules
    from app.reports import facts, jobs, reminders, review, service, views
    from app.reports import models as _models  # noqa: F401  (registers the tables)
    from app.reports import narrative_views as _narrative_views  # noqa: F401  (its routes)

    app.register_blueprint(views.bp)
    for item in views.NAV_ITEMS:
        nav.register(item)
    for section in review.PROBLEM_LIST_SECTIONS:
        hooks.REVIEW_SECTIONS.register(section)
    hooks.REVIEW_FACTS.provide(facts.facts)
    reminder_rules.RULES.register(reminders.REVIEW_PACK_READY)
    queue.register_job(service.PACK_JOB, jobs.build_pack)
    queue.register_job(service.LIST_PDF_JOB, jobs.build_issue_list_pdf)
    scheduler.PERIODIC.register(jobs.periodic)
    _register_history()


def _register_history() -> None:
    """How review packs' audit events read (core/history.py)."""
    from flask_babel import lazy_gettext as _l
    from flask_babel import lazy_pgettext as pgettext_l

    from app.core import history

    history.register(
        "review_pack",
        _l("Review pack"),
        actions={"pack_requested": _l("Pack requested"), "pack_generated": _l("Pack generated")},
        fields={"quarter": _l("Quarter"), "number": _l("Version"), "sha256": "SHA-256"},
        names=("quarter",),
    )
    history.register(
        "review_draft",
        _l("Review narrative"),
        actions={
            "narrative_started": _l("Narrative started"),
            "section_edited": _l("Section changed"),
            "narrative_approved": _l("Narrative approved"),
            "approval_withdrawn": _l("Approval withdrawn"),
        },
        fields={
            "quarter": _l("Quarter"),
            "body": _l("Text"),
            "status": _l("Status"),
            "instruction": _l("Leader's instruction"),
        },
        values={"status": {"draft": _l("Draft"), "approved": pgettext_l("narrative", "Approved")}},
        names=("quarter",),
    )
