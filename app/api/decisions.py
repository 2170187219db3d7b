"""``/api/v1/escalations`` and ``/api/v1/decisions``: questions moved up a level and the
decision register, through the decision pages' own services (``decisions.service``)."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from app.api.decision_schemas import (
    DecisionCreateSchema,
    EscalationCreateSchema,
    EscalationDetailSchema,
    EscalationPageSchema,
    RegisterArgsSchema,
)
from app.api.items import load_item
from app.api.paging import Paging, envelope
from app.api.spec import api_blueprint
from app.api.versions import etag, expected_version
from app.core import clock
from app.core.permissions import can
from app.core.web import current_task_force, requires
from app.decisions import service
from app.decisions.models import DECIDED, Escalation
from app.issues.models import Issue

bp = api_blueprint(
    "api_decisions", __name__, "Escalations (提级) and their decisions: the decision register."
)


def load_escalation(escalation_id: int) -> Escalation:
    """The escalation of the URL in the task force of the call (404 for any other)."""
    return service.load_escalation(current_user, escalation_id)


def _detail(escalation: Escalation) -> Escalation:
    decision = escalation.api_decision = escalation.decision
    if decision is None:
        escalation.api_overdue = escalation.overdue_on(clock.today())
        escalation.api_days = None
    else:
        escalation.api_overdue = clock.local_date(decision.decided_at) > escalation.due_on
        seconds = (decision.decided_at - escalation.raised_at).total_seconds()
        escalation.api_days = round(seconds / 86400, 1)
    escalation.api_may_decide = escalation.pending and can(
        current_user, "escalation.decide", escalation
    )
    return escalation


def _register(args: dict, status: str | None):
    paging = Paging.of(args)
    filters = service.RegisterFilter(
        kind=args.get("kind"),
        level=args.get("level"),
        status=status,
        raised_from=args.get("raised_from"),
        raised_to=args.get("raised_to"),
        q=args["q"].strip(),
    )
    found = service.register_page(
        current_user, current_task_force().id, filters, paging.page, per_page=paging.per_page
    )
    rows = []
    for row in found.rows:
        row.escalation.api_decision = row.decision  # read with it: no query per row
        row.escalation.api_overdue = row.overdue
        row.escalation.api_days = row.days_to_decision
        rows.append(row.escalation)
    body, headers = envelope(rows, found.total, found.page, paging.per_page)
    return body, 200, headers


@bp.route("/escalations", methods=["GET"])
@requires("escalation.view")
@bp.arguments(RegisterArgsSchema, location="query", as_kwargs=True)
@bp.response(200, EscalationPageSchema)
def list_escalations(**args):
    """Every escalation with its decision, newest first, filtered as the register is
    (``status=pending`` for those waiting)."""
    return _register(args, args.get("status"))


@bp.route("/decisions", methods=["GET"])
@requires("escalation.view")
@bp.arguments(RegisterArgsSchema, location="query", as_kwargs=True)
@bp.response(200, EscalationPageSchema)
def decision_register(**args):
    """The decision register (决策台账): the decided escalations, newest first."""
    return _register(args, DECIDED)


@bp.route("/escalations/<int:escalation_id>", methods=["GET"])
@requires("escalation.view", load=load_escalation)
@bp.response(200, EscalationDetailSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_escalation(escalation: Escalation, escalation_id: int):
    return _detail(escalation), 200, etag(escalation)


@bp.route("/items/<int:item_id>/escalations", methods=["POST"])
@requires("escalation.raise", load=load_item)
@bp.arguments(EscalationCreateSchema)
@bp.response(201, EscalationDetailSchema, headers={"Location": {"schema": {"type": "string"}}})
def raise_escalation(issue: Issue, data: dict, item_id: int):
    """Move a question on an open item up a level: its owner, its collaborators, the
    leaders. The deciders are told."""
    escalation = service.raise_escalation(current_user, issue, service.EscalationInput(**data))
    location = url_for("api_decisions.read_escalation", escalation_id=escalation.id)
    return _detail(escalation), 201, {"Location": location, **etag(escalation)}


@bp.route("/escalations/<int:escalation_id>/decision", methods=["POST"])
@requires("escalation.decide", load=load_escalation)
@bp.arguments(DecisionCreateSchema)
@bp.response(201, EscalationDetailSchema, headers={"ETag": {"schema": {"type": "string"}}})
def decide(escalation: Escalation, data: dict, escalation_id: int):
    """Decide: the level it went up to (the leader alone for the leader's). The decision
    is applied to the item (unblock, new deadline, new owner) in the same unit of work."""
    version = expected_version(escalation, data.pop("version", None))
    service.decide(current_user, escalation, service.DecisionInput(**data), version)
    return _detail(escalation), 201, etag(escalation)
