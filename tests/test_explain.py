"""Every registered method on every registered model (and a swapped-in torchvision model)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

from xai_demo.errors import RegistryError
from xai_demo.explain import explain, get_method, grid_segments, list_methods
from xai_demo.models import ModelSpec, XaiModel, create_model, list_models, make_explainable


def _hook_count(model: torch.nn.Module) -> int:
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
        + len(getattr(m, "_backward_pre_hooks", {}))
        for m in model.modules()
    )


def _image(size: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    blob = torch.exp(-((xx - 0.3) ** 2 + (yy + 0.2) ** 2) / 0.1)
    return (0.3 + 0.5 * blob + 0.1 * torch.rand(size, size, generator=g)).clamp(0, 1)


@pytest.fixture(scope="module", params=list_models())
def model(request) -> XaiModel:
    torch.manual_seed(0)
    return create_model(request.param, input_size=32)


@pytest.mark.parametrize("method", list_methods())
def test_method_contract(model: XaiModel, method: str) -> None:
    before = _hook_count(model)
    e = explain(model, _image(32), method)
    assert e.map.shape == (32, 32) and e.map.dtype == np.float32
    assert np.isfinite(e.map).all()
    assert np.abs(e.map).max() == pytest.approx(1.0)  # normalised to [-1, 1]
    assert e.map.std() > 0, "constant map"
    if not get_method(method).signed:
        assert e.map.min() >= 0
    assert e.target == e.predicted and 0 <= e.target < 2
    assert e.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert _hook_count(model) == before, "hooks left behind"
    assert not model.training


def test_explanations_are_repeatable(model: XaiModel) -> None:
    for method in ("smoothgrad", "gradient_shap", "kernel_shap"):
        a, b = explain(model, _image(32), method), explain(model, _image(32), method)
        np.testing.assert_allclose(a.map, b.map, atol=1e-6)


def test_target_changes_the_map(model: XaiModel) -> None:
    a = explain(model, _image(32), "integrated_gradients", target=0)
    b = explain(model, _image(32), "integrated_gradients", target=1)
    assert a.target_name != b.target_name
    assert not np.allclose(a.map, b.map)
    with pytest.raises(ValueError, match="target"):
        explain(model, _image(32), "saliency", target=5)


def test_unknown_method() -> None:
    with pytest.raises(RegistryError, match="gradcam"):
        explain(create_model("small_cnn"), _image(28), "magic")


def test_gradient_method_finds_the_only_informative_pixel() -> None:
    """A linear model that reads one pixel: gradient methods must put all evidence there."""
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 2))
    with torch.no_grad():
        net[1].weight.zero_()
        net[1].bias.zero_()
        net[1].weight[1, 3 * 8 + 5] = 4.0
    model = XaiModel(net, ModelSpec("custom", ("a", "b"), input_size=8, mean=(0.0,), std=(1.0,)))
    x = torch.full((8, 8), 0.5)
    for method in ("saliency", "integrated_gradients", "deeplift", "gradient_shap"):
        e = explain(model, x, method, target=1)
        assert np.unravel_index(np.abs(e.map).argmax(), e.map.shape) == (3, 5), method
        assert np.abs(e.map).sum() == pytest.approx(1.0, rel=1e-3), method


def test_swapped_in_torchvision_model_works_with_every_method() -> None:
    """The README's recipe: any nn.Module (B, C, H, W) -> (B, K) plus a spec."""
    torch.manual_seed(0)
    net = make_explainable(torchvision.models.squeezenet1_1(weights=None, num_classes=2))
    spec = ModelSpec("custom", ("normal", "pneumonia"), in_channels=3, input_size=64,
                     mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), target_layer="features.12")
    model = XaiModel(net, spec)
    for method in list_methods():
        e = explain(model, _image(64), method)
        assert e.map.shape == (64, 64) and np.isfinite(e.map).all() and e.map.std() > 0, method
        assert _hook_count(model) == 0, method


def test_grid_segments_cover_the_image() -> None:
    seg = grid_segments(torch.zeros(1, 1, 30, 30), cells=4)
    assert seg.shape == (1, 1, 30, 30)
    assert sorted(seg.unique().tolist()) == list(range(16))
