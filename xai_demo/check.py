"""Can this model be explained? :func:`check_model` runs every registered method on a probe image and says,
per method, whether it works, why not, how to fix it, and how long it took.

It looks for the problems that cost developers hours in Captum: in-place activations, an activation module
reused in one forward pass (DeepLIFT needs one module per use), no Grad-CAM layer, maps that are not finite,
and outputs that are not logits ``(B, K)``.

    >>> report = xai_demo.check_model(model)
    >>> print(report.format())
    >>> report.explainable          # False when no method works at all
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from .explain import explain, get_method, list_methods
from .images import ImageSource
from .models import XaiModel
from .predict import preprocess

OK, WARNING, FAILED = "ok", "warning", "failed"
HOOKED_METHODS = ("deeplift", "guided_backprop", "guided_gradcam")  # override activation gradients via hooks
LAYER_METHODS = ("gradcam", "guided_gradcam")

FIX_INPLACE = "switch in-place activations off: xai_demo.models.make_explainable(net), or inplace=False"
FIX_REUSED = ("give each use its own module (e.g. self.act1 = nn.ReLU(); self.act2 = nn.ReLU()); for torchvision "
              "ResNets call xai_demo.models.split_resnet_relus(net)")
FIX_NONFINITE = ("the attribution holds NaN or inf: look for log(0), division by a small number or an overflow in "
                 "the forward pass; return raw logits, not log-probabilities")


@dataclass(frozen=True)
class MethodCheck:
    """The verdict for one method.

    Attributes:
        method: registry name; ``label`` its human name.
        status: "ok", "warning" (works, with a caveat) or "failed".
        problem: why it failed or what the caveat is ("" when ok).
        fix: how to fix it ("" when ok).
        seconds: wall time of one explanation of the probe (0 when it could not run).
    """

    method: str
    label: str
    status: str
    problem: str = ""
    fix: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class CompatibilityReport:
    """What :func:`check_model` found.

    Attributes:
        model: the model's architecture name; ``input_shape`` the probe's ``(1, C, S, S)``.
        findings: structural problems found before running any method (each a sentence).
        methods: one :class:`MethodCheck` per method, in registry order.
    """

    model: str
    input_shape: tuple[int, ...]
    findings: tuple[str, ...] = ()
    methods: tuple[MethodCheck, ...] = field(default_factory=tuple)

    @property
    def explainable(self) -> bool:
        """True when at least one method works (possibly with a caveat)."""
        return any(m.status != FAILED for m in self.methods)

    def status(self, method: str) -> str:
        """The status of ``method`` ("ok", "warning" or "failed")."""
        return next(m.status for m in self.methods if m.method == method)

    def to_dict(self) -> dict:
        return {"model": self.model, "input_shape": list(self.input_shape), "explainable": self.explainable,
                "findings": list(self.findings), "methods": [asdict(m) for m in self.methods]}

    def format(self) -> str:
        """A plain-text table, one line per method, then the problems and their fixes."""
        lines = [f"{self.model}: input {tuple(self.input_shape)}"]
        lines += [f"  ! {f}" for f in self.findings]
        width = max(len(m.label) for m in self.methods) if self.methods else 10
        for m in self.methods:
            ms = f"{1000 * m.seconds:7.0f} ms" if m.seconds else "       - ms"
            lines.append(f"  {m.label:<{width}}  {m.status:<7}  {ms}  {m.problem}")
            if m.fix:
                lines.append(f"  {'':<{width}}  {'':<7}  {'':>10}  fix: {m.fix}")
        n_ok = sum(m.status != FAILED for m in self.methods)
        verdict = "explainable" if self.explainable else "NOT explainable"
        lines.append(f"{verdict}: {n_ok}/{len(self.methods)} methods work")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- structural checks


def inplace_modules(net: nn.Module) -> list[str]:
    """Dotted names of modules with ``inplace=True`` (ReLU, Hardswish, Dropout, ...)."""
    return [name for name, m in net.named_modules() if getattr(m, "inplace", False) is True]


def reused_modules(net: nn.Module, x: torch.Tensor) -> dict[str, int]:
    """Parameter-free leaf modules called more than once in one forward pass of ``x``: name -> calls."""
    calls: dict[str, int] = {}
    handles = []
    for name, module in net.named_modules():
        if name and not list(module.children()) and not list(module.parameters(recurse=False)):
            handles.append(module.register_forward_hook(
                lambda mod, inp, out, name=name: calls.__setitem__(name, calls.get(name, 0) + 1)))
    try:
        with torch.no_grad():
            net(x)
    finally:
        for handle in handles:
            handle.remove()
    return {name: n for name, n in calls.items() if n > 1}


def suggest_target_layer(net: nn.Module, x: torch.Tensor) -> str:
    """The last module whose output is a ``(B, C, h, w)`` map with h, w >= 2: a reasonable Grad-CAM layer.

    Returns "" when there is none. ``x`` is the network's (normalised) input.
    """
    found: list[str] = []
    handles = [
        m.register_forward_hook(lambda mod, inp, out, name=name: found.append(name)
                                if isinstance(out, torch.Tensor) and out.dim() == 4 and min(out.shape[-2:]) >= 2
                                else None)
        for name, m in net.named_modules() if name
    ]
    try:
        with torch.no_grad():
            net(x)
    finally:
        for handle in handles:
            handle.remove()
    return found[-1] if found else ""  # hooks fire innermost first: the last is the outermost last stage


def output_problem(model: XaiModel, x: torch.Tensor) -> str:
    """Why the model's output is not logits ``(1, K)`` for the probe ``x`` ("" when it is)."""
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as exc:  # noqa: BLE001 (a foreign model: any failure is the verdict)
        return f"the forward pass fails on a {tuple(x.shape)} probe ({type(exc).__name__}: {_first_line(exc)})"
    k = model.spec.num_classes
    if not isinstance(out, torch.Tensor):
        return (f"the network returns a {type(out).__name__}, not a logits tensor (B, {k}); wrap it so forward "
                "returns only the logits (e.g. out.logits or out[0])")
    if tuple(out.shape) != (x.shape[0], k):
        return (f"wrong output shape: the network returns {tuple(out.shape)} for a {tuple(x.shape)} probe, "
                f"expected ({x.shape[0]}, {k}) for the {k} class names of its spec; fix the head or class_names")
    if not torch.isfinite(out).all():
        return "the logits of the probe are not finite (NaN or inf); " + FIX_NONFINITE.split(": ", 1)[1]
    return ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else ""


