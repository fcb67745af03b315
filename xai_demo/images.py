"""Robust decoding of one image file into a PIL image in mode "L" or "RGB".

Handles PNG, JPEG, BMP, TIFF and WebP; 1-, 8- and 16-bit and float modes; L, LA, RGB, RGBA, P, CMYK;
EXIF orientation. Anything else raises :class:`ImageError` with a message a user can act on.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from pathlib import Path
from typing import BinaryIO, Literal, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ConfigError, ImageError

ImageSource = Union[str, os.PathLike, bytes, bytearray, BinaryIO, Image.Image]  # noqa: UP007 (runtime alias, py3.10)

MAX_PIXELS = 40_000_000  # 40 megapixels: larger than any radiograph, far below a decompression bomb
MAX_BYTES = 100 * 1024 * 1024
ACCEPTED_FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "WEBP")
# What Pillow's decoders raise on malformed data (found by fuzzing: e.g. ValueError "Truncated IHDR chunk" from
# Image.open, struct.error and IndexError from damaged TIFF directories). A programming error would show as one
# of these too, but only for inputs the fuzzing corpus says are damaged files.
DECODER_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError, struct.error,
                  ZeroDivisionError, OverflowError)


def _open(source: ImageSource) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, (bytes, bytearray)):
        if not source:
            raise ImageError("the image is empty (0 bytes); choose another file")
        if len(source) > MAX_BYTES:
            raise ImageError(f"the file is larger than {MAX_BYTES // 2**20} MiB; export a smaller image")
        stream: BinaryIO = io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"no image file at {path}; check the path")
        size = path.stat().st_size
        if size == 0:
            raise ImageError(f"{path.name} is empty (0 bytes); choose another file")
        if size > MAX_BYTES:
            raise ImageError(f"{path.name} is larger than {MAX_BYTES // 2**20} MiB; export a smaller image")
        stream = io.BytesIO(path.read_bytes())
    else:
        stream = source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # damaged metadata: the file is refused or read anyway
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(stream, formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise ImageError(
            "this file is not an image xai_demo can read; use PNG, JPEG, BMP, TIFF or WebP"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("the image has too many pixels to be decoded safely; resize it first") from None
    except DECODER_ERRORS as exc:
        raise ImageError(f"the image could not be opened ({exc}); the file may be damaged") from None


def _to_8bit(img: Image.Image) -> Image.Image:
    """Map high-bit-depth and float grayscale modes onto 8-bit "L" by a min-max window."""
    arr = np.asarray(img, dtype=np.float64)
    if arr.ndim == 3:
        arr = arr[..., 0]
    finite = arr[np.isfinite(arr)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    scaled = np.zeros_like(arr) if hi <= lo else (np.nan_to_num(arr, nan=lo) - lo) / (hi - lo)
    return Image.fromarray(np.clip(scaled * 255.0 + 0.5, 0, 255).astype(np.uint8), mode="L")


def load_image(source: ImageSource, mode: Literal["L", "RGB"] = "L") -> Image.Image:
    """Decode an image from a path, bytes, a binary stream or a PIL image.

    Args:
        source: file path, raw bytes, a readable binary stream, or an already open PIL image.
        mode: "L" for 8-bit grayscale (what the chest X-ray models take) or "RGB".

    Returns:
        A fully loaded PIL image in ``mode``, upright according to its EXIF orientation. Transparent
        pixels are composited over black; 16-bit and float images are windowed from min to max.

    Raises:
        ImageError: empty, truncated or corrupt data, a non-image, or more than ``MAX_PIXELS`` pixels.
    """
    if mode not in ("L", "RGB"):
        raise ConfigError(f"mode must be 'L' or 'RGB', not {mode!r}")
    img = _open(source)
    width, height = img.size
    if width < 1 or height < 1:
        raise ImageError("the image has no pixels")
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"the image is {width}x{height} pixels, more than the {MAX_PIXELS // 1_000_000} megapixels "
            "accepted; resize it first"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            img.load()
            img = ImageOps.exif_transpose(img)
    except DECODER_ERRORS as exc:
        raise ImageError(f"the image data is truncated or corrupt ({exc}); re-export the file") from None
    try:
        return _convert(img, mode)
    except DECODER_ERRORS as exc:
        raise ImageError(f"the image's pixel format ({img.mode}) cannot be converted ({exc}); save it as an "
                         "8-bit grayscale or RGB PNG") from None


def _convert(img: Image.Image, mode: Literal["L", "RGB"]) -> Image.Image:
    """A loaded image in ``mode``: high-bit-depth windowed, palette expanded, transparency over black."""
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        img = _to_8bit(img)
    elif img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        img = Image.alpha_composite(background, rgba)
    return img.convert(mode)
