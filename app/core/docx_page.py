"""The page around a Word document's text, for ``app.core.docx``: A4 and the PDF's margins,
the styles (Chinese fonts named the way Word and WPS expect), the running header, the page
numbers, fields, and the document's properties."""

from __future__ import annotations

import re

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from app.core import clock

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGINS = {"top": Mm(22), "right": Mm(16), "bottom": Mm(18), "left": Mm(16)}
TEXT_WIDTH = PAGE_WIDTH - MARGINS["left"] - MARGINS["right"]  # EMU
BODY_FONTS = ("宋体", "Times New Roman")  # (east-Asian, Latin)
HEADING_FONTS = ("黑体", "Arial")
HEADING_STYLES = {  # style: size in points (Chinese sizes: 二号, 三号, 四号, 小四, 五号)
    "Title": 22,
    "Subtitle": 14,
    "Heading 1": 16,
    "Heading 2": 14,
    "Heading 3": 12,
    "Heading 4": 10.5,
    "Heading 5": 10.5,
    "Heading 6": 10.5,
    "TOC Heading": 16,
}
TABLE_TEXT = "Table Text"
TEXT_COLOUR, MUTED = "1D2330", "666677"


def _words(text: str) -> list[str]:
    return text.split()


# The elements that follow w:updateFields in w:settings (ECMA-376 CT_Settings order).
_AFTER_UPDATE_FIELDS = _words(
    "w:hdrShapeDefaults w:footnotePr w:endnotePr w:compat w:docVars w:rsids m:mathPr "
    "w:attachedSchema w:themeFontLang w:clrSchemeMapping w:doNotIncludeSubdocsInStats "
    "w:doNotAutoCompressPictures w:forceUpgrade w:captions w:readModeInkLockDown "
    "w:smartTagType sl:schemaLibrary w:shapeDefaults w:doNotEmbedSmartTags w:decimalSymbol "
    "w:listSeparator"
)


def set_up_page(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.right_margin = MARGINS["top"], MARGINS["right"]
    section.bottom_margin, section.left_margin = MARGINS["bottom"], MARGINS["left"]
    section.header_distance, section.footer_distance = Mm(10), Mm(8)


def _set_fonts(rpr, fonts: tuple[str, str]) -> None:
    """Name the fonts outright: theme fonts would win over them in Word."""
    east_asian, latin = fonts
    rfonts = rpr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)
    for name, value in (("ascii", latin), ("hAnsi", latin), ("eastAsia", east_asian)):
        rfonts.set(qn(f"w:{name}"), value)
    rfonts.set(qn("w:cs"), latin)


def set_up_styles(document) -> None:
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(defaults, BODY_FONTS)
    lang = defaults.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal = styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr(), BODY_FONTS)
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.25
    for name, size in HEADING_STYLES.items():
        style = styles[name]
        _set_fonts(style.element.get_or_add_rPr(), HEADING_FONTS)
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor.from_string("1F3F6E" if name == "Title" else TEXT_COLOUR)
        if name.startswith("Heading"):
            style.paragraph_format.space_before = Pt(12 if name == "Heading 1" else 8)
            style.paragraph_format.space_after = Pt(4)
    table_text = styles.add_style(TABLE_TEXT, WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    table_text.font.size = Pt(9)
    table_text.paragraph_format.space_after = Pt(0)
    table_text.paragraph_format.line_spacing = 1.1


def write_header(section, text: str) -> None:
    if not text:
        return
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _small(paragraph.add_run(text))
    border = OxmlElement("w:pBdr")
    border.append(
        OxmlElement(
            "w:bottom",
            {qn("w:val"): "single", qn("w:sz"): "4", qn("w:space"): "1", qn("w:color"): "D6DBE3"},
        )
    )
    paragraph._p.get_or_add_pPr().append(border)


def write_footer(section, template: str) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for part in re.split(r"(\{page\}|\{pages\})", template or "{page}"):
        if part in ("{page}", "{pages}"):
            add_field_start(paragraph, "PAGE" if part == "{page}" else "NUMPAGES")
            _small(paragraph.add_run("1"))
            add_field_char(paragraph, "end")
        elif part:
            _small(paragraph.add_run(part))


def _small(run) -> None:
    run.font.size = Pt(8)
    run.font.color.rgb = RGBColor.from_string(MUTED)


def add_field_start(paragraph, instruction: str) -> None:
    """A field's beginning, instruction and separator; its result and end follow."""
    add_field_char(paragraph, "begin")
    run = paragraph.add_run()
    code = OxmlElement("w:instrText", {qn("xml:space"): "preserve"})
    code.text = f" {instruction} "
    run._r.append(code)
    add_field_char(paragraph, "separate")


def add_field_char(paragraph, kind: str) -> None:
    paragraph.add_run()._r.append(OxmlElement("w:fldChar", {qn("w:fldCharType"): kind}))


def update_fields_on_open(document) -> None:
    settings = document.settings.element
    settings.insert_element_before(
        OxmlElement("w:updateFields", {qn("w:val"): "true"}), *_AFTER_UPDATE_FIELDS
    )


def set_properties(document, title: str, language: str) -> None:
    """Title and language; none of the machine's or template's data."""
    properties = document.core_properties
    properties.title = title
    properties.language = language
    properties.author = properties.last_modified_by = ""
    properties.comments = properties.subject = properties.keywords = properties.category = ""
    properties.revision = 1
    properties.created = properties.modified = clock.now().replace(microsecond=0)
    package = document.part.package
    for key, relation in list(package.rels.items()):
        if relation.reltype == RT.THUMBNAIL:  # the template's picture of another document
            package.rels.pop(key)
