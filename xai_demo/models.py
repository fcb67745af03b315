"""Models: a spec that travels with the weights, a registry of architectures, and the wrapper that
turns any ``nn.Module`` into an explainable classifier.

Every model xai_demo handles is an :class:`XaiModel`: it takes images ``(B, C, H, W)`` float in [0, 1],
normalises them with the spec's mean and std, and returns raw logits ``(B, K)``. Attributions are
therefore computed with respect to pixels in [0, 1], where 0 (black) is a natural baseline.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import torch
from torch import nn

from .errors import ConfigError, RegistryError
from .registry import Registry


@dataclass(frozen=True)
class ModelSpec:
    """What a model needs from its input and what its outputs mean.

    Attributes:
        arch: registry name of the architecture (see :func:`list_models`); "custom" for a module
            wrapped by hand.
        class_names: K names, index i naming logit i.
        in_channels: 1 for grayscale, 3 for RGB networks (grayscale images are repeated).
        input_size: side length in pixels the model is fed.
        mean, std: per-channel normalisation applied inside the model to [0, 1] pixels.
        target_layer: dotted path, inside the network, of the convolutional layer Grad-CAM explains.
        threshold: binary models only: predict class 1 when P(class 1) >= threshold.
        arch_kwargs: extra keyword arguments of the architecture factory, as (name, value) pairs.
        output: "softmax" when the K classes exclude each other (probabilities sum to 1), "sigmoid" when
            each logit is an independent finding (multi-label, e.g. TorchXRayVision's pathologies).
    """

    arch: str
    class_names: tuple[str, ...]
    in_channels: int = 1
    input_size: int = 28
    mean: tuple[float, ...] = (0.5,)
    std: tuple[float, ...] = (0.25,)
    target_layer: str = ""
    threshold: float | None = None
    arch_kwargs: tuple[tuple[str, Any], ...] = field(default_factory=tuple)
    output: str = "softmax"

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def decision_threshold(self) -> float:
        """The threshold on P(class 1) a binary model decides with: its chosen one, else 0.5."""
        return self.threshold if self.threshold is not None else 0.5

    def to_dict(self) -> dict[str, Any]:
        """Plain types only (lists, str, float), so it can live in a weights-only checkpoint."""
        out = asdict(self)
        out["class_names"] = list(self.class_names)
        out["mean"] = list(self.mean)
        out["std"] = list(self.std)
        out["arch_kwargs"] = [list(kv) for kv in self.arch_kwargs]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        return cls(
            arch=str(data["arch"]),
            class_names=tuple(str(c) for c in data["class_names"]),
            in_channels=int(data["in_channels"]),
            input_size=int(data["input_size"]),
            mean=tuple(float(m) for m in data["mean"]),
            std=tuple(float(s) for s in data["std"]),
            target_layer=str(data.get("target_layer", "")),
            threshold=None if data.get("threshold") is None else float(data["threshold"]),
            arch_kwargs=tuple((str(k), v) for k, v in data.get("arch_kwargs", [])),
            output=str(data.get("output", "softmax")),
        )


class XaiModel(nn.Module):
    """A classifier with its spec: ``(B, C, H, W)`` in [0, 1] -> normalise -> ``net`` -> logits ``(B, K)``.

    Args:
        net: any module mapping normalised ``(B, C, H, W)`` floats to logits ``(B, K)``.
        spec: its :class:`ModelSpec`; ``spec.target_layer`` must name a module of ``net`` for CAM methods.
    """

    def __init__(self, net: nn.Module, spec: ModelSpec) -> None:
        super().__init__()
        if len(spec.mean) not in (1, spec.in_channels) or len(spec.std) != len(spec.mean):
            raise ConfigError("mean and std need one value, or one per input channel")
        if spec.output not in OUTPUTS:
            raise ConfigError(f"ModelSpec.output must be one of {', '.join(OUTPUTS)}, not {spec.output!r}")
        if spec.target_layer:
            _resolve_layer(net, spec.target_layer)  # fail now, with the candidates, rather than in Grad-CAM
        self.net = net
        self.spec = spec
        shape = (1, len(spec.mean), 1, 1)
        self.register_buffer("mean", torch.tensor(spec.mean).view(shape), persistent=False)
        self.register_buffer("std", torch.tensor(spec.std).view(shape), persistent=False)
        # Captum attaches hooks to modules: explanations of one model must not interleave.
        self.explain_lock = threading.RLock()
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.std)

    @property
    def target_layer(self) -> nn.Module:
        """The module Grad-CAM explains, resolved from ``spec.target_layer``."""
        if not self.spec.target_layer:
            raise ConfigError(
                f"model {self.spec.arch!r} names no target layer for Grad-CAM; set ModelSpec.target_layer to "
                f"the name of its last convolutional stage, e.g. one of: {', '.join(conv_layers(self.net)[-3:])}"
            )
        return _resolve_layer(self.net, self.spec.target_layer)

    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """Probabilities ``(B, K)`` without gradients: softmax, or a sigmoid per finding (``spec.output``)."""
        with torch.no_grad():
            logits = self(x)
            return torch.sigmoid(logits) if self.spec.output == "sigmoid" else torch.softmax(logits, dim=1)


OUTPUTS = ("softmax", "sigmoid")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def conv_layers(net: nn.Module) -> list[str]:
    """Dotted names of the ``Conv2d`` modules of ``net``, in definition order (Grad-CAM layer candidates)."""
    return [name for name, module in net.named_modules() if isinstance(module, nn.Conv2d)]


def _resolve_layer(net: nn.Module, name: str) -> nn.Module:
    """``net.get_submodule(name)`` with an error that lists the candidates."""
    try:
        return net.get_submodule(name)
    except AttributeError:
        raise ConfigError(
            f"the network has no module called {name!r} (ModelSpec.target_layer); its last convolutions are: "
            f"{', '.join(conv_layers(net)[-3:]) or 'none'} (print(net) shows every name)"
        ) from None


def make_explainable(net: nn.Module) -> nn.Module:
    """Switch off in-place activations, which DeepLift and Guided Backprop cannot hook. Returns ``net``.

    A ReLU module used twice in one forward pass (torchvision's ResNet blocks) must also be split into
    two modules; :func:`split_resnet_relus` does it for torchvision ResNets.
    """
    for module in net.modules():
        if hasattr(module, "inplace"):
            module.inplace = False
    return net


# ----------------------------------------------------------------------------- registry

Factory = Callable[..., tuple[nn.Module, str]]


@dataclass(frozen=True)
class Architecture:
    """A registered architecture: ``factory(num_classes, in_channels, input_size, **kw) -> (net, layer)``.

    Only the keywords named in ``limits`` may be passed, each within its (low, high) range, so a checkpoint
    cannot ask for an arbitrarily large network.
    """

    name: str
    factory: Factory
    description: str
    in_channels: int = 1
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)  # accepted range of each keyword
    mean: tuple[float, ...] | None = None  # None: trainers use the training data's statistics
    std: tuple[float, ...] | None = None
    class_names: tuple[str, ...] | None = None  # defaults of create_model, e.g. a pretrained head's outputs
    input_size: int | None = None
    output: str = "softmax"


MODELS: Registry[Architecture] = Registry("model")


def register_model(
    name: str | None = None,
    *,
    description: str = "",
    in_channels: int = 1,
    mean: tuple[float, ...] | None = None,
    std: tuple[float, ...] | None = None,
    class_names: tuple[str, ...] | None = None,
    input_size: int | None = None,
    output: str = "softmax",
    limits: dict[str, tuple[float, float]] | None = None,
) -> Callable[[Factory], Factory]:
    """Decorator filing an architecture factory under ``name`` (default: the function's name).

    The factory takes ``num_classes``, ``in_channels``, ``input_size`` (and optional keywords) and
    returns ``(net, target_layer)``: the network and the dotted path of its Grad-CAM layer.
    ``in_channels=3`` marks an RGB network (grayscale images are repeated); ``mean``/``std`` fix its
    normalisation (e.g. :data:`IMAGENET_MEAN`, :data:`IMAGENET_STD`), otherwise training uses the data's.
    ``class_names``, ``input_size`` and ``output`` (see :class:`ModelSpec`) are :func:`create_model`'s
    defaults for this architecture, e.g. the findings and resolution of a pretrained network. ``limits``
    maps each optional keyword to its accepted (low, high) range; other keywords are refused.
    """

    def decorate(factory: Factory) -> Factory:
        doc = (factory.__doc__ or "").strip().splitlines()
        key = name or factory.__name__
        MODELS.add(key, Architecture(
            key, factory, description or (doc[0] if doc else ""), in_channels, limits=dict(limits or {}),
            mean=mean, std=std, class_names=None if class_names is None else tuple(class_names),
            input_size=input_size, output=output,
        ))
        return factory

    return decorate


def check_arch_kwargs(arch: str, kwargs: dict[str, Any]) -> None:
    """Raise ConfigError unless every keyword is one ``arch`` declares, with a number in its range.

    Raises:
        RegistryError: ``arch`` is not registered.
        ConfigError: an unknown keyword, a non-number, or a value outside the declared range.
    """
    limits = MODELS.get(arch).limits
    for key, value in kwargs.items():
        if key not in limits:
            raise ConfigError(f"architecture {arch!r} takes no option {key!r}; its options are "
                              f"{', '.join(limits) or 'none'}")
        lo, hi = limits[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            raise ConfigError(f"option {key} of {arch!r} must be a number in [{lo}, {hi}], not {value!r}")


def list_models() -> list[str]:
    """Names of the registered architectures."""
    return MODELS.names()


def create_model(
    arch: str,
    *,
    class_names: tuple[str, ...] | list[str] | None = None,
    input_size: int | None = None,
    in_channels: int | None = None,
    mean: tuple[float, ...] | None = None,
    std: tuple[float, ...] | None = None,
    threshold: float | None = None,
    **arch_kwargs: Any,
) -> XaiModel:
    """Build a freshly initialised registered architecture wrapped with its spec.

    Unset arguments take the architecture's registered defaults, else: classes ("normal", "pneumonia"),
    28 px, mean (0.5,) and std (0.25,).

    Raises:
        RegistryError: ``arch`` is not registered; the message lists the known names.
    """
    entry = MODELS.get(arch)
    check_arch_kwargs(arch, arch_kwargs)
    channels = entry.in_channels if in_channels is None else in_channels
    class_names = tuple(class_names or entry.class_names or ("normal", "pneumonia"))
    input_size = input_size or entry.input_size or 28
    net, layer = entry.factory(
        num_classes=len(class_names), in_channels=channels, input_size=input_size, **arch_kwargs
    )
    spec = ModelSpec(
        arch=arch,
        class_names=tuple(class_names),
        in_channels=channels,
        input_size=input_size,
        mean=tuple(mean or entry.mean or (0.5,)),
        std=tuple(std or entry.std or (0.25,)),
        target_layer=layer,
        threshold=threshold,
        arch_kwargs=tuple(sorted(arch_kwargs.items())),
        output=entry.output,
    )
    return XaiModel(net, spec)


def with_threshold(model: XaiModel, threshold: float | None) -> XaiModel:
    """Set the decision threshold of a binary model (in place) and return it."""
    model.spec = replace(model.spec, threshold=threshold)
    return model


# ----------------------------------------------------------------------------- architectures


class ConvBlock(nn.Sequential):
    """conv3x3 -> BN -> ReLU -> conv3x3 -> BN -> ReLU, each activation its own non-in-place module."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.act2 = nn.ReLU()


def small_cnn_depth(input_size: int) -> int:
    """Blocks so that the last one still sees a map of about 8-16 px: 28 -> 2, 64 -> 3, 128+ -> 4."""
    return int(min(4, max(2, math.floor(math.log2(input_size / 7)))))


@register_model(description="Small CNN built for explanation (VGG-style blocks, separate ReLUs)",
                limits={"width": (1, 256), "dropout": (0.0, 0.95)})
def small_cnn(
    num_classes: int, in_channels: int = 1, input_size: int = 28, width: int = 16, dropout: float = 0.2
) -> tuple[nn.Module, str]:
    """Small CNN built for explanation: VGG-style blocks, separate non-in-place ReLUs, global pooling.

    Depth grows with the input size (:func:`small_cnn_depth`); channels double per block from ``width``.
    Grad-CAM explains the last block's final ReLU, before pooling.
    """
    depth = small_cnn_depth(input_size)
    features = nn.Sequential()
    c_in = in_channels
    for i in range(depth):
        if i:
            features.add_module(f"pool{i}", nn.MaxPool2d(2))
        features.add_module(f"block{i + 1}", ConvBlock(c_in, width * 2**i))
        c_in = width * 2**i
    net = nn.Sequential()
    net.add_module("features", features)
    net.add_module("pool", nn.AdaptiveAvgPool2d(1))
    net.add_module("flatten", nn.Flatten())
    net.add_module("dropout", nn.Dropout(dropout))
    net.add_module("head", nn.Linear(c_in, num_classes))
    return net, f"features.block{depth}.act2"


class ExplainableResidualBlock(nn.Module):
    """A torchvision ResNet block (BasicBlock or Bottleneck) with its shared in-place ReLU split into one
    module per use, which DeepLift needs. Weights and their names are kept."""

    def __init__(self, block: nn.Module) -> None:  # torchvision.models.resnet.BasicBlock or Bottleneck
        super().__init__()
        self.conv1, self.bn1, self.conv2, self.bn2 = block.conv1, block.bn1, block.conv2, block.bn2
        self.bottleneck = hasattr(block, "conv3")
        if self.bottleneck:
            self.conv3, self.bn3 = block.conv3, block.bn3
            self.act3 = nn.ReLU()
        self.downsample = block.downsample
        self.act1 = nn.ReLU()
        self.act2 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if not self.bottleneck:
            return self.act2(out + identity)
        out = self.bn3(self.conv3(self.act2(out)))
        return self.act3(out + identity)


ExplainableBasicBlock = ExplainableResidualBlock  # the name earlier releases documented


def split_resnet_relus(net: nn.Module) -> nn.Module:
    """Make a torchvision ResNet explainable in place: every ReLU its own non-in-place module. Returns ``net``."""
    net.relu = nn.ReLU()
    for name in ("layer1", "layer2", "layer3", "layer4"):
        layer = getattr(net, name)
        for i, block in enumerate(layer):
            layer[i] = ExplainableResidualBlock(block)
    return net


@register_model(description="torchvision ResNet-18 adapted to small 1-channel images")
def resnet18(num_classes: int, in_channels: int = 1, input_size: int = 28) -> tuple[nn.Module, str]:
    """torchvision ResNet-18 for small images: 3x3 stem without max-pool below 64 px, split ReLUs.

    Grad-CAM explains the output of ``layer4``.
    """
    import torchvision  # imported here: it costs a second at start-up and only this factory needs it

    net = torchvision.models.resnet18(weights=None, num_classes=num_classes)
    if input_size < 64:
        net.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
        net.maxpool = nn.Identity()
    else:
        net.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
    return split_resnet_relus(net), "layer4"


def state_dict_for(model: XaiModel) -> dict[str, torch.Tensor]:
    """The network's weights, detached and on the CPU."""
    return {k: v.detach().cpu().clone() for k, v in model.net.state_dict().items()}


def _net_for(spec: ModelSpec) -> nn.Module:
    if spec.arch not in MODELS:
        raise RegistryError(
            f"checkpoint needs architecture {spec.arch!r}, which is not registered; known: "
            f"{', '.join(list_models())}. Load the plugin that registers it: xai-demo --plugin MODULE_OR_FILE, "
            "or import it in Python first."
        )
    kwargs = dict(spec.arch_kwargs)
    check_arch_kwargs(spec.arch, kwargs)
    net, _ = MODELS.get(spec.arch).factory(
        num_classes=spec.num_classes, in_channels=spec.in_channels, input_size=spec.input_size, **kwargs
    )
    return net


def build_from_spec(spec: ModelSpec) -> XaiModel:
    """A fresh (untrained) model matching ``spec``; the architecture must be registered.

    Raises:
        RegistryError: unknown architecture. ConfigError: architecture options outside their limits.
    """
    return XaiModel(_net_for(spec), spec)


def weight_shapes(spec: ModelSpec) -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """Name -> (shape, dtype) of every tensor in the state dict of ``spec``'s network, without allocating it
    (the network is built on PyTorch's "meta" device). Same errors as :func:`build_from_spec`."""
    with torch.device("meta"):
        net = _net_for(spec)
    return {k: (tuple(v.shape), v.dtype) for k, v in net.state_dict().items()}
