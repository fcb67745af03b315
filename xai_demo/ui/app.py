"""The Gradio web app's shell: the header (title, language, lecture mode), the six tabs, launch settings.

The tabs live in :mod:`xai_demo.ui.tabs` (one module each, building its components and wiring its events);
the per-user state is an immutable :class:`~xai_demo.ui.session.Session`. :func:`build_app` builds the page
without launching it (tests call the handlers it exposes as ``demo.xai_callbacks``); :func:`serve` launches
it offline on 127.0.0.1 by default.
"""

from __future__ import annotations

import atexit
import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no telemetry
import gradio as gr  # noqa: E402

from ..paths import SAMPLES_DIR, data_root  # noqa: E402
from .callbacks import Callbacks  # noqa: E402
from .context import AppContext, make_context  # noqa: E402
from .health import add_health_route  # noqa: E402
from .page import Page  # noqa: E402
from .scripts import ON_LOAD_LANGUAGE_JS, ON_SWITCH_LANGUAGE_JS  # noqa: E402
from .session import Session, new_state  # noqa: E402
from .shelf import InMemoryModels  # noqa: E402
from .style import CSS, HEAD, MONO_FONTS, SYSTEM_FONTS  # noqa: E402
from .tabs import about, explore, quiz, sanity, shortcut, train  # noqa: E402
from .text import LANGS, t  # noqa: E402

MAX_UPLOAD = "20mb"
SESSION_TTL = 3 * 3600  # seconds a visitor's state (and Gradio's copies of its pictures) is kept after last use
TABS = (explore, shortcut, sanity, train, quiz, about)  # in page order; each has build(page)


def _header(page: Page):
    """Title, language switch and lecture toggle; returns (language radio, lecture checkbox)."""
    tr, lang = page.tr, page.lang
    with gr.Row(elem_id="header"):
        with gr.Column(scale=3):
            tr(gr.Markdown(f"# {t('app.title', lang)}\n{t('app.subtitle', lang)}", elem_id="app-title"),
               value=lambda lg: f"# {t('app.title', lg)}\n{t('app.subtitle', lg)}")
        with gr.Column(scale=1, min_width=320):
            language = gr.Radio([("English", "en"), ("Français", "fr")], value=lang, label="Language / Langue",
                                elem_id="language")
            lecture_box = tr(gr.Checkbox(value=page.lecture, label=t("app.lecture", lang), elem_id="lecture-toggle"),
                             label="app.lecture")
    return language, lecture_box


def _wire_language(page: Page, language: gr.Radio) -> None:
    """The language switch (every translated string, then each tab's own refresh), and the page's opening: the
    browser's language (or the visitor's earlier choice), then each tab's first content, in one chain."""
    hooks = page.language_hooks
    hook_inputs = [c for h in hooks for c in h.inputs]
    hook_outputs = [page.state, *page.tr.components, *[c for h in hooks for c in h.outputs]]

    def on_language(lang: str, session: Session, *values: Any, opening: bool = False) -> list:
        session = replace(session, lang=lang)
        if opening and lang == page.lang:
            # a fresh page in the language it was built in already shows all of this: skipping the ~75 updates
            # (strings, model lists, the 26 case thumbnails) spares Gradio a per-session copy of each component's
            # config and a pass over every file, most of a page opening's server time under a class's load
            return [session, *[gr.skip()] * (len(hook_outputs) - 1)]
        out, start = [session, *page.tr.updates(lang)], 0
        for hook in hooks:
            out += list(hook.fn(session, *values[start : start + len(hook.inputs)]))
            start += len(hook.inputs)
        return out

    # .input, not .change: only a visitor's click switches; the opening below sets the radio without a second event
    language.input(on_language, [language, page.state, *hook_inputs], hook_outputs, js=ON_SWITCH_LANGUAGE_JS)
    event = page.demo.load(lambda lang, session, *values: [lang, *on_language(lang, session, *values, opening=True)],
                           [language, page.state, *hook_inputs], [language, *hook_outputs], js=ON_LOAD_LANGUAGE_JS)
    for opener in page.openers:
        event = event.then(opener.fn, opener.inputs, opener.outputs)


