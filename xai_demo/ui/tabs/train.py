"""Train: a small model trained live, for this session only, with a chosen artefact and confounding rate."""

from __future__ import annotations

import queue
import threading
from dataclasses import replace

import gradio as gr

from ...errors import XaiDemoError
from ...progress import Progress
from .. import logic
from ..context import Handlers
from ..page import Page
from ..session import Session, TrainingRun
from ..shelf import entry_from_checkpoint
from ..story import artefact_effect, training_step, training_story
from ..text import dataset_name, t
from .shortcut import artefact_choices

TRAIN_LIMITS = {"pneumoniamnist@28": 3000, "kermany@64": 1200,  # about 10-30 s of training on 2 cores
                "pneumoniamnist_sample@28": 2000, "kermany_sample@64": 1000}  # the whole embedded bundle
DEFAULT_LIMIT = 1500
# clicks handled beside the running trainings: they find the bench full and answer "busy, try again in N s" at
# once (with a limit equal to the slots they would wait in Gradio's queue until the page gives up)
BUSY_ANSWERS = 8


class TrainHandlers(Handlers):
    def train(self, session: Session, choice_key: str, artefact: str, confound: float, confound_negative: float,
              epochs: int, limit: int, progress: Progress | None = None, block: bool = True) -> tuple[Session, str]:
        """Train a small model for this session only, then measure it with and without its artefact; returns
        (session, markdown telling what happened). ``progress`` gets (fraction, message) while training and
        (1.0, "measuring") before the measure. With ``block=False`` a full training bench answers at once with
        "busy, try again in N s" (the page's way) instead of waiting for a slot."""
        from ...train import train

        lang = session.lang
        choice = next((c for c in self.ctx.train_choices if c.key == choice_key), None)
        if choice is None:
            return session, t("train.no_data", lang)
        with self.ctx.train_gate.enter(block) as entered:
            if not entered:
                return session, t("train.busy", lang, seconds=self.ctx.train_gate.wait_estimate())
            try:
                cfg = logic.train_config(choice, self.ctx.root, None if artefact in (None, "", "none") else artefact,
                                         confound, confound_negative, epochs, limit)
                checkpoint = train(cfg, on_progress=progress)
                if progress is not None and cfg.artefact:
                    progress(1.0, "measuring")
                effect = artefact_effect(checkpoint, self.ctx.root) if cfg.artefact else None
            except (XaiDemoError, ValueError) as exc:
                return session, t("train.failed", lang, error=exc)
        number = len(session.user_models) + 1
        entry = entry_from_checkpoint(f"user:{number}", checkpoint, user_number=number)
        run = TrainingRun(checkpoint.metrics["train_seconds"], entry.key, cfg.artefact, checkpoint.metrics["test"],
                          effect)
        session = replace(session, user_models=(*session.user_models, entry), training=run)
        return session, self.train_text(session)

    def train_text(self, session: Session) -> str:
        """The last training's result in words, in the session's language ("" before any)."""
        run = session.training
        if run is None:
            return ""
        model = session.user_model(run.model_key)
        name = model.label(session.lang) if model else run.model_key
        return training_story(run.seconds, name, run.artefact, run.test, run.effect, session.lang)


def progress_text(fraction: float | None, message: str, epochs: int, lang: str) -> str:
    """The line shown while training: loading, an epoch and a percentage, or measuring."""
    if fraction is None:
        return t("train.loading", lang)
    if message == "measuring":
        return t("train.measuring", lang)
    return training_step(fraction, epochs, lang)


