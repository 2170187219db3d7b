"""The pieces every endpoint's schema shares: dates in the installation's zone, a
person, a page of rows with its links, a problem."""

from __future__ import annotations

from datetime import datetime

from marshmallow import Schema, fields, validate

from app.core import clock


class LocalDateTime(fields.DateTime):
    """An instant as ISO 8601 in the installation's zone (``TIMEZONE``), with its offset:
    ``2026-12-05T10:30:00+08:00``. Input in any offset is read as the instant it names."""

    def _serialize(self, value: datetime | None, attr, obj, **kwargs):
        if value is None:
            return None
        return clock.local(value).isoformat(timespec="seconds")

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=clock.zone())
        return parsed


class Strict(Schema):
    """Input schemas refuse fields they do not know (a typo is an error, not a no-op)."""

    class Meta:
        ordered = True


class PersonSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)


class PageLinksSchema(Schema):
    self = fields.String(required=True)
    first = fields.String(required=True)
    last = fields.String(required=True)
    prev = fields.String(allow_none=True)
    next = fields.String(allow_none=True)


class PageSchema(Schema):
    """The envelope of every list: ``items`` and where the other pages are."""

    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    links = fields.Nested(PageLinksSchema, required=True)


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """A page schema whose ``items`` are of ``item_schema`` (named ``name`` in the spec)."""
    return type(
        name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema), required=True)}
    )


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(
        validate=validate.Range(1, 100),
        metadata={"description": "Rows per page (the installation's API_PAGE_SIZE by default)."},
    )


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True, metadata={"example": "urn:gongjian:problem:stale-edit"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages per input field."},
    )
    details = fields.List(
        fields.String(), metadata={"description": "What a confirmation would accept."}
    )