def probe_image() -> np.ndarray:
    """A ``(224, 224)`` uint8 probe: the first embedded chest X-ray, or a synthetic one without it."""
    from .images import load_image
    from .paths import SAMPLES_DIR

    cases = sorted((SAMPLES_DIR / "cases").glob("*.jp*g"))
    if cases:
        return np.asarray(load_image(cases[0], "L").resize((224, 224)), dtype=np.uint8)
    yy, xx = np.mgrid[-1:1:224j, -1:1:224j]
    lungs = np.exp(-(((np.abs(xx) - 0.4) / 0.25) ** 2 + (yy / 0.6) ** 2))
    return (40 + 180 * lungs).astype(np.uint8)


# ----------------------------------------------------------------------------- running the methods


def _run(model: XaiModel, image: torch.Tensor, method: str, target: int) -> tuple[np.ndarray | None, float, str]:
    """(raw attribution or None, seconds, error) of one explanation."""
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e = explain(model, image, method, target=target)
    except Exception as exc:  # noqa: BLE001 (diagnosing foreign models: any failure is the verdict)
        return None, time.perf_counter() - started, f"{type(exc).__name__}: {_first_line(exc)}"
    return e.raw.numpy(), time.perf_counter() - started, ""


@dataclass(frozen=True)
class _Context:
    """What the structural checks found, shared by the per-method verdicts."""

    inplace: list[str]
    reused: dict[str, int]
    layer_problem: str
    suggestion: str
    fixed: XaiModel | None  # the same weights with in-place activations off (None when there are none)


def _diagnose(method: str, error: str, ctx: _Context) -> tuple[str, str]:
    """(problem, fix) for a method that raised ``error``."""
    if method in LAYER_METHODS and ctx.layer_problem:
        fix = (f"set ModelSpec.target_layer, e.g. {ctx.suggestion!r}" if ctx.suggestion
               else "the network has no spatial feature map: Grad-CAM needs a convolutional layer")
        return "no target layer for Grad-CAM", fix
    if ctx.reused and ("used more than once" in error or "input/output attributes" in error):
        names = ", ".join(f"{n} ({c}x)" for n, c in ctx.reused.items())
        return f"a module is reused in one forward pass: {names}", FIX_REUSED
    if ctx.inplace and "inplace" in error.lower():
        return f"in-place activations ({error})", FIX_INPLACE
    return error, "see the error; Captum needs a differentiable forward pass from pixels to logits"


