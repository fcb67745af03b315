"""What the web app does, without gradio: cached explanations, drawn-region shares, shortcut comparisons,
quiz questions and training settings (models: :mod:`.shelf`; caches: :mod:`.store`; the test-set table:
:mod:`.table`).

Everything here is a plain function or a small class, testable without a browser. Models loaded once are
never modified afterwards; caches are bounded, locked, and hold results for curated cases only (never for
uploaded images).
"""

from __future__ import annotations

import hashlib
import html
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..artefacts import add_artefact, central_region
from ..explain import explain, list_methods
from ..metrics import attribution_share, pool_mask
from ..viz import overlay
from .shelf import Pair
from .store import LRUCache
from .text import artefact_name, class_name, method_name, percent, t

FAST_METHODS = ("gradcam", "saliency", "guided_backprop", "deeplift", "guided_gradcam")
SLOW_METHODS = ("occlusion", "kernel_shap", "integrated_gradients")
SANITY_METHODS = ("gradcam", "guided_backprop", "saliency", "smoothgrad", "integrated_gradients")
QUIZ_THRESHOLD = 0.25  # share of positive evidence on the artefact from which the answer is "artefact"...
QUIZ_ENRICHMENT = 5.0  # ...or share / artefact area from which it is (a marker covers ~1% of the image)
DISPLAY = 320  # side of the pictures shown in the page


# ----------------------------------------------------------------------------- images and maps


def to_gray_uint8(image: np.ndarray | Image.Image) -> np.ndarray:
    """Any image (PIL, (H, W), (H, W, 3|4) uint8 or float in [0, 1]) as ``(H, W)`` uint8."""
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("L"), dtype=np.uint8)
    arr = np.asarray(image)
    if arr.ndim == 3:
        arr = arr[..., :3].mean(axis=-1)
    if arr.dtype != np.uint8:
        arr = np.clip(arr * (255.0 if arr.max() <= 1.0 else 1.0) + 0.5, 0, 255).astype(np.uint8)
    return arr


def square(image: np.ndarray, size: int) -> np.ndarray:
    """``(H, W)`` uint8 resized to ``(size, size)`` exactly as the models see it (aspect not kept)."""
    pil = Image.fromarray(image)
    if pil.size != (size, size):
        pil = pil.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(pil, dtype=np.uint8)


def image_digest(image: np.ndarray) -> str:
    """A short content hash of an image array (cache key part)."""
    return hashlib.sha1(np.ascontiguousarray(image).tobytes() + str(image.shape).encode()).hexdigest()[:16]


@dataclass
class MapResult:
    """Maps of several methods for one image and one model, at the model's input size."""

    image: np.ndarray  # (S, S) float in [0, 1]
    maps: dict[str, np.ndarray]
    probabilities: np.ndarray
    predicted: int
    target: int
    class_names: tuple[str, ...]
    threshold: float
    seconds: float = 0.0
    cached: bool = False  # every map came from the cache


def explain_many(model, image: np.ndarray, methods: Sequence[str], cache: LRUCache | None = None,
                 cache_key: Hashable | None = None, target: int | None = None) -> MapResult:
    """Explain ``image`` with each method (each map cached under ``(cache_key, method, target)``)."""
    started = time.perf_counter()
    maps, first, computed = {}, None, 0
    for method in methods:
        key = None if cache is None or cache_key is None else (cache_key, method, target)
        store = cache if cache is not None else LRUCache(1)
        def compute(m: str = method) -> Any:
            nonlocal computed
            computed += 1
            return explain(model, image, m, target)

        e = store.get_or_compute(key, compute)
        maps[method] = e.map
        first = first or e
    if first is None:
        raise ValueError("choose at least one method")
    return MapResult(first.image, maps, first.probabilities, first.predicted, first.target,
                     tuple(model.spec.class_names), model.spec.decision_threshold,
                     time.perf_counter() - started, cached=computed == 0)


def render_maps(result: MapResult, alpha: float, mode: str, lang: str, *, mask: np.ndarray | None = None,
                size: int = DISPLAY) -> list[tuple[Image.Image, str]]:
    """One overlay per method with a legend, and its caption, for a gallery."""
    alpha = float(min(1.0, max(0.0, alpha)))
    return [(overlay(result.image, m, alpha=alpha, mode=mode, size=size, legend=True, mask=mask),
             method_name(name, lang)) for name, m in result.maps.items()]


def probability_bars(result: MapResult, lang: str) -> str:
    """HTML: one bar per class with its probability written for ``lang`` ("84%" / "84 %"), large enough for a
    projector (Gradio's Label writes its own English percentages in small type)."""
    rows = []
    for name, p in zip(result.class_names, result.probabilities, strict=True):
        rows.append(f'<div class="xai-prob"><span class="xai-prob-name">{html.escape(class_name(name, lang))}</span>'
                    f'<span class="xai-prob-bar"><span style="width: {100 * float(p):.1f}%"></span></span>'
                    f'<span class="xai-prob-value">{percent(float(p), lang)}</span></div>')
    return '<div class="xai-probs">' + "".join(rows) + "</div>"


