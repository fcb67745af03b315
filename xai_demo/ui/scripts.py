"""The page's own JavaScript (put in ``<head>``): presentation keys, and the language of Gradio's widgets.

**Keys.** A presentation clicker sends PageDown/PageUp (or the arrows). They step through the case deck only
while the Explore tab is on screen and nothing that uses those keys itself has the focus (a text field, a
slider, the tab bar, a list); elsewhere they keep their usual job, such as scrolling the About page.

**Language.** Gradio draws some strings itself ("Drop File Here", "Click to Upload", "Error", "processing") in
the locale its front end chose from the browser when the page opened (its i18n mechanism; components keep
the strings they were created with). So the page opens in the browser's language when it is French or
English (a French browser gets French throughout, Gradio's strings included), unless the visitor chose
otherwise before: the switch is remembered in the browser (``localStorage``), never sent anywhere. A switch
during the visit calls Gradio's own ``changeLocale`` (its i18n module, the one already on the page, found
among the loaded resources, so no file name is hard-coded) for what Gradio draws afterwards (toasts, timers),
sets ``body.xai-fr``, and the one Gradio string always on screen, the upload box's, is replaced by the
app's own translated text through CSS (see ``style.upload_css``). Gradio's tooltips and screen-reader labels
("Brush", "Zoom in", "Thumbnail 3 of 26", "range slider for ..."), which Gradio mostly leaves English even
for a French browser, follow the page's language live through :data:`WIDGETS_JS` and the table
``text.WIDGET_TEXT``: a ``MutationObserver`` rewrites them whenever Gradio draws them, both ways.
"""

from __future__ import annotations

import json
import re

from .text import TEXT, WIDGET_TEXT, french_spacing, t

LANG_STORAGE_KEY = "xai_demo_lang"

KEYS_JS = """
document.addEventListener('keydown', function (e) {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) { return; }
  var step = {ArrowRight: 'next-case', PageDown: 'next-case', ArrowLeft: 'prev-case', PageUp: 'prev-case'}[e.key];
  if (!step) { return; }
  var el = e.target && e.target.nodeType === 1 ? e.target : document.body;
  var tag = (el.tagName || '').toLowerCase();
  if (tag === 'input' || tag === 'textarea' || tag === 'select' || el.isContentEditable) { return; }
  if (el.closest('[role="tablist"], [role="tab"], [role="slider"], [role="listbox"], [role="radiogroup"], '
                 + '[role="menu"], canvas')) { return; }
  var button = document.getElementById(step);
  if (!button || !button.checkVisibility || !button.checkVisibility()) { return; }
  button.click();
  e.preventDefault();
});
"""

LANGUAGE_JS = """
window.xaiGradioLocale = function (lang) {
  var urls = performance.getEntriesByType('resource').map(function (r) { return r.name; });
  document.querySelectorAll('script[src], link[rel="modulepreload"]').forEach(function (n) {
    urls.push(n.src || n.href);
  });
  var core = urls.find(function (u) { return /\\/assets\\/core-[^\\/]+\\.js(\\?|$)/.test(u); });
  if (!core) { return Promise.resolve(false); }
  return import(core).then(function (m) {
    if (typeof m.changeLocale !== 'function') { return false; }
    m.changeLocale(lang);
    return true;
  }).catch(function () { return false; });
};
window.xaiShowLanguage = function (lang) {
  document.body.classList.toggle('xai-fr', lang === 'fr');
  document.documentElement.setAttribute('lang', lang);
  if (window.xaiTranslateWidgets) { window.xaiTranslateWidgets(document.body); }
  return window.xaiGradioLocale(lang);
};
window.xaiRememberLanguage = function (lang) {
  try { localStorage.setItem('__KEY__', lang); } catch (err) { /* private mode: nothing to remember */ }
  return window.xaiShowLanguage(lang);
};
window.xaiPreferredLanguage = function (current) {
  var saved = null;
  try { saved = localStorage.getItem('__KEY__'); } catch (err) { saved = null; }
  if (saved === 'en' || saved === 'fr') { return saved; }
  var browser = (navigator.languages && navigator.languages[0]) || navigator.language || '';
  return browser.toLowerCase().indexOf('fr') === 0 ? 'fr' : current;
};
""".replace("__KEY__", LANG_STORAGE_KEY)



