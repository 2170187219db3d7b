"""Read a PDF back with poppler: its text (pdftotext) and its fonts (pdffonts); and a
Word file as LibreOffice prints it (the second reader of the Word files we make)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is installed by make test"
)


def _run(tool: str, data: bytes, *args: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(data)
        return subprocess.run(
            [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
            capture_output=True,
            text=True,
            check=True,
        ).stdout


def pdf_text(data: bytes, layout: bool = False) -> str:
    return _run("pdftotext", data, *(["-layout"] if layout else []))


def embedded_fonts(data: bytes) -> list[str]:
    """Names of the embedded fonts, subset prefix removed: ["Noto-Sans-CJK-SC", ...]."""
    names = []
    for line in _run("pdffonts", data).splitlines()[2:]:
        parts = line.split()
        # columns from the right: emb sub uni object-id generation
        if len(parts) >= 6 and parts[-5] == "yes":
            names.append(parts[0].split("+", 1)[-1])
    return names


soffice = shutil.which("soffice")
needs_libreoffice = pytest.mark.skipif(
    soffice is None, reason="LibreOffice (soffice) is installed by scripts/system-deps.sh"
)


def word_to_pdf(data: bytes, folder: Path) -> bytes:
    """A .docx as LibreOffice (headless, a profile of its own in ``folder``) prints it."""
    source = folder / "document.docx"
    source.write_bytes(data)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{folder}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (folder / "document.pdf").read_bytes()
