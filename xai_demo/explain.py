"""Saliency explanations over Captum, behind one registry and one function, :func:`explain`.

Sign convention: every map is *signed evidence for the explained class*: positive values push its
probability up, negative values push it down. Saliency and SmoothGrad return gradient magnitudes (never
negative); Grad-CAM keeps only positive evidence, as in its paper. ``Explanation.map`` is the attribution
summed over input channels and divided by its largest absolute value, so it lies in [-1, 1] with 0
meaning "no effect"; ``Explanation.raw`` keeps Captum's unnormalised output.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .errors import ConfigError
from .images import ImageSource
from .models import XaiModel
from .predict import decide, preprocess
from .registry import Registry

AttributeFn = Callable[[XaiModel, torch.Tensor, int], torch.Tensor]


@dataclass(frozen=True)
class Method:
    """A registered explanation method.

    Attributes:
        name: registry key, e.g. "integrated_gradients".
        label: human name shown in figures and the app, e.g. "Integrated Gradients".
        attribute: ``fn(model, x (1, C, H, W) in [0, 1], target) -> attribution`` of shape
            ``(1, C, H, W)`` or ``(1, 1, H, W)``.
        family: "gradient", "cam" or "perturbation" (how it works).
        signed: whether the map can be negative (evidence against the class).
        reference: the paper it comes from.
    """

    name: str
    label: str
    attribute: AttributeFn
    family: str
    signed: bool
    reference: str


METHODS: Registry[Method] = Registry("method")


def register_method(
    name: str, label: str, *, family: str, signed: bool, reference: str
) -> Callable[[AttributeFn], AttributeFn]:
    """Decorator adding an attribution function to the registry behind :func:`explain`."""

    def decorate(fn: AttributeFn) -> AttributeFn:
        METHODS.add(name, Method(name, label, fn, family, signed, reference))
        return fn

    return decorate


def list_methods() -> list[str]:
    """Names of the registered methods, in a teaching order (gradients, then CAM, then perturbation)."""
    return METHODS.names()


def get_method(name: str) -> Method:
    """The registered :class:`Method` called ``name`` (RegistryError lists the known names)."""
    return METHODS.get(name)


# ----------------------------------------------------------------------------- the methods

_RNG_LOCK = threading.Lock()


@contextlib.contextmanager
def _seeded(seed: int = 0) -> Iterator[None]:
    """Run a sampling method with fixed torch and numpy global seeds (Captum draws from both), so the
    same image always gives the same map, then restore the callers' random state."""
    with _RNG_LOCK:
        torch_state, numpy_state = torch.random.get_rng_state(), np.random.get_state()
        torch.manual_seed(seed)
        np.random.seed(seed)
        try:
            yield
        finally:
            torch.random.set_rng_state(torch_state)
            np.random.set_state(numpy_state)


def _captum():  # noqa: ANN202 (the captum.attr module)
    """captum.attr, imported on first use: it costs about a second at start-up (the app's cold start)."""
    import captum.attr

    return captum.attr


INTERNAL_BATCH = 16  # bounds the memory of IG, SmoothGrad, GradientSHAP and the perturbation methods
SMOOTHGRAD_STDEV = 0.15  # 15% of the [0, 1] pixel range (Smilkov et al. suggest 10-20%), not Captum's 1.0


@register_method("saliency", "Saliency", family="gradient", signed=False,
                 reference="Simonyan et al. 2014, arXiv:1312.6034")
def _saliency(model: XaiModel, x: torch.Tensor, target: int) -> torch.Tensor:
    return _captum().Saliency(model).attribute(x, target=target, abs=True)


@register_method("integrated_gradients", "Integrated Gradients", family="gradient", signed=True,
                 reference="Sundararajan et al. 2017, ICML")
def _integrated_gradients(model: XaiModel, x: torch.Tensor, target: int) -> torch.Tensor:
    return _captum().IntegratedGradients(model).attribute(
        x, baselines=torch.zeros_like(x), target=target, n_steps=32, internal_batch_size=INTERNAL_BATCH
    )


@register_method("smoothgrad", "SmoothGrad", family="gradient", signed=False,
                 reference="Smilkov et al. 2017, arXiv:1706.03825")
def _smoothgrad(model: XaiModel, x: torch.Tensor, target: int) -> torch.Tensor:
    with _seeded():
        return _captum().NoiseTunnel(_captum().Saliency(model)).attribute(
            x, nt_type="smoothgrad", nt_samples=16, nt_samples_batch_size=INTERNAL_BATCH,
            stdevs=SMOOTHGRAD_STDEV, target=target, abs=True,
        )


@register_method("gradient_shap", "GradientSHAP", family="gradient", signed=True,
                 reference="Lundberg & Lee 2017, NeurIPS")
def _gradient_shap(model: XaiModel, x: torch.Tensor, target: int) -> torch.Tensor:
    baselines = torch.cat([torch.zeros_like(x), torch.full_like(x, x.detach().mean().item())])
    with _seeded():
        return _captum().GradientShap(model).attribute(x, baselines=baselines, target=target, n_samples=16, stdevs=0.05)


@register_method("deeplift", "DeepLIFT", family="gradient", signed=True,
                 reference="Shrikumar et al. 2017, ICML")
def _deeplift(model: XaiModel, x: torch.Tensor, target: int) -> torch.Tensor:
    return _captum().DeepLift(model).attribute(x, baselines=torch.zeros_like(x), target=target)


@register_method("guided_backprop", "Guided Backprop", family="gradient", signed=True,
                 reference="Springenberg et al. 2015, ICLR workshop")
def _guided_backprop(model: XaiModel, x: torch.Tensor, target: int) -> torch.Tensor:
    return _captum().GuidedBackprop(model).attribute(x, target=target)


