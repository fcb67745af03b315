"""The models the app offers: every checkpoint of a folder, loaded once and read-only, and their clean/shortcut
pairs. No gradio here."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..checkpoints import Checkpoint, load_checkpoint
from ..errors import ConfigError
from ..models import XaiModel
from .text import artefact_name, percent, t

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    """A loaded checkpoint and what the app needs to know about it.

    Attributes:
        key: unique id (file stem for shared models, "user:N" for a user's own).
        checkpoint: the loaded checkpoint (read-only once loaded).
        dataset, size: what it was trained on and its input side.
        artefact: the planted artefact (None for a clean model); ``options`` its parameters.
    """

    key: str
    checkpoint: Checkpoint = field(repr=False)
    dataset: str
    size: int
    artefact: str | None
    options: dict[str, Any]
    user_number: int | None = None  # set for a model a user trained in this session
    title: str | None = None  # the name given to a model passed in memory (build_app(models=...))

    @property
    def model(self):  # noqa: ANN201 (XaiModel; kept light)
        return self.checkpoint.model

    def label(self, lang: str) -> str:
        """E.g. "kermany 128 px, shortcut: Laterality marker (L/R) 'L'"."""
        if self.artefact:
            what = artefact_name(self.artefact, lang)
            text = self.options.get("text")
            cfg = self.checkpoint.train_config
            rates = " " + "/".join(percent(float(cfg.get(k) or 0), lang) for k in ("confound", "confound_negative"))
            kind = t("model.shortcut", lang, artefact=(f"{what} “{text}”" if text else what) + rates)
        else:
            kind = t("model.clean", lang)
        label = t("model.label", lang, dataset=self.dataset, size=self.size, kind=kind)
        if self.title:
            return f"{self.title} · {label}"
        return label if self.user_number is None else t("model.user", lang, n=self.user_number, desc=label)


def entry_from_checkpoint(key: str, checkpoint: Checkpoint, user_number: int | None = None) -> LoadedModel:
    """A :class:`LoadedModel` from a checkpoint's training config."""
    cfg = checkpoint.train_config
    return LoadedModel(
        key=key, checkpoint=checkpoint, dataset=str(cfg.get("dataset") or "?"),
        size=int(checkpoint.spec.input_size), artefact=cfg.get("artefact") or None,
        options=dict(cfg.get("artefact_options") or {}), user_number=user_number,
    )


InMemoryModels = Mapping[str, XaiModel | Checkpoint] | Sequence[XaiModel | Checkpoint]


def in_memory_models(models: InMemoryModels) -> dict[str, LoadedModel]:
    """The app's entries for models given in Python: a name -> model mapping, or a list (named after their
    architectures). Values are :class:`~xai_demo.models.XaiModel` (a clean model of dataset "in memory") or
    :class:`~xai_demo.checkpoints.Checkpoint`, whose ``train_config`` may name a ``dataset`` and a planted
    ``artefact`` (with ``artefact_options``): a clean and a shortcut model of the same dataset and size pair up
    for the Shortcuts and Quiz tabs, as :func:`xai_demo.train.train`'s checkpoints do.

    Raises:
        ConfigError: a value is neither, or a name is empty, reserved ("user:...") or given twice.
    """
    if isinstance(models, Mapping):
        items = [(str(k), v) for k, v in models.items()]
    else:
        items, seen = [], {}
        for value in models:
            arch = value.spec.arch if isinstance(value, (XaiModel, Checkpoint)) else "model"
            seen[arch] = seen.get(arch, 0) + 1
            items.append((arch if seen[arch] == 1 else f"{arch} {seen[arch]}", value))
    out: dict[str, LoadedModel] = {}
    for name, value in items:
        if not name.strip() or name.startswith("user:") or name in out:
            raise ConfigError(f"model name {name!r} is empty, reserved or given twice; give each model its own name")
        if isinstance(value, XaiModel):
            value = Checkpoint(value)
        if not isinstance(value, Checkpoint):
            raise ConfigError(f"model {name!r} is a {type(value).__name__}; pass an xai_demo.XaiModel (wrap a "
                              "network: XaiModel(net, ModelSpec(...))) or an xai_demo.Checkpoint")
        config = {"dataset": "in memory", **value.train_config}
        entry = entry_from_checkpoint(name, replace(value, train_config=config))
        out[name] = replace(entry, title=name)
    return out


def discover_models(folder: Path) -> dict[str, LoadedModel]:
    """Load every ``*.pt`` checkpoint in ``folder`` (unreadable files are skipped and logged).

    Ordered: larger inputs first, clean before shortcut, then by name.
    """
    entries = []
    for path in sorted(Path(folder).glob("*.pt")) if Path(folder).is_dir() else []:
        try:
            entries.append(entry_from_checkpoint(path.stem, load_checkpoint(path)))
        except Exception as exc:  # load_checkpoint lets some corrupt files through (e.g. struct.error)
            log.warning("skipping %s: %s", path.name, exc)
    entries.sort(key=lambda e: (-e.size, e.artefact is not None, e.key))
    return {e.key: e for e in entries}


@dataclass(frozen=True)
class Pair:
    """A clean model and a shortcut model trained on the same dataset at the same size."""

    clean: LoadedModel
    shortcut: LoadedModel

    @property
    def key(self) -> str:
        return f"{self.clean.key}|{self.shortcut.key}"

    def label(self, lang: str) -> str:
        """E.g. "kermany 128 px · Laterality marker (L/R)"."""
        return f"{self.shortcut.dataset} {self.shortcut.size} px · {artefact_name(self.shortcut.artefact, lang)}"


def pair_models(models: dict[str, LoadedModel]) -> list[Pair]:
    """Every shortcut model with a clean model of the same dataset and size (larger sizes first)."""
    pairs = []
    for short in models.values():
        if not short.artefact:
            continue
        clean = next((m for m in models.values()
                      if not m.artefact and m.dataset == short.dataset and m.size == short.size), None)
        if clean is not None:
            pairs.append(Pair(clean, short))
    return pairs
