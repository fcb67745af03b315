"""The Gradio app built without a server: its callbacks called directly with real and bad inputs."""

from __future__ import annotations

import io
import os
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    import gradio  # noqa: F401 (in CI a missing gradio is an error, never a skip)
else:
    pytest.importorskip("gradio")

from xai_demo.checkpoints import save_checkpoint  # noqa: E402
from xai_demo.models import create_model  # noqa: E402
from xai_demo.ui import build_app, logic  # noqa: E402
from xai_demo.ui.app import Callbacks, Session, launch_kwargs, new_state  # noqa: E402
from xai_demo.ui.store import LRUCache  # noqa: E402
from xai_demo.ui.text import t  # noqa: E402


def _save(path: Path, artefact: str | None, size: int = 28) -> None:
    model = create_model("small_cnn", class_names=("normal", "pneumonia"), input_size=size)
    cfg = {"dataset": "pneumoniamnist", "size": size, "artefact": artefact,
           "artefact_options": {"text": "L"} if artefact else {}}
    test = {"auc": 0.5, "accuracy": 0.5, "sensitivity": 0.5, "specificity": 0.5}
    save_checkpoint(path, model, train_config=cfg, metrics={"test": test})


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ui_app")
    models, samples = root / "models", root / "samples"
    models.mkdir()
    samples.mkdir()
    _save(models / "clean28.pt", None)
    _save(models / "short28.pt", "laterality_marker")
    rng = np.random.default_rng(0)
    for name in ("film_a.png", "film_b.png"):
        Image.fromarray(rng.integers(0, 255, (96, 80), dtype=np.uint8)).save(samples / name)
    return {"models": models, "samples": samples, "root": root}


@pytest.fixture(scope="module")
def app(folders: dict[str, Path]):
    return build_app(folders["models"], samples_dir=folders["samples"], data_root_dir=str(folders["root"] / "none"))


@pytest.fixture()
def cb(app) -> Callbacks:
    return app.xai_callbacks


