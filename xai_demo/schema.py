"""Declarative checks of untrusted plain data (checkpoint payloads, training settings).

A validator is a function ``(value, where) -> value`` that returns the value (numbers as ``int`` or
``float``, containers as fresh ``dict``/``list``) or raises :class:`SchemaViolation` naming the field, e.g.
``spec.input_size: expected an integer in [8, 1024], got 100000``. Validators compose: :func:`record`,
:func:`list_of`, :func:`optional`. :func:`plain` accepts any JSON-like value within depth and size budgets,
so a hostile file cannot make the check itself slow (shared references are counted every time they appear).

The schemas shared by the checkpoint loader and :class:`xai_demo.train.TrainConfig` live at the bottom.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Validator = Callable[[Any, str], Any]

MAX_STRING = 10_000  # characters in any string
MAX_ITEMS = 100_000  # values visited by one plain() check
MAX_DEPTH = 8  # nesting of plain containers
INT_RANGE = (-(2**63), 2**63 - 1)


class SchemaViolation(ValueError):  # noqa: N818 (a value, not an exceptional condition of the program)
    """A value does not match its schema; the message starts with the field's dotted path."""


def _fail(where: str, expected: str, value: Any) -> SchemaViolation:
    shown = repr(value) if isinstance(value, (int, float, bool, type(None))) else type(value).__name__
    return SchemaViolation(f"{where}: expected {expected}, got {shown}")


