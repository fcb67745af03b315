"""Realistic image artefacts for shortcut-learning demos, each with a pixel-exact mask of what it changed.

An artefact is drawn as an alpha layer ``a`` in [0, 1] (PIL on a supersampled canvas, downsampled by box
averaging, so edges are antialiased) and composited as ``out = (1 - a) * image + a * colour``. The returned
mask is computed afterwards as "pixels whose value changed", so it is exact by construction.

Registered artefacts (see :func:`list_artefacts`): ``laterality_marker``, ``text_token``, ``timestamp``,
``ruler``, ``ecg_electrode``, ``pen_mark``, ``dark_corner`` and ``patch``. :func:`confound` adds one of them
to a dataset with a class-dependent probability, which is how a shortcut is planted.

Adding an artefact: decorate ``make(ctx: ArtefactContext, *, option=default, ...) -> ArtefactShape`` with
:func:`register_artefact`. ``make`` sizes the artefact from ``ctx.size`` (pixels), takes every random choice
from ``ctx.rng`` and returns either a ``patch`` alpha (usually drawn with :func:`draw_patch` and a
:class:`Pen`) or a ``paint(y0, x0)`` function for artefacts that reach beyond their box. The tests pick it up
automatically.

Layout: :mod:`.base` (registry, context, shape), :mod:`.pen` (drawing), :mod:`.library` (the artefacts),
:mod:`.placement` (:func:`add_artefact`), :mod:`.confounding` (:func:`confound`).
"""

from __future__ import annotations

from . import library as _library  # noqa: F401 (registers the artefacts)
from .base import (
    ARTEFACTS,
    FIXED_POSITIONS,
    MARGIN,
    MIN_SIDE,
    POSITIONS,
    ArtefactContext,
    ArtefactInfo,
    ArtefactShape,
    Colour,
    list_artefacts,
    register_artefact,
)
from .confounding import CONDITIONS, ConfoundedDataset, ConfoundSpec, condition_spec, confound
from .pen import Pen, draw_patch
from .placement import Artefacted, add_artefact, central_region, check_artefact

__all__ = [
    "ARTEFACTS",
    "CONDITIONS",
    "FIXED_POSITIONS",
    "MARGIN",
    "MIN_SIDE",
    "POSITIONS",
    "ArtefactContext",
    "ArtefactInfo",
    "ArtefactShape",
    "Artefacted",
    "Colour",
    "ConfoundSpec",
    "ConfoundedDataset",
    "Pen",
    "add_artefact",
    "central_region",
    "check_artefact",
    "condition_spec",
    "confound",
    "draw_patch",
    "list_artefacts",
    "register_artefact",
]
