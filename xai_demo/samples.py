"""The embedded teaching set in ``sample_images/``: curated chest X-rays and compact training bundles.

Made from the public datasets by ``python -m xai_demo.samples build --from DATA`` (never by hand), so that the
app and the CLI work on a fresh clone with no data folder and no network:

- ``cases.json``: the curated deck. Each case names its source (``dataset``, ``split``, ``file``), a teaching
  ``kind`` and a title and a note in English and French. The curators write this file; ``build`` copies the
  named Kermany files, checks them and records ``embedded`` (the copy), ``md5`` and ``label``. Entries of other
  datasets stay references, resolved only when a data folder is given.
- ``cases/*.jpeg``: byte-for-byte copies of the named Kermany test files (224 px, as the source holds them).
- ``bundles/<name>.npz``: ``{split}_images (N, S, S) uint8`` and ``{split}_labels (N,)`` for train, val and test,
  with ``bundles/<name>.csv`` giving the source index or file of every image.
- ``ATTRIBUTION.md``: sources, licences, citations and every file, for teaching use only.

``python -m xai_demo.samples suggest --from DATA`` ranks candidate cases per kind for a curator.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError
from .paths import SAMPLES_DIR

MANIFEST = "cases.json"
CASES_FOLDER = "cases"
BUNDLES_FOLDER = "bundles"
ATTRIBUTION = "ATTRIBUTION.md"
SIZE_BUDGET = 10_000_000  # bytes: the whole embedded set
BUILD_SEED = 0
KINDS = ("clear_pneumonia", "clean_normal", "marker", "wires", "exposure", "false_positive", "false_negative")


@dataclass(frozen=True)
class BundleSpec:
    """A compact training bundle: how many images per split, drawn (stratified, seeded) from a dataset.

    Attributes:
        name: bundle file stem and registered dataset name, e.g. "kermany_sample".
        source: the registered dataset it is drawn from.
        size: side in pixels of the stored images.
        counts: images per split; ``val`` is carved from train when the source has no val split.
    """

    name: str
    source: str
    size: int
    counts: tuple[tuple[str, int], ...]


BUNDLES = (
    BundleSpec("pneumoniamnist_sample", "pneumoniamnist", 28, (("train", 2000), ("val", 300), ("test", 624))),
    BundleSpec("kermany_sample", "kermany", 64, (("train", 1000), ("val", 160), ("test", 300))),
)

SOURCES = {
    "kermany": {
        "title": "Kermany paediatric chest X-rays (Guangzhou Women and Children's Medical Center), 224 px copy",
        "licence": "CC BY 4.0",
        "citation": "Kermany D., Zhang K., Goldbaum M. Labeled Optical Coherence Tomography (OCT) and Chest X-Ray "
                    "Images for Classification, Mendeley Data v2 (2018), doi:10.17632/rscbjbr9sj.2; Kermany D.S. et "
                    "al., Identifying Medical Diagnoses and Treatable Diseases by Image-Based Deep Learning, Cell "
                    "172(5):1122-1131 (2018), doi:10.1016/j.cell.2018.02.010.",
    },
    "pneumoniamnist": {
        "title": "PneumoniaMNIST (MedMNIST v2), 28 px, built from the Kermany chest X-rays",
        "licence": "CC BY 4.0",
        "citation": "Yang J., Shi R., Wei D., Liu Z., Zhao L., Ke B., Pfister H., Ni B. MedMNIST v2 - A large-scale "
                    "lightweight benchmark for 2D and 3D biomedical image classification. Scientific Data 10, 41 "
                    "(2023), doi:10.1038/s41597-022-01721-8. Source images: Kermany D.S. et al., Cell 172(5) (2018).",
    },
}


# ----------------------------------------------------------------------------- reading the embedded set


def bundle_path(name: str, folder: Path = SAMPLES_DIR) -> Path:
    """Where bundle ``name`` lives (``sample_images/bundles/<name>.npz``)."""
    return folder / BUNDLES_FOLDER / f"{name}.npz"


def load_bundle(name: str, split: str, folder: Path = SAMPLES_DIR
                ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Images ``(N, S, S)`` uint8, labels ``(N,)`` int64 and class names of one split of an embedded bundle.

    Raises:
        DataError: the bundle or the split is missing or damaged (rebuild it with ``build``).
    """
    path = bundle_path(name, folder)
    try:
        with np.load(path, allow_pickle=False) as z:
            images, labels = np.asarray(z[f"{split}_images"]), np.asarray(z[f"{split}_labels"], np.int64)
            names = tuple(str(n) for n in z["class_names"])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(
            f"the embedded bundle {path} has no readable {split!r} split ({exc}); restore it with `git checkout "
            f"sample_images` or rebuild it with `python -m xai_demo.samples build --from <data folder>`"
        ) from None
    if images.ndim != 3 or images.dtype != np.uint8 or len(images) != len(labels):
        raise DataError(f"the embedded bundle {path} is damaged ({split}: {images.shape} {images.dtype})")
    return images, labels, names


