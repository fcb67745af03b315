"""The public API: everything in __all__ exists, and the documented flow works end to end."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

import xai_demo


def test_all_names_exist() -> None:
    for name in xai_demo.__all__:
        assert hasattr(xai_demo, name), name


def test_documented_flow(tmp_path) -> None:
    torch.manual_seed(0)
    model = xai_demo.create_model("small_cnn", input_size=64, class_names=("normal", "pneumonia"))
    path = xai_demo.save_checkpoint(tmp_path / "m.pt", model)
    model = xai_demo.load_checkpoint(path).model
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 260), np.uint8)).convert("RGBA").save(buf, "PNG")
    image = xai_demo.load_image(buf.getvalue())
    result = xai_demo.predict(model, image)
    assert result["label"] in ("normal", "pneumonia")
    assert abs(sum(result["probabilities"].values()) - 1) < 1e-5
    e = xai_demo.explain(model, image, "gradcam")
    picture = xai_demo.overlay(e.image, e.map, size=200)
    assert picture.height == 200 and picture.width > 200


def test_registering_a_method_makes_it_available_everywhere() -> None:
    from xai_demo.explain import METHODS

    @xai_demo.register_method("test_constant", "Constant", family="test", signed=False, reference="none")
    def _constant(model, x, target):
        out = torch.zeros_like(x)
        out[..., 0, 0] = 1.0
        return out

    try:
        assert "test_constant" in xai_demo.list_methods()
        e = xai_demo.explain(xai_demo.create_model("small_cnn"), torch.rand(28, 28), "test_constant")
        assert e.map[0, 0] == 1.0 and e.map.sum() == 1.0
    finally:
        METHODS.remove("test_constant")