def widget_patterns() -> list[list[str]]:
    """[English regex, French regex, English template, French template] for each Gradio widget string
    (``text.WIDGET_TEXT``, plus the method names Gradio shows as its checkboxes' raw values). Templates keep
    ``{0}``, ``{1}`` for what the regexes capture."""

    def regex(template: str) -> str:
        return "^" + re.sub(r"\\\{(\d)\\\}", "(.+)", re.escape(template)) + "$"

    pairs = {en: french_spacing(fr) for en, fr in WIDGET_TEXT.items()}
    pairs.update({key.split(".", 1)[1]: t(key, "fr") for key in TEXT if key.startswith("method.")})
    return [[regex(en), regex(fr), en, fr] for en, fr in pairs.items()]


WIDGETS_JS = r"""
(function () {
  var patterns = __PATTERNS__.map(function (p) { return [new RegExp(p[0]), new RegExp(p[1]), p[2], p[3]]; });
  var ATTRS = ['title', 'aria-label'];
  function translated(value, fr) {
    for (var i = 0; i < patterns.length; i++) {
      var m = patterns[i][fr ? 0 : 1].exec(value);
      if (m) {
        return patterns[i][fr ? 3 : 2].replace(/\{(\d)\}/g, function (_, n) { return m[Number(n) + 1]; });
      }
    }
    return value;
  }
  function fix(el, fr) {
    ATTRS.forEach(function (attr) {
      var value = el.getAttribute && el.getAttribute(attr);
      if (!value) { return; }
      var shown = translated(value, fr);
      if (shown !== value) { el.setAttribute(attr, shown); }
    });
  }
  window.xaiTranslateWidgets = function (root) {
    var fr = document.documentElement.getAttribute('lang') === 'fr';
    root = root || document.body;
    if (!root || root.nodeType !== 1) { return; }
    fix(root, fr);
    root.querySelectorAll('[title], [aria-label]').forEach(function (el) { fix(el, fr); });
  };
  new MutationObserver(function (records) {
    records.forEach(function (r) {
      if (r.type === 'attributes') { window.xaiTranslateWidgets(r.target); }
      r.addedNodes.forEach(function (n) { window.xaiTranslateWidgets(n); });
    });
  }).observe(document.documentElement, {subtree: true, childList: true, attributes: true, attributeFilter: ATTRS});
})();
""".replace("__PATTERNS__", json.dumps(widget_patterns(), ensure_ascii=False))

HEAD_SCRIPTS = f"<script>{KEYS_JS}{LANGUAGE_JS}{WIDGETS_JS}</script>"

ON_LOAD_LANGUAGE_JS = """
(current, ...rest) => {
  const wanted = window.xaiPreferredLanguage ? window.xaiPreferredLanguage(current) : current;
  if (window.xaiShowLanguage) { window.xaiShowLanguage(wanted); }
  return [wanted, ...rest];
}
"""
"""For the page's opening event (language first among its inputs): the language the page should open in."""

ON_SWITCH_LANGUAGE_JS = """
(lang, ...rest) => { if (window.xaiRememberLanguage) { window.xaiRememberLanguage(lang); } return [lang, ...rest]; }
"""
"""For the language switch's ``change`` event: remember the choice and switch Gradio's own strings."""

__all__ = ["HEAD_SCRIPTS", "KEYS_JS", "LANGUAGE_JS", "LANG_STORAGE_KEY", "ON_LOAD_LANGUAGE_JS",
           "ON_SWITCH_LANGUAGE_JS", "WIDGETS_JS", "widget_patterns"]