def probabilities_dict(result: MapResult, lang: str) -> dict[str, float]:
    """``{translated class name: probability}`` for a label component."""
    return {class_name(n, lang): float(p) for n, p in zip(result.class_names, result.probabilities, strict=True)}


def prediction_line(model_label: str, result: MapResult, lang: str) -> str:
    """One sentence: which model predicts what, with P(positive class) and the threshold."""
    return t("explore.pred_line", lang, model=model_label,
             label=class_name(result.class_names[result.predicted], lang),
             p=float(result.probabilities[-1]), thr=result.threshold)


# ----------------------------------------------------------------------------- drawn regions


def mask_from_editor(value: dict | None, size: int) -> np.ndarray | None:
    """The region a user painted in an image editor, as a ``(size, size)`` bool mask, or None if empty.

    ``value`` is the editor's ``{"background", "layers", "composite"}`` dict of numpy arrays. Painted
    pixels are those with alpha > 0 in any layer (or, without layers, where the composite differs from the
    background). Any painted pixel marks its whole model pixel (max pooling), so thin strokes still count.
    """
    if not value:
        return None
    painted = None
    for layer in value.get("layers") or []:
        if layer is None:
            continue
        arr = np.asarray(layer)
        hit = arr[..., 3] > 0 if arr.ndim == 3 and arr.shape[2] == 4 else to_gray_uint8(arr) > 0
        painted = hit if painted is None else painted | (hit if hit.shape == painted.shape else painted)
    if painted is None and value.get("composite") is not None and value.get("background") is not None:
        comp, back = np.asarray(value["composite"]), np.asarray(value["background"])
        if comp.shape == back.shape:
            diff = np.abs(comp.astype(int) - back.astype(int))
            painted = diff.max(axis=-1) > 8 if diff.ndim == 3 else diff > 8
    if painted is None or not painted.any():
        return None
    return pool_mask(painted, (size, size))


def region_shares(maps: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, tuple[float, float]]:
    """Per method: (share of the positive evidence inside ``mask``, share / area of the mask)."""
    area = float(mask.mean())
    out = {}
    for method, m in maps.items():
        share = attribution_share(m, mask, mode="positive")
        out[method] = (share, share / area if area > 0 else 0.0)
    return out


def region_report(maps: dict[str, np.ndarray], mask: np.ndarray | None, lang: str) -> str:
    """Markdown: the area of the drawn region and each method's share inside it."""
    if mask is None or not mask.any():
        return t("explore.no_region", lang)
    rows = [t("explore.share_head", lang, area=float(mask.mean()))]
    for method, (share, ratio) in region_shares(maps, mask).items():
        rows.append(t("explore.share_row", lang, method=method_name(method, lang), share=share, ratio=ratio))
    return "\n".join(rows)


# ----------------------------------------------------------------------------- shortcut lab


@dataclass
class ArtefactSettings:
    """Where and how to draw the artefact in the shortcut lab (None artefact = remove it)."""

    artefact: str | None
    position: str = "top_left"
    scale: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    seed: int = 0


def apply_artefact(image: np.ndarray, size: int, settings: ArtefactSettings) -> tuple[np.ndarray, np.ndarray]:
    """The image at the model's size ``(size, size)`` float in [0, 1], with the artefact drawn, and its mask."""
    base = square(image, size).astype(np.float32) / 255.0
    if not settings.artefact:
        return base, np.zeros((size, size), bool)
    kwargs: dict[str, Any] = {"position": settings.position, "seed": settings.seed, **settings.options}
    if settings.position == "random_outside":
        kwargs["avoid"] = central_region(size, size)
    if settings.scale:
        kwargs["scale"] = settings.scale
    result = add_artefact(base, settings.artefact, **kwargs)
    return result.image, result.mask


@dataclass
class Comparison:
    """The same image through a clean and a shortcut model."""

    image: np.ndarray
    mask: np.ndarray
    clean: MapResult
    shortcut: MapResult

    def share(self, which: str, method: str) -> float | None:
        """Positive evidence on the artefact for ``which`` ("clean"/"shortcut"), None without artefact."""
        if not self.mask.any():
            return None
        return attribution_share(getattr(self, which).maps[method], self.mask, mode="positive")


def compare(pair: Pair, image: np.ndarray, settings: ArtefactSettings, method: str) -> Comparison:
    """Explain the artefacted image with both models of ``pair`` for the positive class."""
    picture, mask = apply_artefact(image, pair.shortcut.size, settings)
    results = [explain_many(e.model, picture, [method], target=len(e.model.spec.class_names) - 1)
               for e in (pair.clean, pair.shortcut)]
    return Comparison(picture, mask, results[0], results[1])


def comparison_text(comparison: Comparison, which: str, method: str, lang: str) -> str:
    """Markdown line for one model of a comparison."""
    result: MapResult = getattr(comparison, which)
    share = comparison.share(which, method)
    share_text = "" if share is None else t("shortcut.share", lang, share=share, area=float(comparison.mask.mean()))
    return t("shortcut.result", lang, model=t(f"shortcut.{which}_model", lang),
             label=class_name(result.class_names[result.predicted], lang), p=float(result.probabilities[-1]),
             share=share_text)


