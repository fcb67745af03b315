"""load_image: every accepted format and mode decodes; every bad input raises ImageError."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from xai_demo.errors import ImageError
from xai_demo.images import MAX_PIXELS, load_image


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


GRADIENT = np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))  # 48 x 64, left dark -> right bright


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "TIFF", "WEBP"])
def test_formats_decode_to_gray_with_same_content(fmt: str) -> None:
    data = _encode(Image.fromarray(GRADIENT), fmt)
    out = load_image(data)
    assert out.mode == "L" and out.size == (64, 48)
    arr = np.asarray(out, dtype=np.int16)
    assert np.abs(arr - GRADIENT).mean() < 3  # lossy formats stay close


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "P", "CMYK", "1", "I;16", "I", "F"])
def test_modes_decode(mode: str) -> None:
    base = Image.fromarray(GRADIENT)
    if mode == "I;16":
        img = Image.fromarray(GRADIENT.astype(np.uint16) * 200)
    elif mode == "I":
        img = Image.fromarray(GRADIENT.astype(np.int32) * 1000)
    elif mode == "F":
        img = Image.fromarray(GRADIENT.astype(np.float32) / 7.0)
    else:
        img = base.convert(mode)
    fmt = "TIFF" if mode in ("CMYK", "F", "I") else "PNG"
    out = load_image(_encode(img, fmt))
    arr = np.asarray(out, dtype=np.float32)
    assert out.mode == "L"
    # the left-to-right ramp survives every conversion
    assert arr[:, -1].mean() > arr[:, 0].mean() + 100


def test_sixteen_bit_uses_full_range_instead_of_clipping() -> None:
    img = Image.fromarray(GRADIENT.astype(np.uint16) * 16)  # 12-bit data, max 4080
    arr = np.asarray(load_image(_encode(img, "PNG")))
    assert arr.max() == 255 and arr.min() == 0
    assert len(np.unique(arr)) > 50


def test_rgba_transparent_pixels_become_black() -> None:
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[:, :4, 3] = 255  # left half opaque white, right half transparent
    out = np.asarray(load_image(_encode(Image.fromarray(rgba, "RGBA"), "PNG")))
    assert out[:, :4].min() == 255 and out[:, 4:].max() == 0


def test_exif_orientation_is_applied() -> None:
    img = Image.fromarray(GRADIENT)  # 64 wide x 48 high
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    out = load_image(_encode(img, "JPEG", exif=exif.tobytes()))
    assert out.size == (48, 64)


def test_rgb_mode_and_sources(tmp_path) -> None:
    path = tmp_path / "x.png"
    Image.fromarray(GRADIENT).save(path)
    assert load_image(path, "RGB").mode == "RGB"
    assert load_image(str(path)).size == (64, 48)
    with open(path, "rb") as stream:
        assert load_image(stream).size == (64, 48)
    assert load_image(Image.fromarray(GRADIENT).convert("RGBA")).mode == "L"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"this is plainly a text file, not a picture", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image|damaged"),  # a PNG signature, then garbage
        (b"%PDF-1.4 fake", "not an image"),
    ],
)
def test_bad_bytes_raise_image_error(data: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        load_image(data)


def test_truncated_file_raises_image_error() -> None:
    data = _encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (256, 256), np.uint8)), "PNG")
    with pytest.raises(ImageError):
        load_image(data[: len(data) // 2])


def test_truncated_jpeg_raises_image_error() -> None:
    data = _encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (256, 256), np.uint8)), "JPEG")
    with pytest.raises(ImageError):
        load_image(data[: len(data) // 3])


def test_decompression_bomb_is_refused_before_decoding() -> None:
    side = int(np.sqrt(MAX_PIXELS)) + 100
    bomb = _encode(Image.new("1", (side, side)), "PNG")  # a few kB that would decode to ~40 MB
    assert len(bomb) < 200_000
    with pytest.raises(ImageError, match="pixels"):
        load_image(bomb)


def test_missing_path_and_bad_mode(tmp_path) -> None:
    with pytest.raises(ImageError, match="no image file"):
        load_image(tmp_path / "absent.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        load_image(tmp_path / "empty.png")
    with pytest.raises(ValueError):
        load_image(Image.fromarray(GRADIENT), "CMYK")  # type: ignore[arg-type]
