"""The ``xai-demo`` command line: thin wrappers over the library.

    xai-demo train --data kermany --size 128 --epochs 8 --out models/cxr_small_cnn_128.pt
    xai-demo evaluate --model models/cxr_small_cnn_128.pt --data kermany --json
    xai-demo explain chest.png --model models/cxr_small_cnn_128.pt --method gradcam --out out/
    xai-demo list
    xai-demo serve
    xai-demo check-model --plugin my_nets.py --arch my_net --size 64

Every command takes ``--plugin MODULE_OR_FILE`` (repeatable): it is imported first, so the models, methods,
datasets and artefacts it registers are available (see :mod:`xai_demo.plugins`).

Exit codes: 0 success; 1 ``explain`` could not read some of its images (the others were written); 2 a user
mistake (bad option, missing, unreadable or wrong-kind file, bad data, disk full), one line on stderr;
3 an internal error (a bug: one line, ``--debug`` shows the traceback); 130 interrupted. ``check-model``
exits 1 when no method can explain the model.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from .errors import ConfigError, XaiDemoError

EXIT_OK, EXIT_PARTIAL, EXIT_USER, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (exit 2), like every other user mistake."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USER, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _number_in(kind: type, lo: float, hi: float):  # noqa: ANN202 (an argparse type function)
    """An argparse ``type`` accepting a ``kind`` (int or float) in ``[lo, hi]``."""

    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text} is not in [{lo}, {hi}]")
        return value

    return convert


def _add_data_args(parser: argparse.ArgumentParser) -> None:
    from .data import list_datasets
    from .train import TrainConfig

    parser.add_argument(
        "--data", default=TrainConfig.dataset,
        help=f"dataset name ({', '.join(list_datasets())}) or an image folder laid out as "
             "<folder>/<split>/<CLASS>/*.jpg (default: %(default)s)",
    )
    parser.add_argument(
        "--data-root", default=None,
        help="folder holding the datasets (default: $XAI_DEMO_DATA; MedMNIST is downloaded if unset)",
    )


def _parse_options(pairs: Sequence[str]) -> dict[str, str | float | int | bool]:
    """``["text=L", "scale=0.1"]`` -> ``{"text": "L", "scale": 0.1}`` (numbers and booleans parsed)."""
    out: dict[str, str | float | int | bool] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"artefact options are NAME=VALUE, not {pair!r}")
        if value.lower() in ("true", "false"):
            out[key] = value.lower() == "true"
            continue
        try:
            out[key] = int(value)
        except ValueError:
            try:
                out[key] = float(value)
            except ValueError:
                out[key] = value
    return out


def card_command(card: str | Path) -> list[str]:
    """The arguments of the ``xai-demo train`` command written under "Reproduce with:" in a model card.

    Raises:
        ConfigError: the card has no such command.
    """
    import shlex

    lines = Path(card).read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "Reproduce with:":
            command = next((x.strip() for x in lines[i + 1:] if x.strip()), "")
            if command.startswith("xai-demo train "):
                return shlex.split(command)[1:]
    raise ConfigError(f"{card} has no 'Reproduce with:' xai-demo train command")


def cmd_train(args: argparse.Namespace) -> int:
    from .checkpoints import model_card
    from .fileio import atomic_write_text
    from .train import TrainConfig, train

    if args.from_card:
        argv = card_command(args.from_card)
        if "--from-card" in argv:
            raise ConfigError(f"{args.from_card}: its command must not itself name a card")
        sub_args = build_parser().parse_args(argv)
        sub_args.data_root = sub_args.data_root or args.data_root
        return cmd_train(sub_args)
    if not args.out:
        raise ConfigError("xai-demo train needs --out (or --from-card)")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    cfg = TrainConfig(
        dataset=args.data, size=args.size, arch=args.arch, epochs=args.epochs, seed=args.seed,
        batch_size=args.batch_size, lr=args.lr, limit=args.limit, data_root=args.data_root,
        label_smoothing=args.label_smoothing, erase=args.erase, weight_decay=args.weight_decay,
        val_split=args.val_split, width=args.width, augment_strength=args.augment_strength, gamma=args.gamma,
        hflip=args.hflip, ema=args.ema, half_size_epochs=args.half_size_epochs,
        artefact=args.artefact, confound=args.confound, confound_negative=args.confound_negative,
        artefact_options=tuple(sorted(_parse_options(args.artefact_option).items())),
    )
    checkpoint = train(cfg, out=args.out)
    card = Path(args.out).with_suffix(".md")
    command = cfg.command(args.out)
    if args.threads:  # results depend (slightly) on the number of threads: keep it in the command
        command = command.replace(" --out ", f" --threads {args.threads} --out ")
    atomic_write_text(card, model_card(checkpoint, command))
    summary = {"checkpoint": str(args.out), "card": str(card), "train_seconds": checkpoint.metrics["train_seconds"],
               "test": checkpoint.metrics["test"]}
    print(json.dumps(summary))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .checkpoints import load_checkpoint
    from .data import load_dataset
    from .train import evaluate

    checkpoint = load_checkpoint(args.model)
    dataset = load_dataset(args.data, args.split, checkpoint.spec.input_size, args.data_root)
    metrics = evaluate(checkpoint.model, dataset)
    metrics["dataset"] = dataset.name
    if args.json:
        print(json.dumps(metrics))
    else:
        (tn, fp), (fn, tp) = metrics["confusion"]
        names = checkpoint.spec.class_names
        print(f"{dataset.name}: {metrics['n']} images, threshold {metrics['threshold']:.3f}")
        for key in ("accuracy", "auc", "sensitivity", "specificity"):
            print(f"  {key:<12} {metrics[key]:.3f}")
        print(f"  confusion (rows: truth, columns: prediction)\n"
              f"  {'':>12} {names[0]:>10} {names[1]:>10}\n"
              f"  {names[0]:>12} {tn:>10} {fp:>10}\n  {names[1]:>12} {fn:>10} {tp:>10}")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from .checkpoints import load_checkpoint
    from .explain import explain
    from .fileio import atomic_save_image
    from .images import load_image
    from .predict import predict
    from .viz import explanation_figure, overlay

    model = load_checkpoint(args.model).model
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for path in args.images:
        record: dict = {"image": str(path)}
        try:
            image = load_image(path)
            record.update(predict(model, image))
            explanations = [explain(model, image, m) for m in args.method]
        except XaiDemoError as exc:
            failures += 1
            record["error"] = str(exc)
            print(json.dumps(record))
            continue
        stem = Path(path).stem
        files = []
        for e in explanations:
            target = out / f"{stem}_{e.method}.png"
            caption = f"{e.label}: evidence for {e.target_name}"
            atomic_save_image(overlay(e.image, e.map, alpha=args.alpha, mode=args.mode, caption=caption), target)
            files.append(str(target))
        if len(explanations) > 1:
            target = out / f"{stem}_methods.png"
            atomic_save_image(explanation_figure(explanations, alpha=args.alpha, mode=args.mode), target)
            files.append(str(target))
        record["files"] = files
        print(json.dumps(record))
    return EXIT_PARTIAL if failures else EXIT_OK


def cmd_card(args: argparse.Namespace) -> int:
    from .checkpoints import load_checkpoint, model_card
    from .fileio import atomic_write_text
    from .train import TrainConfig

    for path in args.models:
        checkpoint = load_checkpoint(path)
        command = TrainConfig.from_dict(checkpoint.train_config).command(path) if checkpoint.train_config else ""
        card = atomic_write_text(Path(path).with_suffix(".md"), model_card(checkpoint, command))
        print(card)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from .data import DATASETS
    from .explain import METHODS
    from .models import MODELS

    print("models:")
    for name in MODELS:
        print(f"  {name:<22} {MODELS.get(name).description}")
    print("methods:")
    for name in METHODS:
        m = METHODS.get(name)
        print(f"  {name:<22} {m.label} ({m.family}; {m.reference})")
    print("datasets:")
    for name in DATASETS:
        print(f"  {name:<22} {DATASETS.get(name).description}")
    return 0


def cmd_shortcut_report(args: argparse.Namespace) -> int:
    from .report import build_report, store_conditions

    if args.store_conditions:
        conditions = store_conditions(args.clean, args.shortcut, data_root=args.data_root)
        print(json.dumps({"stored_in": str(args.shortcut), "n": conditions["n"],
                          "shortcut_auc": {k: conditions["shortcut"][k]["auc"] for k in ("none", "aligned", "swapped")},
                          "clean_auc": {k: conditions["clean"][k]["auc"] for k in ("none", "aligned", "swapped")}}))
        return 0
    if not args.out:
        raise SystemExit("xai-demo shortcut-report: error: --out is required (unless --store-conditions)")

    report = build_report(args.clean, args.shortcut, args.out, data_root=args.data_root, methods=args.method,
                          n_images=args.n)
    if args.update_card:
        from .report import update_card

        command = "xai-demo shortcut-report " + " ".join(
            f"--{k} {v}" for k, v in (("clean", args.clean), ("shortcut", args.shortcut), ("out", args.out)))
        if args.method:
            command += " --method " + " ".join(args.method)
        update_card(Path(args.shortcut).with_suffix(".md"), report, command)
    print((Path(args.out) / "report.md").read_text())
    summary = {k: report["conditions"]["shortcut"][k]["auc"] for k in ("none", "aligned", "swapped")}
    print(json.dumps({"out": str(args.out), "shortcut_auc": summary}))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    if not args.allow_network:
        from .offline import block_outside_connections

        block_outside_connections()  # before gradio is imported
    from .ui import serve

    serve(host=args.host, port=args.port, lang=args.lang, lecture=args.lecture, data_root=args.data_root,
          models_dir=args.models)
    return 0


def cmd_check_model(args: argparse.Namespace) -> int:
    from .check import check_model
    from .checkpoints import load_checkpoint
    from .models import create_model

    if bool(args.model) == bool(args.arch):
        raise ConfigError("check-model needs either --model CHECKPOINT or --arch NAME (not both)")
    if args.model:
        model = load_checkpoint(args.model).model
    else:
        model = create_model(args.arch, class_names=args.classes, input_size=args.size)
    report = check_model(model, image=args.image, methods=args.method, target=args.target)
    print(json.dumps(report.to_dict()) if args.json else report.format())
    return 0 if report.explainable else 1


PLUGIN_HELP = "import this module or .py file first; it may register models, methods, datasets (repeatable)"


def _plugin_names(argv: Sequence[str]) -> list[str]:
    """The ``--plugin`` values anywhere on the command line (they must load before the parser is built,
    since registered names become its choices)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--plugin", action="append", default=[])
    return pre.parse_known_args(list(argv))[0].plugin


