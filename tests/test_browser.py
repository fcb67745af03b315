"""The web app driven in headless Chromium, as a person would use it, and proven offline.

Needs Playwright (python) and a Chromium binary ($XAI_DEMO_CHROMIUM, else /usr/bin/chromium or chromium on
PATH); without them these tests skip locally and fail in CI (CI=true). Two tiny models are trained on the real
PneumoniaMNIST data for the session. The README's screenshots come from tests/test_offline_walk.py and
tests/test_lecture.py (the out-of-the-box app).
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from browser_support import CHROMIUM_ARGS, chromium_path, open_page
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.data]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TIMEOUT = 60_000  # ms


def _missing(message: str) -> None:
    if IN_CI:
        pytest.fail(message + " (CI must run the browser tests)")
    pytest.skip(message)


def _chromium() -> str:
    found = chromium_path()
    if found is None:
        _missing("no Chromium binary (apt-get install chromium, or set $XAI_DEMO_CHROMIUM)")
    return found


def _serve(models: Path, data_root: Path, lang: str = "en", lecture: bool = False):
    """Build and launch the app on a port gradio binds itself (7860 or the next free one: no probe-then-bind race)."""
    from xai_demo.ui import build_app, launch

    demo = build_app(models, lang=lang, lecture=lecture, data_root_dir=str(data_root))
    launch(demo, "127.0.0.1", None, warm_up=lecture, prevent_thread_lock=True)
    return demo, demo.local_url


@pytest.fixture(scope="module")
def chromium() -> str:
    """The Chromium binary and the Playwright package, checked before any model is trained."""
    if not IN_CI:
        pytest.importorskip("playwright.sync_api")
    return _chromium()


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory, data_root: Path, chromium: str) -> Path:
    """A clean and a shortcut 28 px model, trained in seconds on a small subset."""
    from xai_demo.train import TrainConfig, train

    folder = tmp_path_factory.mktemp("browser_models")
    common = dict(dataset="pneumoniamnist", size=28, epochs=2, limit=600, data_root=str(data_root))
    train(TrainConfig(**common), out=folder / "clean28.pt")
    train(TrainConfig(**common, artefact="laterality_marker", artefact_options=(("text", "L"),), confound=0.95),
          out=folder / "short28.pt")
    return folder


@pytest.fixture(scope="module")
def served(models: Path, data_root: Path) -> Iterator:
    """The running app (its handlers answer the tests' questions, e.g. the quiz's right answer)."""
    demo, url = _serve(models, data_root)
    yield demo
    demo.close()


@pytest.fixture(scope="module")
def server(served) -> str:
    return served.local_url


@pytest.fixture(scope="module")
def browser(chromium: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server: str):
    watched = open_page(browser, server)
    watched.page.wait_for_selector("#maps img", timeout=TIMEOUT)  # the first case is explained on load
    yield watched.page
    watched.page.context.close()
    watched.check()


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=re.compile(name)).click()


def _png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


# ----------------------------------------------------------------------------- tests


def test_first_case_is_explained_and_nothing_leaves_the_machine(page) -> None:
    assert "Case:" in page.locator("#case-text").inner_text()
    assert "predicts" in page.locator("#prediction-text").inner_text()
    assert page.locator("#maps img").count() == 2  # Grad-CAM and Guided Backprop by default
    for tab in ("Shortcuts", "Sanity check", "Train", "Quiz", "About"):
        _tab(page, tab)
    page.locator("#about").get_by_text(re.compile("Zech")).first.wait_for(timeout=TIMEOUT)
    assert page.locator("button[aria-label='Share'], button[title='Share']").count() == 0
    html = page.content()
    assert "fonts.googleapis" not in html and "cdn." not in html


def test_case_deck_by_click_and_key(page) -> None:
    first = page.locator("#case-text").inner_text()
    page.locator("#next-case").click()
    page.wait_for_function("(t) => !document.querySelector('#case-text').innerText.includes(t)", arg=first[:40],
                           timeout=TIMEOUT)
    second = page.locator("#case-text").inner_text()
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(t) => !document.querySelector('#case-text').innerText.includes(t)", arg=second[:40],
                           timeout=TIMEOUT)
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("(t) => document.querySelector('#case-text').innerText.includes(t)", arg=second[:40],
                           timeout=TIMEOUT)


def test_gallery_click_selects_a_case(page) -> None:
    from xai_demo.paths import SAMPLES_DIR
    from xai_demo.ui.cases import resolve_cases

    index = [c.id for c in resolve_cases(SAMPLES_DIR, None)].index("pneumonia_big_R")  # "a large 'R' marker"
    page.locator("#case-gallery button.thumbnail-item").nth(index).click()
    page.wait_for_function("() => document.querySelector('#case-text').innerText.includes('large')",
                           timeout=TIMEOUT)


def test_upload_a_good_then_a_bad_image(page, tmp_path: Path) -> None:
    good = tmp_path / f"my_film_{os.getpid()}_{time.monotonic_ns()}.png"
    good.write_bytes(_png_bytes(Image.fromarray(np.random.default_rng(1).integers(0, 255, (120, 100), np.uint8))))
    page.locator("#upload input[type=file]").set_input_files(str(good))
    page.wait_for_function("() => document.querySelector('#case-text').innerText.includes('Your image')",
                           timeout=TIMEOUT)
    assert "100×120" in page.locator("#case-text").inner_text()
    from gradio.utils import get_upload_folder

    kept = list(Path(get_upload_folder()).glob(f"**/{good.name}"))
    assert kept == [], f"the upload must not be kept on the server: {kept}"
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page.locator("#upload input[type=file]").set_input_files(str(bad))
    page.get_by_text(re.compile("could not be used")).first.wait_for(timeout=TIMEOUT)
    page.locator("#explain").click()  # nothing of the previous image is explained again (issue 13, point 8)
    page.wait_for_function("() => document.querySelector('#prediction-text').innerText.includes('Pick a case')",
                           timeout=TIMEOUT)
    page.locator("#next-case").click()  # the app still works for this user
    page.wait_for_selector("#maps img", timeout=TIMEOUT)


def test_switch_language(page) -> None:
    page.get_by_label("Français").check()
    page.get_by_role("tab", name=re.compile("Explorer")).wait_for(timeout=TIMEOUT)
    assert page.locator("#explain").inner_text().strip() == "Expliquer"
    assert "Cas" in page.locator("#case-text").inner_text()
    page.wait_for_function("() => document.querySelector('#prediction-text').innerText.includes('prédit')",
                           timeout=TIMEOUT)
    _tab(page, "propos")
    page.get_by_text("Protection des données de santé").wait_for(timeout=TIMEOUT)
    page.get_by_label("English").check()
    page.get_by_role("tab", name=re.compile("Explore")).wait_for(timeout=TIMEOUT)


def test_draw_a_region_and_measure(page) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    canvas = page.locator("#editor canvas").first
    canvas.wait_for(timeout=TIMEOUT)
    canvas.scroll_into_view_if_needed()
    deadline = time.monotonic() + TIMEOUT / 1000
    while True:  # a stroke painted before the case's background has loaded is dropped: paint until it counts
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
        page.mouse.down()
        for k in range(12):
            page.mouse.move(box["x"] + box["width"] * (0.3 + 0.03 * k), box["y"] + box["height"] * (0.4 + 0.02 * k))
        page.mouse.up()
        page.locator("#measure").click()
        try:
            page.wait_for_function("() => /covers/.test(document.querySelector('#region-text').innerText)",
                                   timeout=5_000)
            break
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise
    text = page.locator("#region-text").inner_text()
    assert "covers" in text and "Grad-CAM" in text, text
    page.get_by_label("Français").check()  # the measurement survives a language switch, translated
    page.wait_for_function("() => { const s = document.querySelector('#region-text').innerText;"
                           "        return /couvre/.test(s) && !/processing|traitement/.test(s); }", timeout=TIMEOUT)
    french = page.locator("#region-text").inner_text()
    assert re.findall(r"\d+", french) == re.findall(r"\d+", text), (text, french)
    page.get_by_label("English").check()
    page.wait_for_function("() => /covers/.test(document.querySelector('#region-text').innerText)", timeout=TIMEOUT)


def test_shortcut_lab_and_sanity_check(page) -> None:
    _tab(page, "Shortcuts")
    page.locator("#compare").click()
    page.wait_for_function("() => document.querySelector('#shortcut-text').innerText.includes('P(pneumonia)')",
                           timeout=TIMEOUT)
    assert "on the artefact" in page.locator("#clean-text").inner_text()
    before = page.locator("#shortcut-picture img").get_attribute("src")
    page.locator("#position input").click()
    page.locator("#position [role=option]", has_text="bottom right").click()
    page.wait_for_function("(src) => document.querySelector('#shortcut-picture img').src !== src", arg=before,
                           timeout=TIMEOUT)  # moving the marker re-runs both models
    page.locator("#add-artefact input").uncheck()
    page.wait_for_function("() => !document.querySelector('#clean-text').innerText.includes('on the artefact')",
                           timeout=TIMEOUT)
    _tab(page, "Sanity check")
    page.locator("#sanity-run").click()
    page.wait_for_function("() => document.querySelector('#sanity-text').innerText.includes('Randomised')",
                           timeout=TIMEOUT)
    assert page.locator("#sanity-maps img").count() == 1
    page.locator("#stage input[type=number]").fill("1")
    page.locator("#stage input[type=number]").press("Enter")
    page.wait_for_function("() => document.querySelector('#sanity-text').innerText.includes('Randomised: the last')",
                           timeout=TIMEOUT)


def test_quiz_answer_and_score(page, served) -> None:
    from xai_demo.ui.session import new_state

    item = served.xai_callbacks.quiz_next(new_state("en"))[0].quiz.item  # question 1 is deterministic (cached)
    wrong = "pathology" if item.answer == "artefact" else "artefact"
    _tab(page, "Quiz")
    page.locator("#quiz-next").click()
    page.wait_for_function("() => document.querySelector('#quiz-text').innerText.includes('Question 1')",
                           timeout=TIMEOUT)
    page.locator(f"#quiz-{item.answer}").click()
    page.wait_for_function("() => document.querySelector('#quiz-score').innerText.includes('/ 1')",
                           timeout=TIMEOUT)
    assert re.search(r"\b1 / 1\b", page.locator("#quiz-score").inner_text()), "the right answer scores"
    assert page.locator("#quiz-reveal").inner_text().startswith("Correct") and "%" in page.locator(
        "#quiz-reveal").inner_text()
    page.locator(f"#quiz-{wrong}").click()  # a second answer to the same question does not count
    page.locator("#quiz-next").click()
    page.wait_for_function("() => document.querySelector('#quiz-text').innerText.includes('Question 2')",
                           timeout=TIMEOUT)
    second = served.xai_callbacks.quiz_next(new_state("en"))[0]
    second = served.xai_callbacks.quiz_next(second)[0].quiz.item
    page.locator("#quiz-pathology" if second.answer == "artefact" else "#quiz-artefact").click()
    page.wait_for_function("() => document.querySelector('#quiz-score').innerText.includes('/ 2')",
                           timeout=TIMEOUT)
    assert re.search(r"\b1 / 2\b", page.locator("#quiz-score").inner_text()), "a wrong answer does not score"
    assert page.locator("#quiz-reveal").inner_text().startswith("Not this time")


def test_train_a_model_live_and_explore_it(page) -> None:
    _tab(page, "Train")
    page.locator("#train-epochs input[type=number]").fill("1")
    page.locator("#train-epochs input[type=number]").press("Enter")
    page.locator("#train-limit input[type=number]").fill("400")
    page.locator("#train-limit input[type=number]").press("Enter")
    page.locator("#train-run").click()
    page.wait_for_function("() => document.querySelector('#train-text').innerText.includes('Done in')",
                           timeout=120_000)
    _tab(page, "Explore")
    page.wait_for_function("() => document.querySelector('#model input').value.includes('Your model #1')",
                           timeout=TIMEOUT)
    page.locator("#explain").click()
    page.wait_for_function("() => document.querySelector('#prediction-text').innerText.includes('Your model')",
                           timeout=TIMEOUT)


def test_lecture_mode_hides_advanced_controls(page) -> None:
    assert page.locator("#upload").is_visible()
    page.locator("#lecture-toggle input").check()
    page.wait_for_function("() => document.body.classList.contains('lecture')", timeout=TIMEOUT)
    assert not page.locator("#upload").is_visible()
    size = page.locator("#case-text").evaluate("(e) => parseFloat(getComputedStyle(e.querySelector('p') || e)"
                                               ".fontSize)")
    assert size >= 22


def test_users_do_not_see_each_others_models(browser, server: str, page) -> None:
    """A second browser context (another user) gets the shared models only."""
    watched = open_page(browser, server)
    other = watched.page
    other.wait_for_selector("#maps img", timeout=TIMEOUT)
    other.locator("#model input").click()
    other.locator("#model [role=option]").first.wait_for(timeout=TIMEOUT)
    options = other.locator("#model [role=option]").all_inner_texts()
    assert options and not any("Your model" in o for o in options)
    other.context.close()
    watched.check()
