"""Checkpoint files: weights + spec + training config + measured metrics + provenance, in one file.

Files are written atomically with ``torch.save`` and read with ``torch.load(weights_only=True)``, which only
rebuilds tensors and plain containers: a hostile file cannot run code. Everything else in it is untrusted
too, so before any of it is used:

- the file must be at most ``MAX_BYTES``, a zip whose members are stored uncompressed (as ``torch.save``
  writes them) and add up to at most ``MAX_BYTES``, with a pickle of at most ``MAX_PICKLE_BYTES``;
- every payload field is checked against a schema (:data:`PAYLOAD`): types, ranges, string lengths,
  nesting, known architecture names and architecture options within their declared limits;
- the weights must have exactly the names, shapes and dtypes of the network the spec describes (worked out
  on PyTorch's "meta" device, allocating nothing), at most ``MAX_PARAMETERS`` values, all finite.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .errors import CheckpointError, ConfigError, RegistryError
from .fileio import atomic_write_bytes
from .models import OUTPUTS, ModelSpec, XaiModel, build_from_spec, state_dict_for, weight_shapes
from .schema import (
    MAX_INPUT_SIZE,
    METRICS,
    MIN_INPUT_SIZE,
    PROVENANCE,
    TRAIN_CONFIG,
    SchemaViolation,
    integer,
    list_of,
    number,
    one_of,
    optional,
    record,
    scalar,
    string,
)

FORMAT = "xai_demo.checkpoint"
VERSION = 1
MAX_BYTES = 256 * 2**20  # the largest registered network (ResNet-18, 11 M parameters) is 45 MiB
MAX_PICKLE_BYTES = 4 * 2**20  # the structure around the tensors; a real one is a few KiB
MAX_MEMBERS = 10_000
MAX_PARAMETERS = 50_000_000
MAX_CLASSES = 1_000
WEIGHT_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64)

SPEC = record(
    {
        "arch": string(64, empty=False),
        "class_names": list_of(string(100, empty=False), 2, MAX_CLASSES),
        "in_channels": one_of(1, 3),
        "input_size": integer(MIN_INPUT_SIZE, MAX_INPUT_SIZE),
        "mean": list_of(number(-100.0, 100.0), 1, 3),
        "std": list_of(number(1e-6, 100.0), 1, 3),
        "target_layer": string(200),
        "threshold": optional(number(0.0, 1.0)),
        "arch_kwargs": list_of(list_of(scalar, 2, 2), 0, 16),
        "output": one_of(*OUTPUTS),
    },
    required=("arch", "class_names", "in_channels", "input_size", "mean", "std"),
)
PAYLOAD = record(
    {
        "format": one_of(FORMAT),
        "version": one_of(VERSION),
        "spec": SPEC,
        "state_dict": lambda value, where: value,  # checked against the spec by _check_weights
        "train_config": optional(TRAIN_CONFIG),
        "metrics": optional(METRICS),
        "provenance": optional(PROVENANCE),
    },
    required=("format", "version", "spec", "state_dict"),
)


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
    """Write ``model`` and its card to ``path`` atomically (see :mod:`xai_demo.fileio`) and return the path.

    The dictionaries must hold plain types only (str, int, float, bool, None, lists, dicts).
    """
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "spec": model.spec.to_dict(),
        "state_dict": state_dict_for(model),
        "train_config": train_config or {},
        "metrics": metrics or {},
        "provenance": provenance or {},
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    return atomic_write_bytes(path, buf.getvalue())


def _read_limited(path: Path) -> bytes:
    """The file's bytes, refused unless it is a plain file no larger than ``MAX_BYTES``."""
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}; train one with `xai-demo train` or check the path")
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc.strerror or exc}; check its permissions") from None
    if len(data) > MAX_BYTES:
        raise CheckpointError(f"{path.name} is larger than {MAX_BYTES // 2**20} MiB, the most a checkpoint may be")
    return data