# ----------------------------------------------------------------------------- quiz


@dataclass
class QuizItem:
    """One quiz question: a picture with an artefact, one model's map, and the measured answer."""

    image: np.ndarray
    map: np.ndarray
    mask: np.ndarray
    model_kind: str  # "clean" or "shortcut"
    artefact: str
    share: float
    probability: float
    predicted_label: str

    @property
    def area(self) -> float:
        return float(self.mask.mean())

    @property
    def enrichment(self) -> float:
        """Share of the evidence on the artefact divided by the share of the image it covers."""
        return self.share / self.area if self.area > 0 else 0.0

    @property
    def answer(self) -> str:
        """ "artefact" when the evidence on the artefact reaches :data:`QUIZ_THRESHOLD` of the total, or
        :data:`QUIZ_ENRICHMENT` times what the artefact's area alone would give; else "pathology"."""
        return "artefact" if self.share >= QUIZ_THRESHOLD or self.enrichment >= QUIZ_ENRICHMENT else "pathology"


def make_question(pair: Pair, images: Sequence[np.ndarray], number: int, method: str = "gradcam") -> QuizItem:
    """Question ``number`` (deterministic): an image with the shortcut's artefact, explained by one model."""
    if not images:
        raise ValueError("the quiz needs at least one image")
    rng = np.random.default_rng(1000 + number)
    image = images[int(rng.integers(len(images)))]
    kind = "shortcut" if rng.random() < 0.6 else "clean"
    entry = getattr(pair, kind)
    settings = ArtefactSettings(pair.shortcut.artefact, "random_outside", None, dict(pair.shortcut.options),
                                seed=int(rng.integers(1 << 30)))
    art_image, art_mask = apply_artefact(image, pair.shortcut.size, settings)
    positive = len(entry.model.spec.class_names) - 1
    e = explain(entry.model, art_image, method, target=positive)
    return QuizItem(art_image, e.map, art_mask, kind, pair.shortcut.artefact,
                    attribution_share(e.map, art_mask, mode="positive"), float(e.probabilities[positive]),
                    entry.model.spec.class_names[e.predicted])


def quiz_reveal(item: QuizItem, answer: str, lang: str) -> str:
    """Markdown feedback after an answer."""
    verdict = t("quiz.correct" if answer == item.answer else "quiz.wrong", lang)
    model = t("shortcut.shortcut_model" if item.model_kind == "shortcut" else "shortcut.clean_model", lang)
    explain_key = "quiz.explain_artefact" if item.answer == "artefact" else "quiz.explain_pathology"
    return t("quiz.reveal", lang, verdict=verdict, model=model.lower(), share=item.share,
             artefact=artefact_name(item.artefact, lang), area=item.area, ratio=item.enrichment,
             explain=t(explain_key, lang))


# ----------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainChoice:
    """A dataset the user may train on here: registry name and input size."""

    dataset: str
    size: int

    @property
    def key(self) -> str:
        return f"{self.dataset}@{self.size}"


LIVE_TRAINING = (  # (full dataset, embedded subset, input size): the full one when present, else the subset
    ("pneumoniamnist", "pneumoniamnist_sample", 28),
    ("kermany", "kermany_sample", 64),
)


def dataset_available(root: Path | None, dataset: str) -> bool:
    """Whether ``dataset`` is on this machine (under ``root`` or embedded); the app never downloads."""
    from ..data import DATASETS

    return dataset in DATASETS and DATASETS.get(dataset).available(root)


def train_choices(root: Path | None) -> list[TrainChoice]:
    """What a user may train on live: each full dataset found under ``root``, else its embedded subset."""
    out = []
    for full, embedded, size in LIVE_TRAINING:
        name = full if dataset_available(root, full) else embedded
        if dataset_available(root, name):
            out.append(TrainChoice(name, size))
    return out


def train_config(choice: TrainChoice, root: Path | None, artefact: str | None, confound: float,
                 confound_negative: float, epochs: int, limit: int):
    """The :class:`~xai_demo.train.TrainConfig` for the user's settings (percentages in [0, 100])."""
    from ..train import TrainConfig

    options: tuple = (("text", "L"),) if artefact == "laterality_marker" else ()
    return TrainConfig(
        dataset=choice.dataset, size=choice.size, epochs=int(epochs), limit=int(limit), seed=0,
        artefact=artefact or None, artefact_options=options,
        confound=float(confound) / 100.0 if artefact else 0.0,
        confound_negative=float(confound_negative) / 100.0 if artefact else 0.0,
        data_root=str(root) if root else None,
    )


def method_choices(lang: str = "en") -> list[tuple[str, str]]:
    """(label, name) for every registered method, fast ones first, slow ones marked."""
    names = list_methods()
    ordered = [m for m in FAST_METHODS if m in names] + [m for m in names if m not in FAST_METHODS]
    slow = f" ({t('explore.slow', lang)})"
    return [(method_name(m, lang) + (slow if m in SLOW_METHODS else ""), m) for m in ordered]
