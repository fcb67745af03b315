"""Strings per language: numbers written the French way, French spacing, translated method names."""

from __future__ import annotations

import re

import pytest

from xai_demo.explain import list_methods
from xai_demo.ui.text import NBSP, TEXT, french_spacing, method_name, number, percent, t


def test_numbers_per_language() -> None:
    assert number(0.8412, "en") == "0.84" and number(0.8412, "fr") == "0,84"
    assert percent(0.875, "en", 1) == "87.5%" and percent(0.875, "fr", 1) == f"87,5{NBSP}%"


def test_t_formats_numbers_for_french() -> None:
    line = t("explore.pred_line", "fr", model="m", label="normal", p=0.8412, thr=0.5)
    assert "0,84" in line and "0,50" in line and "0.84" not in line
    assert "0.84" in t("explore.pred_line", "en", model="m", label="normal", p=0.8412, thr=0.5)


def test_french_spacing() -> None:
    expected = f"Cas{NBSP}: a{NBSP}; b{NBSP}? c{NBSP}! 25{NBSP}% «{NBSP}x{NBSP}»"
    assert french_spacing("Cas : a ; b ? c ! 25 % « x »") == expected
    assert french_spacing("10:30 https://x 25%") == f"10:30 https://x 25{NBSP}%"


def test_every_french_string_has_its_non_breaking_spaces() -> None:
    for key, entry in TEXT.items():
        if "fr" in entry and "{" not in entry["fr"]:
            text = t(key, "fr")
            for mark in (":", ";", "?", "!", "%"):
                assert f" {mark}" not in text, (key, mark)


@pytest.mark.parametrize("name", list_methods())
def test_every_method_has_a_name_in_both_languages(name: str) -> None:
    assert f"method.{name}" in TEXT
    assert method_name(name, "fr") and method_name(name, "en")


def test_method_names_are_french_in_french() -> None:
    assert method_name("integrated_gradients", "fr") == "Gradients intégrés"
    assert method_name("guided_backprop", "fr") == "Rétropropagation guidée"


def test_no_healthy_model_wording() -> None:
    for entry in TEXT.values():
        assert "modèle sain" not in entry.get("fr", "").lower() and "sain :" not in entry.get("fr", "")
    assert t("shortcut.clean_model", "fr") == "Modèle entraîné sans l'artefact"
    assert t("shortcut.clean_model", "en") == "Model trained without the artefact"


def test_french_upload_text_survives_gradios_css_scoping() -> None:
    """Gradio prefixes custom CSS with `.gradio-container .contain`, so a rule keyed on `body` never matches
    (the French page showed Gradio's English drop text); the French rule keys on the page's lang instead."""
    from xai_demo.ui.style import upload_css

    rules = [line for line in upload_css().splitlines() if "::after" in line]
    french = next(r for r in rules if "Déposez" in r)
    assert french.startswith("#upload:lang(fr) ") and "body" not in french and "html" not in french


def test_widget_strings_keep_their_placeholders_and_round_trip() -> None:
    """Each Gradio widget string's French keeps the English one's ``{0}`` fields, and the patterns the page
    uses translate a filled-in string both ways."""
    from xai_demo.ui.scripts import widget_patterns
    from xai_demo.ui.text import WIDGET_TEXT

    for en, fr in WIDGET_TEXT.items():
        assert re.findall(r"\{\d\}", en) == re.findall(r"\{\d\}", fr), en
    by_en = {p[2]: p for p in widget_patterns()}
    en_re, fr_re, _, fr_t = by_en["range slider for {0}"]
    match = re.match(en_re, "range slider for Époques (1-5)")
    french = fr_t.replace("{0}", match.group(1))
    assert french == "curseur\u00a0: Époques (1-5)" and re.match(fr_re, french).group(1) == "Époques (1-5)"
    assert re.match(by_en["guided_backprop"][0], "guided_backprop") and by_en["guided_backprop"][3] == t(
        "method.guided_backprop", "fr")