def build(page: Page) -> None:
    """The Train tab: data, artefact, confounding and budget on the left, the result on the right. A trained
    model joins the page's model dropdowns for this session."""
    ctx, cb, tr, lang, state = page.ctx, page.cb, page.tr, page.lang, page.state
    first = ctx.train_choices[0].key if ctx.train_choices else None

    def data_choices(lg: str) -> list[tuple[str, str]]:
        return [(t("train.data_option", lg, dataset=dataset_name(c.dataset, lg), size=c.size), c.key)
                for c in ctx.train_choices]

    with tr(gr.Tab(t("tab.train", lang), id="train", elem_id="tab-train"), label="tab.train"):
        tr(gr.Markdown(t("train.intro", lang)), value="train.intro")
        if not ctx.train_choices:
            tr(gr.Markdown(t("train.no_data", lang)), value="train.no_data")
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                data_dd = tr(gr.Dropdown(data_choices(lang), value=first, label=t("train.data", lang),
                                         elem_id="train-data"), label="train.data", choices=data_choices)
                art_dd = tr(gr.Dropdown(artefact_choices(lang, none=True), value="laterality_marker",
                                        label=t("train.artefact", lang), elem_id="train-artefact"),
                            label="train.artefact", choices=lambda lg: artefact_choices(lg, none=True))
                conf_sl = tr(gr.Slider(0, 100, value=90, step=5, label=t("train.confound", lang),
                                       elem_id="train-confound"), label="train.confound")
                neg_sl = tr(gr.Slider(0, 100, value=0, step=5, label=t("train.confound_neg", lang),
                                      elem_id="train-confound-neg", elem_classes=["xai-advanced"]),
                            label="train.confound_neg")
                epochs_sl = tr(gr.Slider(1, 6, value=3, step=1, label=t("train.epochs", lang),
                                         elem_id="train-epochs", elem_classes=["xai-advanced"]),
                               label="train.epochs")
                limit_sl = tr(gr.Slider(200, 5000, value=TRAIN_LIMITS.get(first or "", DEFAULT_LIMIT), step=100,
                                        label=t("train.limit", lang), elem_id="train-limit",
                                        elem_classes=["xai-advanced"]), label="train.limit")
                run_btn = tr(gr.Button(t("train.run", lang), variant="primary", elem_id="train-run"),
                             value="train.run")
            with gr.Column(scale=2):
                progress_md = gr.Markdown("", elem_id="train-progress", min_height=40)
                result_md = gr.Markdown("", elem_id="train-text")

    # ---------------------------------------------------------------- events
    dropdowns = list(page.model_dropdowns)

    def on_train(st: Session, choice, art, conf, neg, epochs, limit):
        """Yields the progress line at once and every half second while a worker thread trains, then the result."""
        lang, updates = st.lang, queue.Queue()
        keep = (gr.skip(),) * (1 + len(dropdowns))
        yield (gr.skip(), progress_text(None, "", int(epochs), lang), *keep)
        done: list = []
        worker = threading.Thread(
            target=lambda: done.append(cb.train(st, choice, art, conf, neg, epochs, limit,
                                                progress=lambda f, msg: updates.put((f, msg)), block=False)),
            name="xai-train", daemon=True)
        worker.start()
        last = None
        while worker.is_alive() or not updates.empty():
            worker.join(timeout=0.5)
            while not updates.empty():
                last = updates.get()
            if last is not None:
                yield (gr.skip(), progress_text(*last, int(epochs), lang), *keep)
        st, text = done[0] if done else (st, t("train.failed", lang, error="the training thread stopped"))
        choices = cb.model_choices(st)
        new_key = st.user_models[-1].key if st.user_models else None
        first_update = gr.update(choices=choices, value=new_key or gr.skip())
        yield (st, "", text, first_update, *[gr.update(choices=choices) for _ in dropdowns[1:]])

    data_dd.input(lambda key: gr.update(value=TRAIN_LIMITS.get(key, DEFAULT_LIMIT)), [data_dd], [limit_sl])
    run_btn.click(on_train, [state, data_dd, art_dd, conf_sl, neg_sl, epochs_sl, limit_sl],
                  [state, progress_md, result_md, *dropdowns], concurrency_limit=ctx.train_gate.slots + BUSY_ANSWERS,
                  concurrency_id="train", show_progress="hidden")
    page.on_language([result_md], lambda st: (cb.train_text(st),))
