"""Sanity: randomise the model layer by layer (Adebayo et al. 2018) and watch which maps change."""

from __future__ import annotations

from dataclasses import replace

import gradio as gr
import numpy as np

from ...explain import get_method
from ...viz import grid, overlay
from .. import logic
from ..context import Handlers
from ..page import Page
from ..session import SanityRun, Session
from ..text import t

SANITY_DEFAULT = ["gradcam", "guided_backprop", "saliency"]


class SanityHandlers(Handlers):
    def sanity(self, session: Session, model_key: str, methods: list[str]) -> tuple[Session, int]:
        """Randomise the model layer by layer on the current image; returns (session, number of stages)."""
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
        return replace(session, sanity=SanityRun(result, image)), len(result.stages) - 1

    def sanity_view(self, session: Session, stage: int) -> tuple[str | None, str]:
        """One picture (a row per method: trained map, map after ``stage`` randomised layers) and a verdict
        per method."""
        lang, run = session.lang, session.sanity
        if run is None:
            return None, t("error.no_image", lang)
        result, image = run.result, run.image
        stage = int(max(0, min(stage, len(result.stages) - 1)))
        panels, rows = [], []
        done = ", ".join(result.stages[1 : stage + 1]) or t("sanity.none", lang)
        rows.append(t("sanity.stage_line", lang, stages=done))
        for m in result.methods:
            label = get_method(m).label
            panels += [overlay(image, result.maps[m][k], size=300, legend=False, alpha=0.7, mode="absolute")
                       for k in (0, stage)]
            if stage > 0:
                rho = float(result.spearman[m][stage])
                verdict = t("sanity.fail" if rho > 0.5 else "sanity.pass", lang)
                rows.append(t("sanity.row", lang, method=label, rho=rho, verdict=verdict))
        picture = grid(panels, 2, titles=[t("sanity.col_trained", lang), t("sanity.col_random", lang, k=stage)],
                       row_titles=[get_method(m).label for m in result.methods])
        return self.out(picture), "\n".join(rows)


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
                san_methods = tr(gr.CheckboxGroup([(get_method(m).label, m) for m in logic.SANITY_METHODS],
                                                  value=SANITY_DEFAULT, label=t("sanity.methods", lang),
                                                  elem_id="sanity-methods"), label="sanity.methods")
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
        st, n = cb.sanity(st, key, methods)
        items, text = cb.sanity_view(st, n)
        return st, gr.update(maximum=max(n, 1), value=n), items, text

    san_btn.click(on_sanity, [state, san_model, san_methods], [state, stage_sl, san_gallery, san_md],
                  concurrency_limit=2)
    stage_sl.change(cb.sanity_view, [state, stage_sl], [san_gallery, san_md], concurrency_limit=4,
                    trigger_mode="always_last")  # dragging: only the latest position is drawn
    page.on_language([san_model], lambda st: (gr.update(choices=cb.model_choices(st)),))
