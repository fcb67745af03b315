"""Explore: pick a curated case or upload a film, explain it with several methods, measure a drawn region."""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import replace

import gradio as gr
import numpy as np
from PIL import Image

from ...data import IMAGE_SUFFIXES
from ...errors import ImageError
from ...images import load_image
from ...input_check import check_image
from .. import logic
from ..context import Handlers
from ..page import Page, warn
from ..session import Session
from ..story import check_warning
from ..text import class_name, t

log = logging.getLogger(__name__)

DEFAULT_METHODS = ["gradcam", "guided_backprop"]
DEFAULT_ALPHA = 0.55  # the maps' opacity when the page opens
BRUSH_COLOURS = ["#00e5ff", "#ff3bd4"]
MODES = ("positive", "absolute", "signed")
PREDICTED = -1  # the "explained class" choice meaning: the class the model predicts


class ExploreHandlers(Handlers):
    def case_image(self, index: int, session: Session) -> Session:
        """Make case ``index`` (modulo the number of cases) the session's current image."""
        index %= len(self.ctx.cases)
        case = self.ctx.cases[index]
        return replace(session, image=case.pixels(), case=case.id, case_index=index, check=None, region=None)

    def upload_image(self, path: str | None, session: Session) -> tuple[Session, str | None]:
        """Read an uploaded file into the session (the temporary file is deleted at once).

        Returns the new session and an error message (None when the image was read).
        """
        lang = session.lang
        cleared = replace(session, image=None, case=None, case_index=-1, result=None, result_model=None, check=None,
                          region=None)
        if not path:
            return cleared, t("error.no_image", lang)
        try:
            picture = load_image(path, "RGB")
            check = check_image(picture)
            pixels = np.asarray(picture.convert("L"), dtype=np.uint8)
        except ImageError as exc:
            return cleared, t("error.upload", lang, error=str(exc))
        except (OSError, ValueError, MemoryError) as exc:  # anything the decoder did not anticipate
            log.warning("upload rejected: %s", type(exc).__name__)  # never the image itself
            return cleared, t("error.upload", lang, error=type(exc).__name__)
        finally:
            with contextlib.suppress(OSError):
                os.remove(path)
        return replace(cleared, image=pixels, check=check), None

    def check_text(self, session: Session) -> str:
        """The warning for an upload that does not look like a chest X-ray ("" otherwise)."""
        return "" if session.check is None else check_warning(session.check, session.lang)

    def case_text(self, session: Session) -> str:
        lang = session.lang
        if session.image is None:
            return t("error.no_image", lang)
        if session.case:
            case = next(c for c in self.ctx.cases if c.id == session.case)
            return t("cases.current", lang, title=case.text("title", lang), note=case.text("note", lang))
        h, w = session.image.shape
        return t("cases.uploaded", lang, w=w, h=h)

    def editor_value(self, session: Session, size: int = logic.DISPLAY) -> dict | None:
        """The editor's background: the current image as the models see it (square)."""
        if session.image is None:
            return None
        key = ("editor", session.case, size) if session.case else None  # never an upload
        picture = self.ctx.store.remember(
            key, lambda: self.out(Image.fromarray(logic.square(session.image, size)).convert("RGB")))
        return {"background": picture, "layers": [], "composite": picture}

    def class_choices(self, session: Session, model_key: str | None) -> list[tuple[str, int]]:
        """The "explained class" choices of a model: the predicted class (-1), then each of its classes."""
        entry = self.ctx.entry(model_key, session)
        names = entry.model.spec.class_names if entry is not None else ()
        return [(t("explore.target_predicted", session.lang), PREDICTED)] + [
            (class_name(n, session.lang), i) for i, n in enumerate(names)]

    def explore(self, session: Session, model_key: str, methods: list[str], alpha: float, mode: str,
                target: int | None = PREDICTED) -> tuple[Session, str, str, list, str]:
        """Explain the current image: (session, prediction markdown, probability bars (HTML), gallery items,
        timing).

        ``target`` is the explained class index; ``PREDICTED`` (-1), None or an index the model does not have
        explain the predicted class."""
        lang = session.lang
        entry = self.ctx.entry(model_key, session)
        if session.image is None:
            return session, t("error.no_image", lang), "", [], ""
        if entry is None:
            return session, t("error.no_model", lang, folder=self.ctx.models_dir), "", [], ""
        methods = [m for m in (methods or []) if m] or DEFAULT_METHODS[:1]
        key = (entry.key, session.case) if session.case and not entry.key.startswith("user:") else None
        target = int(target) if target is not None and 0 <= int(target) < entry.model.spec.num_classes else None
        result = logic.explain_many(entry.model, session.image, methods, self.ctx.cache, key, target=target)
        session = replace(session, result=result, result_model=entry.key)
        shown = None if key is None else ("maps", key, tuple(methods), target, float(alpha), mode, lang)
        gallery = self.ctx.store.remember(  # a curated case's maps are the same for every student: encoded once
            shown, lambda: self.out_items(logic.render_maps(result, alpha, mode, lang)))
        return (session, logic.prediction_line(entry.label(lang), result, lang),
                logic.probability_bars(result, lang), gallery, _timing(result, lang))

    def rerender(self, session: Session, alpha: float, mode: str) -> list:
        """The same maps with another opacity or colour mode (no recomputation)."""
        if session.result is None:
            return []
        return self.out_items(logic.render_maps(session.result, alpha, mode, session.lang))

    def relabel(self, session: Session, alpha: float, mode: str) -> tuple[str, str, list, str]:
        """The current explanation's texts, captions and timing again, in the session's language (no
        recomputation)."""
        lang, result = session.lang, session.result
        entry = self.ctx.entry(session.result_model, session)
        if result is None or entry is None:
            return "", None, [], ""
        return (logic.prediction_line(entry.label(lang), result, lang), logic.probability_bars(result, lang),
                self.out_items(logic.render_maps(result, alpha, mode, lang)), _timing(result, lang))

    def measure(self, session: Session, editor: dict | None) -> tuple[Session, str]:
        """Share of each map's positive evidence inside the region the user painted: (session keeping the
        region, markdown)."""
        if session.result is None:
            return session, t("error.no_image", session.lang)
        mask = logic.mask_from_editor(editor, session.result.image.shape[0])
        return replace(session, region=mask), logic.region_report(session.result.maps, mask, session.lang)

    def region_text(self, session: Session) -> str:
        """The last measurement again (in the session's language), or the drawing help when there is none."""
        result, region = session.result, session.region
        if result is None or region is None or region.shape != result.image.shape[:2]:
            return t("explore.draw_help", session.lang)
        return logic.region_report(result.maps, region, session.lang)

    def show_case(self, index: int, session: Session, model_key: str, methods: list[str], alpha: float,
                  mode: str, target: int | None = PREDICTED) -> tuple:
        """Case ``index`` explained: (session, case text, editor, prediction, probabilities, maps, timing,
        input-check warning)."""
        if not self.ctx.cases:
            return session, t("cases.none", session.lang), None, "", "", [], "", ""
        session = self.case_image(index, session)
        session, pred, prob, items, timing = self.explore(session, model_key, methods, alpha, mode, target)
        return session, self.case_text(session), self.editor_value(session), pred, prob, items, timing, ""


