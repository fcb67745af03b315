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
#table td:not(:first-child) { white-space: nowrap; }
#table-btn { max-width: 420px; }
"""



def upload_css() -> str:
    """The upload box's text in the page's language (Gradio's own stays in the browser's; see ``scripts``)."""
    rule = ('#upload [data-testid="upload-text"]::after {{ content: "{text}"; display: block; font-size: '
            'var(--text-md); }}')
    return "\n".join([
        '#upload [data-testid="upload-text"] > :not(span:first-child) { display: none !important; }',
        rule.format(text=t("cases.drop", "en")),
        rule.format(text=t("cases.drop", "fr")).replace("#upload", "body.xai-fr #upload"),
    ])


CSS = CSS + upload_css()
HEAD = HEAD_SCRIPTS

__all__ = ["CSS", "HEAD", "MONO_FONTS", "SYSTEM_FONTS"]
