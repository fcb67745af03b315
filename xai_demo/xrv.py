"""TorchXRayVision's chest X-ray models (Cohen et al. 2022, arXiv:2111.00595) as explainable :class:`XaiModel`.

An optional extra: ``pip install "xai_demo[xrv]"``. Load it as a plugin (``--plugin xai_demo.xrv``) to get the
architectures ``xrv_densenet121`` and ``xrv_resnet50``, or build a model in Python::

    from xai_demo.xrv import xrv_model
    model = xrv_model("densenet121-res224-all")   # downloads TorchXRayVision's weights on first use
    xai_demo.explain(model, "chest.png", "gradcam", target=model.spec.class_names.index("Pneumonia"))

What the adapter does:

- **preprocessing**: TorchXRayVision expects one channel scaled to [-1024, 1024] (``xrv.utils.normalize``) at
  224 px (DenseNets) or 512 px (ResNet-50). Pixels in [0, 1] map there exactly with mean 0.5 and std 1/2048,
  which the spec stores, so attributions stay with respect to [0, 1] pixels.
- **outputs**: one independent logit per pathology (``spec.output == "sigmoid"``, multi-label); class names are
  the model's ``pathologies`` (unused outputs, named "" by TorchXRayVision, become "(unused N)"). With pretrained
  weights TorchXRayVision calibrates each output to its operating point (``op_norm``: 0.5 = the threshold); the
  adapter returns the logit of that calibrated probability, so ``predict`` shows the numbers TorchXRayVision
  users know.
- **explainability**: every ReLU its own, non-in-place module (TorchXRayVision's DenseNet ends with a
  functional in-place ReLU; the ResNet's blocks reuse one), and Grad-CAM explains the final ReLU of the DenseNet
  trunk (``final_relu``) or ResNet's ``layer4``.

Exercised here without network access (weights cannot be downloaded): architectures built with
``weights=None`` (random weights), the calibration path with TorchXRayVision's published thresholds, through
``check-model`` and the app. Not exercised: loading the pretrained weight files. The registered architectures
(``xrv_densenet121``, ``xrv_resnet50``) are random networks for training or checking; a pretrained model is
used in Python (:func:`xrv_model`, then ``xai_demo.ui.serve(models=...)``), not saved as a checkpoint.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .errors import ConfigError, XaiDemoError
from .models import ModelSpec, XaiModel, make_explainable, register_model, split_resnet_relus

XRV_MEAN = (0.5,)  # [0, 1] -> [-1024, 1024], TorchXRayVision's range: (x - 0.5) * 2048
XRV_STD = (1.0 / 2048.0,)
DEFAULT_WEIGHTS = "densenet121-res224-all"


def _xrv():  # noqa: ANN202 (the torchxrayvision module)
    try:
        import torchxrayvision
    except ImportError:
        raise XaiDemoError(
            "TorchXRayVision is not installed; install the optional extra: pip install 'xai_demo[xrv]'"
        ) from None
    return torchxrayvision


def _names(pathologies: list[str]) -> tuple[str, ...]:
    return tuple(p or f"(unused {i})" for i, p in enumerate(pathologies))


class XrvNet(nn.Module):
    """TorchXRayVision DenseNet or ResNet returning logits ``(B, K)`` from normalised ``(B, 1, S, S)``.

    Args:
        model: an ``xrv.models.DenseNet``, or the torchvision ResNet inside ``xrv.models.ResNet`` (``.model``).
        op_threshs: ``(K,)`` operating points of pretrained weights (NaN where none), or None for raw logits.
    """

    def __init__(self, model: nn.Module, op_threshs: torch.Tensor | None = None) -> None:
        super().__init__()
        self.dense = hasattr(model, "features") and hasattr(model, "classifier")
        if self.dense:
            self.features, self.classifier = make_explainable(model.features), model.classifier
            self.final_relu = nn.ReLU()
        else:
            self.resnet = split_resnet_relus(make_explainable(model))
        self.register_buffer("op_threshs", None if op_threshs is None else op_threshs.float().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.dense:  # xrv.models.DenseNet.forward without its resize, range check and in-place ReLU
            out = F.adaptive_avg_pool2d(self.final_relu(self.features(x)), 1).flatten(1)
            logits = self.classifier(out)
        else:
            logits = self.resnet(x)
        if self.op_threshs is None:
            return logits
        calibrated = _xrv().models.op_norm(torch.sigmoid(logits), self.op_threshs)
        return torch.logit(calibrated.clamp(1e-6, 1 - 1e-6))


def build_xrv_net(arch: str = "densenet121", weights: str | None = None, num_classes: int | None = None,
                  cache_dir: str | None = None) -> tuple[XrvNet, tuple[str, ...], int]:
    """(network, pathology names, native input size) for an architecture or a TorchXRayVision weights name.

    Args:
        arch: "densenet121" (also densenet161/169/201) or "resnet50"; ignored when ``weights`` is given.
        weights: e.g. "densenet121-res224-all", "resnet50-res512-all" (downloaded by TorchXRayVision), or
            None for random weights.
        num_classes: outputs of a randomly initialised network (default: TorchXRayVision's 18 pathologies).
    """
    xrv = _xrv()
    if weights is not None:
        urls = xrv.models.model_urls
        if weights not in urls:
            raise XaiDemoError(f"unknown TorchXRayVision weights {weights!r}; known: {', '.join(urls)}")
        model = xrv.models.get_model(weights, cache_dir=cache_dir)
        op = getattr(model, "op_threshs", None)
        names = _names(list(model.pathologies))
        size = int(urls[weights].get("input_resolution", 224))
        inner = model.model if weights.startswith("resnet") else model
        return XrvNet(inner, op), names, size
    if arch.startswith("densenet"):
        names = _names(list(xrv.datasets.default_pathologies))
        params = xrv.models.get_densenet_params(arch)
        model = xrv.models.DenseNet(weights=None, num_classes=num_classes or len(names), **params)
        return XrvNet(model), names, 224
    if arch in ("resnet50", "resnet101"):
        import torchvision

        names = _names(list(xrv.models.model_urls[f"{arch}-res512-all"]["labels"]))
        net = getattr(torchvision.models, arch)(weights=None, num_classes=num_classes or len(names))
        net.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)  # as TorchXRayVision does
        return XrvNet(net), names, 512
    raise XaiDemoError(f"unknown TorchXRayVision architecture {arch!r}; use densenet121 or resnet50")


def xrv_model(weights: str | None = DEFAULT_WEIGHTS, arch: str = "densenet121", input_size: int | None = None,
              cache_dir: str | None = None) -> XaiModel:
    """A TorchXRayVision model as an :class:`XaiModel`: its preprocessing, pathology outputs and Grad-CAM layer.

    Args:
        weights: TorchXRayVision weights name (downloaded on first use), or None for random weights of ``arch``.
        arch: architecture when ``weights`` is None: "densenet121" or "resnet50".
        input_size: side fed to the network (default: its native 224 or 512 px).
    """
    net, names, native = build_xrv_net(arch, weights, cache_dir=cache_dir)
    spec = ModelSpec(
        arch="xrv_resnet50" if not net.dense else "xrv_densenet121",
        class_names=names, in_channels=1, input_size=input_size or native, mean=XRV_MEAN, std=XRV_STD,
        target_layer="final_relu" if net.dense else "resnet.layer4",
        output="sigmoid",
    )
    return XaiModel(net, spec)


ARCHITECTURES = ("xrv_densenet121", "xrv_resnet50")


def register_architectures() -> None:
    """Register ``xrv_densenet121`` and ``xrv_resnet50`` (random weights) unless they already are."""
    from .models import MODELS

    if all(name in MODELS for name in ARCHITECTURES):
        return

    def factory(arch: str, layer: str):  # noqa: ANN202
        def build(num_classes: int, in_channels: int = 1, input_size: int = 224) -> tuple[nn.Module, str]:
            if in_channels != 1:
                raise ConfigError("TorchXRayVision models take one channel")
            return build_xrv_net(arch, None, num_classes=num_classes)[0], layer

        return build

    xrv = _xrv()
    register_model("xrv_densenet121", description="TorchXRayVision DenseNet-121, 18 pathologies (multi-label)",
                   mean=XRV_MEAN, std=XRV_STD, class_names=_names(list(xrv.datasets.default_pathologies)),
                   input_size=224, output="sigmoid")(factory("densenet121", "final_relu"))
    register_model("xrv_resnet50", description="TorchXRayVision ResNet-50, 18 pathologies at 512 px (multi-label)",
                   mean=XRV_MEAN, std=XRV_STD, input_size=512, output="sigmoid",
                   class_names=_names(list(xrv.models.model_urls["resnet50-res512-all"]["labels"])),
                   )(factory("resnet50", "resnet.layer4"))


register_architectures()  # importing this module is the plugin: xai-demo --plugin xai_demo.xrv ...