def build_app(models_dir: str | os.PathLike[str] | None = None, *, models: InMemoryModels | None = None,
              lang: str = "en", lecture: bool = False, data_root_dir: str | os.PathLike[str] | None = None,
              samples_dir: str | os.PathLike[str] | None = None, reports_dir: str | os.PathLike[str] | None = None):
    """Build the Blocks (not launched). ``demo.xai_callbacks`` exposes the plain handlers for tests.

    Args:
        models_dir: folder of checkpoints (default: the committed ``models/``, unless ``models`` are given).
        models: ready :class:`~xai_demo.models.XaiModel` objects (or checkpoints), as a name -> model mapping or
            a list, offered in every tab; instead of the folder, or beside it when ``models_dir`` is also given.
            A :class:`~xai_demo.checkpoints.Checkpoint` whose ``train_config`` names a ``dataset`` and an
            ``artefact`` pairs with a clean one of the same dataset and size (Shortcuts and Quiz tabs).
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    ctx = make_context(Path(models_dir) if models_dir else None, data_root(data_root_dir),
                       Path(samples_dir) if samples_dir else SAMPLES_DIR, Path(reports_dir) if reports_dir else None,
                       models=models)
    cb = Callbacks(ctx, lecture=lecture)
    # Gradio's copies of the pictures live as long as a session (3 h): a page keeps sending some back (the
    # editor's background, the case thumbnails), and deleting them after 5 minutes broke the page mid-lecture
    with gr.Blocks(title=t("app.title", lang), analytics_enabled=False, delete_cache=(600, SESSION_TTL),
                   fill_width=True) as demo:
        state = gr.State(new_state(lang), time_to_live=SESSION_TTL)  # per user; dropped 3 h after last use
        page = Page(ctx, cb, lang, lecture, demo, state)
        language, lecture_box = _header(page)
        lecture_box.change(None, [lecture_box], None,
                           js="(v) => { document.body.classList.toggle('lecture', v); return v; }")
        flag = "true" if lecture else "false"
        demo.load(None, None, None, js=f"() => {{ document.body.classList.toggle('lecture', {flag}); }}")
        with gr.Tabs():
            for tab in TABS:
                tab.build(page)
        _wire_language(page, language)
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
    import torch

    # requests run in parallel threads; intra-op threads on top of them oversubscribe the two cores (a live-training
    # batch took 1.3 s with 2 threads against 0.16 s with 1 on the loaded machine: benchmarks/live_training.py)
    torch.set_num_threads(1)
    demo.queue(default_concurrency_limit=4, max_size=200)
    block = not kwargs.pop("prevent_thread_lock", False)
    result = demo.launch(**{**launch_kwargs(host, port), **kwargs, "prevent_thread_lock": True})
    add_health_route(demo, demo.server_port)
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
          data_root: str | None = None, models_dir: str | None = None, models: InMemoryModels | None = None,
          **kwargs: Any) -> None:
    """Build and launch the app (blocking) on ``host:port``; 127.0.0.1 by default, nothing leaves the machine.

    ``port=None`` takes 7860, or the next free port when another program holds it; the address is printed.
    ``models`` are models held in memory, as for :func:`build_app`: ``serve(models={"my net": model})``.
    """
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    demo = build_app(models_dir, models=models, lang=lang, lecture=lecture, data_root_dir=data_root)
    block = not kwargs.pop("prevent_thread_lock", False)
    launch(demo, host, port, prevent_thread_lock=True, **kwargs)
    print(f"xai_demo is ready: open {demo.local_url} in a browser (Ctrl+C to stop)", flush=True)
    if block:
        demo.block_thread()


__all__ = ["AppContext", "Callbacks", "Session", "build_app", "launch", "launch_kwargs", "new_state", "serve", "theme"]
