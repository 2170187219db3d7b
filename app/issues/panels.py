"""What other features show on an item's page (its instructions, extensions,
escalations, meetings, pilots), each provider's part kept until a table it reads changes.

The item's own row changes with every note on it, and its page is drawn afresh then;
a provider that names the tables it reads (``hooks.Hook.provide(…, reads=…)``) is given
the item's facts (``hooks.IssueFacts``), not the item, and its part is kept under those
tables' versions, the facts and the reader's session (its forms carry the session's
token): a progress note leaves the escalations' panel as it was drawn
(``core.freshness.kept_part``, which checks that the part reads no other table).
"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from markupsafe import Markup

from app.core import hooks
from app.core.freshness import kept_part

TEMPLATE = "issues/_panels.html"


def drawn(hook: hooks.Hook, facts: hooks.IssueFacts, cards: bool) -> Markup:
    """Every provider's sections of ``hook`` for the item, as cards or as they are."""
    parts = []
    for provider in hook.providers:

        def build(provider=provider) -> Markup:
            sections = provider(current_user, facts)
            if not sections:
                return Markup("")
            return Markup(render_template(TEMPLATE, sections=sections, cards=cards))

        reads = hook.reads.get(provider)
        if reads is None:
            parts.append(build())
            continue
        name = f"{hook.name}:{provider.__module__}.{provider.__qualname__}"
        parts.append(kept_part(name, reads, build, parts=(facts, cards), personal=True))
    return Markup("").join(parts)
