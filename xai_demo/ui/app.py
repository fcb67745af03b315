"""The Gradio web app: six tabs over the library, thin callbacks, per-user state in ``gr.State``.

Only this module imports gradio. :func:`build_app` builds the page without launching it (tests call the
callbacks it exposes as ``demo.xai_callbacks``); :func:`serve` launches it offline on 127.0.0.1 by default.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no telemetry
import gradio as gr  # noqa: E402

from ..errors import ImageError, XaiDemoError
from ..explain import get_method
from ..images import load_image
from ..paths import MODELS_DIR, REPO_ROOT, SAMPLES_DIR, data_root
from ..viz import grid, overlay
from . import logic
from .cases import Case, resolve_cases
from .text import LANGS, about, artefact_name, class_name, dataset_name, t

log = logging.getLogger(__name__)

POSITIONS = ("top_left", "top_right", "bottom_left", "bottom_right", "top", "bottom", "left", "right", "center")
DEFAULT_METHODS = ["gradcam", "guided_backprop"]
SANITY_DEFAULT = ["gradcam", "guided_backprop", "saliency"]
MAX_UPLOAD = "20mb"
BRUSH_COLOURS = ["#00e5ff", "#ff3bd4"]
TRAIN_LIMITS = {"pneumoniamnist@28": 3000, "kermany@64": 1200,  # about 10-30 s of training on 2 cores
                "pneumoniamnist_sample@28": 2000, "kermany_sample@64": 1000}  # the whole embedded bundle
SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]

CSS = """
.gradio-container { max-width: 1400px !important; margin: 0 auto !important; }
#app-title h1 { margin-bottom: 0; }
footer { display: none !important; }
body.lecture .gradio-container {
  --text-xxs: 14px; --text-xs: 16px; --text-sm: 19px; --text-md: 22px; --text-lg: 26px; --text-xl: 30px;
  --text-xxl: 36px; --block-label-text-size: 19px; --block-title-text-size: 22px; --block-info-text-size: 18px;
  --input-text-size: 22px; --button-large-text-size: 24px; --button-small-text-size: 20px;
  --section-header-text-size: 22px; --checkbox-label-text-size: 20px;
  --body-text-color: #000; --block-label-text-color: #000; --body-text-color-subdued: #222;
  max-width: 100% !important;
}
body.lecture .prose, body.lecture .prose * { font-size: 24px !important; line-height: 1.4; color: #000; }
body.lecture .prose h3 { font-size: 28px !important; }
body.lecture .prose h1 { font-size: 34px !important; }
body.lecture button.lg, body.lecture button { font-weight: 700; }
body.lecture [role="tab"] { font-size: 19px !important; padding: 4px 8px !important; }
body.lecture .xai-advanced { display: none !important; }
#case-deck button { min-height: 3em; }
#table td:not(:first-child) { white-space: nowrap; }
#table-btn { max-width: 420px; }
"""

HEAD = """
<script>
document.addEventListener('keydown', function (e) {
  var el = e.target || {};
  var tag = (el.tagName || '').toLowerCase();
  if (tag === 'input' || tag === 'textarea' || tag === 'select' || el.isContentEditable) { return; }
  var id = null;
  if (e.key === 'ArrowRight' || e.key === 'PageDown') { id = 'next-case'; }
  if (e.key === 'ArrowLeft' || e.key === 'PageUp') { id = 'prev-case'; }
  if (id) { var b = document.getElementById(id); if (b) { b.click(); e.preventDefault(); } }
});
</script>
"""


# ----------------------------------------------------------------------------- context and state


@dataclass
class AppContext:
    """What every session shares, read-only after start (the caches are locked and deterministic)."""

    models: dict[str, logic.ModelEntry]
    pairs: list[logic.Pair]
    cases: list[Case]
    root: Path | None
    models_dir: Path
    reports_dir: Path
    train_choices: list[logic.TrainChoice]
    cache: logic.LRUCache = field(default_factory=lambda: logic.LRUCache(512))
    store: logic.ImageStore = field(default_factory=lambda: _temporary_store())
    train_lock: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(1))

    def entry(self, key: str | None, state: dict) -> logic.ModelEntry | None:
        """A shared model or one of this session's own (``"user:N"``)."""
        if not key:
            return None
        if key.startswith("user:"):
            return state.get("user_models", {}).get(key)
        return self.models.get(key)

    def pair(self, key: str | None) -> logic.Pair | None:
        return next((p for p in self.pairs if p.key == key), self.pairs[0] if self.pairs else None)


def _temporary_store() -> logic.ImageStore:
    """A picture store in a fresh temporary folder, removed when the process exits."""
    folder = Path(tempfile.mkdtemp(prefix="xai_demo_pictures_"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return logic.ImageStore(folder)


def new_state(lang: str) -> dict[str, Any]:
    """A fresh session: no image, no maps, no user models, quiz at zero."""
    return {"lang": lang, "image": None, "case": None, "case_index": -1, "result": None, "result_model": None,
            "user_models": {}, "quiz": {"number": 0, "item": None, "answered": True, "right": 0, "total": 0},
            "sanity": None, "comparison": None}


def make_context(models_dir: Path, root: Path | None, samples_dir: Path = SAMPLES_DIR,
                 reports_dir: Path | None = None) -> AppContext:
    """Load the models and resolve the cases once."""
    models = logic.discover_models(models_dir)
    return AppContext(models=models, pairs=logic.pair_models(models), cases=resolve_cases(samples_dir, root),
                      root=root, models_dir=models_dir, reports_dir=reports_dir or REPO_ROOT / "reports",
                      train_choices=logic.train_choices(root))


# ----------------------------------------------------------------------------- callbacks (plain functions)


class Callbacks:
    """Every event handler, as plain methods of one object (tests call them directly).

    Handlers take and return plain values; ``gr`` updates are built by the caller-facing wrappers in
    :func:`build_app`. Each returns user-facing messages instead of raising.
    """

    def __init__(self, ctx: AppContext, lecture: bool = False) -> None:
        self.ctx = ctx
        self.lecture = lecture
        self.stop_warm_up = threading.Event()  # set to end a background warm-up early (shutdown, tests)

    def out(self, picture: Image.Image) -> str:
        """A picture as a file path for gradio (written atomically; see :class:`logic.ImageStore`)."""
        return self.ctx.store.save(picture)

    def out_items(self, items: list[tuple[Image.Image, str]]) -> list[tuple[str, str]]:
        return [(self.out(p), caption) for p, caption in items]

    # -- images
    def case_image(self, index: int, state: dict) -> dict:
        """Make case ``index`` the session's current image."""
        case = self.ctx.cases[index % len(self.ctx.cases)]
        state = dict(state)
        state.update(image=case.pixels(), case=case.id, case_index=index % len(self.ctx.cases))
        return state

    def upload_image(self, path: str | None, state: dict) -> tuple[dict, str | None]:
        """Read an uploaded file into the session (the temporary file is deleted at once).

        Returns the new state and an error message (None when the image was read).
        """
        lang = state.get("lang", "en")
        if not path:
            return state, t("error.no_image", lang)
        try:
            pixels = np.asarray(load_image(path, "L"), dtype=np.uint8)
        except ImageError as exc:
            return state, t("error.upload", lang, error=str(exc))
        except (OSError, ValueError, MemoryError) as exc:  # anything the decoder did not anticipate
            log.warning("upload rejected: %s", type(exc).__name__)  # never the image itself
            return state, t("error.upload", lang, error=type(exc).__name__)
        finally:
            with contextlib.suppress(OSError):
                os.remove(path)
        state = dict(state)
        state.update(image=pixels, case=None, case_index=-1)
        return state, None

    def case_text(self, state: dict) -> str:
        lang = state.get("lang", "en")
        if state.get("image") is None:
            return t("error.no_image", lang)
        if state.get("case"):
            case = next(c for c in self.ctx.cases if c.id == state["case"])
            return t("cases.current", lang, title=case.text("title", lang), note=case.text("note", lang))
        h, w = state["image"].shape
        return t("cases.uploaded", lang, w=w, h=h)

    def editor_value(self, state: dict, size: int = logic.DISPLAY) -> dict | None:
        """The editor's background: the current image as the models see it (square)."""
        if state.get("image") is None:
            return None
        picture = self.out(Image.fromarray(logic.square(state["image"], size)).convert("RGB"))
        return {"background": picture, "layers": [], "composite": picture}

    # -- explore
    def explore(self, state: dict, model_key: str, methods: list[str], alpha: float, mode: str
                ) -> tuple[dict, str, dict | None, list, str]:
        """Explain the current image: (state, prediction markdown, probabilities, gallery items, timing)."""
        lang = state.get("lang", "en")
        entry = self.ctx.entry(model_key, state)
        if state.get("image") is None:
            return state, t("error.no_image", lang), None, [], ""
        if entry is None:
            return state, t("error.no_model", lang, folder=self.ctx.models_dir), None, [], ""
        methods = [m for m in (methods or []) if m] or DEFAULT_METHODS[:1]
        key = (entry.key, state["case"]) if state.get("case") and not entry.key.startswith("user:") else None
        result = logic.explain_many(entry.model, state["image"], methods, self.ctx.cache, key)
        state = dict(state)
        state.update(result=result, result_model=entry.key)
        gallery = self.out_items(logic.render_maps(result, alpha, mode, lang))
        return (state, logic.prediction_line(entry.label(lang), result, lang),
                logic.probabilities_dict(result, lang), gallery,
                t("explore.cached", lang) if result.cached else t("explore.time", lang, ms=result.seconds * 1000))

    def rerender(self, state: dict, alpha: float, mode: str) -> list:
        """The same maps with another opacity or colour mode (no recomputation)."""
        result = state.get("result")
        return [] if result is None else self.out_items(logic.render_maps(result, alpha, mode, state.get("lang", "en")))

    def relabel(self, state: dict, alpha: float, mode: str) -> tuple[str, dict | None, list]:
        """The current explanation's texts and captions again, in the session's language (no recomputation)."""
        lang = state.get("lang", "en")
        result, entry = state.get("result"), self.ctx.entry(state.get("result_model"), state)
        if result is None or entry is None:
            return "", None, []
        return (logic.prediction_line(entry.label(lang), result, lang), logic.probabilities_dict(result, lang),
                self.out_items(logic.render_maps(result, alpha, mode, lang)))

    def warm_up(self, methods: tuple[str, ...] = tuple(DEFAULT_METHODS), questions: int = 12,
                tables: bool | None = None) -> int:
        """Precompute the curated cases with every shared model, the first quiz questions and (in lecture mode,
        or if ``tables``) the sanity checks of the cases and the shortcut test-set tables, so that nothing stalls
        on the projector. Returns the number of results computed. Meant to run in a background thread."""
        done = 0
        for key in self.ctx.models:  # the default model first: the deck a lecturer walks becomes instant soonest
            for index in range(len(self.ctx.cases)):
                if self.stop_warm_up.is_set():
                    return done
                try:
                    self.explore(self.case_image(index, new_state("en")), key, list(methods), 0.5, "positive")
                    done += 1
                except Exception as exc:  # a warm-up failure must never stop the server
                    log.warning("warm-up of case %d with %s failed: %s", index, key, exc)
        state = new_state("en")
        for _ in range(questions if self.ctx.pairs else 0):
            if self.stop_warm_up.is_set():
                return done
            state = self.quiz_next(state)[0]
            done += 1
        heavy = self.lecture if tables is None else tables
        first_model = next(iter(self.ctx.models), None)
        for index in range(len(self.ctx.cases)) if heavy and first_model else []:
            if self.stop_warm_up.is_set():
                return done
            try:
                self.sanity(self.case_image(index, new_state("en")), first_model, SANITY_DEFAULT)
                done += 1
            except Exception as exc:
                log.warning("warm-up of the sanity check of case %d failed: %s", index, exc)
        for pair in self.ctx.pairs if heavy else []:
            if self.stop_warm_up.is_set():
                return done
            if logic.find_table(pair, self.ctx.reports_dir) is None and logic.dataset_available(
                    self.ctx.root, pair.shortcut.dataset):
                try:
                    logic.compute_table(pair, self.ctx.root)
                    done += 1
                except Exception as exc:
                    log.warning("warm-up of the %s table failed: %s", pair.key, exc)
        return done

    def measure(self, state: dict, editor: dict | None) -> str:
        """Share of each map's positive evidence inside the region the user painted."""
        lang = state.get("lang", "en")
        result = state.get("result")
        if result is None:
            return t("error.no_image", lang)
        mask = logic.mask_from_editor(editor, result.image.shape[0])
        return logic.region_report(result.maps, mask, lang)

    # -- shortcut lab
    def shortcut(self, state: dict, pair_key: str, add: bool, artefact: str, position: str, scale: float,
                 method: str) -> tuple[dict, Image.Image | None, Image.Image | None, str, str]:
        """Both models on the current image with or without the artefact: (state, clean picture, shortcut
        picture, clean markdown, shortcut markdown)."""
        lang = state.get("lang", "en")
        pair = self.ctx.pair(pair_key)
        if pair is None:
            return state, None, None, t("shortcut.no_pair", lang), ""
        if state.get("image") is None:
            return state, None, None, t("error.no_image", lang), ""
        options = dict(pair.shortcut.options) if artefact == pair.shortcut.artefact else {}
        settings = logic.ArtefactSettings(artefact if add else None, position, scale, options)
        try:
            comparison = logic.compare(pair, state["image"], settings, method)
        except ValueError as exc:
            return state, None, None, t("error.generic", lang, error=exc), ""
        pictures = [overlay(r.image, r.maps[method], alpha=0.55, size=logic.DISPLAY, mask=comparison.mask,
                            caption=t(f"shortcut.{w}_model", lang))
                    for w, r in (("clean", comparison.clean), ("shortcut", comparison.shortcut))]
        state = dict(state)
        state["comparison"] = comparison
        return (state, self.out(pictures[0]), self.out(pictures[1]),
                logic.comparison_text(comparison, "clean", method, lang),
                logic.comparison_text(comparison, "shortcut", method, lang))

    def table(self, state: dict, pair_key: str, compute: bool = False,
              progress: Callable[[float, str], None] | None = None) -> str:
        """The none/aligned/swapped table of the pair (computed and cached when ``compute``)."""
        lang = state.get("lang", "en")
        pair = self.ctx.pair(pair_key)
        if pair is None:
            return t("shortcut.no_pair", lang)
        live = compute and logic.dataset_available(self.ctx.root, pair.shortcut.dataset)  # the test split is here
        table = None if live else logic.find_table(pair, self.ctx.reports_dir)
        if table is None and compute:
            try:
                table = logic.compute_table(pair, self.ctx.root, on_progress=progress)
            except XaiDemoError as exc:
                return t("error.generic", lang, error=exc)
        return logic.table_markdown(table, lang)

    # -- sanity
    def sanity(self, state: dict, model_key: str, methods: list[str]) -> tuple[dict, int]:
        """Randomise the model layer by layer on the current image; returns (state, number of stages)."""
        from ..sanity import cascading_randomisation

        entry = self.ctx.entry(model_key, state)
        if entry is None or state.get("image") is None:
            return state, 0
        chosen = [m for m in (methods or []) if m] or ["gradcam"]
        methods = [m for m in logic.SANITY_METHODS if m in chosen]
        methods += [m for m in chosen if m not in methods]
        image = logic.square(state["image"], entry.size).astype(np.float32) / 255.0
        key = None
        if state.get("case") and not entry.key.startswith("user:"):
            key = ("sanity", entry.key, state["case"], tuple(methods))
        result = self.ctx.cache.get_or_compute(key, lambda: cascading_randomisation(entry.model, [image], methods))
        state = dict(state)
        state["sanity"] = {"result": result, "image": image}
        return state, len(result.stages) - 1

    def sanity_view(self, state: dict, stage: int) -> tuple[str | None, str]:
        """One picture (a row per method: trained map, map after ``stage`` randomised layers) and a verdict
        per method."""
        lang = state.get("lang", "en")
        info = state.get("sanity")
        if not info:
            return None, t("error.no_image", lang)
        result, image = info["result"], info["image"]
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

    # -- training
    def train(self, state: dict, choice_key: str, artefact: str, confound: float, confound_negative: float,
              epochs: int, limit: int, progress: Callable[[float, str], None] | None = None) -> tuple[dict, str]:
        """Train a small model for this session only; returns (state, markdown)."""
        from ..train import train

        lang = state.get("lang", "en")
        choice = next((c for c in self.ctx.train_choices if c.key == choice_key), None)
        if choice is None:
            return state, t("train.no_data", lang)
        with self.ctx.train_lock:
            try:
                cfg = logic.train_config(choice, self.ctx.root, None if artefact in (None, "", "none") else artefact,
                                         confound, confound_negative, epochs, limit)
                checkpoint = train(cfg, on_progress=progress)
            except (XaiDemoError, ValueError) as exc:
                return state, t("train.failed", lang, error=exc)
        state = dict(state)
        users = dict(state.get("user_models") or {})
        key = f"user:{len(users) + 1}"
        users[key] = logic.entry_from_checkpoint(key, checkpoint, user_number=len(users) + 1)
        state["user_models"] = users
        test = checkpoint.metrics["test"]
        name = users[key].label(lang)
        return state, t("train.done", lang, seconds=checkpoint.metrics["train_seconds"], auc=test["auc"],
                        acc=test["accuracy"], sens=test["sensitivity"], spec=test["specificity"], name=name)

    def model_choices(self, state: dict) -> list[tuple[str, str]]:
        """(label, key) of the shared models and this session's own."""
        lang = state.get("lang", "en")
        users = state.get("user_models") or {}
        return [(e.label(lang), k) for k, e in [*self.ctx.models.items(), *users.items()]]

    # -- quiz
    def quiz_images(self) -> list[np.ndarray]:
        return [c.pixels() for c in self.ctx.cases if c.array is None]  # full-size films only

    def quiz_next(self, state: dict) -> tuple[dict, str | None, str]:
        """Draw the next question: (state, picture, markdown)."""
        lang = state.get("lang", "en")
        pair = self.ctx.pairs[0] if self.ctx.pairs else None
        images = self.quiz_images() if pair else []
        if pair is None or not images:
            return state, None, t("quiz.unavailable", lang)
        quiz = dict(state["quiz"])
        number = quiz["number"] + 1
        item = self.ctx.cache.get_or_compute(("quiz", pair.key, number),
                                             lambda: logic.make_question(pair, images, number))
        quiz.update(number=number, item=item, answered=False)
        state = dict(state)
        state["quiz"] = quiz
        picture = self.out(overlay(item.image, item.map, alpha=0.6, size=logic.DISPLAY + 64))
        text = t("quiz.question", lang, n=number, label=class_name(item.predicted_label, lang), p=item.probability)
        return state, picture, text

    def quiz_answer(self, state: dict, answer: str) -> tuple[dict, str | None, str, str]:
        """Record an answer: (state, picture with the artefact outlined, reveal markdown, score markdown)."""
        lang = state.get("lang", "en")
        quiz = dict(state["quiz"])
        item = quiz.get("item")
        if item is None:
            return state, None, t("quiz.start", lang), self.quiz_score(state)
        if not quiz["answered"]:
            quiz["total"] += 1
            quiz["right"] += int(answer == item.answer)
            quiz["answered"] = True
        state = dict(state)
        state["quiz"] = quiz
        picture = self.out(overlay(item.image, item.map, alpha=0.6, size=logic.DISPLAY + 64, mask=item.mask))
        return state, picture, logic.quiz_reveal(item, answer, lang), self.quiz_score(state)

    def quiz_score(self, state: dict) -> str:
        quiz = state["quiz"]
        return t("quiz.score", state.get("lang", "en"), right=quiz["right"], total=quiz["total"])


# ----------------------------------------------------------------------------- the page


class _Translated:
    """Components whose visible strings follow the language switch."""

    def __init__(self) -> None:
        self.items: list[tuple[Any, dict[str, Any]]] = []

    def __call__(self, component: Any, **attrs: str | Callable[[str], Any]) -> Any:
        self.items.append((component, attrs))
        return component

    def updates(self, lang: str) -> list:
        return [gr.update(**{a: (k(lang) if callable(k) else t(k, lang)) for a, k in attrs.items()})
                for _, attrs in self.items]

    @property
    def components(self) -> list:
        return [c for c, _ in self.items]


def build_app(models_dir: str | os.PathLike[str] | None = None, *, lang: str = "en", lecture: bool = False,
              data_root_dir: str | os.PathLike[str] | None = None, samples_dir: str | os.PathLike[str] | None = None,
              reports_dir: str | os.PathLike[str] | None = None):
    """Build the Blocks (not launched). ``demo.xai_callbacks`` exposes the plain handlers for tests."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    ctx = make_context(Path(models_dir) if models_dir else MODELS_DIR, data_root(data_root_dir),
                       Path(samples_dir) if samples_dir else SAMPLES_DIR, Path(reports_dir) if reports_dir else None)
    cb = Callbacks(ctx, lecture=lecture)
    tr = _Translated()
    model_keys = list(ctx.models)

    def warn(message: str | None) -> None:
        if message:
            gr.Warning(message)

    thumbnails = [cb.out(Image.fromarray(logic.square(c.pixels(), 160))) for c in ctx.cases]

    def case_items(lg: str) -> list[tuple[str, str]]:
        return [(thumb, c.text("title", lg)) for thumb, c in zip(thumbnails, ctx.cases, strict=True)]

    def mode_choices(lg: str) -> list[tuple[str, str]]:
        return [(t(f"mode.{m}", lg), m) for m in ("positive", "absolute", "signed")]

    def position_choices(lg: str) -> list[tuple[str, str]]:
        return [(t(f"pos.{p}", lg), p) for p in POSITIONS]

    def artefact_choices(lg: str, none: bool = False) -> list[tuple[str, str]]:
        from ..artefacts import list_artefacts

        return ([(t("art.none", lg), "none")] if none else []) + [(artefact_name(a, lg), a) for a in list_artefacts()]

    def pair_choices(lg: str) -> list[tuple[str, str]]:
        return [(p.label(lg), p.key) for p in ctx.pairs]

    def train_data_choices(lg: str) -> list[tuple[str, str]]:
        return [(t("train.data_option", lg, dataset=dataset_name(c.dataset, lg), size=c.size), c.key)
                for c in ctx.train_choices]

    default_pair = ctx.pairs[0] if ctx.pairs else None
    with gr.Blocks(title=t("app.title", lang), analytics_enabled=False, delete_cache=(120, 300),
                   fill_width=True) as demo:
        state = gr.State(new_state(lang), time_to_live=3 * 3600)  # per user; dropped 3 h after last use
        with gr.Row(elem_id="header"):
            with gr.Column(scale=3):
                tr(gr.Markdown(f"# {t('app.title', lang)}\n{t('app.subtitle', lang)}", elem_id="app-title"),
                   value=lambda lg: f"# {t('app.title', lg)}\n{t('app.subtitle', lg)}")
            with gr.Column(scale=1, min_width=320):
                language = gr.Radio([("English", "en"), ("Français", "fr")], value=lang, label="Language / Langue",
                                    elem_id="language")
                lecture_box = tr(gr.Checkbox(value=lecture, label=t("app.lecture", lang), elem_id="lecture-toggle"),
                                 label="app.lecture")
        with gr.Tabs():
            # ------------------------------------------------------------ explore
            with tr(gr.Tab(t("tab.explore", lang), id="explore", elem_id="tab-explore"), label="tab.explore"):
                tr(gr.Markdown(t("explore.intro", lang)), value="explore.intro")
                with gr.Row():
                    with gr.Column(scale=2, min_width=320):
                        if ctx.cases:
                            gallery = tr(gr.Gallery(case_items(lang), label=t("cases.gallery", lang), columns=4,
                                                    height=260, allow_preview=False, buttons=[],
                                                    elem_id="case-gallery"),
                                         label="cases.gallery")
                        else:
                            gallery = gr.Gallery([], visible=False, elem_id="case-gallery")
                            tr(gr.Markdown(t("cases.none", lang), elem_id="no-cases"), value="cases.none")
                        with gr.Row(elem_id="case-deck"):
                            prev_btn = tr(gr.Button(t("cases.prev", lang), elem_id="prev-case"), value="cases.prev")
                            next_btn = tr(gr.Button(t("cases.next", lang), elem_id="next-case", variant="secondary"),
                                          value="cases.next")
                        case_md = gr.Markdown(t("error.no_image", lang), elem_id="case-text")
                        upload = tr(gr.File(label=t("cases.upload", lang), type="filepath", height=150,
                                            file_types=[".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"],
                                            elem_id="upload", elem_classes=["xai-advanced"]), label="cases.upload")
                        model_dd = tr(gr.Dropdown(cb.model_choices(new_state(lang)),
                                                  value=model_keys[0] if model_keys else None,
                                                  label=t("explore.model", lang), elem_id="model"),
                                      label="explore.model")
                        methods_cb = tr(gr.CheckboxGroup(logic.method_choices(lang), value=DEFAULT_METHODS,
                                                         label=t("explore.methods", lang),
                                                         info=t("explore.methods_info", lang), elem_id="methods"),
                                        label="explore.methods", info="explore.methods_info",
                                        choices=logic.method_choices)
                        alpha = tr(gr.Slider(0.0, 1.0, value=0.55, step=0.05, label=t("explore.alpha", lang),
                                             elem_id="alpha"), label="explore.alpha")
                        mode = tr(gr.Radio(mode_choices(lang), value="positive", label=t("explore.mode", lang),
                                           elem_id="mode", elem_classes=["xai-advanced"]),
                                  label="explore.mode", choices=mode_choices)
                        run_btn = tr(gr.Button(t("explore.run", lang), variant="primary", elem_id="explain"),
                                     value="explore.run")
                    with gr.Column(scale=3, min_width=420):
                        pred_md = gr.Markdown("", elem_id="prediction-text")
                        probs = tr(gr.Label(label=t("explore.prediction", lang), num_top_classes=2,
                                            elem_id="prediction"), label="explore.prediction")
                        maps = tr(gr.Gallery(label=t("explore.maps_label", lang), columns=2, height="auto",
                                             object_fit="contain", buttons=["download", "fullscreen"],
                                             elem_id="maps"), label="explore.maps_label")
                        time_md = gr.Markdown("", elem_id="timing")
                        with gr.Row():
                            with gr.Column(scale=3, min_width=300):
                                editor = tr(gr.ImageEditor(label=t("explore.draw", lang), type="numpy",
                                                           image_mode="RGBA", sources=[], transforms=[], layers=False,
                                                           height=400, canvas_size=(logic.DISPLAY, logic.DISPLAY),
                                                           brush=gr.Brush(default_size=12, colors=BRUSH_COLOURS,
                                                                          color_mode="fixed"),
                                                           buttons=[], elem_id="editor"), label="explore.draw")
                            with gr.Column(scale=2, min_width=200):
                                measure_btn = tr(gr.Button(t("explore.measure", lang), elem_id="measure"),
                                                 value="explore.measure")
                                region_md = tr(gr.Markdown(t("explore.draw_help", lang), elem_id="region-text"),
                                               value="explore.draw_help")
            # ------------------------------------------------------------ shortcut lab
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
                                                value=default_pair.shortcut.artefact if default_pair
                                                else "laterality_marker",
                                                label=t("shortcut.artefact", lang), elem_id="artefact",
                                                elem_classes=["xai-advanced"]),
                                    label="shortcut.artefact", choices=artefact_choices)
                        pos_dd = tr(gr.Dropdown(position_choices(lang), value="top_left",
                                             label=t("shortcut.position", lang), elem_id="position"),
                                    label="shortcut.position", choices=position_choices)
                        scale_sl = tr(gr.Slider(0.05, 0.4, value=0.15, step=0.01, label=t("shortcut.scale", lang),
                                                elem_id="scale", elem_classes=["xai-advanced"]),
                                      label="shortcut.scale")
                        sc_method = tr(gr.Dropdown(logic.method_choices(lang), value="gradcam",
                                                   label=t("shortcut.method", lang),
                                                   elem_id="shortcut-method"), label="shortcut.method",
                                       choices=logic.method_choices)
                        sc_btn = tr(gr.Button(t("shortcut.run", lang), variant="primary", elem_id="compare"),
                                    value="shortcut.run")
                    with gr.Column(scale=3), gr.Row():
                        with gr.Column():
                            clean_img = tr(gr.Image(label=t("shortcut.clean_model", lang), type="filepath",
                                                    interactive=False, buttons=["fullscreen"],
                                                    elem_id="clean-picture"),
                                           label="shortcut.clean_model")
                            clean_md = gr.Markdown("", elem_id="clean-text")
                        with gr.Column():
                            short_img = tr(gr.Image(label=t("shortcut.shortcut_model", lang), type="filepath",
                                                    interactive=False, buttons=["fullscreen"],
                                                    elem_id="shortcut-picture"),
                                           label="shortcut.shortcut_model")
                            short_md = gr.Markdown("", elem_id="shortcut-text")
                table_md = gr.Markdown(cb.table(new_state(lang), default_pair.key) if default_pair else "",
                                       elem_id="table")
                table_btn = tr(gr.Button(t("shortcut.table_compute", lang), size="sm", elem_id="table-btn",
                                         elem_classes=["xai-advanced"]), value="shortcut.table_compute")
                tr(gr.Markdown(t("shortcut.refs", lang), elem_id="refs"), value="shortcut.refs")
            # ------------------------------------------------------------ sanity
            with tr(gr.Tab(t("tab.sanity", lang), id="sanity", elem_id="tab-sanity"), label="tab.sanity"):
                tr(gr.Markdown(t("sanity.intro", lang)), value="sanity.intro")
                with gr.Row():
                    with gr.Column(scale=1, min_width=280):
                        san_model = tr(gr.Dropdown(cb.model_choices(new_state(lang)),
                                                   value=model_keys[0] if model_keys else None,
                                                   label=t("sanity.model", lang), elem_id="sanity-model"),
                                       label="sanity.model")
                        san_methods = tr(gr.CheckboxGroup([(get_method(m).label, m) for m in logic.SANITY_METHODS],
                                                          value=SANITY_DEFAULT,
                                                          label=t("sanity.methods", lang), elem_id="sanity-methods"),
                                         label="sanity.methods")
                        san_btn = tr(gr.Button(t("sanity.run", lang), variant="primary", elem_id="sanity-run"),
                                     value="sanity.run")
                        stage_sl = tr(gr.Slider(0, 1, value=0, step=1, label=t("sanity.stage", lang),
                                                elem_id="stage"), label="sanity.stage")
                        san_md = gr.Markdown("", elem_id="sanity-text")
                    with gr.Column(scale=3):
                        tr(gr.Markdown(f"**{t('sanity.maps', lang)}**"),
                           value=lambda lg: f"**{t('sanity.maps', lg)}**")
                        san_gallery = gr.Image(type="filepath", interactive=False, show_label=False,
                                               buttons=["fullscreen"], elem_id="sanity-maps")
            # ------------------------------------------------------------ train
            with tr(gr.Tab(t("tab.train", lang), id="train", elem_id="tab-train"), label="tab.train"):
                tr(gr.Markdown(t("train.intro", lang)), value="train.intro")
                if not ctx.train_choices:
                    tr(gr.Markdown(t("train.no_data", lang)), value="train.no_data")
                with gr.Row():
                    with gr.Column(scale=1, min_width=300):
                        tr_data = tr(gr.Dropdown(train_data_choices(lang),
                                                 value=ctx.train_choices[0].key if ctx.train_choices else None,
                                                 label=t("train.data", lang), elem_id="train-data"),
                                     label="train.data", choices=train_data_choices)
                        tr_art = tr(gr.Dropdown(artefact_choices(lang, none=True), value="laterality_marker",
                                                label=t("train.artefact", lang), elem_id="train-artefact"),
                                    label="train.artefact", choices=lambda lg: artefact_choices(lg, none=True))
                        tr_conf = tr(gr.Slider(0, 100, value=90, step=5, label=t("train.confound", lang),
                                               elem_id="train-confound"), label="train.confound")
                        tr_neg = tr(gr.Slider(0, 100, value=0, step=5, label=t("train.confound_neg", lang),
                                              elem_id="train-confound-neg", elem_classes=["xai-advanced"]),
                                    label="train.confound_neg")
                        tr_epochs = tr(gr.Slider(1, 6, value=3, step=1, label=t("train.epochs", lang),
                                                 elem_id="train-epochs", elem_classes=["xai-advanced"]),
                                       label="train.epochs")
                        tr_limit = tr(gr.Slider(200, 5000, value=TRAIN_LIMITS.get(
                                                    ctx.train_choices[0].key if ctx.train_choices else "", 1500),
                                                step=100, label=t("train.limit", lang),
                                                elem_id="train-limit", elem_classes=["xai-advanced"]),
                                      label="train.limit")
                        tr_btn = tr(gr.Button(t("train.run", lang), variant="primary", elem_id="train-run"),
                                    value="train.run")
                    with gr.Column(scale=2):
                        tr_md = gr.Markdown("", elem_id="train-text")
            # ------------------------------------------------------------ quiz
            with tr(gr.Tab(t("tab.quiz", lang), id="quiz", elem_id="tab-quiz"), label="tab.quiz"):
                tr(gr.Markdown(t("quiz.intro", lang)), value="quiz.intro")
                with gr.Row():
                    with gr.Column(scale=2):
                        quiz_img = gr.Image(type="filepath", interactive=False, show_label=False,
                                            buttons=["fullscreen"],
                                            elem_id="quiz-picture")
                    with gr.Column(scale=2):
                        quiz_md = gr.Markdown(t("quiz.start", lang), elem_id="quiz-text")
                        with gr.Row():
                            ans_path = tr(gr.Button(t("quiz.pathology", lang), elem_id="quiz-pathology"),
                                          value="quiz.pathology")
                            ans_art = tr(gr.Button(t("quiz.artefact", lang), elem_id="quiz-artefact"),
                                         value="quiz.artefact")
                        quiz_next_btn = tr(gr.Button(t("quiz.next", lang), variant="primary", elem_id="quiz-next"),
                                           value="quiz.next")
                        reveal_md = gr.Markdown("", elem_id="quiz-reveal")
                        score_md = gr.Markdown(t("quiz.score", lang, right=0, total=0), elem_id="quiz-score")
            # ------------------------------------------------------------ about
            with tr(gr.Tab(t("tab.about", lang), id="about", elem_id="tab-about"), label="tab.about"):
                tr(gr.Markdown(about(lang), elem_id="about"), value=about)

        # ---------------------------------------------------------------- wiring
        explore_inputs = [state, model_dd, methods_cb, alpha, mode]
        explore_outputs = [state, pred_md, probs, maps, time_md]

        def show_case(index: int, st: dict, model_key: str, methods: list[str], a: float, m: str):
            if not ctx.cases:
                return st, t("cases.none", st["lang"]), None, "", None, [], ""
            st = cb.case_image(index, st)
            st, pred, prob, items, timing = cb.explore(st, model_key, methods, a, m)
            return st, cb.case_text(st), cb.editor_value(st), pred, prob, items, timing

        def on_select(evt: gr.SelectData, st, model_key, methods, a, m):
            return show_case(int(evt.index), st, model_key, methods, a, m)

        def on_step(step: int) -> Callable:
            def handler(st, model_key, methods, a, m):
                return show_case(max(st.get("case_index", -1), -1) + step if st.get("case_index", -1) >= 0
                                 else (0 if step > 0 else -1), st, model_key, methods, a, m)
            return handler

        case_outputs = [state, case_md, editor, pred_md, probs, maps, time_md]
        gallery.select(on_select, explore_inputs, case_outputs, concurrency_limit=4)
        next_btn.click(on_step(1), explore_inputs, case_outputs, concurrency_limit=4, api_name="next_case")
        prev_btn.click(on_step(-1), explore_inputs, case_outputs, concurrency_limit=4)

        def on_upload(path, st, model_key, methods, a, m):
            st2, error = cb.upload_image(path, st)
            if error:
                warn(error)
                return st, f"**{error}**", gr.update(), "", None, [], "", None
            st2, pred, prob, items, timing = cb.explore(st2, model_key, methods, a, m)
            return st2, cb.case_text(st2), cb.editor_value(st2), pred, prob, items, timing, None

        upload.upload(on_upload, [upload, state, model_dd, methods_cb, alpha, mode], [*case_outputs, upload],
                      concurrency_limit=4)
        run_btn.click(cb.explore, explore_inputs, explore_outputs, concurrency_limit=4, api_name="explore")
        alpha.release(cb.rerender, [state, alpha, mode], [maps], concurrency_limit=4)
        mode.input(cb.rerender, [state, alpha, mode], [maps], concurrency_limit=4)
        measure_btn.click(cb.measure, [state, editor], [region_md], concurrency_limit=4)

        sc_inputs = [state, pair_dd, add_cb, art_dd, pos_dd, scale_sl, sc_method]
        sc_outputs = [state, clean_img, short_img, clean_md, short_md]
        sc_btn.click(cb.shortcut, sc_inputs, sc_outputs, concurrency_limit=4).then(
            lambda st, k: cb.table(st, k), [state, pair_dd], [table_md])
        for comp in (add_cb, pos_dd, sc_method, art_dd):
            comp.input(cb.shortcut, sc_inputs, sc_outputs, concurrency_limit=4)
        scale_sl.release(cb.shortcut, sc_inputs, sc_outputs, concurrency_limit=4)
        def on_pair(st: dict, key: str):
            pair = ctx.pair(key)
            return cb.table(st, key), gr.update(value=pair.shortcut.artefact if pair else None)

        pair_dd.input(on_pair, [state, pair_dd], [table_md, art_dd]).then(cb.shortcut, sc_inputs, sc_outputs)

        def on_table(st, key, progress=gr.Progress()):  # noqa: B008 (gradio's idiom)
            return cb.table(st, key, compute=True, progress=lambda f, msg: progress(f, desc=msg))

        table_btn.click(on_table, [state, pair_dd], [table_md], concurrency_limit=1)

        def on_sanity(st, key, methods):
            st, n = cb.sanity(st, key, methods)
            items, text = cb.sanity_view(st, n)
            return st, gr.update(maximum=max(n, 1), value=n), items, text

        san_btn.click(on_sanity, [state, san_model, san_methods], [state, stage_sl, san_gallery, san_md],
                      concurrency_limit=2)
        stage_sl.change(cb.sanity_view, [state, stage_sl], [san_gallery, san_md], concurrency_limit=4,
                        trigger_mode="always_last")  # dragging: only the latest position is drawn

        def on_train(st, choice, art, conf, neg, epochs, limit, progress=gr.Progress()):  # noqa: B008 (gradio's idiom)
            progress(0.0, desc=t("train.progress", st["lang"]))
            st, text = cb.train(st, choice, art, conf, neg, epochs, limit,
                                progress=lambda f, msg: progress(f, desc=f"{t('train.progress', st['lang'])}: {msg}"))
            choices = cb.model_choices(st)
            new_key = list(st["user_models"])[-1] if st["user_models"] else None
            return (st, text, gr.update(choices=choices, value=new_key or gr.skip()),
                    gr.update(choices=choices))

        tr_data.input(lambda key: gr.update(value=TRAIN_LIMITS.get(key, 1500)), [tr_data], [tr_limit])
        tr_btn.click(on_train, [state, tr_data, tr_art, tr_conf, tr_neg, tr_epochs, tr_limit],
                     [state, tr_md, model_dd, san_model], concurrency_limit=1, concurrency_id="train")

        quiz_next_btn.click(lambda st: (*cb.quiz_next(st), ""), [state], [state, quiz_img, quiz_md, reveal_md],
                            concurrency_limit=4)
        ans_path.click(lambda st: cb.quiz_answer(st, "pathology"), [state], [state, quiz_img, reveal_md, score_md])
        ans_art.click(lambda st: cb.quiz_answer(st, "artefact"), [state], [state, quiz_img, reveal_md, score_md])

        def on_language(lg: str, st: dict, a: float, m: str):
            st = dict(st)
            st["lang"] = lg
            choices = cb.model_choices(st)
            cases_update = gr.update(value=case_items(lg)) if ctx.cases else gr.update()
            return (st, *tr.updates(lg), gr.update(choices=choices), gr.update(choices=choices),
                    cb.case_text(st) if st.get("image") is not None else t("error.no_image", lg),
                    cb.quiz_score(st), cases_update, *cb.relabel(st, a, m))

        language.change(on_language, [language, state, alpha, mode],
                        [state, *tr.components, model_dd, san_model, case_md, score_md, gallery, pred_md, probs,
                         maps])
        lecture_box.change(None, [lecture_box], None,
                           js="(v) => { document.body.classList.toggle('lecture', v); return v; }")
        flag = "true" if lecture else "false"
        demo.load(None, None, None, js=f"() => {{ document.body.classList.toggle('lecture', {flag}); }}")
        if ctx.cases:
            demo.load(lambda st, k, ms, a, m: show_case(0, st, k, ms, a, m), explore_inputs, case_outputs)
        if ctx.pairs:
            demo.load(lambda st, k: cb.table(st, k), [state, pair_dd], [table_md])  # the warm-up may have made it

    demo.xai_callbacks = cb
    demo.xai_context = ctx
    return demo


def theme():
    """The default theme with system fonts only (nothing fetched from the network)."""
    return gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS, text_size="lg")


def launch_kwargs(host: str = "127.0.0.1", port: int | None = 7860) -> dict[str, Any]:
    """The offline, private launch settings (used by :func:`serve`, ``app.py`` and the tests)."""
    return dict(server_name=host, server_port=port, theme=theme(), css=CSS, head=HEAD, footer_links=[],
                max_file_size=MAX_UPLOAD, ssr_mode=False, share=False, show_error=False, quiet=True,
                allowed_paths=[], state_session_capacity=2000)


def launch(demo, host: str = "127.0.0.1", port: int | None = 7860, *, warm_up: bool = True, **kwargs: Any):
    """Queue and launch a built app offline (blocking unless ``prevent_thread_lock=True``), precomputing the
    teaching cases in the background so that nothing stalls on the projector."""
    demo.queue(default_concurrency_limit=4, max_size=200)
    block = not kwargs.pop("prevent_thread_lock", False)
    result = demo.launch(**{**launch_kwargs(host, port), **kwargs, "prevent_thread_lock": True})
    if warm_up:  # started once the page answers, so that it does not slow the cold start
        cb = demo.xai_callbacks
        thread = threading.Thread(target=cb.warm_up, name="xai-warm-up", daemon=True)
        thread.start()
        # at exit, let the warm-up finish its current item rather than killing it inside torch
        atexit.register(lambda: (cb.stop_warm_up.set(), thread.join(timeout=30)))
    if block:
        demo.block_thread()
    return result


def serve(host: str = "127.0.0.1", port: int | None = None, lang: str = "en", lecture: bool = False,
          data_root: str | None = None, models_dir: str | None = None, **kwargs: Any) -> None:
    """Build and launch the app (blocking) on ``host:port``; 127.0.0.1 by default, nothing leaves the machine.

    ``port=None`` takes 7860, or the next free port when another program holds it; the address is printed.
    """
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    demo = build_app(models_dir, lang=lang, lecture=lecture, data_root_dir=data_root)
    block = not kwargs.pop("prevent_thread_lock", False)
    launch(demo, host, port, prevent_thread_lock=True, **kwargs)
    print(f"xai_demo is ready: open {demo.local_url} in a browser (Ctrl+C to stop)", flush=True)
    if block:
        demo.block_thread()


__all__ = ["AppContext", "Callbacks", "build_app", "launch", "launch_kwargs", "serve", "theme"]
