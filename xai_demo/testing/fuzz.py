"""Property-based fuzzing of the two loaders that read untrusted files: :func:`xai_demo.images.load_image`
and :func:`xai_demo.checkpoints.load_checkpoint`. Needs Hypothesis (the ``dev`` extra).

Inputs are valid seed files (every accepted image format and mode, small checkpoints) mutated by bit flips,
truncation, splices, inserted and deleted runs, and header edits with boundary values; checkpoints are also
rebuilt as valid zips around a mutated pickle, and plain random bytes (with and without a format's magic
number) are tried. The property: a loader returns a valid result or raises its own error type
(``ImageError`` / ``CheckpointError``); anything else "escapes". Used by ``tests/test_fuzz_loaders.py``
(a bounded run) and ``benchmarks/fuzz_loaders.py`` (a long run).
"""

from __future__ import annotations

import contextlib
import io
import signal
import zipfile
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np
from hypothesis import strategies as st
from PIL import Image

Draw = Callable[[st.SearchStrategy], object]

BOUNDARY_VALUES = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\x00\x00", b"\xff\xff", b"\x7f\xff", b"\x80\x00",
                   b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x00\x01\x00\x00",
                   b"\x00\x00\x01\x00", b"\x10\x27\x00\x00", b"\x00\x00\x27\x10"]
MAGIC = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"II*\x00", b"MM\x00*", b"BM", b"RIFF\x00\x00\x00\x00WEBPVP8 ",
         b"PK\x03\x04", b"\x80\x02", b"\x80\x05"]


def _encode(img: Image.Image, fmt: str, **options: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **options)
    return buf.getvalue()


@lru_cache(maxsize=1)
def image_seeds() -> dict[str, bytes]:
    """Small valid files: PNG, JPEG, TIFF, BMP and WebP in 1-, 8-, 16-bit and float, gray, palette, RGB(A)."""
    rng = np.random.default_rng(0)
    gray = Image.fromarray(rng.integers(0, 255, (24, 32), np.uint8))
    rgb = Image.fromarray(rng.integers(0, 255, (24, 32, 3), np.uint8))
    rgba = Image.fromarray(rng.integers(0, 255, (24, 32, 4), np.uint8))
    deep = Image.fromarray(rng.integers(0, 65535, (24, 32)).astype(np.uint16))
    real = Image.fromarray(rng.normal(size=(24, 32)).astype(np.float32))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate
    return {
        "png_gray": _encode(gray, "PNG"),
        "png_rgba": _encode(rgba, "PNG"),
        "png_palette": _encode(rgb.convert("P"), "PNG"),
        "png_16bit": _encode(deep, "PNG"),
        "png_1bit": _encode(gray.convert("1"), "PNG"),
        "jpeg_rgb": _encode(rgb, "JPEG", quality=80),
        "jpeg_progressive_exif": _encode(gray, "JPEG", progressive=True, exif=exif),
        "jpeg_cmyk": _encode(rgb.convert("CMYK"), "JPEG"),
        "tiff_gray": _encode(gray, "TIFF"),
        "tiff_lzw_rgb": _encode(rgb, "TIFF", compression="tiff_lzw"),
        "tiff_16bit": _encode(deep, "TIFF"),
        "tiff_float": _encode(real, "TIFF"),
        "bmp_rgb": _encode(rgb, "BMP"),
        "bmp_palette": _encode(gray.convert("P"), "BMP"),
        "webp_lossy": _encode(rgb, "WEBP", quality=70),
        "webp_lossless_rgba": _encode(rgba, "WEBP", lossless=True),
    }


@lru_cache(maxsize=1)
def checkpoint_seeds() -> dict[str, bytes]:
    """Small valid checkpoints: a bare model, and one with a full training config, metrics and provenance."""
    import torch

    from ..checkpoints import FORMAT, VERSION
    from ..models import create_model, state_dict_for

    torch.manual_seed(0)
    bare = create_model("small_cnn", input_size=28, width=2)
    full = create_model("small_cnn", input_size=28, width=4, threshold=0.4)
    out = {}
    for name, model, extra in (
        ("bare", bare, {}),
        ("full", full, {"train_config": {"dataset": "pneumoniamnist", "size": 28, "epochs": 2, "seed": 1,
                                         "artefact": "laterality_marker", "artefact_options": {"text": "L"}},
                        "metrics": {"test": {"n": 4, "auc": 0.5, "accuracy": 0.5, "sensitivity": 0.5,
                                             "specificity": 0.5, "confusion": [[1, 1], [1, 1]]}},
                        "provenance": {"splits": {"train": {"n": 4, "class_counts": [2, 2]}}}}),
    ):
        payload = {"format": FORMAT, "version": VERSION, "spec": model.spec.to_dict(),
                   "state_dict": state_dict_for(model), **extra}
        buf = io.BytesIO()
        torch.save(payload, buf)
        out[name] = buf.getvalue()
    return out


# ----------------------------------------------------------------------------- mutations


