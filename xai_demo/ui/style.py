"""The page's look: system fonts only (nothing fetched), lecture-mode sizes, and the arrow-key case deck."""

from __future__ import annotations

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

HEAD = """
<script>
document.addEventListener('keydown', function (e) {
  var el = e.target || {};
  var tag = (el.tagName || '').toLowerCase();
  if (tag === 'input' || tag === 'textarea' || tag === 'select' || el.isContentEditable) { return; }
  var id = null;
  if (e.key === 'ArrowRight' || e.key === 'PageDown') { id = 'next-case'; }
  if (e.key === 'ArrowLeft' || e.key === 'PageUp') { id = 'prev-case'; }
  if (id) { var b = document.getElementById(id); if (b) { b.click(); e.preventDefault(); } }
});
</script>
"""

__all__ = ["CSS", "HEAD", "MONO_FONTS", "SYSTEM_FONTS"]
