"""Recipe search for the clean Kermany model (issue 9): train named recipes, compare them on validation.

Every recipe is a set of :class:`xai_demo.train.TrainConfig` fields, so the winner is reproducible with
``xai-demo train``. Validation is carved from train patient by patient (``val_split="patient"``): Kermany
has several films per patient and an image-level split flatters the model. A run appends one JSON line to
``benchmarks/clean_model_runs.jsonl`` (recipe, settings, measured training time, machine load, validation
metrics, and test metrics only when ``--test`` was given). The test split is scored only for finalists
chosen on validation: ``--keep`` saves an unscored checkpoint (no test metrics), ``--score`` later measures
it on test, writes it with its model card where ``--out`` says, and logs that look. ``--summary`` prints the
table of ``benchmarks/clean_model_log.md``, with the number of recipes ever scored on test.

    python benchmarks/clean_model_recipes.py --recipe baseline --size 64 --threads 1
    python benchmarks/clean_model_recipes.py --recipe strong_aug --size 128 --threads 1 --keep /tmp/a.pt
    python benchmarks/clean_model_recipes.py --score /tmp/a.pt --threads 1 --out models/cxr_clean_128.pt
    python benchmarks/clean_model_recipes.py --summary
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from xai_demo.checkpoints import load_checkpoint, model_card, save_checkpoint
from xai_demo.data import load_dataset, patient_id
from xai_demo.fileio import atomic_write_text
from xai_demo.train import TrainConfig, evaluate, train

RUNS = Path(__file__).with_name("clean_model_runs.jsonl")
BASE = {"dataset": "kermany", "seed": 0, "val_split": "patient"}
RECIPES: dict[str, dict] = {
    "image_val": {"val_split": "stratified"},  # the recipe of the committed models, image-level validation
    "baseline": {},  # the same recipe, patient-disjoint validation
    "strong_aug": {"augment_strength": 2.0, "gamma": 0.3},
    "strong_aug_ema": {"augment_strength": 2.0, "gamma": 0.3, "ema": 0.99},
    "aug3_flip_ema": {"augment_strength": 3.0, "gamma": 0.4, "hflip": 0.5, "ema": 0.99},
    # progressive resizing: the first epochs on half-size images (4-8x cheaper a batch), the rest at full size
    "strong_aug_prog": {"augment_strength": 2.0, "gamma": 0.3, "half_size_epochs": 16},
    "strong_aug_prog10": {"augment_strength": 2.0, "gamma": 0.3, "half_size_epochs": 10},
    "strong_aug_prog_w12": {"augment_strength": 2.0, "gamma": 0.3, "half_size_epochs": 16, "width": 12},
    "strong_aug_prog12_w12": {"augment_strength": 2.0, "gamma": 0.3, "half_size_epochs": 12, "width": 12},
}
KEYS = ("accuracy", "auc", "sensitivity", "specificity")


def check_patient_disjoint(cfg: TrainConfig) -> int:
    """Number of patients in the validation split; raises if one of them also has a training image."""
    kw = {"val_fraction": cfg.val_fraction, "seed": cfg.seed, "val_split": cfg.val_split}
    train_files = load_dataset(cfg.dataset, "train", cfg.size, cfg.data_root, **kw).files
    val_files = load_dataset(cfg.dataset, "val", cfg.size, cfg.data_root, **kw).files
    val_patients = {patient_id(f) for f in val_files}
    shared = val_patients & {patient_id(f) for f in train_files}
    if cfg.val_split == "patient" and shared:
        raise AssertionError(f"{len(shared)} patients on both sides, e.g. {sorted(shared)[:3]}")
    return len(val_patients) if not shared else -len(shared)


def run(recipe: str, size: int, epochs: int, test: bool, out: str | None, keep: str | None = None) -> dict:
    """Train one recipe and return (and append to RUNS) its record; ``keep`` saves it unscored."""
    cfg = TrainConfig(**{**BASE, **RECIPES[recipe], "size": size, "epochs": epochs,
                         "data_root": os.environ.get("XAI_DEMO_DATA")})
    patients = check_patient_disjoint(cfg)
    load_before = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    checkpoint = train(cfg, out=out if test else None, score_test=test)
    m = checkpoint.metrics
    if keep:
        save_checkpoint(keep, checkpoint.model, train_config=cfg.to_dict(), provenance=checkpoint.provenance,
                        metrics={k: v for k, v in m.items() if k != "test"})
    record = {
        "recipe": recipe, "started": started, "size": size, "epochs": epochs,
        "settings": RECIPES[recipe], "command": cfg.command(out or "OUT.pt"),
        "train_seconds": m["train_seconds"], "machine": m["machine"],
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
        "val_patients": patients, "threshold": m["val"]["threshold"],
        "val": {k: round(m["val"][k], 4) for k in KEYS},
        "val_auc_per_epoch": [round(h["val_auc"], 4) for h in m["history"]],
        "test": {k: round(m["test"][k], 4) for k in KEYS} if test else None,
    }
    with RUNS.open("a") as f:
        f.write(json.dumps(record) + "\n")
    return record


def score(kept: str, out: str, threads: int) -> dict:
    """Measure a kept (unscored) checkpoint on the test split, save it to ``out`` with its model card, log it."""
    checkpoint = load_checkpoint(kept)
    cfg = TrainConfig.from_dict(checkpoint.train_config)
    test = load_dataset(cfg.dataset, "test", cfg.size, cfg.data_root or os.environ.get("XAI_DEMO_DATA"))
    metrics = {**checkpoint.metrics, "test": evaluate(checkpoint.model, test)}
    checkpoint.metrics = metrics
    checkpoint.path = save_checkpoint(out, checkpoint.model, train_config=checkpoint.train_config, metrics=metrics,
                                      provenance=checkpoint.provenance)
    command = cfg.command(out)
    if threads:
        command = command.replace(" --out ", f" --threads {threads} --out ")
    atomic_write_text(Path(out).with_suffix(".md"), model_card(checkpoint, command))
    rows = [json.loads(line) for line in RUNS.read_text().splitlines() if line.strip()]
    match = [r for r in rows if r["command"].split(" --out ")[0] == command.split(" --threads ")[0].split(" --out ")[0]
             and r["test"] is None]
    record = {**(match[-1] if match else {"recipe": "?", "size": cfg.size, "epochs": cfg.epochs}),
              "scored": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "saved_as": out,
              "test": {k: round(metrics["test"][k], 4) for k in KEYS}}
    with RUNS.open("a") as f:
        f.write(json.dumps(record) + "\n")
    return record


def summary() -> str:
    """The runs as a Markdown table, and how many distinct recipes were ever scored on test."""
    rows = [json.loads(line) for line in RUNS.read_text().splitlines() if line.strip()]
    lines = ["| recipe | px | epochs | train s | load (1 min) | val AUC | val ACC | val sens | val spec | thr "
             "| test AUC | test ACC | test sens | test spec |", "|" + "---|" * 14]
    for r in rows:
        v, t = r["val"], r["test"] or {}
        test = [f"{t[k]:.3f}" if t else "-" for k in ("auc", "accuracy", "sensitivity", "specificity")]
        name = f"{r['recipe']}, scored {r['scored']}: {r['saved_as']}" if "scored" in r else r["recipe"]
        lines.append(f"| {name} | {r['size']} | {r['epochs']} | {r['train_seconds']:.0f} | "
                     f"{r['load_before'][0]:.1f} | {v['auc']:.3f} | {v['accuracy']:.3f} | {v['sensitivity']:.3f} | "
                     f"{v['specificity']:.3f} | {r['threshold']:.3f} | " + " | ".join(test) + " |")
    scored = {(r["recipe"], r["size"], r["epochs"]) for r in rows if r["test"]}
    lines.append(f"\nRuns: {len(rows)}; recipes (recipe, size, epochs) ever scored on the test split: {len(scored)}.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", choices=sorted(RECIPES))
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--test", action="store_true", help="also score the test split (finalists only)")
    parser.add_argument("--out", help="with --test or --score: save the checkpoint (and its card) here")
    parser.add_argument("--keep", help="save the trained model unscored here (no test metrics)")
    parser.add_argument("--score", metavar="KEPT", help="score a --keep checkpoint on test and save it to --out")
    parser.add_argument("--summary", action="store_true", help="print the table of all runs")
    args = parser.parse_args()
    if args.summary:
        print(summary())
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.score:
        print(json.dumps(score(args.score, args.out, args.threads)))
        return
    print(json.dumps(run(args.recipe, args.size, args.epochs, args.test, args.out, args.keep)))


if __name__ == "__main__":
    main()
