"""The web app's gradio-free logic: translations, case manifest, drawn regions, caches, models, quiz."""

from __future__ import annotations

import json
import os
import re
import string
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from xai_demo.errors import DataError
from xai_demo.paths import SAMPLES_DIR
from xai_demo.ui import cases, logic, shelf, store
from xai_demo.ui import table as tables
from xai_demo.ui.text import LANGS, TEXT, about, artefact_name, class_name, t

# ----------------------------------------------------------------------------- translations


def test_every_key_has_every_language_with_the_same_fields() -> None:
    for key, entry in TEXT.items():
        assert set(entry) == set(LANGS), key
        fields = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in LANGS]
        assert fields[0] == fields[1], f"{key}: format fields differ between languages"
        for lang in LANGS:
            assert entry[lang].strip(), f"{key}/{lang} is empty"


def test_french_is_actually_french() -> None:
    def words(text: str) -> str:  # the text without its format fields
        return re.sub(r"[^A-Za-z]", "", re.sub(r"\{[^}]*\}", "", text))

    identical = {"Artefact"}  # the same word in both languages
    same = [k for k, e in TEXT.items()  # method names such as Grad-CAM and DeepLIFT are proper names
            if e["en"] == e["fr"] and len(words(e["en"])) > 6 and e["en"] not in identical
            and not k.startswith("method.")]
    assert not same, f"untranslated strings: {same}"
    assert "pneumopathie" in t("class.pneumonia", "fr")
    assert "marqueur de latéralité" in t("art.laterality_marker", "fr").lower()
    assert "carte" in t("explore.intro", "fr")


def test_every_key_used_in_the_ui_exists() -> None:
    ui = Path(logic.__file__).parent
    used = set()
    for path in ui.glob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[A-Za-z_.]+)["']""", path.read_text()))
        used |= set(re.findall(r"""(?:label|value|info)=["']([a-z]+\.[a-z_]+)["']""", path.read_text()))
    missing = sorted(k for k in used if k not in TEXT)
    assert not missing, missing


def test_t_formats_and_rejects_unknown_keys() -> None:
    assert t("quiz.score", "fr", right=2, total=3) == "Score\u00a0: **2 / 3**"  # French non-breaking space
    assert t("quiz.score", "xx", right=1, total=1).startswith("Score:")
    with pytest.raises(KeyError):
        t("no.such.key", "en")
    assert class_name("PNEUMONIA", "fr") == "pneumopathie"
    assert class_name("unknown", "fr") == "unknown"
    assert artefact_name(None, "fr") == "aucun"


def test_about_page_names_every_reference_and_licence() -> None:
    for lang in LANGS:
        page = about(lang)
        for needle in ("Zech", "DeGrave", "Winkler", "Adebayo", "Geirhos", "Sun S.", "Scientific Data* 10, 41",
                       "doi:10.17632/rscbjbr9sj.2", "CC BY 4.0", "Al-Dhabyani", "ISIC", "CC0", "Bissoto"):
            assert needle in page, (lang, needle)
        assert "{" not in page


def test_ui_logic_modules_do_not_import_gradio() -> None:
    import importlib

    for name in ("xai_demo.ui.text", "xai_demo.ui.cases", "xai_demo.ui.logic"):
        source = Path(importlib.import_module(name).__file__).read_text()
        assert "import gradio" not in source, name


# ----------------------------------------------------------------------------- cases


def test_committed_manifest_is_valid_and_bilingual() -> None:
    entries = cases.load_manifest(SAMPLES_DIR / cases.MANIFEST_NAME)
    assert len(entries) >= 6
    assert len({e.id for e in entries}) == len(entries)
    for e in entries:
        assert e.title["en"] and e.title["fr"] and e.note["en"] and e.note["fr"], e.id
        assert (e.file is None) != (e.index is None), e.id


def test_dataset_images_live_only_in_the_embedded_folder() -> None:
    """Curated copies go to sample_images/cases/ (credited); the top folder is for a user's own images."""
    images = [p for p in SAMPLES_DIR.iterdir() if p.suffix.lower() in cases.IMAGE_SUFFIXES]
    assert not images, f"dataset images belong in sample_images/cases/, built by xai_demo.samples: {images}"


