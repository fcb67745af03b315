"""What the tabs share while the page is built: the handlers, the session component, the translated strings
and the hooks through which a tab follows the language switch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from .context import AppContext
from .text import t


class Translated:
    """Components whose visible strings follow the language switch.

    ``tr(component, label="key", choices=fn)`` registers the component and returns it; each attribute is a
    :func:`~xai_demo.ui.text.t` key or a function of the language.
    """

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


@dataclass
class LanguageHook:
    """A tab's refresh on a language switch: ``fn(session, *inputs) -> one value per output``."""

    outputs: list
    inputs: list
    fn: Callable[..., tuple]


@dataclass
class Page:
    """The page under construction, handed to each tab's ``build``.

    Attributes:
        demo, state: the Blocks and the per-user :class:`~xai_demo.ui.session.Session` component.
        model_dropdowns: dropdowns listing the models (refreshed after a user trains one).
    """

    ctx: AppContext
    cb: Any  # the app's Callbacks (every tab's handlers)
    lang: str
    lecture: bool
    demo: gr.Blocks
    state: gr.State
    tr: Translated = field(default_factory=Translated)
    language_hooks: list[LanguageHook] = field(default_factory=list)
    openers: list[LanguageHook] = field(default_factory=list)
    model_dropdowns: list = field(default_factory=list)

    def on_language(self, outputs: list, fn: Callable[..., tuple], inputs: list | None = None) -> None:
        """Refresh ``outputs`` with ``fn(session, *inputs)`` when the language changes."""
        self.language_hooks.append(LanguageHook(list(outputs), list(inputs or []), fn))

    def on_open(self, outputs: list, fn: Callable[..., tuple], inputs: list) -> None:
        """Run ``fn(*inputs)`` (a value, or a tuple for several outputs) into ``outputs`` when the page opens,
        once its language is set (one chain of events after the language, so that no two write the session
        at once)."""
        self.openers.append(LanguageHook(list(outputs), list(inputs), fn))


def warn(message: str | None) -> None:
    """Show ``message`` as a toast (nothing when it is None)."""
    if message:
        gr.Warning(message)


__all__ = ["LanguageHook", "Page", "Translated", "warn"]
