"""Sanity: randomise the model layer by layer (Adebayo et al. 2018) and watch which maps change."""

from __future__ import annotations

from dataclasses import replace

import gradio as gr
import numpy as np

from ...viz import grid, overlay
from .. import logic
from ..context import Handlers
from ..page import Page
from ..session import SanityRun, Session
from ..story import failing_stage, sanity_story, stage_name
from ..text import method_name, t

SANITY_DEFAULT = ["gradcam", "guided_backprop", "saliency"]
PANEL = 360  # side of each map in the figure: labels are drawn in proportion, legible on a projector


class SanityHandlers(Handlers):
    def sanity(self, session: Session, model_key: str, methods: list[str]) -> tuple[Session, int]:
        """Randomise the model layer by layer on the current image; returns (session, the stage to show first:
        the one where most methods still draw the trained model's picture, see :func:`failing_stage`)."""
        from ...sanity import cascading_randomisation

        entry = self.ctx.entry(model_key, session)
        if entry is None or session.image is None:
            return session, 0
        chosen = [m for m in (methods or []) if m] or ["gradcam"]
        methods = [m for m in logic.SANITY_METHODS if m in chosen]
        methods += [m for m in chosen if m not in methods]
        image = logic.square(session.image, entry.size).astype(np.float32) / 255.0
        key = None
        if session.case and not entry.key.startswith("user:"):
            key = ("sanity", entry.key, session.case, tuple(methods))
        result = self.ctx.cache.get_or_compute(key, lambda: cascading_randomisation(entry.model, [image], methods))
        return replace(session, sanity=SanityRun(result, image)), failing_stage(result)

    def sanity_view(self, session: Session, stage: int) -> tuple[str | None, str]:
        """One picture (a row per method: trained map, map after ``stage`` randomised layers) and, in words,
        which methods still draw the same picture and what that means."""
        lang, run = session.lang, session.sanity
        if run is None:
            return None, t("error.no_image", lang)
        result, image = run.result, run.image
        n = len(result.stages) - 1
        stage = int(max(0, min(stage, n)))
        panels = [overlay(image, result.maps[m][k], size=PANEL, legend=False, alpha=0.7, mode="absolute")
                  for m in result.methods for k in (0, stage)]
        names = [method_name(m, lang) for m in result.methods]
        titles = [t("sanity.col_trained", lang), t("sanity.col_random", lang, stage=stage_name(stage, n, lang))]
        picture = grid(panels, 2, titles=titles,
                       row_titles=[name.replace(" (", "\n(") for name in names])
        return self.out(picture), sanity_story(result, stage, lang)

    def sanity_stages(self, session: Session) -> int:
        """The number of randomisation stages of the current run (0 without one)."""
        return 0 if session.sanity is None else len(session.sanity.result.stages) - 1


def method_options(lang: str) -> list[tuple[str, str]]:
    """(name in ``lang``, method) for the sanity check's methods."""
    return [(method_name(m, lang), m) for m in logic.SANITY_METHODS]


def build(page: Page) -> None:
    """The Sanity tab: model and methods on the left, a stage slider, the maps trained vs randomised."""
    ctx, cb, tr, lang, state = page.ctx, page.cb, page.tr, page.lang, page.state
    with tr(gr.Tab(t("tab.sanity", lang), id="sanity", elem_id="tab-sanity"), label="tab.sanity"):
        tr(gr.Markdown(t("sanity.intro", lang)), value="sanity.intro")
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                san_model = tr(gr.Dropdown(cb.model_choices(state.value), value=next(iter(ctx.models), None),
                                           label=t("sanity.model", lang), elem_id="sanity-model"),
                               label="sanity.model")
                san_methods = tr(gr.CheckboxGroup(method_options(lang), value=SANITY_DEFAULT,
                                                  label=t("sanity.methods", lang), elem_id="sanity-methods"),
                                 label="sanity.methods", choices=method_options)
                san_btn = tr(gr.Button(t("sanity.run", lang), variant="primary", elem_id="sanity-run"),
                             value="sanity.run")
                stage_sl = tr(gr.Slider(0, 1, value=0, step=1, label=t("sanity.stage", lang), elem_id="stage"),
                              label="sanity.stage")
                san_md = gr.Markdown("", elem_id="sanity-text")
            with gr.Column(scale=3):
                tr(gr.Markdown(f"**{t('sanity.maps', lang)}**"), value=lambda lg: f"**{t('sanity.maps', lg)}**")
                san_gallery = gr.Image(type="filepath", interactive=False, show_label=False, buttons=["fullscreen"],
                                       elem_id="sanity-maps")
    page.model_dropdowns.append(san_model)

    # ---------------------------------------------------------------- events
    def on_sanity(st: Session, key: str, methods: list[str]):
        st, first = cb.sanity(st, key, methods)
        items, text = cb.sanity_view(st, first)
        return st, gr.update(maximum=max(cb.sanity_stages(st), 1), value=first), items, text

    san_btn.click(on_sanity, [state, san_model, san_methods], [state, stage_sl, san_gallery, san_md],
                  concurrency_limit=2)
    stage_sl.change(cb.sanity_view, [state, stage_sl], [san_gallery, san_md], concurrency_limit=4,
                    trigger_mode="always_last")  # dragging: only the latest position is drawn
    def on_language(st: Session, stage: int) -> tuple:
        picture, text = cb.sanity_view(st, stage) if st.sanity is not None else (gr.update(), "")
        return gr.update(choices=cb.model_choices(st)), picture, text

    page.on_language([san_model, san_gallery, san_md], on_language, [stage_sl])
