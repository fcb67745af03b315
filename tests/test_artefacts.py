"""Tests for xai_demo.artefacts: exact masks, placement, determinism and confounded datasets."""

from __future__ import annotations

import numpy as np
import pytest

from xai_demo.artefacts import (
    ARTEFACTS,
    CONDITIONS,
    Artefacted,
    ConfoundSpec,
    add_artefact,
    central_region,
    condition_spec,
    confound,
    list_artefacts,
)
from xai_demo.data import ImageArrayDataset
from xai_demo.errors import ImageError, RegistryError

NAMES = list_artefacts()
SHAPES = [(28, 28), (128, 128), (512, 512), (96, 160)]
NAMED = ["top_left", "top_right", "bottom_left", "bottom_right", "top", "bottom", "left", "right", "center"]


def make_image(shape: tuple[int, int], rgb: bool, seed: int = 0) -> np.ndarray:
    """Float32 [0, 1]: a vertical gradient plus noise, kept off 0 and 1 so that any drawing shows."""
    rng = np.random.default_rng(seed)
    h, w = shape
    base = np.linspace(0.15, 0.85, h, dtype=np.float32)[:, None] * np.ones((1, w), np.float32)
    if rgb:
        base = base[..., None] * np.array([1.0, 0.8, 0.7], np.float32)
    noise = rng.uniform(-0.1, 0.1, base.shape).astype(np.float32)
    return np.clip(base + noise, 0.02, 0.98).astype(np.float32)


def changed(out: np.ndarray, inp: np.ndarray) -> np.ndarray:
    diff = out != inp
    return diff.any(axis=-1) if diff.ndim == 3 else diff