def _check_method(model: XaiModel, image: torch.Tensor, name: str, target: int, ctx: _Context) -> MethodCheck:
    label = get_method(name).label
    raw, seconds, error = _run(model, image, name, target)
    if raw is None:
        problem, fix = _diagnose(name, error, ctx)
        if ctx.fixed is not None and not ctx.reused and not ctx.layer_problem \
                and _run(ctx.fixed, image, name, target)[0] is not None:
            problem, fix = f"fails with in-place activations ({error})", FIX_INPLACE
        return MethodCheck(name, label, FAILED, problem, fix)
    if not np.isfinite(raw).all():
        return MethodCheck(name, label, FAILED, "non-finite map (NaN or inf)", FIX_NONFINITE, seconds)
    if ctx.fixed is not None and name in HOOKED_METHODS:
        reference = _run(ctx.fixed, image, name, target)[0]
        tolerance = 1e-6 * float(np.abs(reference).max()) if reference is not None else 0.0
        if reference is not None and not np.allclose(raw, reference, rtol=1e-3, atol=tolerance):
            return MethodCheck(name, label, FAILED, "wrong map: in-place activations change it", FIX_INPLACE, seconds)
        return MethodCheck(name, label, WARNING, "works with this Captum, but its hooks do not support in-place "
                           "activations", FIX_INPLACE, seconds)
    if not np.abs(raw).max() > 0:
        return MethodCheck(name, label, WARNING, "the map is all zero (dead activations or saturated outputs?)",
                           "check the model's outputs on real images", seconds)
    return MethodCheck(name, label, OK, seconds=seconds)


def check_model(
    model: XaiModel,
    image: ImageSource | np.ndarray | torch.Tensor | None = None,
    methods: list[str] | tuple[str, ...] | None = None,
    target: int | None = None,
) -> CompatibilityReport:
    """Run every method (or ``methods``) on a probe image and report what works, why not, and the fix.

    Args:
        model: the model to check (not modified: comparisons run on a copy).
        image: the probe (default: an embedded chest X-ray); anything :func:`preprocess` accepts.
        methods: method names (default: all of :func:`list_methods`).
        target: class explained (default: the predicted one).

    Returns:
        A :class:`CompatibilityReport`; ``report.explainable`` is False when no method works.
    """
    from .models import make_explainable
    from .predict import decide

    x = preprocess(probe_image() if image is None else image, model.spec)
    names = list(methods or list_methods())
    problem = output_problem(model, x)
    if problem:
        unusable = "cannot run: the model's output is unusable (above)"
        return CompatibilityReport(model.spec.arch, tuple(x.shape), (problem,),
                                   tuple(MethodCheck(m, get_method(m).label, FAILED, unusable) for m in names))

    normalised = (x - model.mean) / model.std
    inplace = inplace_modules(model.net)
    try:
        model.target_layer  # noqa: B018 (resolves the name)
        layer_problem = ""
    except ValueError as exc:
        layer_problem = str(exc)
    fixed = XaiModel(make_explainable(copy.deepcopy(model.net)), model.spec) if inplace else None
    ctx = _Context(inplace, reused_modules(model.net, normalised), layer_problem,
                   suggest_target_layer(model.net, normalised), fixed)
    findings = []
    if ctx.inplace:
        findings.append(f"{len(inplace)} in-place activation module(s), e.g. {inplace[0]}: {FIX_INPLACE}")
    if ctx.reused:
        findings.append("module(s) called more than once per forward pass: "
                        + ", ".join(f"{n} ({c}x)" for n, c in ctx.reused.items()) + f"; {FIX_REUSED}")
    if layer_problem:
        findings.append(layer_problem + (f". Suggested: ModelSpec(target_layer={ctx.suggestion!r})"
                                         if ctx.suggestion else ""))
    if target is None:
        target = int(decide(model.probabilities(x).numpy(), model.spec)[0])
    _run(model, x, "gradcam" if not layer_problem else "saliency", target)  # warm-up: imports Captum, allocates
    checks = tuple(_check_method(model, x, name, target, ctx) for name in names)
    return CompatibilityReport(model.spec.arch, tuple(x.shape), tuple(findings), checks)