def _add_plugin_option(parser: argparse.ArgumentParser, commands: argparse._SubParsersAction) -> None:
    """Accept ``--plugin`` before or after every subcommand (loaded earlier by :func:`_plugin_names`)."""
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE", help=PLUGIN_HELP)
    for sub in commands.choices.values():
        sub.add_argument("--plugin", action="append", default=argparse.SUPPRESS, metavar="MODULE",
                         help=PLUGIN_HELP)


def _add_train_parser(sub: argparse._SubParsersAction) -> None:
    from .artefacts import list_artefacts
    from .models import list_models
    from .train import TrainConfig as D  # the defaults of a training run live in the dataclass only

    p = sub.add_parser("train", help="train a classifier and save a checkpoint with its model card",
                       description="Train a binary classifier; the threshold is chosen on validation "
                                   "data and test metrics are written into the checkpoint.")
    _add_data_args(p)
    p.add_argument("--size", type=int, default=D.size, help="input size in pixels (default: %(default)s)")
    p.add_argument("--arch", default=D.arch, choices=list_models(), help="architecture (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=D.epochs, help="training epochs (default: %(default)s)")
    p.add_argument("--seed", type=int, default=D.seed, help="random seed (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=D.batch_size, help="batch size (default: %(default)s)")
    p.add_argument("--lr", type=float, default=D.lr, help="peak learning rate (default: %(default)s)")
    p.add_argument("--label-smoothing", type=float, default=D.label_smoothing,
                   help="label smoothing (default: %(default)s)")
    p.add_argument("--erase", type=float, default=D.erase,
                   help="probability of random erasing per training image (default: %(default)s)")
    p.add_argument("--limit", type=int, default=D.limit, help="use at most N train and val images (0: all)")
    p.add_argument("--weight-decay", type=float, default=D.weight_decay,
                   help="AdamW weight decay (default: %(default)s)")
    p.add_argument("--val-split", default=D.val_split, choices=["stratified", "patient"],
                   help="carve val from train image by image or patient by patient (default: %(default)s)")
    p.add_argument("--width", type=int, default=D.width,
                   help="channels of the first block (0: the architecture's default; default: %(default)s)")
    p.add_argument("--augment-strength", type=float, default=D.augment_strength,
                   help="multiplier of the geometric and intensity augmentation ranges (default: %(default)s)")
    p.add_argument("--gamma", type=float, default=D.gamma,
                   help="random gamma correction exp(U(-g, g)) during training, 0 = off (default: %(default)s)")
    p.add_argument("--hflip", type=float, default=D.hflip,
                   help="probability of a left-right mirror per training image (default: %(default)s)")
    p.add_argument("--ema", type=float, default=D.ema,
                   help="decay of an exponential moving average of the weights, 0 = off (default: %(default)s)")
    p.add_argument("--half-size-epochs", type=int, default=D.half_size_epochs,
                   help="train the first N epochs on images halved in size, 4-8x cheaper (default: %(default)s)")
    p.add_argument("--artefact", default=D.artefact, choices=list_artefacts(),
                   help="inject this artefact into the training data (shortcut experiments)")
    p.add_argument("--artefact-option", action="append", default=[], metavar="NAME=VALUE",
                   help="an option of the artefact, e.g. text=L (repeatable)")
    p.add_argument("--confound", type=float, default=D.confound,
                   help="P(artefact | positive class) in [0, 1] (default: %(default)s)")
    p.add_argument("--confound-negative", type=float, default=D.confound_negative,
                   help="P(artefact | negative class) in [0, 1] (default: %(default)s)")
    p.add_argument("--threads", type=int, default=0,
                   help="torch threads (0: torch's default); floating-point sums, hence weights, depend on it")
    p.add_argument("--out", help="checkpoint path to write, e.g. models/my_model.pt (its card goes beside it)")
    p.add_argument("--from-card", metavar="CARD",
                   help="rerun the command written in a model card, e.g. models/cxr_clean_128.md (other "
                        "options are ignored, except --data-root)")
    p.set_defaults(func=cmd_train)


def _add_check_model_parser(sub: argparse._SubParsersAction) -> None:
    from .explain import list_methods
    from .models import list_models

    p = sub.add_parser("check-model", help="which explanation methods work on a model, why not, and the fix",
                       description="Run every method on a probe image (an embedded chest X-ray by default) and "
                                   "print, per method: works or not, why (in-place activations, a module reused "
                                   "in one forward pass, no Grad-CAM layer, non-finite map, wrong output shape), "
                                   "the fix, and the latency. Exit code 1 when no method works.")
    p.add_argument("--model", default=None, help="checkpoint file to check")
    p.add_argument("--arch", default=None, choices=list_models(),
                   help="or: a registered architecture, freshly initialised (e.g. one from --plugin)")
    p.add_argument("--size", type=int, default=None, help="input size for --arch (default: its registered one, or 28)")
    p.add_argument("--classes", nargs="+", default=None, metavar="NAME",
                   help="class names for --arch (default: its registered ones, or normal pneumonia)")
    p.add_argument("--image", default=None, help="probe image (default: an embedded chest X-ray)")
    p.add_argument("--method", nargs="+", default=None, choices=list_methods(), metavar="METHOD",
                   help="methods to check (default: all)")
    p.add_argument("--target", type=int, default=None, help="class index to explain (default: the predicted one)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(func=cmd_check_model)


def build_parser() -> argparse.ArgumentParser:
    from .explain import list_methods

    parser = _Parser(
        prog="xai-demo",
        description="Train small medical image classifiers and read their saliency maps critically.",
        epilog="exit codes: 0 success, 1 explain could not read some images, 2 user mistake (one line on "
               "stderr), 3 internal error (add --debug for the traceback), 130 interrupted",
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_train_parser(sub)

    p = sub.add_parser("evaluate", help="accuracy, AUC, sensitivity, specificity and confusion matrix",
                       description="Evaluate a checkpoint on a dataset split at its own threshold.")
    p.add_argument("--model", required=True, help="checkpoint file")
    _add_data_args(p)
    p.add_argument("--split", default="test", choices=["train", "val", "test"], help="(default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("explain", help="write saliency overlays for images and print predictions as JSON",
                       description="For each image: predict, explain with each method, write overlay "
                                   "PNGs to --out and print one JSON line (prediction, files written).")
    p.add_argument("images", nargs="+", help="image files (PNG, JPEG, BMP, TIFF, WebP)")
    p.add_argument("--model", required=True, help="checkpoint file")
    p.add_argument("--method", nargs="+", default=["gradcam"], choices=list_methods(), metavar="METHOD",
                   help=f"one or more of: {', '.join(list_methods())} (default: %(default)s)")
    p.add_argument("--out", default="out", help="folder for the PNG files (default: %(default)s)")
    p.add_argument("--alpha", type=_number_in(float, 0.0, 1.0), default=0.5,
                   help="map opacity in [0, 1] (default: %(default)s)")
    p.add_argument("--mode", default="positive", choices=["positive", "absolute", "signed"],
                   help="show evidence for the class, its magnitude, or both signs (default: %(default)s)")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("shortcut-report", help="compare a clean and a shortcut-trained model, figures and tables",
                       description="Measure a clean and a shortcut-trained model on the same test images: "
                                   "accuracy per condition, counterfactuals, attribution on the artefact, "
                                   "sanity checks, faithfulness and natural markers. Writes PNG figures, "
                                   "report.md and report.json to --out.")
    p.add_argument("--clean", required=True, help="checkpoint trained without the artefact")
    p.add_argument("--shortcut", required=True, help="checkpoint trained with the artefact (xai-demo train --artefact)")
    p.add_argument("--out", default=None, help="folder for the figures and tables")
    p.add_argument("--store-conditions", action="store_true",
                   help="only measure the none/aligned/swapped/all table on the whole test split and store it "
                        "in the shortcut checkpoint (the app shows it when the test split is absent)")
    p.add_argument("--method", nargs="+", default=None, choices=list_methods(), metavar="METHOD",
                   help=f"methods among: {', '.join(list_methods())} (default: all)")
    p.add_argument("--n", type=_number_in(int, 2, 10_000), default=16,
                   help="images for the attribution tables (default: %(default)s)")
    p.add_argument("--update-card", action="store_true",
                   help="write the key numbers into the shortcut model's markdown card")
    p.add_argument("--data-root", default=None, help="folder holding the datasets (default: $XAI_DEMO_DATA)")
    p.set_defaults(func=cmd_shortcut_report)

    p = sub.add_parser("card", help="write the markdown model card next to each checkpoint",
                       description="Write <checkpoint>.md: data, seed, the command that reproduces it, test metrics.")
    p.add_argument("models", nargs="+", help="checkpoint files")
    p.set_defaults(func=cmd_card)

    p = sub.add_parser("list", help="list the registered models, methods and datasets")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("serve", help="launch the teaching web app",
                       description="Launch the web app on this machine (offline; nothing leaves it).")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind; 0.0.0.0 to share on a lecture-room network (default: %(default)s)")
    p.add_argument("--port", type=_number_in(int, 1, 65535), default=None,
                   help="port to listen on (default: 7860, or the next free one if another program holds it)")
    p.add_argument("--lang", default="en", choices=["en", "fr"], help="interface language (default: %(default)s)")
    p.add_argument("--lecture", action="store_true", help="start in lecture mode (large type, case deck)")
    p.add_argument("--data-root", default=None, help="folder holding the datasets (default: $XAI_DEMO_DATA)")
    p.add_argument("--models", default=None, help="folder of checkpoints to offer (default: the committed models/)")
    p.add_argument("--allow-network", action="store_true",
                   help="let the server process open outside connections (refused by default: it needs none)")
    p.set_defaults(func=cmd_serve)
    _add_check_model_parser(sub)
    for p in sub.choices.values():  # --debug is also accepted after the subcommand
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    _add_plugin_option(parser, sub)
    return parser


def _describe(exc: BaseException) -> tuple[int, str]:
    """Exit code and one-line message for an error that reached the command line."""
    if isinstance(exc, XaiDemoError):
        return EXIT_USER, str(exc)
    if isinstance(exc, OSError):  # a path that cannot be read or written, a full disk, a port in use
        where = f": {exc.filename}" if exc.filename else ""
        return EXIT_USER, f"{exc.strerror or exc}{where}"
    if isinstance(exc, MemoryError):
        return EXIT_USER, "out of memory; use a smaller --size, --batch-size or --limit"
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return EXIT_INTERNAL, (f"internal error ({type(exc).__name__}: {first}); this is a bug in xai-demo: rerun "
                           "with --debug and report the traceback")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``xai-demo`` console script; returns the exit code."""
    from .plugins import load_entry_point_plugins, load_plugins

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        load_entry_point_plugins()
        load_plugins(_plugin_names(argv))
    except XaiDemoError as exc:
        print(f"xai-demo: error: {exc}", file=sys.stderr)
        return EXIT_USER
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # the one error boundary: every error becomes one line and an exit code
        code, message = _describe(exc)
        if args.debug:
            traceback.print_exc()
        print(f"xai-demo: error: {message}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
