"""What keeps one server usable by a whole class: a training bench that answers "busy, try again in N s" at
once beyond its slots, pictures shared by every student encoded once, and a cheap health route."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from xai_demo.ui.gate import TrainingGate
from xai_demo.ui.store import ImageStore
from xai_demo.ui.text import t


def test_a_full_bench_refuses_at_once_and_says_when_to_come_back() -> None:
    gate = TrainingGate(slots=1, typical=40.0)
    with gate.enter(block=False) as first:
        assert first and gate.busy == 1
        with gate.enter(block=False) as second:
            assert second is False
        assert gate.wait_estimate() == 40  # nothing has run for long: the typical duration
    assert gate.busy == 0 and gate.wait_estimate() == 0
    with gate.enter(block=False) as again:
        assert again
    assert gate.typical < 40.0  # learns from the trainings that finished (here: instant ones)


def test_the_estimate_shrinks_as_the_running_training_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    gate = TrainingGate(slots=2, typical=30.0, floor=5.0)
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    with gate.enter(block=False), gate.enter(block=False):
        now[0] += 12
        assert gate.wait_estimate() == 20  # 18 s left, rounded up to 5 s
        now[0] += 100
        assert gate.wait_estimate() == 5  # overdue: the floor


def test_a_training_beyond_capacity_gets_busy_in_the_page_in_both_languages(tmp_path: Path) -> None:
    pytest.importorskip("gradio")
    from xai_demo.ui.app import build_app
    from xai_demo.ui.session import new_state

    cb = build_app().xai_callbacks
    choice = cb.ctx.train_choices[0].key
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with cb.ctx.train_gate.enter():
            entered.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert entered.wait(10)
        for lang, words in (("en", "Try again in about"), ("fr", "Réessayez dans environ")):
            started = time.perf_counter()
            session, text = cb.train(new_state(lang), choice, "none", 0, 0, 1, 200, block=False)
            assert time.perf_counter() - started < 5, "answered at once, not after the running training"
            assert words in text and session.user_models == ()
            assert text == t("train.busy", lang, seconds=cb.ctx.train_gate.wait_estimate())
    finally:
        release.set()
        holder.join()


def test_shared_pictures_are_encoded_once_and_again_after_pruning(tmp_path: Path) -> None:
    store = ImageStore(tmp_path, max_age=300)
    renders = []

    def render() -> list[tuple[str, str]]:
        renders.append(1)
        return [(store.save(Image.new("RGB", (8, 8), (len(renders), 0, 0))), "map")]

    first = store.remember(("maps", "case 1"), render)
    assert store.remember(("maps", "case 1"), render) == first and len(renders) == 1
    os.remove(first[0][0])  # pruned: rendered again rather than a path to nothing
    second = store.remember(("maps", "case 1"), render)
    assert len(renders) == 2 and Path(second[0][0]).is_file()
    store.remember(None, render)
    store.remember(None, render)
    assert len(renders) == 4, "no key (an upload, a user's model): never remembered"


def test_health_reports_the_replica_and_its_bench(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("gradio")
    from xai_demo.ui.app import build_app
    from xai_demo.ui.health import REPLICA_ENV, health

    monkeypatch.setenv(REPLICA_ENV, "app7")
    demo = build_app()
    report = health(demo, 7999)
    assert report["status"] == "ok" and report["replica"] == "app7"
    assert report["training"] == 0 and report["train_slots"] >= 1 and report["warm"] is False
    assert report["rss_mib"] is None or report["rss_mib"] > 10
