"""One visitor's state: immutable values kept in ``gr.State`` and replaced (never mutated) by each event.

No gradio here. Handlers return ``dataclasses.replace(session, ...)``; a session shared by reference between
two events can therefore never change under either of them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..input_check import InputCheck
    from ..sanity import SanityResult
    from .logic import Comparison, MapResult, QuizItem
    from .shelf import LoadedModel


@dataclass(frozen=True, eq=False)
class QuizState:
    """The quiz so far: question ``number`` (0 before the first), its ``item``, the answer ``given`` to it (None
    until answered), and the score."""

    number: int = 0
    item: QuizItem | None = None
    answered: bool = True
    right: int = 0
    total: int = 0
    given: str | None = None

    def answer(self, answer: str) -> QuizState:
        """The state after ``answer`` ("pathology" or "artefact"); only the first answer to a question counts,
        for the score and for the verdict shown (a second click cannot turn "Correct!" into "Not this time")."""
        if self.item is None or self.answered:
            return self
        return replace(self, answered=True, given=answer, total=self.total + 1,
                       right=self.right + int(answer == self.item.answer))


@dataclass(frozen=True, eq=False)
class SanityRun:
    """A cascading randomisation of the current image: the result and the image (H, W) floats in [0, 1]."""

    result: SanityResult
    image: np.ndarray


@dataclass(frozen=True, eq=False)
class TrainingRun:
    """The last live training of this session, kept to tell its result again in another language."""

    seconds: float
    model_key: str
    artefact: str | None
    test: dict
    effect: dict | None


@dataclass(frozen=True, eq=False)
class Session:
    """What one visitor has on screen.

    Attributes:
        lang: interface language ("en" or "fr").
        image: the current picture, (H, W) uint8, or None.
        case: id of the curated case shown (None for an upload); ``case_index`` its place in the deck (-1: none).
        result, result_model: the last explanation and the key of the model that made it.
        user_models: models this visitor trained (never shown to anyone else).
        quiz, sanity, comparison, training: the state of the Quiz, Sanity, Shortcut and Train tabs.
        check: the input check of an uploaded image (None for a curated case or no image).
        region: the region last drawn and measured on the current image, (S, S) bool at the maps' size, or None.
    """

    lang: str = "en"
    image: np.ndarray | None = None
    case: str | None = None
    case_index: int = -1
    result: MapResult | None = None
    result_model: str | None = None
    user_models: tuple[LoadedModel, ...] = ()
    quiz: QuizState = QuizState()
    sanity: SanityRun | None = None
    comparison: Comparison | None = None
    training: TrainingRun | None = None
    check: InputCheck | None = None
    region: np.ndarray | None = None

    def user_model(self, key: str | None) -> LoadedModel | None:
        """This visitor's model ``key`` ("user:N"), or None."""
        return next((m for m in self.user_models if m.key == key), None)


def new_state(lang: str) -> Session:
    """A fresh session: no image, no maps, no user models, quiz at zero."""
    return Session(lang=lang)


__all__ = ["QuizState", "SanityRun", "Session", "TrainingRun", "new_state"]