def _timing(result: logic.MapResult, lang: str) -> str:
    """How the maps were obtained: from the cache, or computed in so many milliseconds."""
    return t("explore.cached", lang) if result.cached else t("explore.time", lang, ms=result.seconds * 1000)


def _mode_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(f"mode.{m}", lang), m) for m in MODES]


def _controls(page: Page, case_items) -> tuple:
    """Left column: case deck, upload, model, methods and display settings."""
    ctx, cb, tr, lang = page.ctx, page.cb, page.tr, page.lang
    if ctx.cases:
        gallery = tr(gr.Gallery(case_items(lang), label=t("cases.gallery", lang), columns=4, height=260,
                                allow_preview=False, buttons=[], elem_id="case-gallery"), label="cases.gallery")
    else:
        gallery = gr.Gallery([], visible=False, elem_id="case-gallery")
        tr(gr.Markdown(t("cases.none", lang), elem_id="no-cases"), value="cases.none")
    with gr.Row(elem_id="case-deck"):
        prev_btn = tr(gr.Button(t("cases.prev", lang), elem_id="prev-case"), value="cases.prev")
        next_btn = tr(gr.Button(t("cases.next", lang), elem_id="next-case", variant="secondary"), value="cases.next")
    case_md = gr.Markdown(t("error.no_image", lang), elem_id="case-text")
    upload = tr(gr.File(label=t("cases.upload", lang), type="filepath", height=150, file_types=list(IMAGE_SUFFIXES),
                        elem_id="upload", elem_classes=["xai-advanced"]), label="cases.upload")
    model_dd = tr(gr.Dropdown(cb.model_choices(page.state.value), value=next(iter(ctx.models), None),
                              label=t("explore.model", lang), elem_id="model"), label="explore.model")
    target_dd = gr.Dropdown(cb.class_choices(page.state.value, model_dd.value), value=PREDICTED,
                            label=t("explore.target", lang), info=t("explore.target_info", lang), elem_id="target")
    methods_cb = tr(gr.CheckboxGroup(logic.method_choices(lang), value=DEFAULT_METHODS,
                                     label=t("explore.methods", lang), info=t("explore.methods_info", lang),
                                     elem_id="methods"),
                    label="explore.methods", info="explore.methods_info", choices=logic.method_choices)
    alpha = tr(gr.Slider(0.0, 1.0, value=DEFAULT_ALPHA, step=0.05, label=t("explore.alpha", lang), elem_id="alpha"),
               label="explore.alpha")
    mode = tr(gr.Radio(_mode_choices(lang), value="positive", label=t("explore.mode", lang), elem_id="mode",
                       elem_classes=["xai-advanced"]), label="explore.mode", choices=_mode_choices)
    run_btn = tr(gr.Button(t("explore.run", lang), variant="primary", elem_id="explain"), value="explore.run")
    return gallery, prev_btn, next_btn, case_md, upload, model_dd, target_dd, methods_cb, alpha, mode, run_btn