def test_embedded_cases_resolve_without_any_data_folder() -> None:
    found = cases.resolve_cases(SAMPLES_DIR, None)
    embedded = [e for e in cases.load_manifest(SAMPLES_DIR / cases.MANIFEST_NAME) if e.embedded]
    assert [c.id for c in found] == [e.id for e in embedded] and len(found) >= 24
    assert all(c.path is not None and c.path.parent == SAMPLES_DIR / "cases" for c in found)
    assert {c.pixels().shape for c in found} == {(224, 224)}
    assert {"false_positive", "false_negative", "marker", "wires"} <= {c.kind for c in found}


def test_cases_without_data_resolve_to_user_images_only(tmp_path: Path) -> None:
    (tmp_path / cases.MANIFEST_NAME).write_text((SAMPLES_DIR / cases.MANIFEST_NAME).read_text())
    assert cases.resolve_cases(tmp_path, None) == []  # the manifest's embedded copies are not in tmp_path
    Image.fromarray(np.full((40, 50), 128, np.uint8)).save(tmp_path / "mine.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    found = cases.resolve_cases(tmp_path, tmp_path / "absent")
    assert [c.id for c in found] == ["file:mine.png"]
    assert found[0].pixels().shape == (40, 50)


def test_manifest_entries_resolve_against_a_fake_data_folder(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "kermany_cxr_224" / "test" / "NORMAL").mkdir(parents=True)
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(root / "kermany_cxr_224" / "test" / "NORMAL" / "a.jpeg")
    (root / "medmnist").mkdir()
    np.savez(root / "medmnist" / "pneumoniamnist.npz", test_images=np.arange(3 * 28 * 28, dtype=np.uint8)
             .reshape(3, 28, 28))
    manifest = {"cases": [
        {"id": "k", "dataset": "kermany", "split": "test", "file": "NORMAL/a.jpeg",
         "title": {"en": "K", "fr": "K"}, "note": {"en": "n", "fr": "n"}},
        {"id": "missing", "dataset": "kermany", "split": "test", "file": "NORMAL/b.jpeg",
         "title": {"en": "M", "fr": "M"}},
        {"id": "todo", "dataset": "kermany", "split": "test", "file": "TODO", "title": {"en": "T", "fr": "T"}},
        {"id": "m", "dataset": "pneumoniamnist", "split": "test", "index": 2, "title": {"en": "P", "fr": "P"}},
        {"id": "out", "dataset": "pneumoniamnist", "split": "test", "index": 99, "title": {"en": "O", "fr": "O"}},
    ]}
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / cases.MANIFEST_NAME).write_text(json.dumps(manifest))
    found = cases.resolve_cases(samples, root)
    assert [c.id for c in found] == ["k", "m"]
    assert found[0].pixels().shape == (64, 64)
    assert found[1].pixels()[0, 0] == (2 * 28 * 28) % 256
    assert found[0].text("title", "fr") == "K"


def test_malformed_manifest_is_reported(tmp_path: Path) -> None:
    (tmp_path / cases.MANIFEST_NAME).write_text('{"cases": [{"id": "x"}]}')
    with pytest.raises(DataError, match="not a valid case manifest"):
        cases.load_manifest(tmp_path / cases.MANIFEST_NAME)


@pytest.mark.data
def test_committed_cases_resolve_on_the_real_data(data_root: Path) -> None:
    found = cases.resolve_cases(SAMPLES_DIR, data_root)
    entries = [e for e in cases.load_manifest(SAMPLES_DIR / cases.MANIFEST_NAME) if (e.file or "") != "TODO"]
    assert [c.id for c in found] == [e.id for e in entries]  # the data folder adds its cases to the embedded ones
    assert len(found) > len(cases.resolve_cases(SAMPLES_DIR, None))
    for case in found:
        assert case.pixels().dtype == np.uint8


# ----------------------------------------------------------------------------- drawn regions


def _editor(mask: np.ndarray) -> dict:
    layer = np.zeros((*mask.shape, 4), np.uint8)
    layer[mask] = (0, 229, 255, 255)
    background = np.full((*mask.shape, 4), 100, np.uint8)
    return {"background": background, "layers": [layer], "composite": background}


def test_mask_from_editor_pools_strokes_to_the_model_size() -> None:
    painted = np.zeros((320, 320), bool)
    painted[0:40, 0:40] = True
    painted[200, 300] = True  # a one-pixel stroke still marks its model pixel
    mask = logic.mask_from_editor(_editor(painted), 32)
    assert mask.shape == (32, 32)
    assert mask[:4, :4].all() and mask[20, 30]
    assert mask.sum() == 16 + 1


