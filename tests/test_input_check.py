"""The input check: real radiographs pass, other pictures are flagged with a reason (rates: benchmarks/)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from xai_demo.fonts import font
from xai_demo.input_check import WARNING, check_image, features, fit_reference, reference, working_image
from xai_demo.paths import SAMPLES_DIR

CASES = sorted((SAMPLES_DIR / "cases").glob("*.jpeg"))


@pytest.mark.parametrize("path", CASES[:8], ids=lambda p: Path(p).stem)
def test_teaching_cases_pass(path: Path) -> None:
    result = check_image(path)
    assert result.ok, (result.reasons, result.distance, result.threshold)


def test_small_noise_from_the_issue_is_too_small() -> None:
    noise = (np.random.default_rng(0).random((5, 5)) * 255).astype(np.uint8)
    assert check_image(noise).reasons == ("too_small",)


def test_large_noise_is_noise() -> None:
    noise = (np.random.default_rng(1).random((300, 300)) * 255).astype(np.uint8)
    assert "noise" in check_image(noise).reasons


def test_flat_image_is_flat() -> None:
    assert check_image(np.full((100, 100), 120, np.uint8)).reasons == ("flat",)


def test_colour_photo_is_colour() -> None:
    xray = np.asarray(Image.open(CASES[0]).convert("L"))
    tinted = np.stack([xray, (xray * 0.5).astype(np.uint8), (xray * 0.2).astype(np.uint8)], axis=-1)
    assert "colour" in check_image(Image.fromarray(tinted)).reasons


def test_grey_xray_saved_as_rgb_is_not_colour() -> None:
    rgb = Image.open(CASES[0]).convert("RGB")
    assert check_image(rgb).ok


def test_text_page_is_flagged() -> None:
    page = Image.new("L", (600, 800), 250)
    draw = ImageDraw.Draw(page)
    for y in range(20, 780, 30):
        draw.text((20, y), "Findings: no acute cardiopulmonary disease. Signed.", fill=10, font=font(20))
    assert not check_image(page).ok


def test_features_and_working_image_shapes() -> None:
    x = working_image(np.zeros((64, 50), np.uint8) + np.arange(50, dtype=np.uint8))
    assert x.shape == (28, 28) and 0 <= x.min() <= x.max() <= 1
    assert features(x).shape == reference().mean.shape


def test_fit_reference_threshold_is_a_validation_quantile() -> None:
    rng = np.random.default_rng(0)
    base = np.linspace(0, 1, 28)[None, :] * np.linspace(0.5, 1, 28)[:, None]
    train = [np.clip(base + rng.normal(0, 0.01, base.shape) + rng.normal(0, 0.05), 0, 1) for _ in range(200)]
    val = [np.clip(base + rng.normal(0, 0.01, base.shape) + rng.normal(0, 0.05), 0, 1) for _ in range(100)]
    ref = fit_reference(train, val, quantile=0.9)
    assert float((ref.distance(np.stack([features(v) for v in val])) > ref.threshold).mean()) == pytest.approx(
        0.1, abs=0.02)


def test_predict_result_carries_the_check() -> None:
    from xai_demo.models import create_model
    from xai_demo.predict import predict

    model = create_model("small_cnn", class_names=("normal", "pneumonia"), input_size=28)
    noise = (np.random.default_rng(0).random((5, 5)) * 255).astype(np.uint8)
    result = predict(model, noise)
    assert result["input_check"]["ok"] is False and result["input_check"]["warning"] == WARNING
    assert predict(model, CASES[0])["input_check"]["ok"] is True
