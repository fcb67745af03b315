"""Datasets held in memory as uint8 arrays: MedMNIST through the ``medmnist`` package, and image folders.

Every dataset is an :class:`ImageArrayDataset`: grayscale images ``(N, H, W)`` uint8 in [0, 255], integer
labels ``(N,)`` and class names. Folder datasets are decoded once and cached in the user cache folder.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm.auto import tqdm

from .errors import DataError, ImageError
from .fileio import atomic_write_bytes
from .images import load_image
from .paths import cache_dir, data_root
from .registry import Registry
from .samples import BUNDLES, BundleSpec, bundle_path, load_bundle

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")  # files read as images, anywhere
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ImageArrayDataset(torch.utils.data.Dataset):
    """Grayscale images with integer labels, all in memory.

    Attributes:
        images: ``(N, H, W)`` uint8 in [0, 255].
        labels: ``(N,)`` int64 in [0, K).
        class_names: K names, index i naming label i.
        name: where the data came from, e.g. "pneumoniamnist/test@28".
        files: optional source file per image (folder datasets), for provenance and galleries.
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    name: str = ""
    files: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.images.ndim != 3 or self.images.dtype != np.uint8:
            raise DataError(f"images must be (N, H, W) uint8, got {self.images.shape} {self.images.dtype}")
        if len(self.images) != len(self.labels):
            raise DataError(f"{len(self.images)} images but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        """Image ``(1, H, W)`` float32 in [0, 1] and its label."""
        image = torch.from_numpy(self.images[index]).float().div_(255.0).unsqueeze(0)
        return image, int(self.labels[index])

    @property
    def size(self) -> int:
        """Side length in pixels (images are square)."""
        return int(self.images.shape[-1])

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All images ``(N, 1, H, W)`` float32 in [0, 1] and labels ``(N,)`` int64."""
        images = torch.from_numpy(self.images).float().div_(255.0).unsqueeze(1)
        return images, torch.from_numpy(self.labels.astype(np.int64))

    def class_counts(self) -> np.ndarray:
        """Number of images per class, ``(K,)``."""
        return np.bincount(self.labels, minlength=len(self.class_names))

    def subset(self, indices: np.ndarray | list[int], name: str | None = None) -> ImageArrayDataset:
        """A new dataset holding only ``indices``."""
        idx = np.asarray(indices, dtype=np.int64)
        files = tuple(self.files[i] for i in idx) if self.files else ()
        return ImageArrayDataset(
            self.images[idx], self.labels[idx], self.class_names, name or self.name, files
        )

    def resized(self, size: int) -> ImageArrayDataset:
        """The same dataset at ``size`` x ``size`` pixels (area/bilinear resampling)."""
        if size == self.size:
            return self
        images = np.stack(
            [np.asarray(_resize(Image.fromarray(img), size)) for img in self.images]
        ) if len(self) else np.zeros((0, size, size), np.uint8)
        return ImageArrayDataset(images, self.labels, self.class_names, f"{self.name}->{size}", self.files)


def _resize(img: Image.Image, size: int) -> Image.Image:
    return img.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)