def centroid(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    return float(ys.mean() + 0.5), float(xs.mean() + 0.5)


def central_disc(h: int, w: int) -> np.ndarray:
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    return np.hypot(ys - h / 2, xs - w / 2) < 0.3 * min(h, w)


# ----------------------------------------------------------------------------- single images


def test_registry_lists_all_artefacts() -> None:
    assert NAMES == [
        "laterality_marker", "text_token", "timestamp", "ruler", "ecg_electrode", "pen_mark", "dark_corner",
        "patch",
    ]
    for name in NAMES:
        info = ARTEFACTS.get(name)
        assert info.name == name and info.label and info.description and 0 < info.default_scale <= 1


def test_unknown_artefact_raises_registry_error() -> None:
    with pytest.raises(RegistryError, match="unknown artefact 'sticker'"):
        add_artefact(make_image((64, 64), False), "sticker")
    with pytest.raises(RegistryError):
        condition_spec("sticker", "aligned")


@pytest.mark.parametrize("rgb", [False, True], ids=["grey", "rgb"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NAMES)
def test_mask_is_exactly_the_changed_pixels(name: str, shape: tuple[int, int], rgb: bool) -> None:
    image = make_image(shape, rgb)
    before = image.copy()
    res = add_artefact(image, name, seed=1)
    assert isinstance(res, Artefacted)
    np.testing.assert_array_equal(image, before)  # input untouched
    assert res.image.shape == image.shape and res.image.dtype == image.dtype
    assert res.mask.shape == shape and res.mask.dtype == bool
    np.testing.assert_array_equal(res.mask, changed(res.image, image))
    assert res.image.min() >= 0.0 and res.image.max() <= 1.0
    share = res.mask.mean()
    assert 0 < share < 0.5, f"{name} changed {share:.1%} of the image"


@pytest.mark.parametrize("rgb", [False, True], ids=["grey", "rgb"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NAMES)
def test_deterministic_per_seed(name: str, shape: tuple[int, int], rgb: bool) -> None:
    image = make_image(shape, rgb)
    a = add_artefact(image, name, position="random", seed=5)
    b = add_artefact(image, name, position="random", seed=5)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.mask, b.mask)
    others = [add_artefact(image, name, position="random", seed=s).image for s in (6, 7, 8)]
    assert any(not np.array_equal(a.image, o) for o in others), "different seeds gave identical images"


@pytest.mark.parametrize("shape", [(128, 128), (96, 160)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("position", NAMED)
@pytest.mark.parametrize("name", NAMES)
def test_named_positions_land_in_the_right_place(name: str, position: str, shape: tuple[int, int]) -> None:
    h, w = shape
    res = add_artefact(make_image(shape, False), name, position=position, seed=2)
    cy, cx = centroid(res.mask)
    vertical = "top" if "top" in position else "bottom" if "bottom" in position else "middle"
    horizontal = "left" if "left" in position else "right" if "right" in position else "middle"
    for where, c, side in ((vertical, cy, h), (horizontal, cx, w)):
        if where in ("top", "left"):
            assert c < 0.5 * side, f"{name} at {position}: centroid {cy:.0f}, {cx:.0f} in {shape}"
        elif where in ("bottom", "right"):
            assert c > 0.5 * side, f"{name} at {position}: centroid {cy:.0f}, {cx:.0f} in {shape}"
        else:
            assert abs(c - side / 2) < 0.2 * side, f"{name} at {position}: centroid {cy:.0f}, {cx:.0f}"


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NAMES)
def test_random_outside_never_touches_avoid(name: str, shape: tuple[int, int]) -> None:
    image = make_image(shape, False)
    avoid = central_disc(*shape)
    for seed in range(3):
        res = add_artefact(image, name, position="random_outside", avoid=avoid, seed=seed)
        assert res.mask.any()
        assert not (res.mask & avoid).any()


@pytest.mark.parametrize("name", NAMES)
def test_random_outside_central_region(name: str) -> None:
    image = make_image((128, 128), False)
    avoid = central_region(128, 128)
    for seed in range(4):
        res = add_artefact(image, name, position="random_outside", avoid=avoid, seed=seed)
        assert res.mask.any() and not (res.mask & avoid).any()


def test_central_region_is_a_central_ellipse() -> None:
    region = central_region(100, 80)
    assert region.shape == (100, 80) and region.dtype == bool
    assert region[55, 40] and not region[0, 0] and not region[99, 79] and not region[5, 40]
    assert 0.25 < region.mean() < 0.45


def test_parameters_change_the_drawing() -> None:
    image = make_image((128, 128), False)
    r = add_artefact(image, "laterality_marker", position="top_left")
    left = add_artefact(image, "laterality_marker", position="top_left", text="L")
    assert not np.array_equal(r.image, left.image)
    small = add_artefact(image, "patch", position="center", scale=0.1)
    large = add_artefact(image, "patch", position="center", scale=0.2)
    assert large.mask.sum() > 3 * small.mask.sum()
    faint = add_artefact(image, "text_token", position="top", intensity=0.3)
    bright = add_artefact(image, "text_token", position="top")
    assert faint.image.sum() < bright.image.sum()
    assert not add_artefact(image, "text_token", intensity=0.0).mask.any()


def test_bad_arguments_raise_clear_errors() -> None:
    image = make_image((64, 64), False)
    with pytest.raises(ValueError, match="position"):
        add_artefact(image, "patch", position="middle")
    with pytest.raises(ValueError, match="avoid"):
        add_artefact(image, "patch", position="random_outside")
    with pytest.raises(ValueError, match="avoid"):
        add_artefact(image, "patch", position="random_outside", avoid=np.zeros((32, 32), bool))
    with pytest.raises(ValueError, match="no parameter"):
        add_artefact(image, "patch", colour_name="red")
    with pytest.raises(ValueError, match="intensity"):
        add_artefact(image, "patch", intensity=2.0)
    with pytest.raises(ImageError, match="uint8"):
        add_artefact((image * 255).astype(np.uint8), "patch")
    with pytest.raises(ImageError, match=r"\[0, 1\]"):
        add_artefact(image * 2, "patch")
    with pytest.raises(ImageError, match="shape"):
        add_artefact(np.zeros((4, 64, 64), np.float32), "patch")
    with pytest.raises(ValueError, match="no room"):
        add_artefact(image, "patch", position="random_outside", avoid=np.ones((64, 64), bool))


# ----------------------------------------------------------------------------- confounded datasets


def make_dataset(n: int, size: int = 28, seed: int = 0) -> ImageArrayDataset:
    rng = np.random.default_rng(seed)
    grad = np.linspace(40, 200, size)[None, :, None] * np.ones((1, 1, size))
    images = np.clip(grad + rng.normal(0, 20, (n, size, size)), 0, 255).round().astype(np.uint8)
    labels = (np.arange(n) % 2).astype(np.int64)
    return ImageArrayDataset(images, labels, ("normal", "pneumonia"), "synthetic")


@pytest.mark.parametrize("name", NAMES)
def test_confound_aligned_marks_every_positive_only(name: str) -> None:
    ds = make_dataset(40)
    out = confound(ds, condition_spec(name, "aligned", seed=3))
    np.testing.assert_array_equal(out.has_artefact, ds.labels == 1)
    np.testing.assert_array_equal(out.masks, out.images != ds.images)  # exact w.r.t. uint8
    assert out.masks[out.has_artefact].reshape(int(out.has_artefact.sum()), -1).any(axis=1).all()
    assert not out.masks[~out.has_artefact].any()
    np.testing.assert_array_equal(out.images[~out.has_artefact], ds.images[~out.has_artefact])
    assert not (out.masks & central_region(28, 28)).any()  # default position keeps off the lungs
    np.testing.assert_array_equal(out.labels, ds.labels)


def test_confound_swapped_and_rates() -> None:
    ds = make_dataset(400)
    swapped = confound(ds, condition_spec("patch", "swapped"))
    np.testing.assert_array_equal(swapped.has_artefact, ds.labels == 0)
    half = confound(ds, ConfoundSpec("laterality_marker", 0.5, 0.5, seed=1))
    for cls in (0, 1):
        share = half.has_artefact[ds.labels == cls].mean()
        assert 0.38 < share < 0.62, f"class {cls}: {share:.2f}"
    assert not half.masks[~half.has_artefact].any()
    assert half.masks[half.has_artefact].any(axis=(1, 2)).all()


def test_confound_is_deterministic_and_keeps_the_source() -> None:
    ds = make_dataset(60)
    before = ds.images.copy()
    spec = ConfoundSpec("ecg_electrode", 0.7, 0.2, seed=4, params=(("scale", 0.1),))
    a, b = confound(ds, spec), confound(ds, spec)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.masks, b.masks)
    np.testing.assert_array_equal(ds.images, before)
    c = confound(ds, ConfoundSpec("ecg_electrode", 0.7, 0.2, seed=5, params=(("scale", 0.1),)))
    assert not np.array_equal(a.images, c.images)


def test_confounded_dataset_as_dataset() -> None:
    ds = make_dataset(20)
    out = confound(ds, condition_spec("text_token", "all", position="random"))
    assert out.has_artefact.all() and len(out) == 20
    plain = out.as_dataset()
    assert isinstance(plain, ImageArrayDataset)
    assert plain.images is out.images and plain.class_names == ds.class_names
    image, label = plain[1]
    assert tuple(image.shape) == (1, 28, 28) and label == 1
    none = confound(ds, condition_spec("text_token", "none"))
    assert not none.has_artefact.any()
    np.testing.assert_array_equal(none.images, ds.images)


def test_condition_spec() -> None:
    assert set(CONDITIONS) == {"none", "aligned", "swapped", "all"}
    spec = condition_spec("laterality_marker", "aligned", seed=7, text="L", scale=0.1, position="top_left")
    assert (spec.p_positive, spec.p_negative, spec.seed) == (1.0, 0.0, 7)
    assert spec.params == (("scale", 0.1), ("text", "L")) and spec.position == "top_left"
    with pytest.raises(ValueError, match="condition"):
        condition_spec("laterality_marker", "reversed")
    with pytest.raises(ValueError, match="params"):
        confound(make_dataset(4), ConfoundSpec("patch", 1, 1, params=(("seed", 3),)))


def test_colours_follow_the_image_mode() -> None:
    grey, rgb = make_image((64, 64), False), make_image((64, 64), True)
    out = add_artefact(rgb, "patch", position="center", colour=(1.0, 0.0, 0.0)).image
    np.testing.assert_array_equal(out[32, 32], [1.0, 0.0, 0.0])
    assert add_artefact(grey, "patch", position="center", colour=[0.0, 0.3, 0.6]).image[32, 32] == 0.3
    assert add_artefact(grey, "patch", position="center", intensity=0.0).image[32, 32] == 0.0
    violet = add_artefact(rgb, "pen_mark", position="center")
    shift = violet.image[violet.mask] - rgb[violet.mask]
    assert (shift[:, 2] > shift[:, 1]).all()  # gentian violet ink: towards blue, away from green
    with pytest.raises(ValueError, match="colour"):
        add_artefact(rgb, "pen_mark", colour=(2.0, 0.0, 0.0))
