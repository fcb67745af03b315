"""Crash-safe file writes: every file xai_demo writes goes through :func:`atomic_write_bytes`.

The data goes to a uniquely named temporary file in the destination folder, is flushed and fsync'ed, then
``os.replace`` puts it in place in one step. A process killed at any moment therefore leaves either the
previous file or the complete new one, never a truncated mix; concurrent writers of the same path each
write their own temporary file and the last complete one wins. A temporary file left by a killed process
is named ``.<name>.<random>.tmp`` and is never read.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

from PIL import Image


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, durable: bool = True) -> Path:
    """Replace ``path`` with ``data`` atomically and return the path.

    Args:
        path: destination; its folder is created if missing.
        data: the complete new content.
        durable: fsync the file and its folder before returning (False for throw-away files such as the
            web app's pictures, which only need atomicity).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            _write_all(fd, data)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; written files are ordinary, readable files
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str, *, durable: bool = True) -> Path:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def atomic_save_image(picture: Image.Image, path: str | os.PathLike[str], fmt: str | None = None,
                      *, durable: bool = True, **options: object) -> Path:
    """Encode ``picture`` (format from ``fmt`` or the file suffix, e.g. PNG) and write it atomically."""
    path = Path(path)
    buf = io.BytesIO()
    picture.save(buf, format=(fmt or Image.registered_extensions().get(path.suffix.lower(), "PNG")), **options)
    return atomic_write_bytes(path, buf.getvalue(), durable=durable)