def load_manifest(folder: Path = SAMPLES_DIR) -> list[dict]:
    """The curated deck's entries (an empty list when there is no manifest)."""
    path = folder / MANIFEST
    if not path.is_file():
        return []
    try:
        return list(json.loads(path.read_text(encoding="utf-8"))["cases"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{path} is not a valid case manifest: {exc}") from None


def embedded_files(folder: Path = SAMPLES_DIR) -> list[Path]:
    """Every file of the embedded set (for the size budget and the attribution check)."""
    return sorted(p for p in folder.rglob("*") if p.is_file())


# ----------------------------------------------------------------------------- building it


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _kermany_manifest(data: Path) -> dict[str, dict]:
    """The Kermany folder's ``manifest.csv`` rows by relative path (split/CLASS/file)."""
    from .data import KERMANY_FOLDER  # imported here: data imports this module

    path = data / KERMANY_FOLDER / "manifest.csv"
    if not path.is_file():
        raise DataError(f"{path} is missing: name the folder that holds {KERMANY_FOLDER}/ with --from")
    with path.open(newline="") as f:
        return {row["path"]: row for row in csv.DictReader(f)}


def copy_cases(data: Path, out: Path) -> list[dict]:
    """Copy every case named in ``out/cases.json`` from ``data`` into ``out/cases/`` (md5 checked).

    Returns the manifest entries, the embedded ones with ``embedded``, ``md5`` and ``label`` filled in.
    """
    from .data import KERMANY_FOLDER

    rows = _kermany_manifest(data)
    (out / CASES_FOLDER).mkdir(parents=True, exist_ok=True)
    entries = load_manifest(out)
    for entry in entries:
        if entry["dataset"] != "kermany":
            continue  # a reference into a data folder, not embedded
        rel = f"{entry['split']}/{entry['file']}"
        row = rows.get(rel)
        if row is None:
            raise DataError(f"case {entry['id']}: kermany {rel} is not listed in the data's manifest.csv")
        src = data / KERMANY_FOLDER / rel
        if _md5(src) != row["md5"]:
            raise DataError(f"{src} does not match its md5 in manifest.csv; the data folder is damaged")
        target = out / CASES_FOLDER / f"kermany_{entry['split']}_{entry['file'].replace('/', '_')}"
        shutil.copyfile(src, target)
        entry.update(embedded=f"{CASES_FOLDER}/{target.name}", md5=row["md5"], label=row["label"])
    ids = [e["id"] for e in entries]
    if len(set(ids)) != len(ids):
        raise DataError("case ids in cases.json must be unique")
    (out / MANIFEST).write_text(json.dumps({"cases": entries}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return entries


def _stratified(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` indices keeping the class proportions of ``labels`` (sorted)."""
    if n >= len(labels):
        return np.arange(len(labels))
    chosen = []
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        take = round(n * len(idx) / len(labels))
        chosen.append(rng.permutation(idx)[:take])
    return np.sort(np.concatenate(chosen))


def build_bundle(spec: BundleSpec, data: Path, out: Path) -> dict[str, int]:
    """Draw ``spec``'s images from ``data`` and write ``bundles/<name>.npz`` and ``.csv``; returns counts."""
    from .data import load_dataset

    rng = np.random.default_rng(BUILD_SEED)
    counts = dict(spec.counts)
    arrays: dict[str, np.ndarray] = {}
    rows: list[tuple[str, int, str, int]] = []
    full_train = load_dataset(spec.source, "train", spec.size, data, val_fraction=0.0) if "val" in counts else None
    has_val = spec.source == "pneumoniamnist"
    train_pool = np.arange(len(full_train)) if full_train is not None else np.array([], int)
    if not has_val and full_train is not None:  # carve val from train, disjoint from the train draw
        val_idx = _stratified(full_train.labels, counts["val"], rng)
        train_pool = np.setdiff1d(train_pool, val_idx)
    for split, n in spec.counts:
        if split == "val" and not has_val:
            dataset, idx = full_train, val_idx
        elif split == "train":
            dataset = full_train
            idx = train_pool[_stratified(full_train.labels[train_pool], n, rng)]
        else:
            dataset = load_dataset(spec.source, split, spec.size, data)
            idx = _stratified(dataset.labels, n, rng)
        arrays[f"{split}_images"] = dataset.images[idx]
        arrays[f"{split}_labels"] = dataset.labels[idx].astype(np.uint8)
        origin = "train" if split == "val" and not has_val else split
        rows += [(split, int(i), dataset.files[i] if dataset.files else f"{origin}[{i}]", int(dataset.labels[i]))
                 for i in idx]
    path = bundle_path(spec.name, out)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, class_names=np.asarray(dataset.class_names), **arrays)
    with path.with_suffix(".csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["split", "source_index", "source", "label"])
        writer.writerows(rows)
    return {split: len(arrays[f"{split}_labels"]) for split, _ in spec.counts}


def attribution_markdown(entries: Sequence[dict], bundles: dict[str, dict[str, int]]) -> str:
    """The text of ``ATTRIBUTION.md``: sources, licences, citations and every embedded file."""
    lines = [
        "# Embedded teaching set: sources and credits",
        "",
        "These images are **for teaching only**: not for diagnosis, not for training clinical models. They are a",
        "small subset of two openly licensed public datasets, redistributed under their CC BY 4.0 licences with",
        "the attribution below. Built by `python -m xai_demo.samples build --from <data folder>` (never by hand);",
        "`tests/test_samples.py` checks that every file here is listed and credited and that the set stays under",
        f"{SIZE_BUDGET / 1e6:.0f} MB.",
        "",
        "## Sources",
        "",
    ]
    for key, src in SOURCES.items():
        lines += [f"- **{key}**: {src['title']}. Licence: {src['licence']} "
                  "(https://creativecommons.org/licenses/by/4.0/). Cite: " + src["citation"]]
    lines += ["", "Changes: none to the case images (byte-for-byte copies of the 224 px files); the bundles are",
              "downsized grayscale copies (bilinear) of the images listed in their CSV files.", "",
              "## Curated cases (`cases/`)", "", "| file | source file | label | kind | title |",
              "|---|---|---|---|---|"]
    for e in (e for e in entries if e.get("embedded")):
        lines.append(f"| `{e['embedded']}` | {e['dataset']} `{e['split']}/{e['file']}` (md5 {e['md5']}) "
                     f"| {e['label']} | {e['kind']} | {e['title']['en']} |")
    lines += ["", "## Training and quiz bundles (`bundles/`)", "", "| file | source | images per split | "
              "every image's source index or file |", "|---|---|---|---|"]
    for spec in BUNDLES:
        counts = ", ".join(f"{k} {v}" for k, v in bundles.get(spec.name, {}).items())
        lines.append(f"| `{BUNDLES_FOLDER}/{spec.name}.npz` ({spec.size} px) | {spec.source} | {counts} | "
                     f"`{BUNDLES_FOLDER}/{spec.name}.csv` |")
    return "\n".join(lines) + "\n"


def build(data: Path, out: Path = SAMPLES_DIR) -> dict:
    """Copy the curated cases, draw the bundles and write ATTRIBUTION.md; returns a summary."""
    entries = copy_cases(data, out)
    bundles = {spec.name: build_bundle(spec, data, out) for spec in BUNDLES}
    (out / ATTRIBUTION).write_text(attribution_markdown(entries, bundles), encoding="utf-8")
    total = sum(p.stat().st_size for p in embedded_files(out))
    if total > SIZE_BUDGET:
        raise DataError(f"the embedded set is {total / 1e6:.1f} MB, over its {SIZE_BUDGET / 1e6:.0f} MB budget")
    return {"cases": len(entries), "bundles": bundles, "bytes": total}


# ----------------------------------------------------------------------------- helping a curator


def suggest(data: Path, model_path: Path, per_kind: int = 8) -> dict[str, list[tuple[str, float]]]:
    """Candidate Kermany test files per kind, best first, with the measure that ranked them.

    ``false_positive`` / ``false_negative`` / ``clear_pneumonia`` / ``clean_normal`` come from the model's
    P(pneumonia); ``marker`` ranks bright pixels in the border band outside :func:`~xai_demo.shortcut.lung_field`
    (letters and markers are the brightest things there); ``exposure`` ranks films by low contrast. A curator
    looks at them and writes the notes.
    """
    from .checkpoints import load_checkpoint
    from .data import load_dataset
    from .predict import predict_batch
    from .shortcut import lung_field

    model = load_checkpoint(model_path).model
    test = load_dataset("kermany", "test", model.spec.input_size, data)
    p = predict_batch(model, test.tensors()[0])[:, 1]
    threshold = model.spec.decision_threshold
    y = test.labels
    border = ~lung_field(*test.images.shape[1:])
    bright = np.array([(img[border] > 235).mean() for img in test.images])
    contrast = test.images.reshape(len(test), -1).std(axis=1)
    ranks = {
        "false_positive": [(i, p[i]) for i in np.argsort(-p) if y[i] == 0 and p[i] >= threshold],
        "false_negative": [(i, p[i]) for i in np.argsort(p) if y[i] == 1 and p[i] < threshold],
        "clear_pneumonia": [(i, p[i]) for i in np.argsort(-p) if y[i] == 1],
        "clean_normal": [(i, p[i]) for i in np.argsort(p) if y[i] == 0],
        "marker": [(i, bright[i]) for i in np.argsort(-bright)],
        "exposure": [(i, contrast[i]) for i in np.argsort(contrast)],
    }
    return {kind: [(test.files[i], float(v)) for i, v in pairs[:per_kind]] for kind, pairs in ranks.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xai_demo.samples", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="copy the curated cases, draw the bundles, write ATTRIBUTION.md")
    b.add_argument("--from", dest="data", required=True, type=Path, help="data folder (kermany_cxr_224/, medmnist/)")
    b.add_argument("--out", type=Path, default=SAMPLES_DIR, help="the embedded set's folder (default %(default)s)")
    s = sub.add_parser("suggest", help="rank candidate cases per kind for a curator")
    s.add_argument("--from", dest="data", required=True, type=Path)
    s.add_argument("--model", type=Path, default=SAMPLES_DIR.parent / "models" / "cxr_clean_128.pt")
    s.add_argument("--per-kind", type=int, default=8)
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(json.dumps(build(args.data, args.out), indent=2))
        else:
            for kind, rows in suggest(args.data, args.model, args.per_kind).items():
                print(f"{kind}:")
                for file, value in rows:
                    print(f"  {value:8.3f}  {file}")
    except DataError as exc:
        parser.exit(2, f"error: {exc}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
