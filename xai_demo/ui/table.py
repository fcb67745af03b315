"""The shortcut lab's test-set table: both models of a pair under none/aligned/swapped artefacts, found in a
report, the checkpoint or the user cache, or computed on a balanced test sample."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..fileio import atomic_write_text
from ..paths import cache_dir
from ..progress import Progress
from .shelf import Pair
from .text import number, percent, t

TABLE_CONDITIONS = ("none", "aligned", "swapped")
TABLE_SAMPLE_SEED = 0  # which balanced test images the table measures (artefacts placed with TEST_SEED)


def _file_tag(path: Path | None) -> str:
    if path is None or not path.exists():
        return "none"
    stat = path.stat()
    return f"{path.stem}-{stat.st_size}-{int(stat.st_mtime)}"


def table_cache_path(pair: Pair, n: int) -> Path:
    """Where the computed test-set table of ``pair`` is cached (user cache folder)."""
    tag = f"{_file_tag(pair.clean.checkpoint.path)}_{_file_tag(pair.shortcut.checkpoint.path)}_{n}"
    return cache_dir("ui") / f"table_{hashlib.sha1(tag.encode()).hexdigest()[:16]}.json"


def find_table(pair: Pair, reports_dir: Path | None = None, n: int = 200) -> dict | None:
    """The none/aligned/swapped table of ``pair``, from a shortcut report, the checkpoints or the cache.

    Returns ``{"clean": {cond: metrics}, "shortcut": {cond: metrics}, "source": str, "n": int}`` or None.
    """
    names = {pair.clean.checkpoint.path.name if pair.clean.checkpoint.path else None,
             pair.shortcut.checkpoint.path.name if pair.shortcut.checkpoint.path else None}
    if reports_dir is not None and reports_dir.is_dir():
        for path in sorted(reports_dir.glob("**/report.json")):
            try:
                report = json.loads(path.read_text())
                if {Path(report["clean"]).name, Path(report["shortcut"]).name} == names:
                    cond = report["conditions"]
                    n_images = cond["shortcut"]["none"].get("n", 0)
                    source = f"{reports_dir.name}/{path.relative_to(reports_dir).as_posix()}"
                    return {"clean": cond["clean"], "shortcut": cond["shortcut"], "source": source, "n": n_images}
            except (OSError, ValueError, KeyError, TypeError):
                continue
    stored = pair.shortcut.checkpoint.metrics.get("conditions")  # `xai-demo shortcut-report --store-conditions`
    clean_name = pair.clean.checkpoint.path.name if pair.clean.checkpoint.path else None
    if (isinstance(stored, dict) and "clean" in stored and "shortcut" in stored
            and stored.get("clean_checkpoint", clean_name) == clean_name):
        file = pair.shortcut.checkpoint.path.name if pair.shortcut.checkpoint.path else "?"
        return {**stored, "source": "checkpoint", "file": file, "n": stored.get("n", 0)}
    cached = table_cache_path(pair, n)
    if cached.is_file():
        try:
            table = json.loads(cached.read_text())
        except ValueError:
            return None
        return table if isinstance(table, dict) and {"clean", "shortcut"} <= set(table) else None
    return None


def compute_table(pair: Pair, root: Path | None, n: int = 200, on_progress: Progress | None = None) -> dict:
    """Measure both models on ``n`` balanced test images under none/aligned/swapped; cache the result."""
    from ..data import load_dataset
    from ..shortcut import TEST_SEED, balanced_indices, condition_metrics, conditioned_test_sets

    test = load_dataset(pair.shortcut.dataset, "test", pair.shortcut.size, root)
    subset = test.subset(balanced_indices(test.labels, n, seed=TABLE_SAMPLE_SEED))
    if on_progress:
        on_progress(0.1, "artefacts")
    sets = conditioned_test_sets(subset, pair.shortcut.artefact, seed=TEST_SEED, params=pair.shortcut.options,
                                 conditions=TABLE_CONDITIONS)
    table: dict[str, Any] = {}
    for i, (name, entry) in enumerate((("clean", pair.clean), ("shortcut", pair.shortcut))):
        table[name] = condition_metrics(entry.model, sets)
        if on_progress:
            on_progress(0.5 + 0.5 * i, name)
    table.update(source="computed", n=len(subset))
    atomic_write_text(table_cache_path(pair, n), json.dumps(table))
    return table


def table_markdown(table: dict | None, lang: str) -> str:
    """The none/aligned/swapped table as markdown (a notice when there is none)."""
    if not table:
        return t("shortcut.table_missing", lang)
    lines = [f"**{t('shortcut.table_title', lang)}**", "", t("shortcut.table_head", lang), "|---|---|---|---|---|"]
    for cond in TABLE_CONDITIONS:
        c, s = table["clean"].get(cond), table["shortcut"].get(cond)
        if not c or not s:
            continue
        cells = [number(c["auc"], lang, ".3f"), percent(c["accuracy"], lang, 1),
                 number(s["auc"], lang, ".3f"), percent(s["accuracy"], lang, 1)]
        lines.append(f"| {t('cond.' + cond, lang)} | {' | '.join(cells)} |")
    source = table.get("source", "?")
    if source == "checkpoint":
        source = t("shortcut.table_stored", lang, file=table.get("file", "?"))
    lines += ["", t("shortcut.table_source", lang, source=source, n=table.get("n", "?"))]
    return "\n".join(lines)