def _flip(draw: Draw, data: bytearray, seeds: dict[str, bytes]) -> bytearray:
    for _ in range(draw(st.integers(1, 8))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
    return data


def _truncate(draw: Draw, data: bytearray, seeds: dict[str, bytes]) -> bytearray:
    return data[: draw(st.integers(0, len(data)))]


def _splice(draw: Draw, data: bytearray, seeds: dict[str, bytes]) -> bytearray:
    other = seeds[draw(st.sampled_from(sorted(seeds)))]
    return data[: draw(st.integers(0, len(data)))] + bytearray(other[draw(st.integers(0, len(other))):])


def _insert(draw: Draw, data: bytearray, seeds: dict[str, bytes]) -> bytearray:
    at = draw(st.integers(0, len(data)))
    return data[:at] + bytearray(draw(st.binary(min_size=1, max_size=64))) + data[at:]


def _delete(draw: Draw, data: bytearray, seeds: dict[str, bytes]) -> bytearray:
    at = draw(st.integers(0, len(data)))
    return data[:at] + data[at + draw(st.integers(1, 256)):]


def _duplicate(draw: Draw, data: bytearray, seeds: dict[str, bytes]) -> bytearray:
    at = draw(st.integers(0, len(data)))
    run = data[at : at + draw(st.integers(1, 512))]
    return data[:at] + run * draw(st.integers(2, 8)) + data[at:]


def _header_edit(draw: Draw, data: bytearray, seeds: dict[str, bytes]) -> bytearray:
    """Overwrite a field near the start (file headers) or the end (zip directory) with a boundary value."""
    if not data:
        return data
    value = draw(st.sampled_from(BOUNDARY_VALUES))
    near_end = draw(st.booleans())
    span = min(len(data), 160)
    at = len(data) - span + draw(st.integers(0, span - 1)) if near_end else draw(st.integers(0, span - 1))
    data[at : at + len(value)] = value
    return data


MUTATIONS = (_flip, _truncate, _splice, _insert, _delete, _duplicate, _header_edit)


@st.composite
def mutated(draw: Draw, seeds: dict[str, bytes]) -> bytes:
    """A seed file with one to four mutations applied."""
    data = bytearray(seeds[draw(st.sampled_from(sorted(seeds)))])
    for _ in range(draw(st.integers(1, 4))):
        data = draw(st.sampled_from(MUTATIONS))(draw, data, seeds)
    return bytes(data)


@st.composite
def repickled(draw: Draw, seeds: dict[str, bytes]) -> bytes:
    """A checkpoint rebuilt as a valid zip whose pickle (the structure around the tensors) is mutated."""
    seed = seeds[draw(st.sampled_from(sorted(seeds)))]
    with zipfile.ZipFile(io.BytesIO(seed)) as z:
        members = {info.filename: z.read(info) for info in z.infolist()}
    pickle_name = next(name for name in members if name.endswith("data.pkl"))
    data = bytearray(members[pickle_name])
    for _ in range(draw(st.integers(1, 3))):
        data = draw(st.sampled_from((_flip, _truncate, _insert, _delete, _duplicate, _header_edit)))(draw, data, {})
    members[pickle_name] = bytes(data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, content in members.items():
            z.writestr(name, content)
    return buf.getvalue()


def random_bytes() -> st.SearchStrategy[bytes]:
    """Plain random bytes, bare or behind a known format's magic number."""
    return st.one_of(st.binary(max_size=4096),
                     st.builds(lambda magic, tail: magic + tail, st.sampled_from(MAGIC), st.binary(max_size=4096)))


def image_inputs() -> st.SearchStrategy[bytes]:
    """Mutated image files (mostly) and random bytes."""
    seeds = image_seeds()
    return st.one_of(mutated(seeds), mutated(seeds), mutated(seeds), random_bytes())


def checkpoint_inputs() -> st.SearchStrategy[bytes]:
    """Mutated checkpoint files, checkpoints with a mutated pickle, and random bytes."""
    seeds = checkpoint_seeds()
    return st.one_of(mutated(seeds), mutated(seeds), repickled(seeds), random_bytes())


# ----------------------------------------------------------------------------- the properties


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`TimeoutError` in the main thread if the block runs longer than ``seconds`` (a hang
    detector, Unix only)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"a loader call ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_image(data: bytes) -> str:
    """Load ``data`` as an image: "decoded" (a valid gray image) or "refused" (ImageError). Any other
    exception propagates: it is an escape."""
    from ..errors import ImageError
    from ..images import MAX_PIXELS, load_image

    try:
        image = load_image(data)
    except ImageError:
        return "refused"
    width, height = image.size
    if image.mode != "L" or not 0 < width * height <= MAX_PIXELS:
        raise AssertionError(f"load_image returned a {image.mode} image of {image.size}")
    return "decoded"


def check_checkpoint(data: bytes, folder: Path) -> str:
    """Load ``data`` as a checkpoint file: "loaded" (and then usable: finite logits on a blank image, a
    model card) or "refused" (CheckpointError). Any other exception propagates: it is an escape."""
    import torch

    from ..checkpoints import load_checkpoint, model_card
    from ..errors import CheckpointError

    path = folder / "fuzzed.pt"
    path.write_bytes(data)
    try:
        checkpoint = load_checkpoint(path)
    except CheckpointError:
        return "refused"
    size, channels = checkpoint.spec.input_size, checkpoint.spec.in_channels
    logits = checkpoint.model(torch.zeros(1, channels, size, size))
    if logits.shape != (1, checkpoint.spec.num_classes) or not bool(torch.isfinite(logits).all()):
        raise AssertionError(f"a loaded checkpoint gives logits {logits}")
    model_card(checkpoint)
    return "loaded"
