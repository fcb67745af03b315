"""The teaching web app (Gradio). Importing this package does not import gradio; building the app does."""

from __future__ import annotations

from typing import Any

from .session import Session, new_state  # plain dataclasses: no gradio


def build_app(*args: Any, **kwargs: Any):
    """Build the Gradio Blocks without launching it; see :func:`xai_demo.ui.app.build_app`."""
    from .app import build_app as _build

    return _build(*args, **kwargs)


def launch(*args: Any, **kwargs: Any):
    """Queue and launch a built app offline; see :func:`xai_demo.ui.app.launch`."""
    from .app import launch as _launch

    return _launch(*args, **kwargs)


def serve(*args: Any, **kwargs: Any) -> None:
    """Launch the web app (blocking); see :func:`xai_demo.ui.app.serve`."""
    from .app import serve as _serve

    _serve(*args, **kwargs)


__all__ = ["Session", "build_app", "launch", "new_state", "serve"]
