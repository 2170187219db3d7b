"""What features show on another feature's page through a hook (``core.hooks``), each
provider's part kept, where it can be, until a table it reads changes.

An item's row changes with every note on it, and the pages that show items are drawn
afresh then; a provider that names the tables it reads (``hooks.Hook.provide(…,
reads=…)``) reads nothing else — given an item, it is given its facts
(``hooks.IssueFacts``), which are part of the key — and its part is kept under those
tables' versions and the reader's session (its forms carry the session's token): a
progress note leaves an item's escalations and a reader's rollout tasks as they were
drawn (``core.freshness.kept_part``, which checks that the part reads no other table).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import render_template
from flask_login import current_user
from markupsafe import Markup

from app.core.freshness import kept_part, kept_value
from app.core.hooks import Hook


def drawn(
    hook: Hook,
    args: tuple,
    template: str,
    parts: tuple = (),
    across: Iterable = (),
    **context: Any,
) -> Markup:
    """Every provider's sections of ``hook``, each asked ``provider(reader, *args)`` and
    drawn by ``template`` with ``sections`` and ``context``. A kept part's key holds
    ``args`` and ``parts``, the reader and their roles, the URL and the day: ``context``
    must follow from them. A page across several task forces names them in ``across``
    (``TaskForce`` rows, as ``cached_body`` takes them)."""
    across = list(across)
    drawn_parts = []
    for provider in hook.providers:

        def build(provider=provider) -> Markup:
            sections = provider(current_user, *args)
            if not sections:
                return Markup("")
            return Markup(render_template(template, sections=sections, **context))

        reads = hook.reads.get(provider)
        if reads is None:
            drawn_parts.append(build())
            continue
        name = f"{hook.name}:{provider.__module__}.{provider.__qualname__}"
        key = (template, args, *parts)
        drawn_parts.append(kept_part(name, reads, build, key, personal=True, across=across))
    return Markup("").join(drawn_parts)


def collected(hook: Hook, *args: Any, task_force_id: int, key: tuple, **kwargs: Any) -> list:
    """``hook.collect(*args, **kwargs)`` for ``task_force_id``: each provider that names
    the tables it reads kept by the worker until one of them changes (in a request about
    that task force, ``kept_value``); ``key`` holds what the providers' answer depends on
    besides (the reader's id for a personal one, the dates asked)."""
    found: list = []
    for provider in hook.providers:
        reads = hook.reads.get(provider)
        if reads is None:
            found.extend(provider(*args, **kwargs) or [])
            continue

        def build(provider=provider) -> tuple:
            return tuple(provider(*args, **kwargs) or ())

        name = f"{hook.name}:{provider.__module__}.{provider.__qualname__}"
        found.extend(kept_value(name, reads, build, key, task_force_id))
    return found
