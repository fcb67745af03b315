"""About: what the app shows, where the data and models come from, and how to read a saliency map."""

from __future__ import annotations

import gradio as gr

from ..page import Page
from ..text import about, t


def build(page: Page) -> None:
    """The About tab: one translated markdown page."""
    tr, lang = page.tr, page.lang
    with tr(gr.Tab(t("tab.about", lang), id="about", elem_id="tab-about"), label="tab.about"):
        tr(gr.Markdown(about(lang), elem_id="about"), value=about)