def _results(page: Page) -> tuple:
    """Right column: prediction, maps, timing, and the editor to draw a region on."""
    tr, lang = page.tr, page.lang
    check_md = gr.Markdown("", elem_id="check-warning")
    pred_md = gr.Markdown("", elem_id="prediction-text")
    probs = gr.HTML("", elem_id="prediction")  # probability bars (logic.probability_bars)
    maps = tr(gr.Gallery(label=t("explore.maps_label", lang), columns=2, height="auto", object_fit="contain",
                         buttons=["download", "fullscreen"], elem_id="maps"), label="explore.maps_label")
    time_md = gr.Markdown("", elem_id="timing")
    with gr.Row():
        with gr.Column(scale=3, min_width=300):
            editor = tr(gr.ImageEditor(label=t("explore.draw", lang), type="numpy", image_mode="RGBA", sources=[],
                                       transforms=[], layers=False, height=400,
                                       canvas_size=(logic.DISPLAY, logic.DISPLAY),
                                       brush=gr.Brush(default_size=12, colors=BRUSH_COLOURS, color_mode="fixed"),
                                       buttons=[], elem_id="editor"), label="explore.draw")
        with gr.Column(scale=2, min_width=200):
            measure_btn = tr(gr.Button(t("explore.measure", lang), elem_id="measure"), value="explore.measure")
            region_md = gr.Markdown(t("explore.draw_help", lang), elem_id="region-text")
    return check_md, pred_md, probs, maps, time_md, editor, measure_btn, region_md


