"""The artefact registry: what a maker is given (:class:`ArtefactContext`), what it returns
(:class:`ArtefactShape`), and :func:`register_artefact`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..registry import Registry

FIXED_POSITIONS = ("top_left", "top_right", "bottom_left", "bottom_right", "top", "bottom", "left", "right", "center")
POSITIONS = (*FIXED_POSITIONS, "random", "random_outside")  # random_outside: away from ``avoid``
MARGIN = 0.04  # distance of placed artefacts from the image edge, as a fraction of the shorter side
MIN_SIDE = 16  # smallest image side add_artefact accepts

Colour = float | tuple[float, float, float]


@dataclass(frozen=True)
class ArtefactContext:
    """What an artefact maker knows: image size, artefact size in pixels, rng and requested position."""

    height: int
    width: int
    size: float  # scale * shorter side, in image pixels
    intensity: float
    rgb: bool
    rng: np.random.Generator
    position: str
    shrink: float = 1.0  # < 1 when "random_outside" shrinks an artefact that does not fit

    def sized(self, minimum: float) -> float:
        """The artefact size in pixels, at least ``minimum`` (scaled by ``shrink``) to stay recognisable."""
        return max(self.size, minimum * self.shrink)

    @property
    def short(self) -> int:
        return min(self.height, self.width)

    @property
    def margin(self) -> int:
        return max(1, round(MARGIN * self.short))

    def fit(self, h: float, w: float) -> tuple[int, int]:
        """(h, w) rounded to whole pixels and shrunk (keeping the aspect) to fit inside the margins."""
        room_h, room_w = self.height - 2 * self.margin, self.width - 2 * self.margin
        k = min(1.0, room_h / max(h, 1e-6), room_w / max(w, 1e-6))
        return max(1, round(h * k)), max(1, round(w * k))


@dataclass(frozen=True)
class ArtefactShape:
    """One drawn artefact before placement.

    Either ``patch`` (an alpha ``(h, w)`` that is simply pasted at the chosen offset) or ``paint`` (a function
    of the offset returning an alpha ``(H, W)`` for the whole image, for artefacts that reach beyond their
    body, like an electrode's wire). ``fixed`` forces the offset (edge-anchored artefacts).
    """

    size: tuple[int, int]
    colour: Colour
    patch: np.ndarray | None = None
    paint: Callable[[int, int], np.ndarray] | None = None
    fixed: tuple[int, int] | None = None
    opacity: float = 1.0


ShapeMaker = Callable[..., ArtefactShape]


@dataclass(frozen=True)
class ArtefactInfo:
    """A named artefact: how to draw it and how to describe it to a user.

    Attributes:
        name: registry key, e.g. "laterality_marker".
        make: draws the artefact; called as ``make(ctx, **params)``.
        label: short human-readable name, e.g. "Laterality marker (L/R)".
        description: one or two sentences for the app and the docs, saying what ``scale`` measures.
        default_scale: artefact size relative to the shorter image side when ``scale`` is None.
        params: the extra keyword arguments ``make`` accepts, with their defaults.
    """

    name: str
    make: ShapeMaker
    label: str
    description: str
    default_scale: float
    params: dict[str, Any] = field(default_factory=dict)


ARTEFACTS: Registry[ArtefactInfo] = Registry("artefact")


def register_artefact(
    name: str, *, label: str, description: str, scale: float = 0.15
) -> Callable[[ShapeMaker], ShapeMaker]:
    """Decorator registering ``make(ctx, **params) -> ArtefactShape`` as the artefact ``name``.

    ``scale`` is the default size relative to the shorter image side; keyword-only parameters of ``make``
    become the artefact's extra ``**params`` of :func:`add_artefact`.
    """

    def decorate(make: ShapeMaker) -> ShapeMaker:
        params = {
            p.name: p.default
            for p in inspect.signature(make).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }
        ARTEFACTS.add(name, ArtefactInfo(name, make, label, description, scale, params))
        return make

    return decorate


def list_artefacts() -> list[str]:
    """Names of the registered artefacts, in registration order."""
    return ARTEFACTS.names()
