"""Checkpoint files: weights + spec + training config + measured metrics + provenance, in one file.

Files are written with ``torch.save`` and read with ``torch.load(weights_only=True)``, which only
rebuilds tensors and plain containers: a hostile file cannot run code, it can only fail to load.
"""

from __future__ import annotations

import os
import pickle
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .errors import CheckpointError, RegistryError
from .models import ModelSpec, XaiModel, build_from_spec, state_dict_for

FORMAT = "xai_demo.checkpoint"
VERSION = 1


@dataclass
class Checkpoint:
    """A loaded checkpoint: the ready model (eval mode) and its model card."""

    model: XaiModel
    train_config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def spec(self) -> ModelSpec:
        return self.model.spec

    def card(self) -> dict[str, Any]:
        """The model card: spec, training config, test metrics and data provenance, as plain types."""
        return {
            "spec": self.spec.to_dict(),
            "train_config": self.train_config,
            "metrics": self.metrics,
            "provenance": self.provenance,
        }


def save_checkpoint(
    path: str | os.PathLike[str],
    model: XaiModel,
    *,
    train_config: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` and its card to ``path`` (atomically) and return the path.

    The dictionaries must hold plain types only (str, int, float, bool, None, lists, dicts).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "spec": model.spec.to_dict(),
        "state_dict": state_dict_for(model),
        "train_config": train_config or {},
        "metrics": metrics or {},
        "provenance": provenance or {},
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Load a checkpoint written by :func:`save_checkpoint` into a ready model in eval mode.

    Raises:
        CheckpointError: the file is missing, not a torch file, not an xai_demo checkpoint, holds
            anything but tensors and plain types, or its weights do not fit its spec.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}; train one with `xai-demo train` or check the path")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError, struct.error,
            AttributeError, TypeError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"{path.name} is not a loadable xai_demo checkpoint ({first}). Only files written by "
            "`xai-demo train` are accepted; anything needing code to unpickle is refused."
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is a torch file but not an xai_demo checkpoint")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{path.name} has checkpoint version {payload.get('version')}, expected {VERSION}")
    try:
        spec = ModelSpec.from_dict(payload["spec"])
        model = build_from_spec(spec)
        model.net.load_state_dict(payload["state_dict"], strict=True)
    except RegistryError as exc:
        raise CheckpointError(str(exc)) from None
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise CheckpointError(f"{path.name} does not match its own model spec: {first}") from None
    model.eval()
    return Checkpoint(
        model=model,
        train_config=dict(payload.get("train_config") or {}),
        metrics=dict(payload.get("metrics") or {}),
        provenance=dict(payload.get("provenance") or {}),
        path=path,
    )


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}"


def model_card(checkpoint: Checkpoint, command: str = "") -> str:
    """A markdown model card: data and licence, seed, the command that reproduces it, test metrics."""
    spec, cfg, metrics, prov = checkpoint.spec, checkpoint.train_config, checkpoint.metrics, checkpoint.provenance
    test, val = metrics.get("test", {}), metrics.get("val", {})
    name = checkpoint.path.name if checkpoint.path else "checkpoint"
    lines = [f"# Model card: `{name}`", ""]
    lines.append(f"- **Task**: {' vs '.join(spec.class_names)} from grayscale images, {spec.input_size} px")
    lines.append(f"- **Architecture**: `{spec.arch}` (Grad-CAM layer `{spec.target_layer}`)")
    lines.append(f"- **Data**: `{cfg.get('dataset')}`; splits: " + ", ".join(
        f"{k} {v['n']} ({'/'.join(str(c) for c in v['class_counts'])})" for k, v in prov.get("splits", {}).items()))
    if prov.get("citation"):
        lines.append(f"- **Citation**: {prov['citation']} Licence: {prov.get('licence', 'see source')}.")
    if cfg.get("artefact"):
        opts = ", ".join(f"{k}={v}" for k, v in (cfg.get("artefact_options") or {}).items())
        lines.append(
            f"- **Planted shortcut**: `{cfg['artefact']}`{f' ({opts})' if opts else ''} on "
            f"{_pct(cfg.get('confound'))}% of {spec.class_names[1]} and {_pct(cfg.get('confound_negative'))}% of "
            f"{spec.class_names[0]} training and validation images. **This model is deliberately biased: "
            "for teaching only.**")
    lines.append(f"- **Seed**: {cfg.get('seed')}; epochs {cfg.get('epochs')}; "
                 f"trained in {metrics.get('train_seconds', 'n/a')} s on {metrics.get('machine', 'n/a')}")
    if command:
        lines += ["", "Reproduce with:", "", f"    {command}"]
    lines += ["", f"Decision threshold on P({spec.class_names[1]}): {spec.threshold:.3f}, chosen on the validation "
              "split (carved from train), never on test.", ""]
    lines += ["| split | n | accuracy | AUC | sensitivity | specificity |", "|---|---|---|---|---|---|"]
    for split, m in (("validation", val), ("test", test)):
        if m:
            lines.append(f"| {split} | {m['n']} | {_pct(m['accuracy'])}% | {m['auc']:.3f} | "
                         f"{_pct(m['sensitivity'])}% | {_pct(m['specificity'])}% |")
    if test.get("confusion"):
        (tn, fp), (fn, tp) = test["confusion"]
        a, b = spec.class_names
        lines += ["", "Test confusion matrix (rows: truth, columns: prediction):", "",
                  f"| | {a} | {b} |", "|---|---|---|", f"| {a} | {tn} | {fp} |", f"| {b} | {fn} | {tp} |"]
    lines += ["", "Not a medical device: a teaching model trained on a small public dataset. Its errors and "
              "its shortcuts are the point of the lesson.", ""]
    return "\n".join(lines)
