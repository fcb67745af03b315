"""``xai-demo shortcut-report``: the clean and the shortcut-trained model, side by side, measured.

Writes to the output folder:
- ``shortcut_figure.png``: the same images through both models with several methods, artefact outlined;
- ``natural_markers.png``: real test images where the clean model's attribution lies most outside the lungs;
- ``sanity_figure.png``: maps of the clean model as its layers are randomised (Adebayo et al. 2018);
- ``report.md`` and ``report.json``: every number behind the figures.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from .artefacts import ARTEFACTS, check_artefact, condition_spec, confound
from .checkpoints import Checkpoint, load_checkpoint, save_checkpoint
from .data import ImageArrayDataset, load_dataset
from .errors import CheckpointError
from .explain import explain, get_method, list_methods
from .fileio import atomic_save_image, atomic_write_text
from .sanity import cascading_randomisation
from .shortcut import (
    TEST_SEED,
    attribution_on_artefacts,
    balanced_indices,
    condition_metrics,
    conditioned_test_sets,
    counterfactuals,
    faithfulness,
    lung_field,
    natural_shortcut_scan,
)
from .viz import grid, outline, overlay

FIGURE_METHODS = ("gradcam", "integrated_gradients", "smoothgrad", "guided_backprop")
REPORT_SEED = TEST_SEED  # artefact placements on the test split, shared by both models


def _artefact_of(checkpoint: Checkpoint) -> tuple[str, dict]:
    cfg = checkpoint.train_config
    if not cfg.get("artefact"):
        raise CheckpointError(
            f"{checkpoint.path} was not trained with an artefact; pass the shortcut model as --shortcut")
    artefact, options = cfg["artefact"], dict(cfg.get("artefact_options") or {})
    check_artefact(artefact, options)  # a checkpoint naming unusable options fails here, before any work
    return artefact, options


def _gray(image: np.ndarray, size: int) -> Image.Image:
    return Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR).convert("RGB")


def shortcut_figure(
    clean: Checkpoint, shortcut: Checkpoint, images: np.ndarray, masks: np.ndarray, titles: Sequence[str],
    methods: Sequence[str] = FIGURE_METHODS, size: int = 220,
) -> Image.Image:
    """Rows: each image through the clean then the shortcut model; columns: the image, then each method."""
    panels, row_titles = [], []
    for image, mask, title in zip(images, masks, titles, strict=True):
        for name, ck in (("clean", clean), ("shortcut", shortcut)):
            maps = [explain(ck.model, image, m, target=1) for m in methods]
            p = maps[0].probabilities[1]
            panels.append(outline(_gray(image, size), mask))
            panels += [overlay(e.image, e.map, size=size, legend=False, mask=mask) for e in maps]
            row_titles.append(f"{title}\n{name} model\nP(pneumonia) {p:.2f}")
    titles_row = ["image (artefact outlined)"] + [get_method(m).label for m in methods]
    return grid(panels, len(methods) + 1, titles=titles_row, row_titles=row_titles)


def _table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _f(x: float, digits: int = 3) -> str:
    return "n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


def shortcut_test_split(shortcut: Checkpoint, data_root: str | None) -> ImageArrayDataset:
    """The whole test split of the data the shortcut model was trained on, at its input size."""
    root = data_root or shortcut.train_config.get("data_root")
    return load_dataset(shortcut.train_config.get("dataset", "kermany"), "test", shortcut.spec.input_size, root)


def _check_twins(clean: Checkpoint, shortcut: Checkpoint) -> None:
    if clean.spec.input_size != shortcut.spec.input_size:
        raise CheckpointError(f"the clean model takes {clean.spec.input_size} px images and the shortcut model "
                              f"{shortcut.spec.input_size} px; pass two models trained at the same --size")


def measure_conditions(clean: Checkpoint, shortcut: Checkpoint, test: ImageArrayDataset) -> dict:
    """Both models on ``test`` under every condition (none, aligned, swapped, all), artefacts placed with
    :data:`REPORT_SEED`. Returns ``{"clean": {condition: metrics}, "shortcut": {...}, "n", "dataset"}``."""
    _check_twins(clean, shortcut)
    artefact, options = _artefact_of(shortcut)
    test_sets = conditioned_test_sets(test, artefact, seed=REPORT_SEED, params=options)
    out: dict = {name: condition_metrics(ck.model, test_sets)
                 for name, ck in (("clean", clean), ("shortcut", shortcut))}
    return {**out, "n": len(test), "dataset": test.name}


def store_conditions(clean_path: str | os.PathLike[str], shortcut_path: str | os.PathLike[str],
                     data_root: str | None = None) -> dict:
    """Measure :func:`measure_conditions` on the whole test split and keep it in the shortcut checkpoint's
    metrics (``metrics["conditions"]``), so that the app can show the table where the test split is absent.
    Returns the conditions."""
    clean, shortcut = load_checkpoint(clean_path), load_checkpoint(shortcut_path)
    _check_twins(clean, shortcut)
    conditions = measure_conditions(clean, shortcut, shortcut_test_split(shortcut, data_root))
    conditions["clean_checkpoint"] = Path(clean_path).name
    save_checkpoint(shortcut_path, shortcut.model, train_config=shortcut.train_config,
                    metrics={**shortcut.metrics, "conditions": conditions}, provenance=shortcut.provenance)
    return conditions


def build_report(
    clean_path: str | os.PathLike[str],
    shortcut_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    data_root: str | None = None,
    methods: Sequence[str] | None = None,
    n_images: int = 16,
    sanity_images: int = 3,
) -> dict:
    """Measure both models and write the figures and tables to ``out``; returns the JSON report."""
    methods = list(methods or list_methods())
    steps = ["load", "conditions", "counterfactuals", "attribution: clean", "attribution: shortcut",
             "faithfulness", "sanity checks", "natural markers", "figures"]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    clean, shortcut = load_checkpoint(clean_path), load_checkpoint(shortcut_path)
    _check_twins(clean, shortcut)
    artefact, options = _artefact_of(shortcut)
    test = shortcut_test_split(shortcut, data_root)
    report: dict = {"artefact": artefact, "artefact_options": options, "dataset": test.name,
                    "positive": test.class_names[1],
                    "clean": str(clean_path), "shortcut": str(shortcut_path), "methods": methods}

    bar = tqdm(total=len(steps), desc="shortcut report", unit="step")  # after the checks: errors stay one line

    def step(name: str) -> None:
        bar.set_postfix_str(name)
        bar.update(1)

    step("load")
    report["conditions"] = measure_conditions(clean, shortcut, test)
    step("conditions")
    report["counterfactual"] = {}
    for name, ck in (("clean", clean), ("shortcut", shortcut)):
        cf = counterfactuals(ck.model, test, artefact, seed=REPORT_SEED, params=options)
        report["counterfactual"][name] = {k: cf[k] for k in ("mean_delta", "mean_abs_delta", "flipped")}

    step("counterfactuals")
    idx = balanced_indices(test.labels, n_images, REPORT_SEED)
    with_art = confound(test.subset(idx), condition_spec(artefact, "all", REPORT_SEED, **options))
    report["attribution"] = {}
    for name, ck in (("clean", clean), ("shortcut", shortcut)):
        res = attribution_on_artefacts(ck.model, with_art, methods, n=n_images, target=1)
        report["attribution"][name] = {m: {k: v for k, v in r.items() if k != "per_image"} for m, r in res.items()}
        step(f"attribution: {name}")

    float_images = [img.astype(np.float32) / 255.0 for img in with_art.images[: min(8, len(with_art))]]
    report["faithfulness"] = {name: faithfulness(ck.model, float_images, methods, target=1)
                              for name, ck in (("clean", clean), ("shortcut", shortcut))}

    step("faithfulness")
    sanity = cascading_randomisation(
        clean.model, [test.images[i].astype(np.float32) / 255.0 for i in idx[:sanity_images]], methods)
    report["sanity"] = {"stages": sanity.stages, "summary": sanity.summary(), "spearman": sanity.spearman}
    atomic_save_image(_sanity_figure(sanity, test.images[idx[0]]), out / "sanity_figure.png")

    step("sanity checks")
    scan = natural_shortcut_scan(clean.model, test, "gradcam")
    top = scan["order"][:6]
    report["natural_markers"] = {
        "method": "gradcam", "region": "lung_field rounded rectangle (proxy for the lung fields)",
        "region_fraction": scan["region_fraction"], "mean_outside_share": scan["mean"],
        "median_outside_share": scan["median"],
        "top": [{"file": test.files[i] if test.files else str(i), "outside_share": scan["outside_share"][i]}
                for i in top],
    }
    atomic_save_image(_natural_figure(clean, test, top, scan), out / "natural_markers.png")

    step("natural markers")
    pick = [int(np.flatnonzero(with_art.labels == 1)[0]), int(np.flatnonzero(with_art.labels == 0)[0])]
    figure = shortcut_figure(
        clean, shortcut, with_art.images[pick], with_art.masks[pick],
        [f"{test.class_names[with_art.labels[i]].lower()} + {ARTEFACTS.get(artefact).label.lower()}" for i in pick],
        [m for m in FIGURE_METHODS if m in methods] or methods[:4],
    )
    atomic_save_image(figure, out / "shortcut_figure.png")
    atomic_write_text(out / "report.json", json.dumps(report, indent=2))
    atomic_write_text(out / "report.md", render_markdown(report))
    step("figures")
    bar.close()
    return report


def _sanity_figure(sanity, image: np.ndarray, size: int = 150) -> Image.Image:
    panels = []
    for m in sanity.methods:
        panels += [overlay(image, mp, size=size, legend=False, alpha=0.7, mode="absolute")
                   for mp in sanity.maps[m]]
    titles = ["trained"] + [f"- {s}" for s in sanity.stages[1:]]
    return grid(panels, len(sanity.stages), titles=titles, row_titles=[get_method(m).label for m in sanity.methods])


def _natural_figure(clean: Checkpoint, test: ImageArrayDataset, top: list[int], scan: dict) -> Image.Image:
    size = 240
    region = lung_field(test.size, test.size)
    panels = []
    for i in top:
        e = explain(clean.model, test.images[i], "gradcam")
        panels.append(overlay(e.image, e.map, size=size, legend=False, mask=region,
                              caption=f"{scan['outside_share'][i]:.0%} outside lungs"))
    return grid(panels, 3)


def render_markdown(report: dict) -> str:
    """The report as markdown tables."""
    parts = [f"# Shortcut report: {report['artefact']} on {report['dataset']}\n"]
    rows = []
    for cond in ("none", "aligned", "swapped", "all"):
        c, s = report["conditions"]["clean"][cond], report["conditions"]["shortcut"][cond]
        rows.append([cond, _f(c["accuracy"]), _f(c["auc"]), _f(s["accuracy"]), _f(s["auc"])])
    parts.append("## Classification per test condition\n\n" + _table(
        rows, ["condition", "clean ACC", "clean AUC", "shortcut ACC", "shortcut AUC"]))
    rows = [[name, _f(cf["mean_delta"]), _f(cf["mean_abs_delta"]), _f(cf["flipped"])]
            for name, cf in report["counterfactual"].items()]
    parts.append("## Counterfactual: add the artefact to every test image\n\n" + _table(
        rows, ["model", "mean change in P(pneumonia)", "mean absolute change", "share of predictions flipped"]))
    rows = []
    for m in report["methods"]:
        c, s = report["attribution"]["clean"][m], report["attribution"]["shortcut"][m]
        rows.append([get_method(m).label, _f(c["attribution_share"]), _f(c["enrichment"], 1),
                     _f(s["attribution_share"]), _f(s["enrichment"], 1), _f(c["confounder_sensitivity"]),
                     _f(s["confounder_sensitivity"]), _f(s["pointing_game"], 2)])
    mask_fraction = report["attribution"]["clean"][report["methods"][0]]["mask_fraction"]
    parts.append(
        f"## Positive attribution on the artefact (explaining 'pneumonia'; artefact covers "
        f"{mask_fraction:.1%} of the image)\n\n" + _table(rows, [
            "method", "clean share", "clean enrichment", "shortcut share", "shortcut enrichment",
            "clean conf. sens.", "shortcut conf. sens.", "shortcut pointing game"]))
    rows = []
    for m, v in report["sanity"]["summary"].items():
        rows.append([get_method(m).label, _f(v["spearman"]), _f(v["ssim"]), _f(v["topk_overlap"]),
                     _f(v["spearman_fully_random"])])
    parts.append("## Sanity check: cascading randomisation of the clean model (low = passes)\n\n" + _table(
        rows, ["method", "mean Spearman", "mean SSIM", "mean top-10% overlap", "Spearman, fully random"]))
    rows = []
    for m in [*report["methods"], "random"]:
        c, s = report["faithfulness"]["clean"][m], report["faithfulness"]["shortcut"][m]
        label = "random order" if m == "random" else get_method(m).label
        rows.append([label, _f(c["deletion_auc"]), _f(c["insertion_auc"]), _f(s["deletion_auc"]),
                     _f(s["insertion_auc"])])
    parts.append("## Faithfulness: deletion (lower is better) and insertion (higher is better) AUC\n\n" + _table(
        rows, ["method", "clean deletion", "clean insertion", "shortcut deletion", "shortcut insertion"]))
    nm = report["natural_markers"]
    parts.append(
        f"## Natural markers (real data, no mask)\n\nShare of the clean model's positive Grad-CAM attribution "
        f"outside a rounded rectangle over the lung fields (it covers {nm['region_fraction']:.0%} of "
        f"the image): mean {nm['mean_outside_share']:.2f}, median {nm['median_outside_share']:.2f}. This is a "
        "proxy: attribution outside the lungs is suspect, not proven to sit on a marker. Highest:\n\n"
        + "\n".join(f"- {t['file']}: {t['outside_share']:.2f}" for t in nm["top"]))
    return "\n\n".join(parts) + "\n"


CARD_MARKER = "<!-- shortcut-report -->"


def card_section(report: dict, command: str) -> str:
    """The report's key numbers as a markdown section for the shortcut model's card."""
    rows = [[cond, _f(report["conditions"]["clean"][cond]["auc"]), _f(report["conditions"]["shortcut"][cond]["auc"])]
            for cond in ("none", "aligned", "swapped", "all")]
    cf = report["counterfactual"]
    attr = report["attribution"]
    methods = [m for m in ("gradcam", "integrated_gradients") if m in attr["clean"]]
    lines = [CARD_MARKER, "## Measured shortcut (test split)", "", f"    {command}", "",
             _table(rows, ["condition", "clean twin AUC", "this model AUC"]), "",
             f"Adding the artefact to every test image: mean change in P({report.get('positive', 'positive')}) "
             f"{cf['shortcut']['mean_delta']:+.3f} for this model vs {cf['clean']['mean_delta']:+.3f} "
             "for the clean twin."]
    for m in methods:
        lines.append(f"- {get_method(m).label}: enrichment on the artefact {attr['shortcut'][m]['enrichment']:.1f} "
                     f"(clean twin {attr['clean'][m]['enrichment']:.1f}; 1 = chance)")
    return "\n".join(lines) + "\n"


def update_card(card_path: str | os.PathLike[str], report: dict, command: str) -> None:
    """Replace (or append) the shortcut section of a markdown model card."""
    path = Path(card_path)
    text = path.read_text() if path.is_file() else ""
    text = text.split(CARD_MARKER)[0].rstrip() + "\n\n" + card_section(report, command)
    atomic_write_text(path, text)
