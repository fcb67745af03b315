"""Exception types raised by xai_demo. Each message says what went wrong and how to fix it."""

from __future__ import annotations


class XaiDemoError(Exception):
    """Base class for every error xai_demo raises on purpose."""


class ImageError(XaiDemoError, ValueError):
    """An image could not be read: empty, corrupt, truncated, not an image, or too large."""


class DataError(XaiDemoError):
    """A dataset is missing, malformed or cannot be downloaded."""


class CheckpointError(XaiDemoError):
    """A checkpoint file is missing, malformed, or not an xai_demo checkpoint."""


class ConfigError(XaiDemoError, ValueError):
    """A setting or argument is out of range, of the wrong type, or inconsistent with another."""


class RegistryError(XaiDemoError, KeyError):
    """An unknown name was asked of a registry (model, method, dataset or artefact)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class PluginError(XaiDemoError):
    """A plugin (``--plugin`` or an installed ``xai_demo.plugins`` entry point) failed to import."""
