"""Every tab's handlers on one object (``demo.xai_callbacks``), and the background warm-up that precomputes
what a lecture shows first."""

from __future__ import annotations

import logging
import threading

from .context import AppContext
from .logic import dataset_available
from .session import new_state
from .shelf import Pair
from .table import compute_table, find_table
from .tabs.explore import DEFAULT_ALPHA, DEFAULT_METHODS, ExploreHandlers
from .tabs.quiz import QuizHandlers
from .tabs.sanity import SANITY_DEFAULT, SanityHandlers
from .tabs.shortcut import ShortcutHandlers
from .tabs.train import TrainHandlers

log = logging.getLogger(__name__)


class Callbacks(ExploreHandlers, ShortcutHandlers, SanityHandlers, TrainHandlers, QuizHandlers):
    """The plain handlers of every tab (tests call them directly); see each tab module."""

    def __init__(self, ctx: AppContext, lecture: bool = False) -> None:
        super().__init__(ctx, lecture)
        self.stop_warm_up = threading.Event()  # set to end a background warm-up early (shutdown, tests)
        self.warmed = threading.Event()  # set once a warm-up has gone through its list (reported by /healthz)

    def warm_up(self, methods: tuple[str, ...] = tuple(DEFAULT_METHODS), questions: int = 12,
                tables: bool | None = None) -> int:
        """Precompute the curated cases with every shared model, the first quiz questions and (in lecture mode,
        or if ``tables``) the sanity checks of the cases and the shortcut test-set tables, so that nothing stalls
        on the projector. Returns the number of results computed. Meant to run in a background thread."""
        heavy = self.lecture if tables is None else tables
        first_model = next(iter(self.ctx.models), None)
        steps = [*self._explore_steps(methods), *self._quiz_steps(questions)]
        if heavy:
            steps += [*self._sanity_steps(first_model), *self._table_steps()]
        done = 0
        for what, step in steps:
            if self.stop_warm_up.is_set():
                break
            try:
                done += int(step() is not False)
            except Exception as exc:  # a warm-up failure must never stop the server
                log.warning("warm-up of %s failed: %s", what, exc)
        self.warmed.set()
        return done

    def _explore_steps(self, methods: tuple[str, ...]) -> list:
        return [(f"case {i} with {key}",
                 lambda i=i, key=key: self.explore(self.case_image(i, new_state("en")), key, list(methods),
                                                   DEFAULT_ALPHA, "positive"))
                for key in self.ctx.models  # the default model first: the deck a lecturer walks is instant soonest
                for i in range(len(self.ctx.cases))]

    def _quiz_steps(self, questions: int) -> list:
        session = [new_state("en")]  # each question follows the previous one

        def next_question() -> None:
            session[0] = self.quiz_next(session[0])[0]

        return [(f"quiz question {n + 1}", next_question) for n in range(questions if self.ctx.pairs else 0)]

    def _sanity_steps(self, model: str | None) -> list:
        return [(f"the sanity check of case {i}",
                 lambda i=i: self.sanity(self.case_image(i, new_state("en")), model, SANITY_DEFAULT))
                for i in range(len(self.ctx.cases)) if model]

    def _table_steps(self) -> list:
        def table(pair: Pair) -> bool:  # computed only when missing and the test split is here
            if find_table(pair, self.ctx.reports_dir) is not None:
                return False
            if not dataset_available(self.ctx.root, pair.shortcut.dataset):
                return False
            compute_table(pair, self.ctx.root)
            return True

        return [(f"the {pair.key} table", lambda pair=pair: table(pair)) for pair in self.ctx.pairs]


__all__ = ["Callbacks"]
