"""Results told in words a medical student reads: what live training did, what the sanity check shows, and the
input check's warning. Plain functions over results and metrics (no gradio); the strings live in ``text``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..input_check import InputCheck
from .text import artefact_name, join_names, method_name, t

if TYPE_CHECKING:
    from ..checkpoints import Checkpoint
    from ..sanity import SanityResult

SAME_PICTURE = 0.5  # Spearman similarity to the trained model's map above which a map "has not changed"
LEARNED_GAP = 0.15  # accuracy or sensitivity lost without the artefact from which the model "learned" it
EFFECT_IMAGES = 300  # balanced test images measured with and without the artefact after live training


# ----------------------------------------------------------------------------- input check


def check_warning(check: InputCheck, lang: str) -> str:
    """The page's warning for a picture that does not look like a chest X-ray ("" when it does)."""
    if check.ok:
        return ""
    return t("check.warning", lang, reasons=", ".join(t(f"check.{r}", lang) for r in check.reasons))


# ----------------------------------------------------------------------------- live training


def artefact_effect(checkpoint: Checkpoint, root: Path | None, n: int = EFFECT_IMAGES) -> dict[str, dict]:
    """Test metrics of a model trained with an artefact, on ``n`` balanced test images at its input size,
    ``{"none": metrics, "aligned": metrics}``: without the artefact, and with it on the pneumonia films only
    (as in training). Metrics are :func:`~xai_demo.metrics.binary_metrics` at the model's threshold."""
    from ..data import load_dataset
    from ..shortcut import TEST_SEED, balanced_indices, condition_metrics, conditioned_test_sets

    cfg = checkpoint.train_config
    test = load_dataset(cfg["dataset"], "test", int(checkpoint.spec.input_size), root)
    subset = test.subset(balanced_indices(test.labels, n, seed=0))
    options = dict(cfg.get("artefact_options") or {})
    sets = conditioned_test_sets(subset, cfg["artefact"], seed=TEST_SEED, params=options,
                                 conditions=("none", "aligned"))
    return condition_metrics(checkpoint.model, sets)


def learned_artefact(effect: dict[str, dict]) -> bool:
    """Whether the model relies on the artefact: it loses :data:`LEARNED_GAP` of accuracy or of sensitivity
    when the artefact is taken away."""
    with_, none = effect["aligned"], effect["none"]
    return (with_["accuracy"] - none["accuracy"] >= LEARNED_GAP
            or with_["sensitivity"] - none["sensitivity"] >= LEARNED_GAP)


def training_story(seconds: float, name: str, artefact: str | None, test: dict, effect: dict[str, dict] | None,
                   lang: str) -> str:
    """Markdown after live training: how long it took, where the model is, and what it learned, in words.

    Args:
        test: the checkpoint's test metrics (used when there is no artefact).
        effect: :func:`artefact_effect` for a model trained with ``artefact``, else None.
    """
    done = t("train.finished", lang, seconds=seconds, name=name)
    if not artefact or effect is None:
        return done + "\n\n" + t("train.clean", lang, acc=test["accuracy"], sens=test["sensitivity"],
                                 spec=test["specificity"])
    key = "train.learned" if learned_artefact(effect) else "train.not_learned"
    words = t(key, lang, artefact=artefact_name(artefact, lang), acc_with=effect["aligned"]["accuracy"],
              sens_with=effect["aligned"]["sensitivity"], acc_none=effect["none"]["accuracy"],
              sens_none=effect["none"]["sensitivity"])
    return f"{words}\n\n{done}"


def training_step(fraction: float, epochs: int, lang: str) -> str:
    """The progress line while training ("Training: epoch 2 of 3, 45% done")."""
    fraction = float(min(1.0, max(0.0, fraction)))
    epoch = min(epochs, int(fraction * epochs) + 1)
    return t("train.step", lang, epoch=epoch, epochs=epochs, percent=fraction)


# ----------------------------------------------------------------------------- sanity check


def stage_name(k: int, n: int, lang: str) -> str:
    """Stage ``k`` of ``n`` (layers randomised from the output) in plain words: "the last layer", "half the
    network", "all layers", "the last 3 layers (of 5)"; "nothing" for 0."""
    if k <= 0:
        return t("stage.none", lang)
    if k >= n:
        return t("stage.all", lang)
    if k == 1:
        return t("stage.last", lang)
    if n >= 3 and k == (n + 1) // 2:
        return t("stage.half", lang)
    return t("stage.some", lang, k=k, n=n)


def unchanged(result: SanityResult, stage: int) -> list[str]:
    """Methods whose map at ``stage`` is still :data:`SAME_PICTURE`-similar to the trained model's."""
    return [m for m in result.methods if result.spearman[m][stage] > SAME_PICTURE]


def failing_stage(result: SanityResult) -> int:
    """The stage that shows the failure best: where the most methods still draw the trained model's picture
    (the earliest such stage); the full randomisation when no method fails."""
    n = len(result.stages) - 1
    if n <= 0:
        return 0
    counts = [len(unchanged(result, k)) for k in range(1, n + 1)]
    best = max(counts)
    return counts.index(best) + 1 if best else n


def sanity_story(result: SanityResult, stage: int, lang: str, rows: bool = True) -> str:
    """Markdown for ``stage``: which methods still draw the same picture for a (partly) destroyed model and
    what that means, which change, then one line per method with its similarity."""
    n = len(result.stages) - 1
    stage = int(max(0, min(stage, n)))
    if stage == 0:
        return t("sanity.stage_line", lang, stages=stage_name(0, n, lang))
    where = stage_name(stage, n, lang)
    same = unchanged(result, stage)
    changed = [m for m in result.methods if m not in same]
    names = [method_name(m, lang) for m in same]
    if same:
        lines = [t("sanity.same", lang, stage=where, methods=join_names(names, lang),
                   verb=t("sanity.draw_one" if len(same) == 1 else "sanity.draw_many", lang))]
        if changed:
            lines.append(t("sanity.changed", lang, methods=join_names([method_name(m, lang) for m in changed], lang),
                           verb=t("sanity.change_one" if len(changed) == 1 else "sanity.change_many", lang),
                           pronoun=t("sanity.it" if len(changed) == 1 else "sanity.they", lang)))
    else:
        lines = [t("sanity.all_change", lang, stage=where)]
    if rows:
        lines.append("")
        for m in result.methods:
            rho = float(result.spearman[m][stage])
            verdict = t("sanity.fail" if rho > SAME_PICTURE else "sanity.pass", lang)
            lines.append(t("sanity.row_plain", lang, method=method_name(m, lang), rho=rho, verdict=verdict))
    return "\n".join(lines)


def stage_labels(stages: Sequence[str], lang: str) -> list[str]:
    """Plain names of every stage of a result (index 0 = the trained model), e.g. for a slider's ticks."""
    n = len(stages) - 1
    return [stage_name(k, n, lang) for k in range(n + 1)]


__all__ = ["artefact_effect", "check_warning", "failing_stage", "learned_artefact", "sanity_story", "stage_labels",
           "stage_name", "training_step", "training_story", "unchanged"]
