"""Word documents (.docx) from the HTML a PDF is rendered from: one source, two formats.

``html_to_docx`` reads the HTML that ``templates/pdf/base.html`` documents are made of
(lxml, which fetches nothing) and writes it with python-docx, so that a manager can open
the file in Word or WPS and restyle it with the bank's own template:

- ``h1``…``h6`` are the built-in styles "Heading 1"…"Heading 6" (the navigation pane and
  the contents follow them), except the cover's ``h1``, which is "Title", and the
  contents' own heading, which is "TOC Heading" (so it does not list itself);
- an element of class ``cover`` is written as it stands, then a page break; the first
  page then carries no running header or page number, as in the PDF;
- an element of class ``toc`` becomes a real contents field (``TOC \\o "1-3" \\h \\z \\u``)
  whose cached text is the list's, refreshed by Word when it opens the file, then a page
  break. The PDF lays its contents out last and moves them behind the cover
  (``reports.service.pack_document``), so a contents list after a cover goes behind it;
- tables are Word tables (``docx_tables``), lists are "List Bullet"/"List Number" (two
  and three for nested lists), ``dl`` reads "term：definition", SVG charts (inline or as
  ``data:`` images) are drawn as PNG by CairoSVG, ``data:`` PNG/JPEG/GIF go in as they
  are and any other image is left out (nothing is fetched);
- a page break comes before an element of class ``page-break`` or one whose inline style,
  or a simple ``tag.class`` rule of the page's ``<style>``, says ``page-break-before:
  always``; ``data-docx="skip"``, ``hidden`` and inline ``display: none`` leave an
  element out;
- body text is 宋体 (Latin: Times New Roman), headings 黑体 (Arial), east-Asian language
  zh-CN; A4 portrait with the PDF's margins (22/16/18/16 mm); the footer holds PAGE and
  NUMPAGES fields.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, replace
from io import BytesIO

import lxml.html
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.image.exceptions import UnrecognizedImageError
from docx.image.image import Image
from docx.shared import Emu, Pt, RGBColor

from app.core import docx_page as page
from app.core.docx_page import MUTED, TEXT_WIDTH
from app.core.docx_tables import add_table


def _words(text: str) -> list[str]:
    return text.split()


BLOCK_TAGS = frozenset(
    _words(
        "address article aside blockquote body caption dd details dialog div dl dt fieldset "
        "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main nav ol p "
        "pre section summary table ul"
    )
)
SKIP_TAGS = frozenset(
    _words(
        "head title style script template noscript input button select textarea option iframe "
        "object embed video audio canvas map meta link base colgroup col"
    )
)
HEADINGS = {f"h{n}": f"Heading {n}" for n in range(1, 7)}
RASTER_TYPES = frozenset({"image/png", "image/jpeg", "image/jpg", "image/gif"})
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SVG_TAG = re.compile(r"<svg\b|</svg\s*>", re.IGNORECASE)
_DATA_URI = re.compile(r"data:([\w/+.-]*)((?:;[^;,]*)*?),(.*)", re.DOTALL | re.IGNORECASE)
_BREAK_BEFORE = re.compile(r"(?:page-)?break-before\s*:\s*(?:always|page|left|right)", re.I)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_BREAK_DECLARATION = re.compile(r"(?:page-)?break-before\s*:\s*([a-z-]+)", re.I)
_SIMPLE_SELECTOR = re.compile(r"^([a-z][a-z0-9]*)?((?:\.[\w-]+)*)$")
_HIDDEN = re.compile(r"display\s*:\s*none", re.I)
_ALIGN = re.compile(r"text-align\s*:\s*(right|center)", re.I)


def html_to_docx(
    html: str, *, title: str = "", header: str = "", footer: str = "", language: str = "zh-CN"
) -> bytes:
    """The HTML document (as rendered for the PDF) as a .docx file's bytes.

    ``header`` is the running header (top right), ``footer`` a text with ``{page}`` and
    ``{pages}`` placeholders written as PAGE and NUMPAGES fields (empty: the page number
    alone, centred).
    """
    root, svgs = _parse(html)
    document = Document()
    page.set_up_page(document)
    page.set_up_styles(document)
    body = root.find("body") if root.find("body") is not None else root
    _contents_behind_cover(body)
    writer = _Writer(document, svgs, language, _css_page_breaks(root))
    _Flow(writer, document, TEXT_WIDTH, in_body=True).blocks(body, _Format(), _Para())
    section = document.sections[0]
    section.different_first_page_header_footer = writer.cover_first
    page.write_header(section, header)
    page.write_footer(section, footer)
    if writer.has_contents:
        page.update_fields_on_open(document)
    page.set_properties(document, title or (root.findtext(".//title") or "").strip(), language)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


# --- reading the HTML -----------------------------------------------------------------


def _parse(html: str):
    """(root element, inline SVG sources). Inline ``<svg>`` is cut out before lxml's HTML
    parser sees it (it would lower-case ``viewBox`` and lose namespaces) and left as an
    ``<img data-docx-svg="n">`` placeholder."""
    text, svgs = _cut_out_svg(_NOT_XML.sub("", html or ""))
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    if not text.strip():
        text = "<html><body></body></html>"
    return lxml.html.document_fromstring(text, parser=parser), svgs


def _cut_out_svg(html: str) -> tuple[str, list[str]]:
    parts, svgs, depth, start, last = [], [], 0, 0, 0
    for match in _SVG_TAG.finditer(html):
        if match.group(0)[1] != "/":
            if depth == 0:
                start = match.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                parts.append(html[last:start])
                parts.append(f'<img data-docx-svg="{len(svgs)}">')
                svgs.append(html[start : match.end()])
                last = match.end()
    parts.append(html[last:])
    return "".join(parts), svgs


def _css_page_breaks(root) -> list[tuple[str | None, frozenset[str], bool]]:
    """The ``<style>`` rules with a simple selector (a tag, classes, or both) that say
    whether the page breaks before an element: (tag, classes, breaks), in the page's
    order, so that a later rule (``h2.section { page-break-before: auto }``) undoes an
    earlier one as in the browser."""
    rules = []
    for style in root.iter("style"):
        css = re.sub(r"/\*.*?\*/", "", style.text or "", flags=re.DOTALL)
        for selectors, declarations in _CSS_RULE.findall(css):
            found = _BREAK_DECLARATION.search(declarations)
            if not found:
                continue
            breaks = found.group(1).lower() in ("always", "page", "left", "right")
            for selector in selectors.split(","):
                simple = _SIMPLE_SELECTOR.match(selector.strip())
                if simple and selector.strip():
                    classes = frozenset(name for name in simple.group(2).split(".") if name)
                    rules.append((simple.group(1), classes, breaks))
    return rules


def _contents_behind_cover(body) -> None:
    covers, contents = body.find_class("cover"), body.find_class("toc")
    if not covers or not contents:
        return
    cover, toc = covers[0], contents[0]
    order = {element: index for index, element in enumerate(body.iter())}
    if order[toc] < order[cover] or cover in toc.iterancestors():
        return
    if toc.tail:  # the text after the contents stays where it was
        previous = toc.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + toc.tail
        else:
            parent = toc.getparent()
            parent.text = (parent.text or "") + toc.tail
        toc.tail = None
    cover.addnext(toc)


def _classes(element) -> set[str]:
    return set((element.get("class") or "").split())


def _skipped(element) -> bool:
    return (
        element.tag in SKIP_TAGS
        or element.get("data-docx") == "skip"
        or element.get("hidden") is not None
        or bool(_HIDDEN.search(element.get("style") or ""))
    )


# --- formats ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Format:
    """How runs look: what an element and its ancestors say."""

    bold: bool = False
    italic: bool = False
    mono: bool = False
    pre: bool = False
    colour: str | None = None
    size: float | None = None
    vertical: str | None = None  # "superscript" or "subscript"

    def of(self, element) -> _Format:
        fmt = replace(self, **TAG_FORMATS.get(element.tag, {}))
        for name in _classes(element):
            fmt = replace(fmt, **CLASS_FORMATS.get(name, {}))
        return fmt


TAG_FORMATS = {
    "b": {"bold": True},
    "strong": {"bold": True},
    "th": {"bold": True},
    "dt": {"bold": True},
    "em": {"italic": True},
    "i": {"italic": True},
    "cite": {"italic": True},
    "var": {"italic": True},
    "code": {"mono": True},
    "kbd": {"mono": True},
    "samp": {"mono": True},
    "pre": {"mono": True, "pre": True},
    "small": {"size": 8},
    "sup": {"vertical": "superscript"},
    "sub": {"vertical": "subscript"},
}
CLASS_FORMATS = {
    "muted": {"colour": MUTED},
    "small": {"size": 8},
    "meta": {"colour": MUTED, "size": 8.5},
    "empty": {"colour": MUTED, "italic": True},
    "light-red": {"colour": "C62828"},
    "light-yellow": {"colour": "B26A00"},
    "light-green": {"colour": "2E7D32"},
    "kicker": {"colour": "1F3F6E", "size": 11},
    "value": {"colour": "1F3F6E", "size": 18, "bold": True},
    "label": {"colour": MUTED, "size": 8},
}
CLASS_STYLES = {"subtitle": "Subtitle"}
TAG_STYLES = {"blockquote": "Quote", "figcaption": "Caption", "caption": "Caption"}


@dataclass(frozen=True)
class _Para:
    """How the paragraphs of a block are made: their style and alignment."""

    style: str | None = None
    align: str | None = None

    def of(self, element) -> _Para:
        classes = _classes(element)
        para = self
        style = TAG_STYLES.get(element.tag)
        for name in classes:
            style = CLASS_STYLES.get(name, style)
        if style:
            para = replace(para, style=style)
        if "num" in classes:
            para = replace(para, align="right")
        align = _ALIGN.search(element.get("style") or "")
        if align:
            para = replace(para, align=align.group(1).lower())
        return para


# --- writing ----------------------------------------------------------------------------


class _Writer:
    """What the flows of one document share."""

    def __init__(self, document, svgs: list[str], language: str, break_rules) -> None:
        self.document = document
        self.svgs = svgs
        self.separator = "：" if language.lower().startswith("zh") else ": "
        self.break_rules = break_rules
        self.pending_break = False
        self.started = False  # something is on the first page
        self.cover_first = False
        self.has_contents = False
        self._style_ids: dict[str, str] = {}

    def style_id(self, name: str) -> str:
        if name not in self._style_ids:
            self._style_ids[name] = self.document.styles[name].style_id
        return self._style_ids[name]

    def breaks_before(self, element) -> bool:
        if "page-break" in _classes(element):
            return True
        if _BREAK_BEFORE.search(element.get("style") or ""):
            return True
        classes = set(_classes(element))
        best = None  # the matching rule that wins: the most specific, then the last
        for order, (tag, names, breaks) in enumerate(self.break_rules):
            if (tag is None or tag == element.tag) and names <= classes:
                rank = (len(names), tag is not None, order)
                if best is None or rank > best[0]:
                    best = (rank, breaks)
        return best is not None and best[1]

    def restart_numbering(self, style: str, start: int) -> int:
        """A new numbering of ``style``'s list that starts at ``start``: each ``ol`` counts
        from its own start instead of going on from the previous list."""
        num_id = self.document.styles[style].element.pPr.numPr.numId.val
        numbering = self.document.part.numbering_part.element
        abstract = numbering.num_having_numId(num_id).abstractNumId.val
        num = numbering.add_num(abstract)
        num.add_lvlOverride(ilvl=0).add_startOverride(start)
        return num.numId


class _Flow:
    """Writes HTML content into one container: the document's body or a table cell."""

    def __init__(self, writer: _Writer, container, width: int, in_body: bool = False) -> None:
        self.writer = writer
        self.container = container
        self.width = int(width)  # EMU
        self.in_body = in_body
        self.paragraph = None
        self.last_text_run = None
        self.ends_space = True
        self.list_level = 0
        self.item_style: str | None = None  # the style of a list item's first paragraph
        self.item_numbering: int | None = None
        self.in_cover = False
        self.in_contents = False

    def child(self, container, width: int) -> _Flow:
        return _Flow(self.writer, container, width)

    # block content

    def blocks(self, element, fmt: _Format, para: _Para) -> None:
        self.content(element, fmt, para)
        self.close()

    def content(self, element, fmt: _Format, para: _Para) -> None:
        self.text(element.text, fmt, para)
        for child in element:
            if isinstance(child.tag, str) and not _skipped(child):
                if child.tag in BLOCK_TAGS:
                    self.close()
                    self.block(child, fmt, para)
                else:
                    self.inline(child, fmt, para)
            self.text(child.tail, fmt, para)

    def block(self, element, fmt: _Format, para: _Para) -> None:
        if self.in_body and self.writer.breaks_before(element):
            self.writer.pending_break = True
        tag, classes = element.tag, _classes(element)
        fmt, para = fmt.of(element), para.of(element)
        if "cover" in classes and self.in_body:
            self.cover(element, fmt, para)
        elif "toc" in classes and self.in_body:
            self.contents(element, fmt)
        elif tag in HEADINGS:
            style = HEADINGS[tag]
            if tag == "h1" and self.in_cover:
                style = "Title"
            elif self.in_contents:
                style = "TOC Heading"
            self.blocks(element, fmt, replace(para, style=style))
        elif tag in ("ul", "ol"):
            self.list(element, fmt, para)
        elif tag == "li":
            self.list_item(element, fmt, para, "List Bullet", None)
        elif tag == "dl":
            self.definitions(element, fmt, para)
        elif tag == "table":
            add_table(self, element, fmt, para)
        elif tag != "hr":
            self.blocks(element, fmt, para)

    def cover(self, element, fmt: _Format, para: _Para) -> None:
        self.writer.cover_first = self.writer.cover_first or not self.writer.started
        self.in_cover = True
        self.blocks(element, fmt, para)
        self.in_cover = False
        self.writer.pending_break = True

    def list(self, element, fmt: _Format, para: _Para) -> None:
        self.list_level += 1
        suffix = "" if self.list_level == 1 else f" {min(self.list_level, 3)}"
        style = ("List Number" if element.tag == "ol" else "List Bullet") + suffix
        numbering = None
        if element.tag == "ol":
            start = element.get("start", "1")
            numbering = self.writer.restart_numbering(style, int(start) if start.isdigit() else 1)
        for child in element:
            if not isinstance(child.tag, str) or _skipped(child):
                continue
            if child.tag == "li":
                self.list_item(child, fmt.of(child), para.of(child), style, numbering)
            else:
                self.block(child, fmt, para)
        self.list_level -= 1

    def list_item(self, element, fmt, para, style: str, numbering: int | None) -> None:
        self.item_style, self.item_numbering = style, numbering
        follow_on = style.replace("Bullet", "Continue").replace("Number", "Continue")
        self.blocks(element, fmt, replace(para, style=follow_on))
        self.item_style = self.item_numbering = None

    def definitions(self, element, fmt: _Format, para: _Para) -> None:
        """``<dt>`` and ``<dd>`` as "term：definition" paragraphs."""
        term = None
        for child in element:
            if not isinstance(child.tag, str) or _skipped(child):
                continue
            if child.tag == "dd":
                if term is not None:
                    self.content(term, fmt.of(term), para)
                    self.text(self.writer.separator, fmt, para)
                    self.ends_space = True
                    term = None
                self.blocks(child, fmt.of(child), para.of(child))
            else:
                if term is not None:
                    self.blocks(term, fmt.of(term), para)
                term = child if child.tag == "dt" else None
                if term is None:
                    self.block(child, fmt, para)
        if term is not None:
            self.blocks(term, fmt.of(term), para)

    def contents(self, element, fmt: _Format) -> None:
        """The contents list as a TOC field whose cached result is the list's text."""
        self.in_contents = True
        for child in element:
            if isinstance(child.tag, str) and child.tag in HEADINGS:
                self.block(child, fmt, _Para())
        self.in_contents = False
        entries = _contents_entries(element) or [(1, "")]
        for index, (level, text) in enumerate(entries):
            paragraph = self.new_paragraph(_Para())
            paragraph.paragraph_format.left_indent = Pt(21 * (level - 1))
            if index == 0:
                page.add_field_start(paragraph, 'TOC \\o "1-3" \\h \\z \\u')
            if text:
                paragraph.add_run(text)
            if index == len(entries) - 1:
                page.add_field_char(paragraph, "end")
        self.paragraph = None
        self.writer.has_contents = True
        self.writer.pending_break = True

    # inline content

    def inline(self, element, fmt: _Format, para: _Para) -> None:
        if element.tag == "br":
            self.current(para).add_run().add_break()
            self.last_text_run, self.ends_space = None, True
        elif element.tag == "img":
            self.image(element, para)
        else:
            self.content(element, fmt.of(element), para)

    def text(self, text: str | None, fmt: _Format, para: _Para) -> None:
        if not text:
            return
        if fmt.pre:
            for index, line in enumerate(text.split("\n")):
                if index:
                    self.current(para).add_run().add_break()
                if line:
                    self.run(line, fmt, para)
            self.ends_space = False
            return
        text = _WHITESPACE.sub(" ", text)
        if self.ends_space:
            text = text.lstrip(" ")
        if text:
            self.last_text_run = self.run(text, fmt, para)
            self.ends_space = text.endswith(" ")

    def run(self, text: str, fmt: _Format, para: _Para):
        run = self.current(para).add_run(text)
        if fmt.bold:
            run.bold = True
        if fmt.italic:
            run.italic = True
        if fmt.mono:
            run.font.name = "Consolas"
        if fmt.colour:
            run.font.color.rgb = RGBColor.from_string(fmt.colour)
        if fmt.size:
            run.font.size = Pt(fmt.size)
        if fmt.vertical == "superscript":
            run.font.superscript = True
        elif fmt.vertical == "subscript":
            run.font.subscript = True
        return run

    def image(self, element, para: _Para) -> None:
        picture = _picture(element, self.writer.svgs)
        if picture is None:
            return
        blob, natural_width = picture
        width = natural_width
        declared = (element.get("width") or "").strip().removesuffix("px")
        if declared.replace(".", "", 1).isdigit():
            width = int(float(declared) * 9525)  # CSS pixels at 96 per inch
        width = min(width, self.width) or self.width
        run = self.current(para).add_run()
        try:
            run.add_picture(BytesIO(blob), width=Emu(width))
        except UnrecognizedImageError:
            run._r.getparent().remove(run._r)
            return
        self.last_text_run, self.ends_space = None, False

    # paragraphs

    def current(self, para: _Para):
        if self.paragraph is None:
            self.paragraph = self.new_paragraph(para)
        return self.paragraph

    def new_paragraph(self, para: _Para):
        self.close()
        paragraph = self.container.add_paragraph()
        style = self.item_style or para.style
        if style:
            paragraph._p.style = self.writer.style_id(style)
        if self.item_numbering is not None:
            num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = 0
            num_pr.get_or_add_numId().val = self.item_numbering
        self.item_style = self.item_numbering = None
        if para.align:
            paragraph.alignment = {"right": WD_ALIGN_PARAGRAPH.RIGHT}.get(
                para.align, WD_ALIGN_PARAGRAPH.CENTER
            )
        if self.in_body and self.writer.pending_break and self.writer.started:
            paragraph.paragraph_format.page_break_before = True
        if self.in_body:
            self.writer.pending_break, self.writer.started = False, True
        return paragraph

    def before_table(self) -> None:
        """A page break due before a table needs a paragraph of its own."""
        self.close()
        if self.in_body and self.writer.pending_break and self.writer.started:
            self.container.add_paragraph().paragraph_format.page_break_before = True
        if self.in_body:
            self.writer.pending_break, self.writer.started = False, True

    def close(self) -> None:
        if self.last_text_run is not None and self.last_text_run.text.endswith(" "):
            self.last_text_run.text = self.last_text_run.text.rstrip(" ")
        self.paragraph = self.last_text_run = None
        self.ends_space = True


