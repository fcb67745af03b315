"""Datasets: MedMNIST through the medmnist package, image folders with a decode cache, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from xai_demo.data import ImageArrayDataset, load_dataset, load_image_folder, stratified_split
from xai_demo.errors import DataError


def _make_folder(root, n_per_class=6, size=40):
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for label, cls in enumerate(("NORMAL", "PNEUMONIA")):
            folder = root / split / cls
            folder.mkdir(parents=True)
            for i in range(n_per_class):
                arr = rng.integers(0, 80, (size, size + 8), np.uint8) + 100 * label
                Image.fromarray(arr.astype(np.uint8)).save(folder / f"img{i}.{'png' if i % 2 else 'jpeg'}")
    (root / "train" / "NORMAL" / "notes.txt").write_text("ignored")
    (root / "train" / "NORMAL" / "broken.png").write_bytes(b"not a png")


def test_folder_layout_labels_resize_and_cache(tmp_path) -> None:
    _make_folder(tmp_path / "xr")
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        train = load_image_folder(tmp_path / "xr", "train", 16)
    assert train.class_names == ("NORMAL", "PNEUMONIA")
    assert train.images.shape == (12, 16, 16) and train.images.dtype == np.uint8
    assert list(train.class_counts()) == [6, 6]
    # labels follow the folders: PNEUMONIA images were made brighter
    assert train.images[train.labels == 1].mean() > train.images[train.labels == 0].mean() + 50
    again = load_image_folder(tmp_path / "xr", "train", 16)  # from the cache: no warning, same data
    np.testing.assert_array_equal(again.images, train.images)
    assert again.files == train.files


def test_folder_dataset_carves_val_from_train(tmp_path) -> None:
    _make_folder(tmp_path / "xr", n_per_class=10)
    with pytest.warns(UserWarning):
        train = load_dataset(str(tmp_path / "xr"), "train", 16, val_fraction=0.2, seed=1)
    val = load_dataset(str(tmp_path / "xr"), "val", 16, val_fraction=0.2, seed=1)
    assert len(train) + len(val) == 20 and list(val.class_counts()) == [2, 2]
    assert not set(train.files) & set(val.files)


def test_errors_name_the_fix(tmp_path) -> None:
    with pytest.raises(DataError, match="no 'test' folder"):
        load_image_folder(tmp_path, "test", 28)
    with pytest.raises(DataError, match="neither a known dataset"):
        load_dataset("no_such_dataset", "train", 28)
    with pytest.raises(DataError, match="pneumoniamnist_64.npz"):
        load_dataset("pneumoniamnist", "test", 64, root=tmp_path)
    with pytest.raises(DataError, match="split"):
        load_dataset("pneumoniamnist", "dev", 28, root=tmp_path)


def test_stratified_split_is_seeded_and_disjoint() -> None:
    labels = np.array([0] * 30 + [1] * 70)
    a_keep, a_held = stratified_split(labels, 0.1, 3)
    b_keep, b_held = stratified_split(labels, 0.1, 3)
    np.testing.assert_array_equal(a_held, b_held)
    assert len(a_held) == 10 and not set(a_keep) & set(a_held)
    assert list(np.bincount(labels[a_held])) == [3, 7]


def test_dataset_item_and_tensors() -> None:
    ds = ImageArrayDataset(np.full((2, 4, 4), 255, np.uint8), np.array([0, 1]), ("a", "b"))
    image, label = ds[1]
    assert image.shape == (1, 4, 4) and float(image.max()) == 1.0 and label == 1
    assert ds.resized(8).images.shape == (2, 8, 8)
    with pytest.raises(DataError):
        ImageArrayDataset(np.zeros((2, 4, 4), np.float32), np.array([0, 1]), ("a", "b"))


@pytest.mark.data
def test_real_pneumoniamnist(data_root) -> None:
    ds = load_dataset("pneumoniamnist", "test", 28, data_root)
    assert len(ds) == 624 and ds.images.shape[1:] == (28, 28)
    assert ds.class_names == ("normal", "pneumonia") and list(ds.class_counts()) == [234, 390]
    assert len(load_dataset("pneumoniamnist", "train", 28, data_root)) == 4708


@pytest.mark.data
def test_real_kermany_folder(kermany_test_128) -> None:
    ds = kermany_test_128
    assert ds.class_names == ("NORMAL", "PNEUMONIA") and list(ds.class_counts()) == [234, 390]
    assert ds.images.shape == (624, 128, 128)
    assert 60 < ds.images.mean() < 200  # real radiographs, not blank


def test_patient_split_keeps_every_patient_on_one_side() -> None:
    from xai_demo.data import grouped_split, patient_id

    assert patient_id("train/PNEUMONIA/person123_bacteria_456.jpeg") == "person123"
    assert patient_id("NORMAL2-IM-1427-0001.jpeg") == "NORMAL2-IM-1427"
    assert patient_id("IM-0115-0001.jpeg") == "IM-0115"
    assert patient_id("scan_7.png") == "scan_7"  # no known pattern: every file is its own patient
    groups = [f"p{i // 3}" for i in range(300)]  # 100 patients with 3 images each
    labels = np.array([int(i // 3 < 70) for i in range(300)])
    kept, held = grouped_split(labels, groups, 0.1, seed=4)
    assert np.array_equal(np.sort(np.concatenate([kept, held])), np.arange(300))
    assert not {groups[i] for i in kept} & {groups[i] for i in held}
    assert 25 <= len(held) <= 36 and set(labels[held]) == {0, 1}
    again = grouped_split(labels, groups, 0.1, seed=4)
    assert np.array_equal(held, again[1])
