"""Shared, bounded, thread-safe stores: a least-recently-used cache of results and a folder of pictures."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from PIL import Image

from ..fileio import atomic_write_bytes


class LRUCache:
    """A small thread-safe least-recently-used cache (for deterministic results of curated cases)."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable | None, compute: Callable[[], Any]) -> Any:
        """The cached value for ``key``, computing (outside the lock) on a miss; ``key=None`` never caches."""
        if key is None:
            return compute()
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = compute()
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._data)


# ----------------------------------------------------------------------------- pictures on disk


class ImageStore:
    """Pictures written once, atomically, under a content-hash name, and pruned after ``max_age`` seconds.

    Gradio rewrites a returned PIL image in place under a content-hash path, so two users receiving the same
    picture at once can download a half-written file; a file path is instead copied atomically. Handing
    Gradio paths from this store avoids that race.

    Pictures saved with ``keep=True`` (the case thumbnails, which the page sends again on every language
    switch) live in ``kept/`` and are never pruned: pruning them once broke the gallery a few minutes after
    the start.
    """

    def __init__(self, folder: Path, max_age: float = 300.0) -> None:
        self.folder = Path(folder)
        self.kept = self.folder / "kept"
        self.kept.mkdir(parents=True, exist_ok=True)
        self.max_age = max_age
        self._last_prune = time.monotonic()
        self._lock = threading.Lock()

    def save(self, picture: Image.Image, fmt: str = "webp", *, keep: bool = False) -> str:
        """Write ``picture`` (if not already there) and return its path; ``keep`` exempts it from pruning."""
        buf = io.BytesIO()
        picture.save(buf, format=fmt.upper(), **({"quality": 92} if fmt == "webp" else {}))
        data = buf.getvalue()
        path = (self.kept if keep else self.folder) / f"{hashlib.sha1(data).hexdigest()[:24]}.{fmt}"
        if path.exists():
            os.utime(path)
        else:
            atomic_write_bytes(path, data, durable=False)
        self.prune()
        return str(path)

    def prune(self, force: bool = False) -> int:
        """Delete unkept pictures older than ``max_age`` (checked at most once per ``min(60 s, max_age)`` unless
        ``force``); returns the count."""
        with self._lock:
            if not force and time.monotonic() - self._last_prune < min(60.0, self.max_age):
                return 0
            self._last_prune = time.monotonic()
        cutoff, removed = time.time() - self.max_age, 0
        for path in self.folder.glob("*"):
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed
