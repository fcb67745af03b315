"""Shortcut lab: a clean and a shortcut-trained model on the same film, with the artefact added, moved or
removed, and both models' test-set table under none/aligned/swapped artefacts."""

from __future__ import annotations

from dataclasses import replace

import gradio as gr
from PIL import Image

from ...artefacts import FIXED_POSITIONS, list_artefacts
from ...errors import XaiDemoError
from ...progress import Progress
from ...viz import overlay
from .. import logic
from ..context import Handlers
from ..logic import dataset_available
from ..page import Page
from ..session import Session
from ..table import compute_table, find_table, table_markdown
from ..text import artefact_name, t


class ShortcutHandlers(Handlers):
    def shortcut(self, session: Session, pair_key: str, add: bool, artefact: str, position: str, scale: float,
                 method: str) -> tuple[Session, Image.Image | None, Image.Image | None, str, str]:
        """Both models on the current image with or without the artefact (``scale``: its size in percent of the
        image side): (session, clean picture, shortcut picture, clean markdown, shortcut markdown)."""
        lang = session.lang
        pair = self.ctx.pair(pair_key)
        if pair is None:
            return session, None, None, t("shortcut.no_pair", lang), ""
        if session.image is None:
            return session, None, None, t("error.no_image", lang), ""
        options = dict(pair.shortcut.options) if artefact == pair.shortcut.artefact else {}
        settings = logic.ArtefactSettings(artefact if add else None, position, scale / 100 if scale else None, options)
        try:
            comparison = logic.compare(pair, session.image, settings, method)
        except ValueError as exc:
            return session, None, None, t("error.generic", lang, error=exc), ""
        session = replace(session, comparison=comparison)
        return (session, *self.comparison_view(session))

    def comparison_view(self, session: Session) -> tuple[str | None, str | None, str, str]:
        """The current comparison in the session's language: (clean picture, shortcut picture, clean markdown,
        shortcut markdown); the model names are drawn in the pictures."""
        comparison, lang = session.comparison, session.lang
        if comparison is None:
            return None, None, "", ""
        method = next(iter(comparison.clean.maps))
        pictures = [overlay(r.image, r.maps[method], alpha=0.55, size=logic.DISPLAY, mask=comparison.mask,
                            caption=t(f"shortcut.{w}_model", lang))
                    for w, r in (("clean", comparison.clean), ("shortcut", comparison.shortcut))]
        return (self.out(pictures[0]), self.out(pictures[1]),
                logic.comparison_text(comparison, "clean", method, lang),
                logic.comparison_text(comparison, "shortcut", method, lang))

    def table(self, session: Session, pair_key: str, compute: bool = False, progress: Progress | None = None
              ) -> str:
        """The none/aligned/swapped table of the pair (computed and cached when ``compute``)."""
        pair = self.ctx.pair(pair_key)
        if pair is None:
            return t("shortcut.no_pair", session.lang)
        live = compute and dataset_available(self.ctx.root, pair.shortcut.dataset)  # the test split is here
        table = None if live else find_table(pair, self.ctx.reports_dir)
        if table is None and compute:
            try:
                table = compute_table(pair, self.ctx.root, on_progress=progress)
            except XaiDemoError as exc:
                return t("error.generic", session.lang, error=exc)
        return table_markdown(table, session.lang)


def artefact_choices(lang: str, none: bool = False) -> list[tuple[str, str]]:
    """(label, name) of every registered artefact, after "no artefact" when ``none``."""
    return ([(t("art.none", lang), "none")] if none else []) + [(artefact_name(a, lang), a) for a in list_artefacts()]


def _position_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(f"pos.{p}", lang), p) for p in FIXED_POSITIONS]


