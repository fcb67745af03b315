"""Where xai_demo looks for data and writes caches. Every path is resolved here and nowhere else."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "XAI_DEMO_DATA"
CACHE_ENV = "XAI_DEMO_CACHE"
REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / "models"
SAMPLES_DIR = REPO_ROOT / "sample_images"


def data_root(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The data folder the user named (argument, else ``$XAI_DEMO_DATA``), or None."""
    value = explicit if explicit is not None else os.environ.get(DATA_ENV)
    return Path(value).expanduser() if value else None


def cache_dir(*parts: str) -> Path:
    """A user cache folder (``$XAI_DEMO_CACHE`` or ``~/.cache/xai_demo``), created on demand."""
    base = os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "xai_demo"
    )
    path = Path(base).expanduser().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
