"""Curated teaching cases: the manifest ``sample_images/cases.json``, embedded images first.

A manifest entry names a dataset, a split and either a ``file`` (folder datasets such as Kermany) or an
``index`` (MedMNIST), a teaching ``kind``, and a title and a one-line note in English and French. An entry
with an ``embedded`` copy (``sample_images/cases/``, made by ``python -m xai_demo.samples build``) is always
available; the others are references resolved against a data folder when one is given, and skipped
otherwise. Any image a user drops into the samples folder is added as a case of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data import IMAGE_SUFFIXES, kermany_folder, medmnist_file
from ..errors import DataError, XaiDemoError
from ..images import load_image
from ..samples import MANIFEST as MANIFEST_NAME


@dataclass(frozen=True)
class CaseEntry:
    """One manifest entry (not yet resolved)."""

    id: str
    dataset: str
    split: str
    title: dict[str, str]
    note: dict[str, str]
    file: str | None = None
    index: int | None = None
    embedded: str | None = None  # path of the embedded copy, relative to the samples folder
    kind: str = ""


@dataclass(frozen=True)
class Case:
    """A resolved case: where its pixels come from and how to describe it.

    Attributes:
        id: stable identifier.
        title, note: ``{"en": ..., "fr": ...}``.
        path: an image file, or None for an array-backed case.
        array: ``(H, W)`` uint8 pixels for array-backed cases (MedMNIST), else None.
        source: human-readable provenance, e.g. "kermany/test/NORMAL/IM-0017-0001.jpeg".
        kind: the teaching category ("marker", "false_positive", ...; empty for a user's image).
    """

    id: str
    title: dict[str, str]
    note: dict[str, str]
    path: Path | None = None
    array: np.ndarray | None = field(default=None, repr=False)
    source: str = ""
    kind: str = ""

    def pixels(self) -> np.ndarray:
        """The case as ``(H, W)`` uint8 grayscale (ImageError if its file became unreadable)."""
        if self.array is not None:
            return self.array
        assert self.path is not None
        return np.asarray(load_image(self.path, "L"), dtype=np.uint8)

    def text(self, key: str, lang: str) -> str:
        """``title`` or ``note`` in ``lang`` (English as fallback)."""
        values = getattr(self, key)
        return values.get(lang) or values.get("en", "")


def load_manifest(path: Path) -> list[CaseEntry]:
    """Read a manifest file; a missing file gives no entries, a malformed one raises DataError."""
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [
            CaseEntry(
                id=str(e["id"]), dataset=str(e["dataset"]), split=str(e.get("split", "test")),
                title=dict(e["title"]), note=dict(e.get("note") or {"en": "", "fr": ""}),
                file=e.get("file"), index=None if e.get("index") is None else int(e["index"]),
                embedded=e.get("embedded"), kind=str(e.get("kind", "")),
            )
            for e in data["cases"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{path} is not a valid case manifest ({type(exc).__name__}: {exc}); fix or remove "
                        "the file") from None


def _medmnist_pixels(npz: Path, split: str, index: int, cache: dict) -> np.ndarray | None:
    key = (npz, split)
    if key not in cache:
        with np.load(npz) as data:
            cache[key] = np.asarray(data[f"{split}_images"], dtype=np.uint8)
    images = cache[key]
    return images[index] if 0 <= index < len(images) else None


def resolve_entry(entry: CaseEntry, root: Path | None, cache: dict | None = None,
                  samples_dir: Path | None = None) -> Case | None:
    """The case for ``entry``: its embedded copy in ``samples_dir``, else its file under ``root``, else None."""
    cache = {} if cache is None else cache
    source = f"{entry.dataset}/{entry.split}/{entry.file}"
    if entry.embedded and samples_dir is not None and (samples_dir / entry.embedded).is_file():
        return Case(entry.id, entry.title, entry.note, path=samples_dir / entry.embedded, source=source,
                    kind=entry.kind)
    if root is None or (entry.file or "").upper() == "TODO":
        return None
    if entry.file is not None:
        folder = kermany_folder(root) if entry.dataset == "kermany" else root / entry.dataset
        if folder is None:
            return None
        path = folder / entry.split / entry.file
        return Case(entry.id, entry.title, entry.note, path=path, source=source,
                    kind=entry.kind) if path.is_file() else None
    npz = medmnist_file(root, entry.dataset)
    if npz is None or entry.index is None:
        return None
    pixels = _medmnist_pixels(npz, entry.split, entry.index, cache)
    if pixels is None:
        return None
    return Case(entry.id, entry.title, entry.note, array=pixels,
                source=f"{entry.dataset}/{entry.split}[{entry.index}]", kind=entry.kind)


def folder_cases(folder: Path) -> list[Case]:
    """A case for every image file a user dropped into ``folder`` (sorted by name)."""
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    return [Case(f"file:{p.name}", {"en": p.stem, "fr": p.stem}, {"en": "", "fr": ""}, path=p, source=p.name)
            for p in files]


def resolve_cases(samples_dir: Path, root: Path | None) -> list[Case]:
    """Every available case: the embedded deck, the entries found under ``root``, then the images a user
    dropped into ``samples_dir``.

    User images that cannot be decoded are skipped (they are checked once, here).
    """
    cache: dict = {}
    entries = load_manifest(samples_dir / MANIFEST_NAME)
    cases = [c for c in (resolve_entry(e, root, cache, samples_dir) for e in entries) if c]
    for case in folder_cases(samples_dir):
        try:
            case.pixels()
        except XaiDemoError:
            continue
        cases.append(case)
    return cases
