"""Confounded datasets: an artefact added with a class-dependent probability, which is how a shortcut is
planted (and how the none/aligned/swapped/all test conditions are built)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from ..errors import ConfigError, DataError
from .base import ARTEFACTS, POSITIONS
from .placement import add_artefact, central_region

if TYPE_CHECKING:  # importing ..data pulls in torch; only as_dataset() needs it at run time
    from ..data import ImageArrayDataset


CONDITIONS: dict[str, tuple[float, float]] = {
    "none": (0.0, 0.0),  # no artefact anywhere: the clean baseline
    "aligned": (1.0, 0.0),  # artefact on every positive image only: the shortcut works
    "swapped": (0.0, 1.0),  # artefact on every negative image only: the shortcut now misleads
    "all": (1.0, 1.0),  # artefact everywhere: present but uninformative
}


@dataclass(frozen=True)
class ConfoundSpec:
    """How to plant a shortcut: which artefact, and how often per class.

    Attributes:
        artefact: a name from :func:`list_artefacts`.
        p_positive: probability that an image with label ``positive_label`` gets the artefact.
        p_negative: probability for every other image.
        seed: fixes who gets an artefact and every placement.
        positive_label: the label the artefact is (anti-)correlated with.
        params: extra keyword arguments for :func:`add_artefact` as sorted (key, value) pairs, e.g.
            ``(("scale", 0.1), ("text", "L"))``.
        position: placement; the default keeps artefacts off the central lung region.
    """

    artefact: str
    p_positive: float
    p_negative: float
    seed: int = 0
    positive_label: int = 1
    params: tuple[tuple[str, Any], ...] = ()
    position: str = "random_outside"


def condition_spec(artefact: str, condition: str, seed: int = 0, **params: Any) -> ConfoundSpec:
    """A :class:`ConfoundSpec` for a named condition of :data:`CONDITIONS`.

    ``params`` go to :func:`add_artefact`; ``position=`` and ``positive_label=`` set those fields.
    """
    ARTEFACTS.get(artefact)  # RegistryError for unknown names, before any work
    if condition not in CONDITIONS:
        raise ConfigError(f"condition must be one of {', '.join(CONDITIONS)}; got {condition!r}")
    position = params.pop("position", "random_outside")
    positive_label = int(params.pop("positive_label", 1))
    p_pos, p_neg = CONDITIONS[condition]
    return ConfoundSpec(artefact, p_pos, p_neg, seed, positive_label, tuple(sorted(params.items())), position)


@dataclass(frozen=True)
class ConfoundedDataset:
    """A dataset with an artefact planted in some images.

    Attributes:
        images: ``(N, H, W)`` uint8, the images with artefacts.
        labels: ``(N,)`` int64, unchanged.
        masks: ``(N, H, W)`` bool, True exactly where ``images`` differ from the originals.
        has_artefact: ``(N,)`` bool, which images were chosen to get the artefact.
        class_names: as in the source dataset.
        spec: how the artefacts were planted.
        name: source name plus the artefact and its probabilities.
        files: source file per image, if the source had them.
    """

    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray
    has_artefact: np.ndarray
    class_names: tuple[str, ...]
    spec: ConfoundSpec
    name: str = ""
    files: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.labels)

    def as_dataset(self) -> ImageArrayDataset:
        """The images and labels as a plain :class:`ImageArrayDataset`, for training and evaluation."""
        from ..data import ImageArrayDataset

        return ImageArrayDataset(self.images, self.labels, self.class_names, self.name, self.files)


def confound(
    dataset: ImageArrayDataset, spec: ConfoundSpec, avoid: np.ndarray | None = None
) -> ConfoundedDataset:
    """Add ``spec.artefact`` to each image with probability ``p_positive`` (label == positive_label) or
    ``p_negative`` (other labels).

    Who gets an artefact is drawn from ``default_rng(spec.seed)``; image i is drawn with seed
    ``spec.seed * 1_000_003 + i``, so the result is deterministic and each image independent of the others.
    Images go to float [0, 1] and back with rounding; masks are the exact uint8 differences.

    Args:
        dataset: greyscale ``(N, H, W)`` uint8 images.
        spec: the artefact, its probabilities and options.
        avoid: ``(H, W)`` bool region no artefact may touch when ``spec.position`` is "random_outside";
            defaults to :func:`central_region`.
    """
    ARTEFACTS.get(spec.artefact)
    if spec.position not in POSITIONS:
        raise ConfigError(f"spec.position must be one of {', '.join(POSITIONS)}; got {spec.position!r}")
    for p in (spec.p_positive, spec.p_negative):
        if not 0.0 <= p <= 1.0:
            raise ConfigError(f"probabilities must lie in [0, 1], got {p}")
    kwargs = dict(spec.params)
    clash = set(kwargs) & {"position", "seed", "avoid"}
    if clash:
        raise ConfigError(f"spec.params may not set {sorted(clash)}; they come from the spec and confound()")
    n, h, w = dataset.images.shape
    if spec.position == "random_outside" and avoid is None:
        avoid = central_region(h, w)
    labels = np.asarray(dataset.labels)
    p = np.where(labels == spec.positive_label, spec.p_positive, spec.p_negative)
    has = np.random.default_rng(spec.seed).random(n) < p
    images = dataset.images.copy()
    masks = np.zeros((n, h, w), bool)
    bar = tqdm(np.flatnonzero(has), desc=f"adding {spec.artefact}", unit="img", leave=False, disable=n <= 500)
    for i in bar:
        src = dataset.images[i]
        try:
            res = add_artefact(
                src.astype(np.float32) / np.float32(255), spec.artefact, position=spec.position,
                seed=spec.seed * 1_000_003 + int(i), avoid=avoid, **kwargs,
            )
        except (ValueError, TypeError) as exc:  # bad options reach the artefact makers as TypeError too
            raise DataError(f"image {i} of {dataset.name or 'the dataset'}: {exc}") from exc
        out = src.copy()
        out[res.mask] = np.clip(np.rint(res.image[res.mask] * 255), 0, 255).astype(np.uint8)
        images[i] = out
        masks[i] = out != src
    name = f"{dataset.name}+{spec.artefact}({spec.p_positive:g}/{spec.p_negative:g})"
    return ConfoundedDataset(
        images, labels, masks, has, dataset.class_names, spec, name, dataset.files
    )
