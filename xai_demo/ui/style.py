"""The page's look: system fonts only (nothing fetched), lecture-mode sizes, the upload box in the page's language;
the head scripts (keys, language) come from :mod:`xai_demo.ui.scripts`."""

from __future__ import annotations

from .scripts import HEAD_SCRIPTS
from .text import t

SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]

CSS = """
.gradio-container { max-width: 1400px !important; margin: 0 auto !important; }
#app-title h1 { margin-bottom: 0; }
footer { display: none !important; }
body.lecture .gradio-container {
  --text-xxs: 14px; --text-xs: 16px; --text-sm: 19px; --text-md: 22px; --text-lg: 26px; --text-xl: 30px;
  --text-xxl: 36px; --block-label-text-size: 19px; --block-title-text-size: 22px; --block-info-text-size: 18px;
  --input-text-size: 22px; --button-large-text-size: 24px; --button-small-text-size: 20px;
  --section-header-text-size: 22px; --checkbox-label-text-size: 20px;
  --body-text-color: #000; --block-label-text-color: #000; --body-text-color-subdued: #222;
  max-width: 100% !important;
}
body.lecture .prose, body.lecture .prose * { font-size: 24px !important; line-height: 1.4; color: #000; }
body.lecture .prose h3 { font-size: 28px !important; }
body.lecture .prose h1 { font-size: 34px !important; }
body.lecture button.lg, body.lecture button { font-weight: 700; }
body.lecture [role="tab"] { font-size: 19px !important; padding: 4px 8px !important; }
body.lecture .xai-advanced { display: none !important; }
#case-deck button { min-height: 3em; }
/* captions whole: case titles and method names wrap instead of ending in "..." */
#case-gallery .caption-label, #maps .caption-label {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  max-width: calc(100% - 8px) !important; line-height: 1.15;
}
#case-gallery .caption-label { font-size: 12px !important; }
/* three or four maps side by side rather than one cut off in a scrolling panel */
#maps .grid-wrap { max-height: none !important; overflow: visible !important; }
#maps .grid-container:has(> :nth-child(3)) { grid-template-columns: repeat(3, minmax(0, 1fr)) !important; }
#maps .grid-container:has(> :nth-child(4)) { grid-template-columns: repeat(4, minmax(0, 1fr)) !important; }
#maps .grid-container:has(> :nth-child(5)) { grid-template-columns: repeat(3, minmax(0, 1fr)) !important; }
#train-progress { font-size: var(--text-lg); }
#check-warning:not(:empty) { border-left: 6px solid #d97706; padding-left: 10px; background: #fff7ed; }
.xai-probs { display: grid; gap: 6px; padding: 4px 0; }
.xai-prob { display: grid; grid-template-columns: minmax(7em, auto) 1fr 4.5em; align-items: center; gap: 10px;
            font-size: var(--text-lg); }
.xai-prob-name { font-weight: 600; }
.xai-prob-bar { height: 0.8em; background: #eee; border-radius: 4px; overflow: hidden; }
.xai-prob-bar > span { display: block; height: 100%; background: #f97316; }
.xai-prob-value { text-align: right; font-variant-numeric: tabular-nums; font-weight: 700; }
/* lecture mode: what a projector must show without scrolling (prediction, maps with their names, Explain);
   the deck is walked with Previous/Next or the clicker, so the thumbnails step aside */
body.lecture #app-title p, body.lecture .xai-intro, body.lecture #case-gallery { display: none !important; }
body.lecture #app-title h1 { font-size: 26px !important; margin: 0 !important; }
body.lecture #language > span[data-testid="block-info"] { display: none !important; }
body.lecture #header .form { display: flex !important; flex-direction: row !important; gap: 6px; border: none; }
body.lecture #header .form > * { padding: 2px 6px !important; width: auto !important; flex: 0 1 auto !important; }
body.lecture #lecture-toggle .label-text { font-size: 16px !important; }
body.lecture #case-deck ~ * { order: 3; }
body.lecture #explain { order: 2; }
body.lecture .xai-prob { font-size: 26px; }
body.lecture #maps .caption-label { font-size: 20px !important; font-weight: 700; }
body.lecture #maps img { max-height: calc(100vh - 420px); }
}
#table td:not(:first-child) { white-space: nowrap; }
#table-btn { max-width: 420px; }
"""



def upload_css() -> str:
    """The upload box's text in the page's language (Gradio's own stays in the browser's; see ``scripts``)."""
    rule = ('#upload [data-testid="upload-text"]::after {{ content: "{text}"; display: block; font-size: '
            'var(--text-md); }}')
    return "\n".join([
        '#upload [data-testid="upload-text"] { font-size: 0 !important; }',  # Gradio's own words: text nodes
        rule.format(text=t("cases.drop", "en")),
        # :lang(fr) follows <html lang>, set by the language scripts; a `body.xai-fr` selector would not work:
        # Gradio scopes custom CSS under `.gradio-container .contain`, where no body element can match
        rule.format(text=t("cases.drop", "fr")).replace("#upload", "#upload:lang(fr)"),
    ])


CSS = CSS + upload_css()
HEAD = HEAD_SCRIPTS

__all__ = ["CSS", "HEAD", "MONO_FONTS", "SYSTEM_FONTS"]