def _check_container(name: str, data: bytes) -> None:
    """Refuse anything but a zip of stored members within the size limits (no decompression bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error):
        raise CheckpointError(
            f"{name} is not a torch checkpoint (not a zip archive); only files written by `xai-demo train` "
            "are accepted") from None
    total = sum(m.file_size for m in members)
    if len(members) > MAX_MEMBERS or total > MAX_BYTES:
        raise CheckpointError(f"{name} declares {len(members)} members holding {total} bytes: too large")
    if any(m.compress_type != zipfile.ZIP_STORED for m in members):
        raise CheckpointError(f"{name} has compressed members; torch.save never writes those")
    pickles = [m for m in members if m.filename.endswith(".pkl")]
    if any(m.file_size > MAX_PICKLE_BYTES for m in pickles):
        raise CheckpointError(f"{name} has a pickle larger than {MAX_PICKLE_BYTES // 2**20} MiB")


def _unpickle(name: str, data: bytes) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # e.g. "Detected pickle protocol 84": refused below
            return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError, struct.error,
            AttributeError, TypeError, KeyError, IndexError, OSError, UnicodeDecodeError, OverflowError,
            AssertionError, NotImplementedError, RecursionError) as exc:  # torch's unpickler asserts on bad ids
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"{name} is not a loadable xai_demo checkpoint ({first[:300]}). Only files written by "
            "`xai-demo train` are accepted; anything needing code to unpickle is refused."
        ) from None


def _check_weights(name: str, spec: ModelSpec, state: Any) -> None:
    """The state dict must match the spec's network exactly, within ``MAX_PARAMETERS``, all finite."""
    expected = weight_shapes(spec)
    total = sum(torch.Size(shape).numel() for shape, _ in expected.values())
    if total > MAX_PARAMETERS:
        raise CheckpointError(f"{name} describes a network of {total:,} values, more than {MAX_PARAMETERS:,}")
    if not isinstance(state, dict) or set(state) != set(expected):
        got = sorted(state) if isinstance(state, dict) and all(isinstance(k, str) for k in state) else []
        missing = sorted(set(expected) - set(got))[:3]
        unexpected = sorted(set(got) - set(expected))[:3]
        raise CheckpointError(f"{name} does not match its own model spec: weights missing {missing}, "
                              f"unexpected {unexpected}")
    for key, (shape, dtype) in expected.items():
        tensor = state[key]
        if (not isinstance(tensor, torch.Tensor) or tensor.layout != torch.strided or tuple(tensor.shape) != shape
                or tensor.dtype != dtype or tensor.dtype not in WEIGHT_DTYPES):
            got = (f"{tuple(tensor.shape)} {tensor.dtype}" if isinstance(tensor, torch.Tensor)
                   else type(tensor).__name__)
            raise CheckpointError(f"{name} does not match its own model spec: {key} should be {shape} {dtype}, "
                                  f"is {got}")
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"{name}: weight {key} holds NaN or infinite values; the file is damaged")


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Load a checkpoint written by :func:`save_checkpoint` into a ready model in eval mode.

    Raises:
        CheckpointError: the file is missing, unreadable, too large, not a torch file, not an xai_demo
            checkpoint, holds anything but tensors and plain types, has a field of the wrong type or out of
            range, or its weights do not fit its spec.
    """
    path = Path(path)
    data = _read_limited(path)
    _check_container(path.name, data)
    payload = _unpickle(path.name, data)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is a torch file but not an xai_demo checkpoint")
    if payload.get("version") != VERSION:
        version = payload.get("version")
        shown = version if isinstance(version, (int, str)) and len(str(version)) < 20 else type(version).__name__
        raise CheckpointError(f"{path.name} has checkpoint version {shown}, expected {VERSION}")
    try:
        payload = PAYLOAD(payload, "checkpoint")
        spec = ModelSpec.from_dict(payload["spec"])
        _check_weights(path.name, spec, payload["state_dict"])
        model = build_from_spec(spec)
        model.net.load_state_dict(payload["state_dict"], strict=True)
        if spec.target_layer:
            model.target_layer  # noqa: B018 (raises if the spec names no such module)
    except SchemaViolation as exc:
        raise CheckpointError(f"{path.name} has an invalid field: {exc}") from None
    except (RegistryError, ConfigError) as exc:
        raise CheckpointError(f"{path.name}: {exc}") from None
    except (AttributeError, KeyError, TypeError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path.name} does not match its own model spec: {first[:300]}") from None
    model.eval()
    return Checkpoint(
        model=model,
        train_config=payload.get("train_config") or {},
        metrics=payload.get("metrics") or {},
        provenance=payload.get("provenance") or {},
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
    load = metrics.get("load_average")
    lines.append(f"- **Seed**: {cfg.get('seed')}; epochs {cfg.get('epochs')}; "
                 f"trained in {metrics.get('train_seconds', 'n/a')} s on {metrics.get('machine', 'n/a')}"
                 + (f" (1-min load average {load[0]:.1f} at start, {load[1]:.1f} at end)" if load else ""))
    if command:
        lines += ["", "Reproduce with:", "", f"    {command}"]
    if spec.threshold is None:
        lines += ["", f"Decision threshold on P({spec.class_names[1]}): 0.5 (none was chosen on validation data).", ""]
    else:
        carved = "carved from train, patient-disjoint" if cfg.get("val_split") == "patient" else "carved from train"
        lines += ["", f"Decision threshold on P({spec.class_names[1]}): {spec.threshold:.3f}, chosen on the "
                  f"validation split ({carved}), never on test.", ""]
    lines += ["| split | n | accuracy | AUC | sensitivity | specificity |", "|---|---|---|---|---|---|"]
    for split, m in (("validation", val), ("test", test)):
        if m:
            auc = m.get("auc")
            lines.append(f"| {split} | {m.get('n', 'n/a')} | {_pct(m.get('accuracy'))}% | "
                         f"{'n/a' if auc is None else f'{auc:.3f}'} | "
                         f"{_pct(m.get('sensitivity'))}% | {_pct(m.get('specificity'))}% |")
    if test.get("confusion"):
        (tn, fp), (fn, tp) = test["confusion"]
        a, b = spec.class_names
        lines += ["", "Test confusion matrix (rows: truth, columns: prediction):", "",
                  f"| | {a} | {b} |", "|---|---|---|", f"| {a} | {tn} | {fp} |", f"| {b} | {fn} | {tp} |"]
    lines += ["", "Not a medical device: a teaching model trained on a small public dataset. Its errors and "
              "its shortcuts are the point of the lesson.", ""]
    return "\n".join(lines)