@register_method("gradcam", "Grad-CAM", family="cam", signed=False,
                 reference="Selvaraju et al. 2017, ICCV")
def _gradcam(model: XaiModel, x: torch.Tensor, target: int) -> torch.Tensor:
    cam = _captum().LayerGradCam(model, model.target_layer).attribute(x, target=target, relu_attributions=True)
    return _captum().LayerAttribution.interpolate(cam, tuple(x.shape[-2:]), interpolate_mode="bilinear")


@register_method("guided_gradcam", "Guided Grad-CAM", family="cam", signed=True,
                 reference="Selvaraju et al. 2017, ICCV")
def _guided_gradcam(model: XaiModel, x: torch.Tensor, target: int) -> torch.Tensor:
    return _captum().GuidedGradCam(model, model.target_layer).attribute(x, target=target, interpolate_mode="bilinear")


def _window(x: torch.Tensor) -> int:
    """Occlusion patch and grid cell: 1/8 of the side, at least 3 px."""
    return max(3, x.shape[-1] // 8)


@register_method("occlusion", "Occlusion", family="perturbation", signed=True,
                 reference="Zeiler & Fergus 2014, ECCV")
def _occlusion(model: XaiModel, x: torch.Tensor, target: int) -> torch.Tensor:
    window = _window(x)
    stride = max(1, window // 2)
    return _captum().Occlusion(model).attribute(
        x, sliding_window_shapes=(x.shape[1], window, window), strides=(x.shape[1], stride, stride),
        baselines=0.0, target=target, perturbations_per_eval=INTERNAL_BATCH,
    )


def grid_segments(x: torch.Tensor, cells: int = 8) -> torch.Tensor:
    """Feature mask ``(1, C, H, W)`` of ``cells`` x ``cells`` square segments, shared by all channels."""
    h, w = x.shape[-2:]
    rows = torch.arange(h) * cells // h
    cols = torch.arange(w) * cells // w
    mask = rows[:, None] * cells + cols[None, :]
    return mask.expand(1, x.shape[1], h, w).contiguous()


@register_method("kernel_shap", "KernelSHAP (8x8 grid)", family="perturbation", signed=True,
                 reference="Lundberg & Lee 2017, NeurIPS")
def _kernel_shap(model: XaiModel, x: torch.Tensor, target: int) -> torch.Tensor:
    with _seeded():
        return _captum().KernelShap(model).attribute(
            x, baselines=0.0, target=target, feature_mask=grid_segments(x), n_samples=200,
            perturbations_per_eval=INTERNAL_BATCH,
        )


# ----------------------------------------------------------------------------- the front door


@dataclass
class Explanation:
    """One saliency map for one image.

    Attributes:
        map: ``(H, W)`` float32 in [-1, 1] at the model's input resolution: signed evidence for
            ``target``, divided by its largest absolute value (all zeros if the attribution is zero).
        method: registry name of the method.
        target: explained class index; ``target_name`` its name.
        probabilities: ``(K,)`` softmax probabilities of the image.
        predicted: predicted class index (using the model's threshold).
        raw: Captum's attribution ``(1, C, H, W)``, unnormalised.
        image: ``(H, W)`` float32 in [0, 1], the grayscale model input that was explained.
    """

    map: np.ndarray
    method: str
    target: int
    target_name: str
    probabilities: np.ndarray
    predicted: int
    raw: torch.Tensor = field(repr=False)
    image: np.ndarray = field(repr=False)

    @property
    def label(self) -> str:
        return get_method(self.method).label


def normalise_attribution(raw: torch.Tensor) -> np.ndarray:
    """Sum ``(1, C, H, W)`` over channels and scale to [-1, 1] by the maximum absolute value."""
    summed = raw.detach().float().sum(dim=1)[0]
    peak = summed.abs().max()
    out = summed / peak if peak > 0 else torch.zeros_like(summed)
    return out.numpy().astype(np.float32)


def explain(
    model: XaiModel,
    image: ImageSource | np.ndarray | torch.Tensor,
    method: str,
    target: int | None = None,
) -> Explanation:
    """Explain the model's output for one image with one registered method.

    Args:
        model: an :class:`XaiModel` (its spec gives size, channels and the Grad-CAM layer).
        image: anything :func:`preprocess` accepts (path, bytes, PIL image, array, tensor).
        method: a name from :func:`list_methods`.
        target: class index to explain; default the predicted class.

    Returns:
        An :class:`Explanation` with a ``(S, S)`` map, S = ``model.spec.input_size``.
    """
    spec = get_method(method)
    x = preprocess(image, model.spec)
    with model.explain_lock:
        model.eval()
        probs = model.probabilities(x)[0].numpy()
        predicted = int(decide(probs[None], model.spec)[0])
        target = predicted if target is None else int(target)
        if not 0 <= target < model.spec.num_classes:
            raise ConfigError(f"target must be in [0, {model.spec.num_classes}), not {target}")
        with warnings.catch_warnings():  # Captum announces every hook it sets; they are removed after
            warnings.filterwarnings("ignore", message=r"Setting (forward|backward)", category=UserWarning)
            raw = spec.attribute(model, x.clone().requires_grad_(), target).detach()
    if raw.shape[-2:] != x.shape[-2:]:
        raw = F.interpolate(raw, size=x.shape[-2:], mode="bilinear", align_corners=False)
    return Explanation(
        map=normalise_attribution(raw),
        method=method,
        target=target,
        target_name=model.spec.class_names[target],
        probabilities=probs,
        predicted=predicted,
        raw=raw,
        image=x[0].mean(dim=0).numpy(),
    )