def stratified_split(
    labels: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices into (kept, held_out) with ``fraction`` of every class held out, seeded."""
    rng = np.random.default_rng(seed)
    held: list[np.ndarray] = []
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        rng.shuffle(idx)
        held.append(idx[: max(1, round(fraction * len(idx))) if fraction > 0 else 0])
    held_out = np.sort(np.concatenate(held))
    kept = np.setdiff1d(np.arange(len(labels)), held_out)
    return kept, held_out


_PATIENT_PATTERNS = (
    re.compile(r"^(person\d+)_"),  # Kermany pneumonia: person123_bacteria_456.jpeg
    re.compile(r"^((?:NORMAL2-)?IM-\d+)-"),  # Kermany normal: IM-0115-0001.jpeg, NORMAL2-IM-1427-0001.jpeg
)


def patient_id(file: str) -> str:
    """The patient a file belongs to, from its name (Kermany's naming); the file stem when no pattern fits."""
    name = Path(file).name
    for pattern in _PATIENT_PATTERNS:
        match = pattern.match(name)
        if match:
            return match.group(1)
    return Path(name).stem


def grouped_split(
    labels: np.ndarray, groups: list[str] | tuple[str, ...], fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices into (kept, held_out), every group (patient) wholly on one side, seeded.

    Per class, the groups whose images carry that label are shuffled and held out until ``fraction`` of
    the class's images are held out, so the split stays close to stratified.
    """
    rng = np.random.default_rng(seed)
    groups = np.asarray(groups)
    held = np.zeros(len(labels), bool)
    for cls in np.unique(labels):
        in_class = labels == cls
        names = np.unique(groups[in_class])
        rng.shuffle(names)
        target = max(1, round(fraction * in_class.sum())) if fraction > 0 else 0
        for name in names:
            if (held & in_class).sum() >= target:
                break
            held |= groups == name
    return np.flatnonzero(~held), np.flatnonzero(held)


# ----------------------------------------------------------------------------- dataset registry

DatasetLoader = Callable[[str, int, "Path | None"], ImageArrayDataset]


@dataclass(frozen=True)
class DatasetInfo:
    """A named dataset: how to load it, what it is, and whom to credit."""

    name: str
    loader: DatasetLoader
    description: str
    citation: str
    licence: str
    native_sizes: tuple[int, ...]
    val_from_train: bool = False  # no official val split: carve it from train
    probe: Callable[[Path | None], bool] | None = None  # whether the data is on this machine (None: always)

    def available(self, root: Path | None) -> bool:
        """Whether the dataset can be loaded here without a download (from ``root`` or the embedded set)."""
        return True if self.probe is None else self.probe(root)


DATASETS: Registry[DatasetInfo] = Registry("dataset")


def register_dataset(info: DatasetInfo) -> DatasetInfo:
    """Add a dataset to the registry that drives the CLI and the app."""
    return DATASETS.add(info.name, info)


def list_datasets() -> list[str]:
    """Names of the registered datasets."""
    return DATASETS.names()


# ----------------------------------------------------------------------------- MedMNIST

MEDMNIST_SIZES = (28, 64, 128, 224)


def medmnist_file(root: Path | None, flag: str, size: int = 28) -> Path | None:
    """The local MedMNIST npz file of ``flag`` at ``size`` under ``root`` (or ``root/medmnist``), if present."""
    if root is None:
        return None
    filename = f"{flag}.npz" if size == 28 else f"{flag}_{size}.npz"
    return next((f / filename for f in (root / "medmnist", root) if (f / filename).is_file()), None)


def _medmnist_local(flag: str, root: Path | None) -> bool:
    """Whether the 28 px file of ``flag`` is in ``root`` or, without a root, already downloaded."""
    return medmnist_file(root if root is not None else cache_dir("medmnist"), flag) is not None


def _medmnist_root(root: Path | None) -> tuple[Path, bool]:
    """The folder holding the npz files and whether downloading into it is allowed."""
    if root is not None:
        sub = root / "medmnist"
        return (sub if sub.is_dir() else root), False
    return cache_dir("medmnist"), True


def load_medmnist(flag: str, split: str, size: int = 28, root: Path | None = None) -> ImageArrayDataset:
    """Load a 2-D MedMNIST dataset (e.g. "pneumoniamnist") through the ``medmnist`` package.

    Args:
        flag: the MedMNIST dataset key, lower case.
        split: "train", "val" or "test".
        size: 28, 64, 128 or 224 (MedMNIST+ sizes).
        root: a folder holding the npz files (or a ``medmnist/`` subfolder of it). When None the files
            are downloaded, with a progress bar, into the user cache folder.

    Raises:
        DataError: the file is not in ``root``, or cannot be downloaded; the message names the file,
            its URL and the folder to put it in.
    """
    import medmnist  # slow import, only when MedMNIST data is really wanted

    if split not in SPLITS:
        raise DataError(f"split must be one of {SPLITS}, not {split!r}")
    if size not in MEDMNIST_SIZES:
        raise DataError(f"MedMNIST comes in sizes {MEDMNIST_SIZES}, not {size}")
    info = medmnist.INFO[flag]
    if info["n_channels"] != 1:
        raise DataError(f"{flag} is an RGB dataset; xai_demo models take grayscale images")
    folder, may_download = _medmnist_root(root)
    filename = f"{flag}.npz" if size == 28 else f"{flag}_{size}.npz"
    url = info["url"] if size == 28 else info[f"url_{size}"]
    if not (folder / filename).is_file() and not may_download:
        raise DataError(
            f"{filename} is not in {folder}. Download it from {url} and put it there, "
            f"or leave out the data folder to let xai_demo download it."
        )
    cls = getattr(medmnist, info["python_class"])
    try:
        ds = cls(split=split, size=size, root=str(folder), download=may_download)
    except Exception as exc:  # medmnist raises bare RuntimeError/URLError/OSError on download failure
        raise DataError(
            f"could not load or download {filename} ({exc}). Without internet, download it from "
            f"{url} on another machine and put it in {folder}, or name a data folder with --data "
            f"or ${'XAI_DEMO_DATA'}."
        ) from exc
    labels = np.asarray(ds.labels).reshape(-1).astype(np.int64)
    names = tuple(info["label"][str(i)] for i in range(len(info["label"])))
    images = np.asarray(ds.imgs, dtype=np.uint8)
    return ImageArrayDataset(images, labels, names, f"{flag}/{split}@{size}")


def _medmnist_loader(flag: str) -> DatasetLoader:
    def load(split: str, size: int, root: Path | None) -> ImageArrayDataset:
        native = min((s for s in MEDMNIST_SIZES if s >= size), default=224)
        return load_medmnist(flag, split, native, root).resized(size)

    return load


MEDMNIST_CITATION = (
    "Yang J. et al. MedMNIST v2 - A large-scale lightweight benchmark for 2D and 3D biomedical image "
    "classification. Scientific Data 10, 41 (2023)."
)
register_dataset(
    DatasetInfo(
        "pneumoniamnist",
        _medmnist_loader("pneumoniamnist"),
        "PneumoniaMNIST: paediatric chest X-rays, normal vs pneumonia (MedMNIST v2)",
        MEDMNIST_CITATION + " Source images: Kermany D.S. et al., Cell 172(5):1122-1131 (2018).",
        "CC BY 4.0",
        MEDMNIST_SIZES,
        probe=lambda root: _medmnist_local("pneumoniamnist", root),
    )
)
register_dataset(
    DatasetInfo(
        "breastmnist",
        _medmnist_loader("breastmnist"),
        "BreastMNIST: breast ultrasound, malignant vs normal/benign (MedMNIST v2)",
        MEDMNIST_CITATION + " Source images: Al-Dhabyani W. et al., Data in Brief 28 (2020).",
        "CC BY 4.0",
        MEDMNIST_SIZES,
        probe=lambda root: _medmnist_local("breastmnist", root),
    )
)


# ----------------------------------------------------------------------------- image folders


def _folder_files(split_dir: Path) -> tuple[list[str], list[tuple[Path, int]]]:
    classes = sorted(p.name for p in split_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DataError(f"{split_dir} has no class folders; expected {split_dir}/<CLASS>/*.png|jpg")
    files = [
        (path, label)
        for label, cls in enumerate(classes)
        for path in sorted((split_dir / cls).iterdir())
        if path.suffix.lower() in IMAGE_SUFFIXES
    ]
    if not files:
        raise DataError(f"no {'/'.join(IMAGE_SUFFIXES)} images under {split_dir}/<CLASS>/")
    return classes, files


def _cache_key(split_dir: Path, files: list[tuple[Path, int]], size: int) -> str:
    digest = hashlib.sha256(f"{split_dir.resolve()}|{size}".encode())
    for path, label in files:
        stat = path.stat()
        digest.update(f"{path.name}|{label}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:20]


def load_image_folder(folder: str | os.PathLike[str], split: str, size: int) -> ImageArrayDataset:
    """Load ``<folder>/<split>/<CLASS>/*.{png,jpg,jpeg}`` as grayscale ``size`` x ``size`` images.

    Class names are the sub-folder names in sorted order (label i = i-th name). Images are decoded once
    (with a progress bar) and cached as an npz file in the user cache folder; unreadable files are
    skipped with a warning listing them.
    """
    split_dir = Path(folder).expanduser() / split
    if not split_dir.is_dir():
        raise DataError(f"no {split!r} folder in {folder}; expected {folder}/{split}/<CLASS>/*.jpg")
    classes, files = _folder_files(split_dir)
    cache = cache_dir("folders") / f"{_cache_key(split_dir, files, size)}.npz"
    name = f"{Path(folder).name}/{split}@{size}"
    cached = _read_cache(cache, size, len(classes))
    if cached is not None:
        images, labels, kept = cached
        return ImageArrayDataset(images, labels, tuple(classes), name, kept)
    images, labels, kept, bad = [], [], [], []
    for path, label in tqdm(files, desc=f"decoding {name}", unit="img", leave=False):
        try:
            images.append(np.asarray(_resize(load_image(path, "L"), size)))
        except ImageError:
            bad.append(path.name)
            continue
        labels.append(label)
        kept.append(str(path.relative_to(split_dir.parent)))
    if bad:
        import warnings

        warnings.warn(f"skipped {len(bad)} unreadable images in {split_dir}: {bad[:5]}", stacklevel=2)
    if not images:
        raise DataError(f"none of the {len(files)} images under {split_dir} could be read; check the files")
    dataset = ImageArrayDataset(
        np.stack(images), np.asarray(labels, np.int64), tuple(classes), name, tuple(kept)
    )
    _write_cache(cache, dataset.images, dataset.labels, dataset.files)
    return dataset


def _cache_digest(images: np.ndarray, labels: np.ndarray, files: tuple[str, ...]) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
    digest.update("\n".join(files).encode())
    return digest.hexdigest()


def _write_cache(cache: Path, images: np.ndarray, labels: np.ndarray, files: tuple[str, ...]) -> None:
    """Write a folder cache atomically, with a checksum of its content (concurrent writers are safe)."""
    buf = io.BytesIO()
    np.savez(buf, images=images, labels=labels, files=np.asarray(files, dtype=str),
             digest=np.asarray(_cache_digest(images, labels, files)))
    atomic_write_bytes(cache, buf.getvalue())


def _read_cache(cache: Path, size: int, n_classes: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]] | None:
    """(images, labels, files) from a folder cache, or None when it is absent, corrupt, partial, of the wrong
    shape or fails its checksum (the caller then decodes the images again and rewrites it)."""
    if not cache.is_file():
        return None
    try:
        with np.load(cache, allow_pickle=False) as z:
            images, labels, files = z["images"], z["labels"], tuple(str(f) for f in z["files"])
            digest = str(z["digest"])
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, struct.error):
        return None
    if (images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (size, size) or labels.ndim != 1
            or labels.dtype != np.int64 or not len(images) == len(labels) == len(files)
            or (len(labels) and not 0 <= labels.min() <= labels.max() < n_classes)
            or digest != _cache_digest(images, labels, files)):
        return None
    return images, labels, files


KERMANY_FOLDER = "kermany_cxr_224"  # the dataset's folder inside a data root: <split>/<CLASS>/*.jpeg


def kermany_folder(root: Path | None) -> Path | None:
    """The Kermany folder (holding ``test/NORMAL``) under ``root``, or ``root`` itself, if present."""
    if root is None:
        return None
    return next((f for f in (root / KERMANY_FOLDER, root) if (f / "test" / "NORMAL").is_dir()), None)


def _kermany_loader(split: str, size: int, root: Path | None) -> ImageArrayDataset:
    folder = kermany_folder(root)
    if folder is None:
        raise DataError(
            "the Kermany chest X-rays are not downloaded automatically: get them from "
            f"doi:10.17632/rscbjbr9sj.2 and name the folder holding {KERMANY_FOLDER}/ with --data or $XAI_DEMO_DATA "
            "(the embedded subset is the dataset `kermany_sample`)"
        )
    return load_image_folder(folder, split, size)


register_dataset(
    DatasetInfo(
        "kermany",
        _kermany_loader,
        "Kermany paediatric chest X-rays (Guangzhou), normal vs pneumonia, 224 px",
        "Kermany D., Zhang K., Goldbaum M. Labeled OCT and Chest X-Ray Images for Classification, "
        "Mendeley Data v2 (2018), doi:10.17632/rscbjbr9sj.2; Kermany D.S. et al., Cell 172(5) (2018).",
        "CC BY 4.0",
        (224,),
        val_from_train=True,
        probe=lambda root: kermany_folder(root) is not None,
    )
)


# ----------------------------------------------------------------------------- the embedded teaching set


def _bundle_loader(spec: BundleSpec) -> DatasetLoader:
    def load(split: str, size: int, root: Path | None) -> ImageArrayDataset:
        images, labels, names = load_bundle(spec.name, split)
        return ImageArrayDataset(images, labels, names, f"{spec.name}/{split}@{spec.size}").resized(size)

    return load


for _spec in BUNDLES:
    register_dataset(
        DatasetInfo(
            _spec.name,
            _bundle_loader(_spec),
            f"embedded teaching subset of {_spec.source} ({_spec.size} px; sample_images/bundles), works offline",
            DATASETS.get(_spec.source).citation,
            "CC BY 4.0",
            (_spec.size,),
            probe=lambda root, name=_spec.name: bundle_path(name).is_file(),
        )
    )


def load_dataset(
    source: str,
    split: str,
    size: int,
    root: str | os.PathLike[str] | None = None,
    *,
    val_fraction: float = 0.1,
    seed: int = 0,
    val_split: str = "stratified",
) -> ImageArrayDataset:
    """Load a registered dataset by name, or an image folder by path, at ``size`` px.

    Args:
        source: a name from :func:`list_datasets` or a folder laid out as ``<split>/<CLASS>/*.jpg``.
        split: "train", "val" or "test". For datasets without an official validation split, "train"
            and "val" are a stratified ``val_fraction`` split of the train folder, fixed by ``seed``:
            image by image (``val_split="stratified"``) or patient by patient (``"patient"``, see
            :func:`patient_id`; images of one patient are alike, so an image-level split flatters the model).
        size: side length in pixels.
        root: data folder (default ``$XAI_DEMO_DATA``); ignored when ``source`` is a path.
    """
    if split not in SPLITS:
        raise DataError(f"split must be one of {SPLITS}, not {split!r}")
    if source in DATASETS:
        info = DATASETS.get(source)

        def load(s: str) -> ImageArrayDataset:
            return info.loader(s, size, data_root(root))

        carve = info.val_from_train
    elif Path(source).expanduser().is_dir():

        def load(s: str) -> ImageArrayDataset:
            return load_image_folder(source, s, size)

        carve = not (Path(source).expanduser() / "val").is_dir()
    else:
        raise DataError(
            f"{source!r} is neither a known dataset ({', '.join(list_datasets())}) nor a folder"
        )
    if split == "test" or not carve:
        return load(split)
    full = load("train")
    if val_split == "patient" and full.files:
        kept, held = grouped_split(full.labels, [patient_id(f) for f in full.files], val_fraction, seed)
    elif val_split in ("stratified", "patient"):
        kept, held = stratified_split(full.labels, val_fraction, seed)
    else:
        raise DataError(f"val_split must be 'stratified' or 'patient', not {val_split!r}")
    return full.subset(held if split == "val" else kept, f"{full.name}:{split}")