def test_empty_editor_gives_no_mask() -> None:
    assert logic.mask_from_editor(None, 28) is None
    assert logic.mask_from_editor(_editor(np.zeros((50, 50), bool)), 28) is None
    assert logic.mask_from_editor({"background": None, "layers": [], "composite": None}, 28) is None


def test_mask_from_composite_when_there_are_no_layers() -> None:
    background = np.zeros((64, 64, 3), np.uint8)
    composite = background.copy()
    composite[:16, :16] = 255
    mask = logic.mask_from_editor({"background": background, "layers": [], "composite": composite}, 8)
    assert mask.sum() == 4 and mask[:2, :2].all()


def test_region_share_and_report() -> None:
    attr = np.zeros((10, 10), np.float32)
    attr[:5] = 1.0
    attr[5:] = -1.0  # negative evidence never counts
    mask = np.zeros((10, 10), bool)
    mask[:5, :5] = True
    shares = logic.region_shares({"gradcam": attr}, mask)
    assert shares["gradcam"][0] == pytest.approx(0.5)
    assert shares["gradcam"][1] == pytest.approx(2.0)
    report = logic.region_report({"gradcam": attr}, mask, "fr")
    assert "25\u00a0%" in report and "2,0×" in report
    assert "Grad-CAM" in report and "50" in report
    assert logic.region_report({"gradcam": attr}, None, "en") == t("explore.no_region", "en")


# ----------------------------------------------------------------------------- caches and images


def test_lru_cache_bounds_and_skips_uncached_keys() -> None:
    cache = store.LRUCache(2)
    calls = []

    def compute(v):
        calls.append(v)
        return v

    assert cache.get_or_compute("a", lambda: compute(1)) == 1
    assert cache.get_or_compute("a", lambda: compute(2)) == 1
    cache.get_or_compute("b", lambda: compute(3))
    cache.get_or_compute("c", lambda: compute(4))
    assert len(cache) == 2
    assert cache.get_or_compute("a", lambda: compute(5)) == 5
    assert cache.get_or_compute(None, lambda: compute(6)) == 6
    assert cache.get_or_compute(None, lambda: compute(7)) == 7
    assert calls == [1, 3, 4, 5, 6, 7]


def test_gray_and_square_conversions() -> None:
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[..., :3] = 90
    assert logic.to_gray_uint8(rgba).shape == (20, 30)
    assert logic.to_gray_uint8(np.ones((4, 4), np.float32))[0, 0] == 255
    assert logic.square(np.zeros((20, 30), np.uint8), 16).shape == (16, 16)
    assert logic.image_digest(np.zeros((2, 2), np.uint8)) != logic.image_digest(np.ones((2, 2), np.uint8))


def test_apply_artefact_keeps_size_and_reports_the_mask() -> None:
    image = np.full((100, 80), 60, np.uint8)
    plain, none = logic.apply_artefact(image, 64, logic.ArtefactSettings(None))
    assert plain.shape == (64, 64) and not none.any()
    marked, mask = logic.apply_artefact(image, 64, logic.ArtefactSettings("laterality_marker", "top_left", 0.2,
                                                                          {"text": "L"}))
    assert mask.any() and mask[:32, :32].sum() == mask.sum()
    assert (marked[mask] != plain[mask]).all()


# ----------------------------------------------------------------------------- models (tiny, untrained)


def _tiny_checkpoint(path: Path, artefact: str | None = None, size: int = 28):
    from xai_demo.checkpoints import save_checkpoint
    from xai_demo.models import create_model

    model = create_model("small_cnn", class_names=("normal", "pneumonia"), input_size=size)
    cfg = {"dataset": "pneumoniamnist", "size": size, "artefact": artefact,
           "artefact_options": {"text": "L"} if artefact else {}}
    return save_checkpoint(path, model, train_config=cfg, metrics={"test": {"auc": 0.5}})


def test_discover_and_pair_models(tmp_path: Path) -> None:
    _tiny_checkpoint(tmp_path / "b_clean.pt")
    _tiny_checkpoint(tmp_path / "a_short.pt", "laterality_marker")
    _tiny_checkpoint(tmp_path / "lonely_short64.pt", "text_token", size=64)
    (tmp_path / "junk.pt").write_bytes(b"junk")
    models = shelf.discover_models(tmp_path)
    assert list(models) == ["lonely_short64", "b_clean", "a_short"]
    pairs = shelf.pair_models(models)
    assert [(p.clean.key, p.shortcut.key) for p in pairs] == [("b_clean", "a_short")]
    assert "raccourci" in models["a_short"].label("fr") and "“L”" in models["a_short"].label("en")
    assert shelf.discover_models(tmp_path / "absent") == {}


