"""The quarterly review pack (季度复盘材料) and the PDF exports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The reports' pages and menu entry; the problem list's sections of the review pack
    and its facts for the narrative; the reminder that a quarter's pack is ready; the
    packs, the bulletins and the list PDF as queued jobs, and the quarter's packs and the
    month's bulletins as periodic ones; the problem list's sections of the bulletin."""
    from app.core import hooks, nav, scheduler
    from app.core import jobs as queue
    from app.core import reminders as reminder_rules
    from app.reports import (
        bulletin,
        bulletin_jobs,
        bulletin_sections,
        facts,
        jobs,
        reminders,
        review,
        service,
        views,
    )
    from app.reports import bulletin_models as _bulletin_models  # noqa: F401  (its table)
    from app.reports import bulletin_views as _bulletin_views  # noqa: F401  (its routes)
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
    for section in bulletin_sections.SECTIONS:
        hooks.BULLETIN_SECTIONS.register(section)
    queue.register_job(bulletin.BULLETIN_JOB, bulletin_jobs.build_bulletin)
    scheduler.PERIODIC.register(bulletin_jobs.periodic)
    _register_history()


def _register_history() -> None:
    """How review packs', bulletins' and narratives' audit events read (core/history.py)."""
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
        "bulletin",
        _l("Supervision bulletin"),
        actions={
            "bulletin_requested": _l("Bulletin requested"),
            "bulletin_generated": _l("Bulletin generated"),
        },
        fields={"month": _l("Month"), "number": _l("Version"), "sha256": "SHA-256"},
        names=("month",),
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
