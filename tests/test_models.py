"""Model registry, spec and wrapper: every registered architecture meets the same contract."""

from __future__ import annotations

import pytest
import torch

from xai_demo.errors import RegistryError
from xai_demo.models import ModelSpec, XaiModel, create_model, list_models, small_cnn_depth


@pytest.mark.parametrize("arch", list_models())
@pytest.mark.parametrize("size", [28, 64, 128])
def test_every_model_maps_images_to_logits(arch: str, size: int) -> None:
    model = create_model(arch, input_size=size, class_names=("a", "b", "c"))
    out = model(torch.rand(2, model.spec.in_channels, size, size))
    assert out.shape == (2, 3) and torch.isfinite(out).all()
    assert isinstance(model.target_layer, torch.nn.Module)
    inplace = [m for m in model.modules() if getattr(m, "inplace", False)]
    assert not inplace, "in-place activations break DeepLift and Guided Backprop"


@pytest.mark.parametrize("arch", list_models())
def test_no_activation_module_is_used_twice(arch: str) -> None:
    model = create_model(arch, input_size=64)
    calls: dict[int, int] = {}
    handles = [
        m.register_forward_hook(lambda mod, i, o: calls.__setitem__(id(mod), calls.get(id(mod), 0) + 1))
        for m in model.modules() if isinstance(m, torch.nn.ReLU)
    ]
    model(torch.rand(1, 1, 64, 64))
    for h in handles:
        h.remove()
    assert calls and max(calls.values()) == 1


def test_normalisation_travels_with_the_model() -> None:
    model = create_model("small_cnn", input_size=28, mean=(0.3,), std=(0.2,))
    x = torch.rand(1, 1, 28, 28)
    assert torch.allclose(model(x), model.net((x - 0.3) / 0.2))


def test_depth_follows_input_size() -> None:
    assert [small_cnn_depth(s) for s in (28, 64, 128, 224)] == [2, 3, 4, 4]


def test_unknown_model_lists_known_names() -> None:
    with pytest.raises(RegistryError, match="small_cnn"):
        create_model("no_such_net")


def test_spec_round_trips_through_plain_dict() -> None:
    spec = ModelSpec("small_cnn", ("normal", "pneumonia"), 1, 64, (0.4,), (0.2,), "features.block3.act2",
                     0.37, (("width", 8),))
    assert ModelSpec.from_dict(spec.to_dict()) == spec


def test_custom_module_wraps_with_a_spec() -> None:
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                              torch.nn.Flatten(), torch.nn.Linear(4, 2))
    model = XaiModel(net, ModelSpec("custom", ("no", "yes"), target_layer="1"))
    assert model.target_layer is net[1]
    with pytest.raises(ValueError):
        XaiModel(net, ModelSpec("custom", ("no", "yes"), in_channels=3, mean=(0.1, 0.2), std=(1.0, 1.0)))


def test_registered_defaults_travel_into_the_spec() -> None:
    from xai_demo.models import IMAGENET_MEAN, IMAGENET_STD, MODELS, register_model

    @register_model("rgb_three_class_test", in_channels=3, mean=IMAGENET_MEAN, std=IMAGENET_STD,
                    class_names=("a", "b", "c"), input_size=40, output="sigmoid")
    def factory(num_classes: int, in_channels: int = 3, input_size: int = 40) -> tuple[torch.nn.Module, str]:
        net = torch.nn.Sequential(torch.nn.Conv2d(in_channels, 4, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                                  torch.nn.Flatten(), torch.nn.Linear(4, num_classes))
        return net, "1"

    try:
        model = create_model("rgb_three_class_test")
        spec = model.spec
        assert (spec.in_channels, spec.input_size, spec.class_names, spec.output) == (3, 40, ("a", "b", "c"), "sigmoid")
        assert spec.mean == IMAGENET_MEAN and spec.std == IMAGENET_STD
        p = model.probabilities(torch.rand(2, 3, 40, 40))
        assert p.shape == (2, 3) and not torch.allclose(p.sum(dim=1), torch.ones(2))  # independent sigmoids
        assert create_model("rgb_three_class_test", class_names=("x", "y"), input_size=32).spec.num_classes == 2
        assert ModelSpec.from_dict(spec.to_dict()) == spec
    finally:
        MODELS.remove("rgb_three_class_test")


def test_a_wrong_target_layer_name_lists_the_candidates() -> None:
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                              torch.nn.Flatten(), torch.nn.Linear(4, 2))
    with pytest.raises(ValueError, match="no module called 'features'.*0"):
        XaiModel(net, ModelSpec("custom", ("no", "yes"), target_layer="features"))
    with pytest.raises(ValueError, match="no target layer"):
        XaiModel(net, ModelSpec("custom", ("no", "yes"))).target_layer  # noqa: B018
    with pytest.raises(ValueError, match="output"):
        XaiModel(net, ModelSpec("custom", ("no", "yes"), output="logsoftmax"))