def integer(lo: int = INT_RANGE[0], hi: int = INT_RANGE[1]) -> Validator:
    """An ``int`` (not a bool) in ``[lo, hi]``."""

    def check(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise _fail(where, f"an integer in [{lo}, {hi}]", value)
        return int(value)

    return check


def number(lo: float = -math.inf, hi: float = math.inf, *, nan: bool = False) -> Validator:
    """An int or float (not a bool) in ``[lo, hi]``, returned as float; NaN only when ``nan``."""

    def check(value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(where, f"a number in [{lo}, {hi}]", value)
        if isinstance(value, int) and not INT_RANGE[0] <= value <= INT_RANGE[1]:
            raise _fail(where, f"a number in [{lo}, {hi}]", value)
        value = float(value)
        if math.isnan(value):
            if nan:
                return value
            raise _fail(where, f"a number in [{lo}, {hi}]", value)
        if not lo <= value <= hi:
            raise _fail(where, f"a number in [{lo}, {hi}]", value)
        return value

    return check


def string(max_len: int = MAX_STRING, *, empty: bool = True) -> Validator:
    """A ``str`` of at most ``max_len`` characters (non-empty unless ``empty``)."""

    def check(value: Any, where: str) -> str:
        if not isinstance(value, str) or len(value) > max_len or (not empty and not value):
            raise _fail(where, f"a {'' if empty else 'non-empty '}string of at most {max_len} characters", value)
        return str(value)

    return check


def boolean(value: Any, where: str) -> bool:
    """True or False."""
    if not isinstance(value, bool):
        raise _fail(where, "true or false", value)
    return value


def one_of(*choices: Any) -> Validator:
    """One of ``choices`` (compared by type and value, so 1 is not True)."""

    def check(value: Any, where: str) -> Any:
        if not any(type(value) is type(c) and value == c for c in choices):
            raise _fail(where, f"one of {', '.join(map(repr, choices))}", value)
        return value

    return check


def optional(validator: Validator) -> Validator:
    """None, or a value ``validator`` accepts."""

    def check(value: Any, where: str) -> Any:
        return None if value is None else validator(value, where)

    return check


def list_of(validator: Validator, min_len: int = 0, max_len: int = 1_000) -> Validator:
    """A list or tuple of ``min_len`` to ``max_len`` items, each checked; returned as a list."""

    def check(value: Any, where: str) -> list:
        if not isinstance(value, (list, tuple)) or not min_len <= len(value) <= max_len:
            raise _fail(where, f"a list of {min_len} to {max_len} items", value)
        return [validator(item, f"{where}[{i}]") for i, item in enumerate(value)]

    return check


def record(fields: Mapping[str, Validator], *, required: Iterable[str] = (), extra: Validator | None = None,
           max_keys: int = 1_000) -> Validator:
    """A dict with string keys: ``fields`` checked by their validator, ``required`` present, and any other
    key checked by ``extra`` (refused when ``extra`` is None)."""
    required = tuple(required)

    def check(value: Any, where: str) -> dict:
        if not isinstance(value, dict) or len(value) > max_keys:
            raise _fail(where, f"a mapping of at most {max_keys} keys", value)
        missing = [k for k in required if k not in value]
        if missing:
            raise SchemaViolation(f"{where}: missing {', '.join(missing)}")
        out = {}
        for key, item in value.items():
            if not isinstance(key, str) or len(key) > 200:
                raise _fail(f"{where} key", "a string of at most 200 characters", key)
            if key in fields:
                out[key] = fields[key](item, f"{where}.{key}")
            elif extra is not None:
                out[key] = extra(item, f"{where}.{key}")
            else:
                raise SchemaViolation(f"{where}: unexpected field {key!r} (known: {', '.join(fields)})")
        return out

    return check


def plain(max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS) -> Validator:
    """Any JSON-like value (None, bool, int, float, str, list, dict with str keys) within the budgets."""

    def check(value: Any, where: str) -> Any:
        budget = [max_items]

        def walk(v: Any, at: str, depth: int) -> Any:
            budget[0] -= 1
            if budget[0] < 0:
                raise SchemaViolation(f"{where}: more than {max_items} values")
            if v is None or isinstance(v, (bool, float)):
                return v
            if isinstance(v, int):
                return integer()(v, at)
            if isinstance(v, str):
                return string()(v, at)
            if depth >= max_depth:
                raise SchemaViolation(f"{at}: nested deeper than {max_depth} levels")
            if isinstance(v, (list, tuple)):
                return [walk(x, f"{at}[{i}]", depth + 1) for i, x in enumerate(v)]
            if isinstance(v, dict):
                if any(not isinstance(k, str) for k in v):
                    raise SchemaViolation(f"{at}: keys must be strings")
                return {k: walk(x, f"{at}.{k}", depth + 1) for k, x in v.items()}
            raise _fail(at, "plain data (numbers, strings, lists, mappings)", v)

        return walk(value, where, 0)

    return check


def scalar(value: Any, where: str) -> str | int | float | bool:
    """A string, number or boolean (artefact and architecture options)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return string(200)(value, where)
    if isinstance(value, int):
        return integer()(value, where)
    if isinstance(value, float):
        return number()(value, where)
    raise _fail(where, "a string, number or boolean", value)


# ----------------------------------------------------------------------------- shared schemas

MIN_INPUT_SIZE, MAX_INPUT_SIZE = 8, 1024
fraction = number(0.0, 1.0)
count = integer(0, 10**9)

TRAIN_CONFIG_FIELDS: dict[str, Validator] = {
    "dataset": string(4096, empty=False),
    "size": integer(MIN_INPUT_SIZE, MAX_INPUT_SIZE),
    "arch": string(64, empty=False),
    "epochs": integer(1, 10_000),
    "seed": integer(0, 2**32 - 1),
    "batch_size": integer(1, 100_000),
    "lr": number(1e-8, 10.0),
    "weight_decay": number(0.0, 10.0),
    "val_fraction": number(0.01, 0.9),
    "augment": boolean,
    "label_smoothing": number(0.0, 0.99),
    "erase": fraction,
    "limit": count,
    "val_split": one_of("stratified", "patient"),
    "width": integer(0, 256),
    "augment_strength": number(0.0, 5.0),
    "gamma": number(0.0, 2.0),
    "hflip": fraction,
    "ema": number(0.0, 0.9999),
    "half_size_epochs": integer(0, 10_000),
    "artefact": optional(string(64, empty=False)),
    "artefact_options": record({}, extra=scalar, max_keys=32),
    "confound": fraction,
    "confound_negative": fraction,
    "data_root": optional(string(4096)),
}
"""The training settings (:class:`xai_demo.train.TrainConfig` validates itself with these ranges)."""

SPLIT_METRICS = record(
    {"n": count, "accuracy": number(0, 1, nan=True), "auc": number(0, 1, nan=True),
     "sensitivity": number(0, 1, nan=True), "specificity": number(0, 1, nan=True),
     "threshold": number(0, 1), "confusion": list_of(list_of(count, 2, 2), 2, 2)},
    extra=plain(),
)
METRICS = record(
    {"val": SPLIT_METRICS, "test": SPLIT_METRICS, "history": list_of(plain(), 0, 10_000),
     "train_seconds": number(0, 1e9), "machine": string(500)},
    extra=plain(),
)
PROVENANCE = record(
    {"dataset": string(4096), "citation": string(), "licence": string(500),
     "splits": record({}, extra=record({"name": string(), "n": count, "class_counts": list_of(count, 0, 1_000)},
                                       required=("n", "class_counts")), max_keys=16)},
    extra=plain(),
)
TRAIN_CONFIG = record(TRAIN_CONFIG_FIELDS, extra=plain())
