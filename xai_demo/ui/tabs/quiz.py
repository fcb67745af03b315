"""Quiz: is this map looking at the pathology or at the burnt-in artefact? Answers are measured, not guessed."""

from __future__ import annotations

from dataclasses import replace

import gradio as gr
import numpy as np

from ...viz import overlay
from .. import logic
from ..context import Handlers
from ..page import Page
from ..session import Session
from ..text import class_name, t


class QuizHandlers(Handlers):
    def quiz_images(self) -> list[np.ndarray]:
        """The curated full-size films (the quiz draws its pictures from them)."""
        return [c.pixels() for c in self.ctx.cases if c.array is None]

    def quiz_next(self, session: Session) -> tuple[Session, str | None, str]:
        """Draw the next question: (session, picture, markdown)."""
        lang = session.lang
        pair = self.ctx.pairs[0] if self.ctx.pairs else None
        images = self.quiz_images() if pair else []
        if pair is None or not images:
            return session, None, t("quiz.unavailable", lang)
        number = session.quiz.number + 1
        item = self.ctx.cache.get_or_compute(("quiz", pair.key, number),
                                             lambda: logic.make_question(pair, images, number))
        session = replace(session, quiz=replace(session.quiz, number=number, item=item, answered=False, given=None))
        picture = self.ctx.store.remember(("quiz", pair.key, number), lambda: self.out(
            overlay(item.image, item.map, alpha=0.6, size=logic.DISPLAY + 64)))
        return session, picture, self.quiz_question(session)

    def quiz_question(self, session: Session) -> str:
        """The current question's text (the invitation to start before the first)."""
        lang, item = session.lang, session.quiz.item
        if item is None:
            return t("quiz.start", lang)
        label = class_name(item.predicted_label, lang)
        return t("quiz.question", lang, n=session.quiz.number, label=label, p=item.probability)

    def quiz_reveal(self, session: Session) -> str:
        """The reveal of the current question for the first answer given ("" before an answer)."""
        item, given = session.quiz.item, session.quiz.given
        return "" if item is None or given is None else logic.quiz_reveal(item, given, session.lang)

    def quiz_answer(self, session: Session, answer: str) -> tuple[Session, str | None, str, str]:
        """Record an answer: (session, picture with the artefact outlined, reveal markdown, score markdown)."""
        item = session.quiz.item
        if item is None:
            return session, None, t("quiz.start", session.lang), self.quiz_score(session)
        session = replace(session, quiz=session.quiz.answer(answer))
        key = ("quiz answer", self.ctx.pairs[0].key, session.quiz.number)  # the same picture for every student
        picture = self.ctx.store.remember(key, lambda: self.out(
            overlay(item.image, item.map, alpha=0.6, size=logic.DISPLAY + 64, mask=item.mask)))
        return session, picture, self.quiz_reveal(session), self.quiz_score(session)

    def quiz_score(self, session: Session) -> str:
        return t("quiz.score", session.lang, right=session.quiz.right, total=session.quiz.total)


def build(page: Page) -> None:
    """The Quiz tab: the picture on the left, the question, two answers, the reveal and the score."""
    cb, tr, lang, state = page.cb, page.tr, page.lang, page.state
    with tr(gr.Tab(t("tab.quiz", lang), id="quiz", elem_id="tab-quiz"), label="tab.quiz"):
        tr(gr.Markdown(t("quiz.intro", lang)), value="quiz.intro")
        with gr.Row():
            with gr.Column(scale=2):
                picture = gr.Image(type="filepath", interactive=False, show_label=False, buttons=["fullscreen"],
                                   elem_id="quiz-picture")
            with gr.Column(scale=2):
                question_md = gr.Markdown(t("quiz.start", lang), elem_id="quiz-text")
                with gr.Row():
                    pathology_btn = tr(gr.Button(t("quiz.pathology", lang), elem_id="quiz-pathology"),
                                       value="quiz.pathology")
                    artefact_btn = tr(gr.Button(t("quiz.artefact", lang), elem_id="quiz-artefact"),
                                      value="quiz.artefact")
                next_btn = tr(gr.Button(t("quiz.next", lang), variant="primary", elem_id="quiz-next"),
                              value="quiz.next")
                reveal_md = gr.Markdown("", elem_id="quiz-reveal")
                score_md = gr.Markdown(t("quiz.score", lang, right=0, total=0), elem_id="quiz-score")

    # ---------------------------------------------------------------- events
    next_btn.click(lambda st: (*cb.quiz_next(st), ""), [state], [state, picture, question_md, reveal_md],
                   concurrency_limit=4)
    def answer_with(answer: str):
        return lambda st: cb.quiz_answer(st, answer)

    for button, answer in ((pathology_btn, "pathology"), (artefact_btn, "artefact")):
        button.click(answer_with(answer), [state], [state, picture, reveal_md, score_md])
    page.on_language([question_md, reveal_md, score_md],
                     lambda st: (cb.quiz_question(st), cb.quiz_reveal(st), cb.quiz_score(st)))