def build(page: Page) -> None:
    """The Shortcut lab tab: settings on the left, the two models side by side, the test-set table below."""
    ctx, cb, tr, lang, state = page.ctx, page.cb, page.tr, page.lang, page.state
    default_pair = ctx.pairs[0] if ctx.pairs else None

    def pair_choices(lg: str) -> list[tuple[str, str]]:
        return [(p.label(lg), p.key) for p in ctx.pairs]

    with tr(gr.Tab(t("tab.shortcut", lang), id="shortcut", elem_id="tab-shortcut"), label="tab.shortcut"):
        tr(gr.Markdown(t("shortcut.intro", lang)), value="shortcut.intro")
        if not ctx.pairs:
            tr(gr.Markdown(t("shortcut.no_pair", lang)), value="shortcut.no_pair")
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                pair_dd = tr(gr.Dropdown(pair_choices(lang), value=default_pair.key if default_pair else None,
                                         label=t("shortcut.pair", lang), elem_id="pair"),
                             label="shortcut.pair", choices=pair_choices)
                add_cb = tr(gr.Checkbox(True, label=t("shortcut.add", lang), elem_id="add-artefact"),
                            label="shortcut.add")
                art_dd = tr(gr.Dropdown(artefact_choices(lang),
                                        value=default_pair.shortcut.artefact if default_pair else "laterality_marker",
                                        label=t("shortcut.artefact", lang), elem_id="artefact",
                                        elem_classes=["xai-advanced"]),
                            label="shortcut.artefact", choices=artefact_choices)
                pos_dd = tr(gr.Dropdown(_position_choices(lang), value="top_left", label=t("shortcut.position", lang),
                                        elem_id="position"), label="shortcut.position", choices=_position_choices)
                scale_sl = tr(gr.Slider(5, 40, value=15, step=1, label=t("shortcut.scale", lang),
                                        elem_id="scale", elem_classes=["xai-advanced"]), label="shortcut.scale")
                sc_method = tr(gr.Dropdown(logic.method_choices(lang), value="gradcam",
                                           label=t("shortcut.method", lang), elem_id="shortcut-method"),
                               label="shortcut.method", choices=logic.method_choices)
                sc_btn = tr(gr.Button(t("shortcut.run", lang), variant="primary", elem_id="compare"),
                            value="shortcut.run")
            with gr.Column(scale=3), gr.Row():
                with gr.Column():
                    clean_img = tr(gr.Image(label=t("shortcut.clean_model", lang), type="filepath",
                                            interactive=False, buttons=["fullscreen"], elem_id="clean-picture",
                                            show_label=False),  # the name is drawn in the picture
                                   label="shortcut.clean_model")
                    clean_md = gr.Markdown("", elem_id="clean-text")
                with gr.Column():
                    short_img = tr(gr.Image(label=t("shortcut.shortcut_model", lang), type="filepath",
                                            interactive=False, buttons=["fullscreen"], elem_id="shortcut-picture",
                                            show_label=False),  # the name is drawn in the picture
                                   label="shortcut.shortcut_model")
                    short_md = gr.Markdown("", elem_id="shortcut-text")
        table_md = gr.Markdown(cb.table(page.state.value, default_pair.key) if default_pair else "",
                               elem_id="table")
        table_btn = tr(gr.Button(t("shortcut.table_compute", lang), size="sm", elem_id="table-btn"),
                       value="shortcut.table_compute")
        tr(gr.Markdown(t("shortcut.refs", lang), elem_id="refs"), value="shortcut.refs")

    # ---------------------------------------------------------------- events
    sc_inputs = [state, pair_dd, add_cb, art_dd, pos_dd, scale_sl, sc_method]
    sc_outputs = [state, clean_img, short_img, clean_md, short_md]
    sc_btn.click(cb.shortcut, sc_inputs, sc_outputs, concurrency_limit=4).then(
        lambda st, k: cb.table(st, k), [state, pair_dd], [table_md])
    for comp in (add_cb, pos_dd, sc_method, art_dd):
        comp.input(cb.shortcut, sc_inputs, sc_outputs, concurrency_limit=4)
    scale_sl.release(cb.shortcut, sc_inputs, sc_outputs, concurrency_limit=4)

    def on_pair(st: Session, key: str):
        pair = ctx.pair(key)
        return cb.table(st, key), gr.update(value=pair.shortcut.artefact if pair else None)

    pair_dd.input(on_pair, [state, pair_dd], [table_md, art_dd]).then(cb.shortcut, sc_inputs, sc_outputs)

    def on_table(st: Session, key: str, progress=gr.Progress()):  # noqa: B008 (gradio's idiom)
        return cb.table(st, key, compute=True, progress=lambda f, msg: progress(f, desc=msg))

    table_btn.click(on_table, [state, pair_dd], [table_md], concurrency_limit=1)
    if ctx.pairs:
        page.on_open([table_md], lambda st, k: cb.table(st, k), [state, pair_dd])  # the warm-up may have made it

    def on_language(st: Session, key: str) -> tuple:
        return (cb.table(st, key) if ctx.pairs else gr.update(), *cb.comparison_view(st))

    page.on_language([table_md, clean_img, short_img, clean_md, short_md], on_language, [pair_dd])
