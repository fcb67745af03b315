"""Plugins: modules that register a developer's models, methods, datasets or artefacts on import.

A plugin is any Python module whose import calls :func:`~xai_demo.register_model` (or
``register_method``, ``register_dataset``, ``register_artefact``). It is loaded

- by name or file path: ``xai-demo --plugin my_nets ...``, ``xai-demo train --plugin ./my_nets.py ...``,
  :func:`load_plugin`;
- automatically when installed: a package declares an entry point in the ``xai_demo.plugins`` group::

      [project.entry-points."xai_demo.plugins"]
      my_nets = "my_package.my_nets"

  Set ``XAI_DEMO_NO_PLUGINS=1`` to skip installed plugins (e.g. when one of them is broken).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import threading
from importlib import metadata
from pathlib import Path
from types import ModuleType

from .errors import PluginError

ENTRY_POINT_GROUP = "xai_demo.plugins"
SKIP_ENV = "XAI_DEMO_NO_PLUGINS"

_lock = threading.Lock()
_entry_points_loaded = False  # process-wide, like sys.modules: each installed plugin is imported once


def _describe(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def load_plugin(name_or_path: str) -> ModuleType:
    """Import a plugin given as a module name (``my_package.nets``) or a ``.py`` file path.

    A file is imported under a name derived from its resolved path, so loading it twice runs it once.

    Raises:
        PluginError: the module cannot be found or raises while importing; one line says which and why.
    """
    path = Path(name_or_path)
    try:
        if name_or_path.endswith(".py") or path.is_file():
            if not path.is_file():
                raise PluginError(f"plugin file {name_or_path} does not exist; give a .py file or a module name")
            resolved = path.resolve()
            module_name = f"xai_demo_plugin_{resolved.stem}_{hashlib.sha1(str(resolved).encode()).hexdigest()[:8]}"
            if module_name in sys.modules:
                return sys.modules[module_name]
            spec = importlib.util.spec_from_file_location(module_name, resolved)
            if spec is None or spec.loader is None:
                raise PluginError(f"plugin {name_or_path} cannot be imported as a Python file")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[module_name]
                raise
            return module
        return importlib.import_module(name_or_path)
    except PluginError:
        raise
    except ModuleNotFoundError as exc:
        raise PluginError(
            f"plugin {name_or_path!r} failed to import ({_describe(exc)}); pass an importable module name "
            "(check PYTHONPATH and that its package is installed) or a path to a .py file"
        ) from None
    except (Exception, SystemExit) as exc:  # a plugin is foreign code: any failure is reported on one line
        raise PluginError(f"plugin {name_or_path!r} failed to import ({_describe(exc)}); fix the plugin") from None


def load_plugins(names: list[str] | tuple[str, ...]) -> list[ModuleType]:
    """:func:`load_plugin` each name in order."""
    return [load_plugin(name) for name in names]


def load_entry_point_plugins() -> list[str]:
    """Import every installed plugin of the ``xai_demo.plugins`` entry-point group, once per process.

    Returns the names of the entry points imported by this call (none when already done or when
    ``$XAI_DEMO_NO_PLUGINS`` is set).

    Raises:
        PluginError: an installed plugin fails to import; the message names its distribution.
    """
    global _entry_points_loaded
    if os.environ.get(SKIP_ENV, "").lower() in ("1", "true", "yes"):
        return []
    with _lock:
        if _entry_points_loaded:
            return []
        _entry_points_loaded = True
        loaded = []
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                ep.load()
            except (Exception, SystemExit) as exc:
                dist = getattr(ep.dist, "name", None) or "an installed package"
                raise PluginError(
                    f"installed plugin {ep.name!r} ({ep.value}, from {dist}) failed to import ({_describe(exc)}); "
                    f"fix or uninstall it, or set {SKIP_ENV}=1 to skip installed plugins"
                ) from None
            loaded.append(ep.name)
        return loaded


def reset_entry_point_plugins() -> None:
    """Forget that installed plugins were loaded, so the next :func:`load_entry_point_plugins` imports
    newly installed ones (tests)."""
    global _entry_points_loaded
    with _lock:
        _entry_points_loaded = False
