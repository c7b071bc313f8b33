"""report.md shows user text (group labels, firm names, titles) as written.

Markdown passes raw HTML through, so a group label ``<b>x</b>`` used to
become bold text (or a hidden ``<!-- -->`` comment swallowed the rest of a
table) in report.md, while report.html escaped it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from eventstudy.report.blocks import Block
from eventstudy.report.render import render_markdown
from eventstudy.report.textfmt import md_table, md_text


def test_tags_and_entities_are_made_literal_but_p_values_are_not():
    assert md_text("<b>x</b>") == "&lt;b>x&lt;/b>"
    assert md_text("<!-- hidden -->") == "&lt;!-- hidden -->"
    assert md_text("a &amp; b") == "a &amp;amp; b"
    assert md_text("p<0.001, R&D, 1 < 2") == "p<0.001, R&D, 1 < 2"


def test_user_text_in_every_markdown_block_is_escaped():
    tab = pd.DataFrame({"group": ["<i>entry</i>", "a|b"], "n": [3, 4]})
    md = render_markdown(
        [
            Block("h1", "<script>t</script>"),
            Block("p", "question <u>q</u>"),
            Block("item", "<b>item</b>"),
            Block("table", table=tab),
            Block("details", "<em>d</em>", table=tab),
        ]
    )
    for raw in ("<script>", "<u>", "<b>", "<i>", "<em>"):
        assert raw not in md and "&lt;" + raw[1:] in md
    assert "a\\|b" in md_table(tab)


def test_rendered_markdown_shows_the_label_as_text():
    markdown = pytest.importorskip("markdown")
    html = markdown.markdown(render_markdown([Block("p", "group <b>x</b> &amp;")]))
    assert "<b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "&amp;amp;" in html
