"""Crash-safe writes: atomic replacement, no temporary file left on failure, concurrent writers, and the
image-folder cache detecting damage and surviving concurrent builders."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import make_xray_folder
from PIL import Image

from xai_demo import fileio
from xai_demo.data import load_image_folder


def test_atomic_write_replaces_and_creates_folders(tmp_path: Path) -> None:
    target = tmp_path / "new" / "folder" / "card.md"
    fileio.atomic_write_text(target, "first")
    fileio.atomic_write_text(target, "second, longer text")
    assert target.read_text() == "second, longer text"
    assert os.listdir(target.parent) == ["card.md"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target = fileio.atomic_write_bytes(tmp_path / "m.pt", b"old and good")

    def disk_full(fd: int, data: bytes) -> None:
        os.write(fd, data[:3])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio, "_write_all", disk_full)
    with pytest.raises(OSError, match="No space"):
        fileio.atomic_write_bytes(target, b"new content that does not fit")
    assert target.read_bytes() == b"old and good"
    assert os.listdir(tmp_path) == ["m.pt"]


def test_concurrent_writers_leave_one_complete_version(tmp_path: Path) -> None:
    target = tmp_path / "shared.bin"
    versions = [bytes([i]) * (50_000 + 1000 * i) for i in range(8)]

    def write(data: bytes) -> None:
        for _ in range(10):
            fileio.atomic_write_bytes(target, data, durable=False)

    threads = [threading.Thread(target=write, args=(v,)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert target.read_bytes() in versions
    assert os.listdir(tmp_path) == ["shared.bin"]


def test_image_is_encoded_from_its_suffix(tmp_path: Path) -> None:
    picture = Image.new("RGB", (10, 6), (200, 10, 10))
    fileio.atomic_save_image(picture, tmp_path / "a.png")
    fileio.atomic_save_image(picture, tmp_path / "a.jpg")
    assert Image.open(tmp_path / "a.png").format == "PNG" and Image.open(tmp_path / "a.jpg").format == "JPEG"
    assert Image.open(tmp_path / "a.png").getpixel((0, 0)) == (200, 10, 10)


# ----------------------------------------------------------------------------- the image-folder cache


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XAI_DEMO_CACHE", str(tmp_path / "cache"))
    return make_xray_folder(tmp_path / "xr", n_per_class=5, size=24)


def _cache_file(tmp_path: Path) -> Path:
    (cache,) = (tmp_path / "cache" / "folders").glob("*.npz")
    return cache


def _damage(kind: str, cache: Path) -> None:
    data = cache.read_bytes()
    if kind == "garbage":
        cache.write_bytes(b"\x00garbage" * 100)
    elif kind == "truncated":
        cache.write_bytes(data[: len(data) // 2])
    elif kind == "empty":
        cache.write_bytes(b"")
    else:
        with np.load(cache) as z:
            arrays = {k: z[k] for k in z.files}
        if kind == "flipped pixel":  # same shapes, wrong content: only the checksum sees it
            arrays["images"][0, 0, 0] ^= 0xFF
        elif kind == "wrong shape":
            arrays["images"] = arrays["images"][:, :10, :10]
        elif kind == "bad label":
            arrays["labels"][0] = 7
        elif kind == "no checksum":
            del arrays["digest"]
        np.savez(cache, **arrays)


@pytest.mark.parametrize("kind", ["garbage", "truncated", "empty", "flipped pixel", "wrong shape", "bad label",
                                  "no checksum"])
def test_damaged_cache_is_detected_and_rebuilt(folder: Path, tmp_path: Path, kind: str) -> None:
    fresh = load_image_folder(folder, "train", 16)
    cache = _cache_file(tmp_path)
    good = cache.read_bytes()
    _damage(kind, cache)
    assert cache.read_bytes() != good
    again = load_image_folder(folder, "train", 16)
    np.testing.assert_array_equal(again.images, fresh.images)
    np.testing.assert_array_equal(again.labels, fresh.labels)
    assert again.files == fresh.files
    assert cache.read_bytes() == good, "the damaged cache is rewritten"


def test_concurrent_builders_do_not_corrupt_the_cache(folder: Path, tmp_path: Path) -> None:
    code = f"from xai_demo.data import load_image_folder; print(load_image_folder({str(folder)!r}, 'train', 16)" \
           ".images.sum())"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, env=dict(os.environ)) for _ in range(3)]
    sums = {p.communicate(timeout=300)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    expected = load_image_folder(folder, "train", 16)
    assert sums == {str(expected.images.sum())}
    assert [p.name for p in (tmp_path / "cache" / "folders").iterdir()] == [_cache_file(tmp_path).name]
