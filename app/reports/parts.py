"""Long PDFs rendered in parts, each by a process of its own, and joined.

WeasyPrint lays out one document on one core and keeps every page's boxes until it writes
the PDF; writing copies each font file it draws with (Noto Sans CJK: 19 MB a face) before
subsetting it. A long document is therefore cut into independent parts (each a small HTML
document of its own). Each part is rendered by a process forked for it alone, which exits
once the part is sent back, so nothing accumulates from one part to the next; at most
``workers`` of them run at once, and only one at a time writes its PDF (the fonts'
copies) while the others lay out. The caller's process holds only the parts under way and
the joined document. The parts are joined in order with pypdf; they must carry their own
page numbers: the callers paginate themselves and print fixed footers.
"""

from __future__ import annotations

import gc
import io
import logging
import multiprocessing
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from app.core.pdf import html_to_pdf

WORKERS = 2
logger = logging.getLogger(__name__)


class PartFailed(RuntimeError):
    """A part could not be rendered; the message says which and why, ``details`` holds
    the traceback from the part's process (also logged)."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


def _render_part(html: str, base_url: str | None, writing, channel) -> None:
    """In the part's own process: lay ``html`` out, write it when no other part is
    writing, and send back (True, PDF bytes) or (False, (the error, its traceback))."""
    try:
        from weasyprint import HTML

        document = HTML(string=html, base_url=base_url).render()
        with writing:
            data = document.write_pdf()
        del document
        channel.send((True, data))
    except BaseException as error:  # noqa: BLE001  (reported to the parent, which raises)
        reason = "".join(traceback.format_exception_only(error)).strip()
        channel.send((False, (reason, traceback.format_exc())))
    finally:
        channel.close()


def render_parts(
    htmls: Iterable[str], base_url: str | None = None, workers: int = WORKERS
) -> Iterator[bytes]:
    """Each HTML document as PDF bytes, in order, as soon as it and those before it are ready.

    ``htmls`` is read lazily: a part's HTML is taken when a process is free for it, so at
    most ``workers`` parts are under way. With one worker, or one part, they are rendered
    here. :raise PartFailed: when a part cannot be rendered (the others are stopped).
    """
    htmls = iter(htmls)
    ahead = deque(islice(htmls, 2))
    if workers <= 1 or len(ahead) < 2:
        for html in _drain(ahead, htmls):
            yield html_to_pdf(html, base_url)
        return
    import weasyprint  # noqa: F401  (loaded once here, shared by the forked processes)

    # fork: a part's process starts in milliseconds with WeasyPrint loaded and receives
    # its HTML without a copy. Meanwhile this process's objects are kept out of the
    # collector (gc.freeze), so that the children's collections do not write to, and so
    # copy, the memory pages they share with it.
    context = multiprocessing.get_context("fork")
    writing = context.Lock()
    running: dict[int, tuple[BaseProcess, Connection]] = {}
    ready: dict[int, bytes] = {}
    sent = 0

    def start(index: int, html: str) -> None:
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_render_part, args=(html, base_url, writing, sender), daemon=True
        )
        process.start()
        sender.close()
        running[index] = (process, receiver)

    def collect() -> None:
        """Wait for at least one running part and keep what it sent."""
        index_of = {receiver: index for index, (_process, receiver) in running.items()}
        for receiver in wait(list(index_of)):
            index = index_of[receiver]
            process, _receiver = running.pop(index)
            try:
                ok, payload = receiver.recv()
            except EOFError:
                ok, payload = False, ("its process ended without a result", "")
            finally:
                receiver.close()
                process.join()
            if not ok:
                reason, details = payload
                logger.error(
                    "part %d of a PDF failed (exit code %s):\n%s",
                    index + 1,
                    process.exitcode,
                    details or reason,
                )
                raise PartFailed(
                    f"part {index + 1} of the PDF could not be rendered: {reason}", details
                )
            ready[index] = payload

    gc.freeze()
    try:
        for index, html in enumerate(_drain(ahead, htmls)):
            while len(running) >= workers:
                collect()
            start(index, html)
            del html
            while sent in ready:
                yield ready.pop(sent)
                sent += 1
        while running:
            collect()
            while sent in ready:
                yield ready.pop(sent)
                sent += 1
    finally:
        gc.unfreeze()
        _stop(running.values())


def _stop(running) -> None:
    """End the parts still under way (a part failed, or the caller stopped reading)."""
    for process, receiver in running:
        process.terminate()
        process.join()
        receiver.close()


def _drain(ahead: deque, rest: Iterator) -> Iterator:
    """The items read ahead, each let go of once taken, then the rest."""
    while ahead:
        yield ahead.popleft()
    yield from rest


def join(parts: Iterable[bytes], title: str = "") -> bytes:
    """One PDF of the parts' pages in order; each part is read as it comes and let go."""
    from pypdf import PdfReader, PdfWriter

    parts = iter(parts)
    ahead = deque(islice(parts, 2))
    if len(ahead) == 1 and not title:
        return ahead[0]
    writer = PdfWriter()
    for part in _drain(ahead, parts):
        writer.append(PdfReader(io.BytesIO(part)))
        del part
    if title:
        writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
