"""Shared fixtures. Real-data tests read $XAI_DEMO_DATA; in CI (CI=true) its absence is a failure."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from xai_demo.paths import DATA_ENV


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the suite's caches out of the user's cache folder, unless one is named explicitly."""
    if "XAI_DEMO_CACHE" not in os.environ:
        os.environ["XAI_DEMO_CACHE"] = str(tmp_path_factory.mktemp("xai_cache"))
    torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real data folder (``../shared/data`` in CI). Skips locally when unset; fails in CI."""
    value = os.environ.get(DATA_ENV)
    if value and Path(value).is_dir():
        return Path(value)
    message = f"${DATA_ENV} is not set to the data folder (e.g. ../shared/data)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + "; CI must run the real-data tests")
    pytest.skip(message)


@pytest.fixture(scope="session")
def kermany_test_128(data_root: Path):
    from xai_demo.data import load_dataset

    return load_dataset("kermany", "test", 128, data_root)


@pytest.fixture(scope="session")
def pneumonia_test_28(data_root: Path):
    from xai_demo.data import load_dataset

    return load_dataset("pneumoniamnist", "test", 28, data_root)


def make_xray_folder(root: Path, classes: tuple[str, ...] = ("NORMAL", "PNEUMONIA"), n_per_class: int = 12,
                     size: int = 32) -> Path:
    """A tiny synthetic image-folder dataset ``root/{train,test}/<CLASS>/*.png`` (class 1 brighter)."""
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for label, cls in enumerate(classes):
            folder = root / split / cls
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n_per_class):
                arr = rng.integers(0, 100, (size, size), np.uint8) + 80 * label
                Image.fromarray(arr.astype(np.uint8)).save(folder / f"img{i}.png")
    return root


@pytest.fixture(scope="session")
def xray_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny two-class image folder, enough to train a 28 px model in about a second."""
    return make_xray_folder(tmp_path_factory.mktemp("xray_folder"))