def _contents_entries(element) -> list[tuple[int, str]]:
    """(level, text) of each entry of a contents list: its items, else its links."""
    entries = []
    for item in element.iter("li"):
        level = sum(1 for parent in item.iterancestors("ol", "ul") if parent is not element)
        level = min(max(level, 1), 3)
        text = _own_text(item)
        if text:
            entries.append((level, text))
    if not entries:
        entries = [(1, _own_text(link)) for link in element.iter("a") if _own_text(link)]
    return entries


def _own_text(element) -> str:
    """An element's text without its nested lists'."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in ("ol", "ul") and not _skipped(child):
            parts.append(_own_text(child))
        parts.append(child.tail or "")
    return _WHITESPACE.sub(" ", "".join(parts)).strip()


# --- pictures ---------------------------------------------------------------------------


def _picture(element, svgs: list[str]) -> tuple[bytes, int] | None:
    """(image bytes, natural width in EMU) of an ``<img>``, or None: only inline SVG and
    ``data:`` addresses are read, nothing is fetched."""
    index = element.get("data-docx-svg")
    if index is not None and index.isdigit() and int(index) < len(svgs):
        return _svg_picture(svgs[int(index)].encode())
    match = _DATA_URI.match((element.get("src") or "").strip())
    if not match:
        return None
    mime = (match.group(1) or "text/plain").lower()
    try:
        if ";base64" in match.group(2).lower():
            data = base64.b64decode(re.sub(r"\s+", "", match.group(3)), validate=True)
        else:
            from urllib.parse import unquote_to_bytes

            data = unquote_to_bytes(match.group(3))
    except (binascii.Error, ValueError):
        return None
    if mime == "image/svg+xml":
        return _svg_picture(data)
    if mime not in RASTER_TYPES:
        return None
    try:
        return data, Image.from_blob(data).px_width * 9525
    except UnrecognizedImageError:
        return None


def _svg_picture(svg: bytes) -> tuple[bytes, int] | None:
    """The SVG drawn as PNG at twice its size (sharp in print), with its natural width."""
    import cairosvg  # imported on use, like WeasyPrint

    opening = re.search(rb"<svg\b[^>]*>", svg)
    if opening is not None:
        tag = opening.group(0)
        extra = b""
        if b"xmlns=" not in tag:
            extra += b' xmlns="http://www.w3.org/2000/svg"'
        if b"xlink:" in svg and b"xmlns:xlink" not in tag:
            extra += b' xmlns:xlink="http://www.w3.org/1999/xlink"'
        svg = svg[: opening.start() + 4] + extra + svg[opening.start() + 4 :]
    try:
        png = cairosvg.svg2png(bytestring=svg, scale=2, unsafe=False)
    except Exception:  # a chart that cannot be drawn must not cost the whole document
        return None
    return png, Image.from_blob(png).px_width * 9525 // 2
