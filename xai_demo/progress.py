"""The one progress-callback type shared by training, the shortcut measurements, sanity checks and the UI."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], None]
"""Called with (fraction done in [0, 1], short message), e.g. by a progress bar; optional wherever it is taken."""

__all__ = ["Progress"]