def _upload(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _png(image: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()


def test_app_builds_with_its_models_and_cases(app) -> None:
    ctx = app.xai_context
    assert list(ctx.models) == ["clean28", "short28"]
    assert [p.key for p in ctx.pairs] == ["clean28|short28"]
    assert [c.id for c in ctx.cases] == ["file:film_a.png", "file:film_b.png"]
    assert [c.dataset for c in ctx.train_choices] == ["pneumoniamnist_sample", "kermany_sample"]
    kwargs = launch_kwargs()
    assert kwargs["server_name"] == "127.0.0.1" and kwargs["share"] is False and kwargs["footer_links"] == []
    assert app.analytics_enabled is False and app.delete_cache


def test_explore_a_case_then_rerender_and_measure(cb: Callbacks) -> None:
    cb = Callbacks(replace(cb.ctx, cache=LRUCache(16)))  # an empty cache: the first explanation is computed
    state = cb.case_image(1, new_state("en"))
    assert state.case == "file:film_b.png" and "film_b" in cb.case_text(state)
    state, pred, probs, gallery, timing = cb.explore(state, "clean28", ["gradcam", "saliency"], 0.5, "positive")
    assert "predicts" in pred and "normal" in probs and "pneumonia" in probs and "%<" in probs  # HTML bars
    assert len(gallery) == 2 and Image.open(gallery[0][0]).mode == "RGB" and "Grad-CAM" in gallery[0][1]
    assert re.fullmatch(r"Computed in \d+ ms\.", timing), timing
    assert cb.explore(state, "clean28", ["saliency", "gradcam"], 0.5, "positive")[4] == t("explore.cached", "en")
    uploaded = replace(state, case=None, case_index=-1)  # an upload is never cached
    assert cb.explore(uploaded, "clean28", ["gradcam"], 0.5, "positive")[4].startswith("Computed in")
    assert cb.explore(uploaded, "clean28", ["gradcam"], 0.5, "positive")[4].startswith("Computed in")
    assert len(cb.rerender(state, 0.9, "signed")) == 2
    editor = cb.editor_value(state)
    background = np.asarray(Image.open(editor["background"]))
    layer = np.zeros((*background.shape[:2], 4), np.uint8)
    layer[:100, :100] = 255
    measured, report = cb.measure(state, {"background": background, "layers": [layer], "composite": None})
    assert "Grad-CAM" in report and "%" in report
    french = cb.region_text(replace(measured, lang="fr"))  # a language switch keeps the measurement
    assert french == logic.region_report(measured.result.maps, measured.region, "fr") and "Grad-CAM" in french
    assert cb.region_text(state) == t("explore.draw_help", "en")
    assert cb.region_text(cb.case_image(1, measured)) == t("explore.draw_help", "en")  # another image: gone
    assert cb.measure(state, None)[1] == t("explore.no_region", "en")


def test_explore_in_french_and_without_image_or_model(cb: Callbacks) -> None:
    state = new_state("fr")
    assert cb.explore(state, "clean28", ["gradcam"], 0.5, "positive")[1] == t("error.no_image", "fr")
    state = cb.case_image(0, state)
    out = cb.explore(state, "nope", ["gradcam"], 0.5, "positive")
    assert "Aucun modèle" in out[1]
    out = cb.explore(state, "clean28", [], 0.5, "positive")
    assert "prédit" in out[1] and "pneumopathie" in out[2]


GOOD_UPLOADS = {
    "rgba.png": lambda: _png(Image.new("RGBA", (64, 48), (10, 200, 30, 128))),
    "gray16.png": lambda: _png(Image.fromarray(np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16)),
    "cmyk.jpg": lambda: _png(Image.new("CMYK", (40, 40), (10, 20, 30, 40)), "JPEG"),
    "photo.jpg": lambda: _png(Image.new("RGB", (300, 200), (120, 50, 90)), "JPEG"),
}


@pytest.mark.parametrize("name", sorted(GOOD_UPLOADS))
def test_unusual_but_valid_uploads_are_explained(cb: Callbacks, tmp_path: Path, name: str) -> None:
    path = _upload(tmp_path, name, GOOD_UPLOADS[name]())
    state, error = cb.upload_image(path, new_state("en"))
    assert error is None and state.image.dtype == np.uint8 and state.case is None
    assert not os.path.exists(path), "the uploaded file must be deleted once read"
    assert "not stored" in cb.case_text(state)
    assert len(cb.explore(state, "short28", ["gradcam"], 0.5, "positive")[3]) == 1


BAD_UPLOADS = {
    "empty.png": b"",
    "corrupt.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    "text.png": b"hello, I am not an image",
    "truncated.jpg": _png(Image.new("RGB", (200, 200), (1, 2, 3)), "JPEG")[:300],
}


@pytest.mark.parametrize("name", sorted(BAD_UPLOADS))
def test_bad_uploads_give_a_friendly_message_and_drop_the_previous_image(cb: Callbacks, tmp_path: Path,
                                                                          name: str) -> None:
    before = cb.explore(cb.case_image(0, new_state("fr")), "clean28", ["gradcam"], 0.5, "positive")[0]
    path = _upload(tmp_path, name, BAD_UPLOADS[name])
    state, error = cb.upload_image(path, before)
    assert error is not None and error.startswith("Ce fichier est inutilisable")
    # issue 13, point 8: nothing of the previous image stays, so Explain cannot silently re-run on it
    assert state.image is None and state.case is None and state.result is None and state.lang == "fr"
    assert cb.explore(state, "clean28", ["gradcam"], 0.5, "positive")[1].startswith("Choisissez d'abord")
    assert not os.path.exists(path)


def test_upload_that_is_not_a_chest_xray_is_flagged(cb: Callbacks, tmp_path: Path) -> None:
    noise = (np.random.default_rng(0).random((5, 5)) * 255).astype(np.uint8)
    state, error = cb.upload_image(_upload(tmp_path, "noise.png", _png(Image.fromarray(noise))), new_state("en"))
    assert error is None and state.check is not None and state.check.reasons == ("too_small",)
    assert "does not look like a chest X-ray" in cb.check_text(state)
    assert cb.check_text(cb.case_image(0, state)) == ""


def test_huge_upload_is_refused(cb: Callbacks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xai_demo.images as images

    monkeypatch.setattr(images, "MAX_PIXELS", 100)
    path = _upload(tmp_path, "big.png", _png(Image.new("L", (20, 20))))
    state, error = cb.upload_image(path, new_state("en"))
    assert error is not None and "megapixels" in error and state.image is None
    assert cb.upload_image(None, new_state("en"))[1] == t("error.no_image", "en")


def test_shortcut_lab_adds_moves_and_removes_the_artefact(cb: Callbacks) -> None:
    state = cb.case_image(0, new_state("en"))
    key = "clean28|short28"
    state, clean, short, clean_md, short_md = cb.shortcut(state, key, True, "laterality_marker", "top_left", 20,
                                                          "gradcam")
    assert Image.open(clean).size == Image.open(short).size
    assert "on the artefact" in clean_md and "Model trained with the artefact" in short_md
    moved = cb.shortcut(state, key, True, "laterality_marker", "bottom_right", 20, "gradcam")[0].comparison
    assert moved.mask[-8:, -8:].any() and not moved.mask[:8, :8].any()
    removed = cb.shortcut(state, key, False, "laterality_marker", "top_left", 20, "saliency")
    assert "on the artefact" not in removed[3] and not removed[0].comparison.mask.any()
    assert cb.shortcut(new_state("en"), key, True, "ruler", "top", 20, "gradcam")[3] == t("error.no_image", "en")
    assert "test-set table is not computed" in cb.table(state, key)


def test_sanity_check_slider(cb: Callbacks) -> None:
    state = cb.case_image(0, new_state("en"))
    state, first = cb.sanity(state, "clean28", ["gradcam", "saliency"])
    n = cb.sanity_stages(state)
    assert n >= 2 and 1 <= first <= n  # the slider starts at the stage that shows a failure (or at the end)
    picture, text = cb.sanity_view(state, 0)
    assert Image.open(picture).height > 2 * 300 and "nothing" in text
    picture, text = cb.sanity_view(state, n)
    assert "all layers" in text and "head" not in text and "features" not in text  # plain layer names
    assert cb.sanity_view(new_state("en"), 1)[0] is None


def test_quiz_scores_once_per_question(cb: Callbacks) -> None:
    state = new_state("fr")
    state, picture, text = cb.quiz_next(state)
    assert picture is not None and text.startswith("Question 1")
    item = state.quiz.item
    state, _, reveal, score = cb.quiz_answer(state, item.answer)
    assert reveal.startswith("**Bonne réponse") and score == t("quiz.score", "fr", right=1, total=1)
    state, _, second, score = cb.quiz_answer(state, "pathology" if item.answer == "artefact" else "artefact")
    assert score == t("quiz.score", "fr", right=1, total=1), "a second answer must not count"
    assert second == reveal, "issue 13, point 10: the verdict must not flip to 'Pas cette fois'"
    assert cb.quiz_reveal(replace(state, lang="en")).startswith("**Correct!")  # and it follows the language
    state, _, _ = cb.quiz_next(state)
    assert state.quiz.number == 2


def test_training_without_data_says_how_to_get_it(cb: Callbacks) -> None:
    state, text = cb.train(new_state("en"), "pneumoniamnist@28", "laterality_marker", 90, 0, 1, 200)
    assert text == t("train.no_data", "en") and state.user_models == ()


def test_warm_up_fills_the_cache_and_relabel_translates(cb: Callbacks) -> None:
    done = cb.warm_up(("gradcam",), questions=2)
    assert done == len(cb.ctx.cases) * len(cb.ctx.models) + 2
    state = cb.case_image(0, new_state("en"))
    state = cb.explore(state, "clean28", ["gradcam"], 0.5, "positive")[0]
    pred, probs, items, timing = cb.relabel(replace(state, lang="fr"), 0.5, "positive")
    assert "prédit" in pred and "pneumopathie" in probs and items[0][1] == "Grad-CAM"
    assert timing in (t("explore.cached", "fr"), t("explore.time", "fr", ms=state.result.seconds * 1000))
    assert cb.relabel(new_state("fr"), 0.5, "positive") == ("", None, [], "")


def test_heavy_warm_up_precomputes_sanity_checks(folders: dict[str, Path]) -> None:
    demo = build_app(folders["models"], samples_dir=folders["samples"], lecture=True,
                     data_root_dir=str(folders["root"] / "none"))
    cb = demo.xai_callbacks
    assert cb.lecture
    done = cb.warm_up(("gradcam",), questions=0)
    assert done == len(cb.ctx.cases) * len(cb.ctx.models) + len(cb.ctx.cases)  # explore, then sanity per case
    before = len(cb.ctx.cache)
    cb.sanity(cb.case_image(0, new_state("en")), "clean28", ["saliency", "guided_backprop", "gradcam"])
    assert len(cb.ctx.cache) == before, "the sanity check of a case in any method order is served from the cache"


def test_warm_up_can_be_stopped(folders: dict[str, Path]) -> None:
    demo = build_app(folders["models"], samples_dir=folders["samples"], data_root_dir=str(folders["root"] / "none"))
    demo.xai_callbacks.stop_warm_up.set()
    assert demo.xai_callbacks.warm_up() == 0


def test_pictures_are_stored_atomically_and_pruned(cb: Callbacks) -> None:
    state = cb.case_image(0, new_state("en"))
    first = cb.explore(state, "clean28", ["gradcam"], 0.5, "positive")[3][0][0]
    again = cb.explore(state, "clean28", ["gradcam"], 0.5, "positive")[3][0][0]
    assert first == again and Path(first).parent == cb.ctx.store.folder
    assert not [p for p in cb.ctx.store.folder.iterdir() if p.name.startswith(".")], "no staging file left"
    os.utime(first, (0, 0))
    assert cb.ctx.store.prune(force=True) >= 1 and not Path(first).exists()


def test_app_without_models_or_cases_still_builds(tmp_path: Path) -> None:
    demo = build_app(tmp_path / "no_models", samples_dir=tmp_path, data_root_dir=str(tmp_path / "nothing"))
    cb = demo.xai_callbacks
    assert demo.xai_context.models == {} and demo.xai_context.cases == []
    state, error = cb.upload_image(_upload(tmp_path, "x.png", _png(Image.new("L", (32, 32)))), new_state("en"))
    assert error is None
    assert "No model found" in cb.explore(state, None, ["gradcam"], 0.5, "positive")[1]
    assert cb.quiz_next(state)[2] == t("quiz.unavailable", "en")
    assert cb.shortcut(state, None, True, "ruler", "top", 20, "gradcam")[3] == t("shortcut.no_pair", "en")


@pytest.mark.data
@pytest.mark.slow
def test_live_training_is_private_to_the_session(data_root: Path, folders: dict[str, Path]) -> None:
    demo = build_app(folders["models"], samples_dir=folders["samples"], data_root_dir=str(data_root))
    cb = demo.xai_callbacks
    seen = []
    state, text = cb.train(new_state("en"), "pneumoniamnist@28", "laterality_marker", 90, 0, 1, 300,
                           progress=lambda f, m: seen.append(f))
    assert "Done in" in text and seen and seen[-1] == pytest.approx(1.0)
    assert "pneumonias" in text and "artefact" in text  # what happened, in words (issue 13, point 7)
    assert "Terminé en" in cb.train_text(replace(state, lang="fr"))
    assert [m.key for m in state.user_models] == ["user:1"]
    assert any(k == "user:1" and "Your model #1" in label and "90%/0%" in label for label, k in cb.model_choices(state))
    assert all(k != "user:1" for _, k in cb.model_choices(new_state("en"))), "another user must not see it"
    state = cb.case_image(0, state)
    assert "predicts" in cb.explore(state, "user:1", ["gradcam"], 0.5, "positive")[1]
    assert "No model found" in cb.explore(replace(state, user_models=()), "user:1", ["gradcam"], 0.5, "positive")[1]


@pytest.mark.data
def test_real_cases_resolve_and_explain(data_root: Path, folders: dict[str, Path]) -> None:
    demo = build_app(folders["models"], data_root_dir=str(data_root))
    cb = demo.xai_callbacks
    assert len(demo.xai_context.cases) >= 6
    state = cb.case_image(0, new_state("en"))
    assert state.image.shape == (224, 224)
    assert "Bacterial pneumonia" in cb.case_text(state)
    assert len(cb.explore(state, "clean28", ["gradcam"], 0.5, "positive")[3]) == 1


def test_concurrent_sessions_never_see_each_others_uploads_or_models(cb: Callbacks, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Two sessions upload, explore and train at the same time (training replaced by a quick stand-in that
    returns a fresh model): each keeps its own image, maps and model; nothing of theirs is shared."""
    import threading

    import torch

    import xai_demo.train as train_module
    from xai_demo.checkpoints import Checkpoint
    from xai_demo.ui import logic

    trained: dict[str, torch.nn.Module] = {}

    def quick_train(cfg, out=None, on_progress=None) -> Checkpoint:
        model = create_model("small_cnn", input_size=cfg.size)
        trained[threading.current_thread().name] = model
        test = {"auc": 0.5, "accuracy": 0.5, "sensitivity": 0.5, "specificity": 0.5}
        return Checkpoint(model, cfg.to_dict(), {"test": test, "train_seconds": 0.1}, {})

    monkeypatch.setattr(train_module, "train", quick_train)
    monkeypatch.setattr(cb.ctx, "train_choices", [logic.TrainChoice("pneumoniamnist", 28)])
    rng = np.random.default_rng(5)
    pictures = {"A": rng.integers(0, 60, (90, 70), np.uint8), "B": rng.integers(150, 255, (60, 100), np.uint8)}
    barrier = threading.Barrier(2)
    states: dict[str, Session] = {}
    errors: list[BaseException] = []
    cache_before = len(cb.ctx.cache)

    def session(name: str) -> None:
        try:
            path = _upload(tmp_path, f"{name}.png", _png(Image.fromarray(pictures[name])))
            barrier.wait()
            state, error = cb.upload_image(path, new_state("en"))
            assert error is None
            barrier.wait()
            state = cb.explore(state, "clean28", ["gradcam"], 0.5, "positive")[0]
            barrier.wait()
            state = cb.train(state, "pneumoniamnist@28", "none", 0, 0, 1, 200)[0]
            barrier.wait()
            states[name] = cb.explore(state, "user:1", ["gradcam"], 0.5, "positive")[0]
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(name,), name=name) for name in pictures]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    for name, other in (("A", "B"), ("B", "A")):
        state = states[name]
        np.testing.assert_array_equal(state.image, pictures[name])
        seen = np.round(state.result.image * 255).astype(np.int16)
        assert np.abs(seen - logic.square(pictures[name], 28)).max() <= 1, "the maps are of this session's image"
        assert [m.key for m in state.user_models] == ["user:1"]
        assert cb.ctx.entry("user:1", state).model is trained[name]
        assert cb.ctx.entry("user:1", state).model is not trained[other]
        assert state.result_model == "user:1"
    assert all(not k.startswith("user:") for _, k in cb.model_choices(new_state("en")))
    assert all(e.model not in trained.values() for e in cb.ctx.models.values())
    assert len(cb.ctx.cache) == cache_before, "results of uploaded images are never cached (never shared)"
    assert not any(tmp_path.glob("*.png")), "uploads are deleted once read"