def test_explain_many_caches_curated_results(tmp_path: Path) -> None:
    _tiny_checkpoint(tmp_path / "m.pt")
    entry = shelf.discover_models(tmp_path)["m"]
    cache = store.LRUCache(8)
    image = np.random.default_rng(0).integers(0, 255, (40, 40), dtype=np.uint8)
    first = logic.explain_many(entry.model, image, ["gradcam", "saliency"], cache, ("m", "case"))
    assert set(first.maps) == {"gradcam", "saliency"} and len(cache) == 2
    again = logic.explain_many(entry.model, image, ["gradcam"], cache, ("m", "case"))
    assert again.maps["gradcam"] is first.maps["gradcam"]
    logic.explain_many(entry.model, image, ["gradcam"], cache, None)
    assert len(cache) == 2
    items = logic.render_maps(first, 0.5, "signed", "fr")
    assert [caption for _, caption in items] == ["Grad-CAM", "Saillance (gradient)"]
    assert set(logic.probabilities_dict(first, "fr")) == {"normal", "pneumopathie"}
    with pytest.raises(ValueError):
        logic.explain_many(entry.model, image, [])


def test_quiz_question_is_deterministic_and_consistent(tmp_path: Path) -> None:
    _tiny_checkpoint(tmp_path / "clean.pt")
    _tiny_checkpoint(tmp_path / "short.pt", "laterality_marker")
    pair = shelf.pair_models(shelf.discover_models(tmp_path))[0]
    images = [np.random.default_rng(i).integers(0, 255, (64, 64), dtype=np.uint8) for i in range(3)]
    a, b = logic.make_question(pair, images, 3), logic.make_question(pair, images, 3)
    assert a.share == b.share and a.model_kind == b.model_kind
    assert a.mask.any() and 0 <= a.share <= 1
    assert a.answer == b.answer in ("artefact", "pathology")
    reveal = logic.quiz_reveal(a, a.answer, "fr")
    assert reveal.startswith("**Bonne réponse") and "%" in reveal
    assert logic.quiz_reveal(a, "nonsense", "en").startswith("**Not this time")
    with pytest.raises(ValueError):
        logic.make_question(pair, [], 1)


@pytest.mark.parametrize(("share", "covered", "answer"), [
    (0.30, 10, "artefact"),  # 30% of the evidence on 10% of the image (3x): over the 25% bar only
    (0.25, 10, "artefact"),  # exactly on the bar
    (0.24, 10, "pathology"),  # 24% on 10% of the image: 2.4x its area, under both bars
    (0.06, 1, "artefact"),  # 6% on 1% of the image: 6x its area, over the 5x bar
    (0.04, 1, "pathology"),  # 4x its area
    (0.00, 0, "pathology"),  # no artefact pixels at all
])
def test_quiz_answer_follows_the_stated_rule(share: float, covered: int, answer: str) -> None:
    mask = np.zeros(100, bool)
    mask[:covered] = True
    item = logic.QuizItem(np.zeros((10, 10)), np.zeros((10, 10)), mask.reshape(10, 10), "shortcut",
                          "laterality_marker", share, 0.9, "PNEUMONIA")
    assert item.answer == answer


def test_table_from_a_report_and_markdown(tmp_path: Path) -> None:
    _tiny_checkpoint(tmp_path / "clean.pt")
    _tiny_checkpoint(tmp_path / "short.pt", "laterality_marker")
    pair = shelf.pair_models(shelf.discover_models(tmp_path))[0]
    reports = tmp_path / "reports" / "x"
    reports.mkdir(parents=True)
    metrics = {c: {"auc": 0.9, "accuracy": 0.8, "n": 10} for c in ("none", "aligned", "swapped", "all")}
    (reports / "report.json").write_text(json.dumps({
        "clean": "models/clean.pt", "shortcut": "models/short.pt",
        "conditions": {"clean": metrics, "shortcut": metrics}}))
    found = tables.find_table(pair, tmp_path / "reports")
    assert found["source"] == "reports/x/report.json" and found["n"] == 10
    md = tables.table_markdown(found, "fr")
    assert "inversé" in md and "0,900" in md and "80,0\u00a0%" in md
    assert tables.table_markdown(None, "en") == t("shortcut.table_missing", "en")


