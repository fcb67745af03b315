"""The embedded teaching set: credited, within budget, reproducible from the public data, and usable offline."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest

from xai_demo import samples
from xai_demo.data import load_dataset
from xai_demo.paths import MODELS_DIR, SAMPLES_DIR

PROSE = {"README.md", samples.ATTRIBUTION, samples.MANIFEST}


def _embedded_entries() -> list[dict]:
    return [e for e in samples.load_manifest() if e.get("embedded")]


def test_every_embedded_file_is_listed_and_credited() -> None:
    attribution = (SAMPLES_DIR / samples.ATTRIBUTION).read_text(encoding="utf-8")
    listed = {e["embedded"] for e in _embedded_entries()}
    for path in samples.embedded_files():
        rel = path.relative_to(SAMPLES_DIR).as_posix()
        if rel in PROSE:
            continue
        assert f"`{rel}`" in attribution, f"{rel} is not credited in {samples.ATTRIBUTION}"
        if rel.startswith(samples.CASES_FOLDER + "/"):
            assert rel in listed, f"{rel} is not in cases.json"
    for licence_fact in ("CC BY 4.0", "doi:10.17632/rscbjbr9sj.2", "Scientific Data 10, 41", "teaching only"):
        assert licence_fact in attribution


def test_embedded_set_stays_within_its_size_budget() -> None:
    total = sum(p.stat().st_size for p in samples.embedded_files())
    assert 0 < total < samples.SIZE_BUDGET, f"{total / 1e6:.2f} MB"


def test_curated_deck_covers_the_teaching_kinds_in_both_languages() -> None:
    entries = _embedded_entries()
    assert len(entries) >= 24
    assert {e["kind"] for e in entries} == set(samples.KINDS)
    assert {e["label"] for e in entries} == {"NORMAL", "PNEUMONIA"}
    assert len({e["file"] for e in entries}) == len(entries)
    for e in entries:
        assert e["split"] == "test" and e["dataset"] == "kermany", e["id"]
        for field in ("title", "note"):
            assert e[field]["en"].strip() and e[field]["fr"].strip(), (e["id"], field)
            assert e[field]["en"] != e[field]["fr"] or field == "title", (e["id"], field)
        data = (SAMPLES_DIR / e["embedded"]).read_bytes()
        assert hashlib.md5(data).hexdigest() == e["md5"], f"{e['embedded']} changed since it was built"


def test_error_cases_are_errors_of_the_clean_model() -> None:
    """A note saying "the model trained without the artefact gets this wrong" must stay true."""
    from xai_demo.checkpoints import load_checkpoint
    from xai_demo.predict import predict

    model = load_checkpoint(MODELS_DIR / "cxr_clean_128.pt").model
    checked = 0
    for e in _embedded_entries():
        truth = model.spec.class_names.index(e["label"])
        predicted = predict(model, SAMPLES_DIR / e["embedded"])["index"]
        if e["kind"] in ("false_positive", "false_negative"):
            assert predicted != truth, f"{e['id']} is no longer an error of cxr_clean_128"
            assert (truth == 0) == (e["kind"] == "false_positive"), e["id"]
            checked += 1
    assert checked >= 2


@pytest.mark.parametrize("spec", samples.BUNDLES, ids=lambda s: s.name)
def test_bundles_load_offline_with_their_provenance(spec: samples.BundleSpec) -> None:
    with (samples.bundle_path(spec.name).with_suffix(".csv")).open(newline="") as f:
        rows = list(csv.DictReader(f))
    for split, n in spec.counts:
        dataset = load_dataset(spec.name, split, spec.size, None)  # no data folder, no network
        assert len(dataset) == n and dataset.size == spec.size
        assert set(np.unique(dataset.labels)) == {0, 1}
        assert [int(r["label"]) for r in rows if r["split"] == split] == dataset.labels.tolist()
    assert load_dataset(spec.name, "test", 32, None).images.shape[1:] == (32, 32)


def test_a_damaged_bundle_gives_a_clear_error(tmp_path: Path) -> None:
    from xai_demo.errors import DataError

    (tmp_path / samples.BUNDLES_FOLDER).mkdir()
    samples.bundle_path("broken", tmp_path).write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="git checkout sample_images"):
        samples.load_bundle("broken", "train", tmp_path)


@pytest.mark.data
def test_the_embedded_set_is_rebuilt_identically_from_the_public_data(data_root: Path, tmp_path: Path) -> None:
    """Built by the script, never by hand: a rebuild from the public data gives the committed files."""
    (tmp_path / samples.MANIFEST).write_bytes((SAMPLES_DIR / samples.MANIFEST).read_bytes())
    summary = samples.build(data_root, tmp_path)
    assert summary["cases"] == len(samples.load_manifest())
    for e in _embedded_entries():
        assert (tmp_path / e["embedded"]).read_bytes() == (SAMPLES_DIR / e["embedded"]).read_bytes()
    for spec in samples.BUNDLES:
        for split, _ in spec.counts:
            rebuilt, committed = samples.load_bundle(spec.name, split, tmp_path), samples.load_bundle(spec.name, split)
            assert np.array_equal(rebuilt[0], committed[0]) and np.array_equal(rebuilt[1], committed[1])
        csv_name = samples.bundle_path(spec.name).with_suffix(".csv").name
        assert (tmp_path / samples.BUNDLES_FOLDER / csv_name).read_text() == (
            SAMPLES_DIR / samples.BUNDLES_FOLDER / csv_name).read_text()
    assert (tmp_path / samples.ATTRIBUTION).read_text() == (SAMPLES_DIR / samples.ATTRIBUTION).read_text()