def build(page: Page) -> None:
    """The Explore tab: case deck and upload on the left, maps and region measurement on the right."""
    ctx, cb, tr, lang = page.ctx, page.cb, page.tr, page.lang
    thumbnails = [cb.ctx.store.save(Image.fromarray(logic.square(c.pixels(), 160)), keep=True) for c in ctx.cases]

    def case_items(lg: str) -> list[tuple[str, str]]:
        return [(thumb, c.text("title", lg)) for thumb, c in zip(thumbnails, ctx.cases, strict=True)]

    with tr(gr.Tab(t("tab.explore", lang), id="explore", elem_id="tab-explore"), label="tab.explore"):
        tr(gr.Markdown(t("explore.intro", lang), elem_classes=["xai-intro"]), value="explore.intro")
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                (gallery, prev_btn, next_btn, case_md, upload, model_dd, target_dd, methods_cb, alpha, mode,
                 run_btn) = _controls(page, case_items)
            with gr.Column(scale=3, min_width=420):
                check_md, pred_md, probs, maps, time_md, editor, measure_btn, region_md = _results(page)
    page.model_dropdowns.append(model_dd)

    # ---------------------------------------------------------------- events
    state = page.state
    explore_inputs = [state, model_dd, methods_cb, alpha, mode, target_dd]
    case_outputs = [state, case_md, editor, pred_md, probs, maps, time_md, check_md]

    def on_select(evt: gr.SelectData, st: Session, model_key, methods, a, m, target):
        return cb.show_case(int(evt.index), st, model_key, methods, a, m, target)

    def on_step(step: int):
        def handler(st: Session, model_key, methods, a, m, target):
            index = st.case_index + step if st.case_index >= 0 else (0 if step > 0 else -1)
            return cb.show_case(index, st, model_key, methods, a, m, target)
        return handler

    def on_upload(path, st: Session, model_key, methods, a, m, target):
        st2, error = cb.upload_image(path, st)
        if error:  # nothing of the previous image stays on screen, and Explain has nothing to re-run
            warn(error)
            return st2, f"**{error}**", None, "", "", [], "", "", None
        st2, pred, prob, items, timing = cb.explore(st2, model_key, methods, a, m, target)
        return st2, cb.case_text(st2), cb.editor_value(st2), pred, prob, items, timing, cb.check_text(st2), None

    gallery.select(on_select, explore_inputs, case_outputs, concurrency_limit=4)
    next_btn.click(on_step(1), explore_inputs, case_outputs, concurrency_limit=4, api_name="next_case")
    prev_btn.click(on_step(-1), explore_inputs, case_outputs, concurrency_limit=4)
    upload.upload(on_upload, [upload, *explore_inputs], [*case_outputs, upload], concurrency_limit=4)
    run_btn.click(cb.explore, explore_inputs, [state, pred_md, probs, maps, time_md], concurrency_limit=4,
                  api_name="explore")
    alpha.release(cb.rerender, [state, alpha, mode], [maps], concurrency_limit=4)
    mode.input(cb.rerender, [state, alpha, mode], [maps], concurrency_limit=4)
    measure_btn.click(cb.measure, [state, editor], [state, region_md], concurrency_limit=4)
    model_dd.change(lambda st, k: gr.update(choices=cb.class_choices(st, k), value=PREDICTED), [state, model_dd],
                   [target_dd])

    def on_language(st: Session, a: float, m: str, model_key: str) -> tuple:
        cases_update = gr.update(value=case_items(st.lang)) if ctx.cases else gr.update()
        case_text = cb.case_text(st) if st.image is not None else t("error.no_image", st.lang)
        target_update = gr.update(choices=cb.class_choices(st, model_key), label=t("explore.target", st.lang),
                                  info=t("explore.target_info", st.lang))
        return (gr.update(choices=cb.model_choices(st)), target_update,
                case_text, cases_update, cb.check_text(st), *cb.relabel(st, a, m), cb.region_text(st))

    page.on_language([model_dd, target_dd, case_md, gallery, check_md, pred_md, probs, maps, time_md, region_md],
                     on_language,
                     [alpha, mode, model_dd])
    if ctx.cases:
        page.on_open(case_outputs, lambda st, k, ms, a, m, c: cb.show_case(0, st, k, ms, a, m, c), explore_inputs)
