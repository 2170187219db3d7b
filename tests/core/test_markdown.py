"""Markdown rendered once per text: the same text gives the same sanitised markup."""

from __future__ import annotations

from app.core import markdown


def test_a_text_rendered_before_is_taken_as_rendered_and_still_sanitised():
    text = "**进度**：<script>alert(1)</script> [链接](javascript:alert(1))"
    first = markdown.render(text)
    assert markdown.render(text) is first  # kept
    assert "<strong>进度</strong>" in first
    assert "<script>" not in first and 'href="javascript' not in first
    assert markdown.render(text + "。") is not first
    # A long text (minutes) is rendered each time, to the same markup.
    long = "纪要" * (markdown._KEPT_LENGTH // 2) + " **完**"
    assert markdown.render(long) == markdown.render(long)
    assert markdown.render(long) is not markdown.render(long)
    assert markdown.render("") == markdown.render(None) == ""