def test_train_choices_follow_the_data(tmp_path: Path) -> None:
    embedded = ["pneumoniamnist_sample@28", "kermany_sample@64"]
    assert [c.key for c in logic.train_choices(None)] == embedded  # no data folder: the embedded bundles
    assert not logic.dataset_available(tmp_path, "kermany") and not logic.dataset_available(None, "kermany")
    (tmp_path / "medmnist").mkdir()
    (tmp_path / "medmnist" / "pneumoniamnist.npz").write_bytes(b"")
    assert [c.key for c in logic.train_choices(tmp_path)] == ["pneumoniamnist@28", "kermany_sample@64"]
    (tmp_path / "kermany_cxr_224" / "test" / "NORMAL").mkdir(parents=True)
    assert [c.key for c in logic.train_choices(tmp_path)] == ["pneumoniamnist@28", "kermany@64"]
    assert logic.dataset_available(tmp_path, "pneumoniamnist")
    cfg = logic.train_config(logic.TrainChoice("pneumoniamnist", 28), tmp_path, "laterality_marker", 90, 10, 2, 300)
    assert cfg.confound == pytest.approx(0.9) and cfg.confound_negative == pytest.approx(0.1)
    assert dict(cfg.artefact_options) == {"text": "L"}
    clean = logic.train_config(logic.TrainChoice("pneumoniamnist", 28), tmp_path, None, 90, 10, 2, 300)
    assert clean.confound == 0 and clean.artefact is None


def test_method_choices_mark_slow_methods_in_both_languages() -> None:
    en, fr = dict(logic.method_choices("en")), dict(logic.method_choices("fr"))
    assert list(en.values())[0] == "gradcam"
    assert any("(slow)" in label for label in en) and any("(lent)" in label for label in fr)


def test_importing_the_ui_package_does_not_import_gradio() -> None:
    import subprocess

    code = "import sys, xai_demo.ui; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_committed_pairs_carry_their_measured_table() -> None:
    """Without any test split on the machine, the Shortcuts tab shows the numbers measured on the whole split."""
    from xai_demo.paths import MODELS_DIR

    pairs = {p.shortcut.key: p for p in shelf.pair_models(shelf.discover_models(MODELS_DIR))}
    assert set(pairs) == {"cxr_shortcut_marker_128", "cxr_shortcut_token_64"}
    for pair in pairs.values():
        table = tables.find_table(pair)
        assert table["source"] == "checkpoint" and table["n"] == 624
        # the shortcut twin collapses when the artefact moves to the normals (AUC below chance), the clean one holds
        assert table["shortcut"]["swapped"]["auc"] < 0.5 < 0.9 < table["clean"]["swapped"]["auc"]
        md = tables.table_markdown(table, "fr")
        assert "conservé dans `" + pair.shortcut.key + ".pt`" in md and "624 images de test" in md


@pytest.mark.data
def test_stored_tables_match_a_live_measurement(data_root: Path) -> None:
    """What the checkpoints store is what the test split gives today (same placements, same models)."""
    from xai_demo.paths import MODELS_DIR
    from xai_demo.report import measure_conditions, shortcut_test_split

    for pair in shelf.pair_models(shelf.discover_models(MODELS_DIR)):
        stored = pair.shortcut.checkpoint.metrics["conditions"]
        live = measure_conditions(pair.clean.checkpoint, pair.shortcut.checkpoint,
                                  shortcut_test_split(pair.shortcut.checkpoint, str(data_root)))
        for model in ("clean", "shortcut"):
            for cond in ("none", "aligned", "swapped", "all"):
                assert live[model][cond]["auc"] == pytest.approx(stored[model][cond]["auc"], abs=1e-9)
                assert live[model][cond]["accuracy"] == pytest.approx(stored[model][cond]["accuracy"], abs=1e-9)


def test_kept_pictures_survive_pruning(tmp_path: Path) -> None:
    """Issue 13, point 1: the case thumbnails are sent again on every language switch, so they must outlive the
    derived pictures' time-to-live."""
    from xai_demo.ui.store import ImageStore

    store = ImageStore(tmp_path, max_age=3600.0)
    kept = store.save(Image.new("RGB", (8, 8), (1, 2, 3)), keep=True)
    passing = store.save(Image.new("RGB", (8, 8), (9, 9, 9)))
    os.utime(kept, (0, 0))  # both written long ago
    os.utime(passing, (0, 0))
    assert store.prune(force=True) == 1
    assert Path(kept).exists() and not Path(passing).exists()
