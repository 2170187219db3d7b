"""Two people saving at the same instant, made repeatable.

``Race`` lets two test clients post at once from two threads. Each request waits for
the other at a barrier once it has read what it needs, then both write; the database
decides who was first, and the other meets what the first wrote, exactly as when two
people press "Save" together. Where they meet:

- ``at="check"`` (editing one record): after ``check_version`` passed, so both read the
  same version;
- ``at="flush"`` (creating one thing twice): just before the request's first write, so
  both checked that the name or number was still free.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import event

from app.core import service as core_service
from app.core.conflicts import Session

WAIT_SECONDS = 20


class Race:
    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch
        self._racing = threading.local()
        self._barrier = threading.Barrier(2, timeout=WAIT_SECONDS)

    def _meet(self) -> None:
        if getattr(self._racing, "on", False) and not getattr(self._racing, "met", False):
            self._racing.met = True
            self._barrier.wait()

    def _meet_after_check_version(self) -> None:
        real = core_service.check_version

        def check_then_meet(obj, version):
            real(obj, version)
            self._meet()

        # Every service imported the function by name: replace it where it was imported.
        for name, module in list(sys.modules.items()):
            if name.startswith("app.") and getattr(module, "check_version", None) is real:
                self._monkeypatch.setattr(module, "check_version", check_then_meet)

    def run(self, *requests: Callable, at: str = "check"):
        """Run two requests at once; their responses, in the order given."""
        assert len(requests) == 2 and at in ("check", "flush")
        if at == "check":
            self._meet_after_check_version()

        def before_flush(session, flush_context, instances):
            self._meet()

        def racing(request):
            self._racing.on = True
            try:
                return request()
            finally:
                self._racing.on = False

        if at == "flush":
            event.listen(Session, "before_flush", before_flush)
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = [pool.submit(racing, request) for request in requests]
                return [future.result(timeout=3 * WAIT_SECONDS) for future in futures]
        finally:
            if at == "flush":
                event.remove(Session, "before_flush", before_flush)
