"""The command line's error boundary: every user mistake is one line on stderr and exit code 2, never a
traceback; internal errors are exit 3; ``--debug`` shows the traceback.

Each subcommand is run (in-process, through ``main``) with missing, unreadable, hostile and wrong-kind files
and with bad option values.
"""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_xray_folder
from PIL import Image

from xai_demo import cli
from xai_demo.checkpoints import save_checkpoint
from xai_demo.models import create_model

PROGRESS_BAR = re.compile(r"\|\s*\d+/\d+ \[")  # tqdm's "| 0/6 [" (erased on a terminal once closed)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``xai-demo argv``."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse (usage errors, --help)
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code: int, err: str, *words: str) -> None:
    segments = [seg for line in err.splitlines() for seg in line.split("\r")]
    lines = [seg for seg in segments if seg.strip() and not PROGRESS_BAR.search(seg)]
    assert code == 2, err
    assert len(lines) == 1 and "error:" in lines[0] and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], (word, lines[0])


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/xai_demo_cli_pwned",))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli_errors")
    clean = save_checkpoint(root / "clean.pt", create_model("small_cnn", input_size=28),
                            train_config={"dataset": "pneumoniamnist", "size": 28})
    short = save_checkpoint(root / "short64.pt", create_model("small_cnn", input_size=64),
                            train_config={"dataset": "pneumoniamnist", "size": 64, "artefact": "laterality_marker"})
    torch.save({"format": "xai_demo.checkpoint", "payload": Evil()}, root / "evil.pt")
    hostile = torch.load(clean, weights_only=True)
    hostile["spec"]["arch_kwargs"] = [["width", 10**9]]
    torch.save(hostile, root / "huge_width.pt")
    (root / "pickle.pt").write_bytes(pickle.dumps(Evil()))
    (root / "text.pt").write_text("just text")
    Image.new("L", (40, 40)).save(root / "image.png")
    (root / "random.png").write_bytes(np.random.default_rng(0).bytes(3000))
    os.mkfifo(root / "fifo.pt")  # exists but is no regular file: reading it would block forever
    (root / "link.pt").symlink_to(root / "gone.pt")
    (root / "a_file").write_text("x")
    three = make_xray_folder(root / "three_classes", classes=("A", "B", "C"), n_per_class=2)
    (root / "empty_data" / "train" / "A").mkdir(parents=True)
    for cls in ("A", "B"):
        (root / "broken_data" / "train" / cls).mkdir(parents=True)
        (root / "broken_data" / "train" / cls / "x.png").write_bytes(b"not a png")
    return {"root": root, "clean": clean, "short": short, "three": three, **{
        p.stem: p for p in root.iterdir() if p.suffix in (".pt", ".png") or p.name == "a_file"}}


BAD_MODELS = {  # --model value -> words the one-line error must contain
    "missing": ("{root}/none.pt", "no checkpoint at"),
    "directory": ("{root}", "no checkpoint at"),
    "fifo": ("{fifo}", "no checkpoint at"),
    "dangling symlink": ("{link}", "no checkpoint at"),
    "text": ("{text}", "not a torch checkpoint"),
    "image": ("{image}", "not a torch checkpoint"),
    "plain pickle": ("{pickle}", "not a torch checkpoint"),
    "pickled code": ("{evil}", "not a loadable"),
    "huge architecture": ("{huge_width}", "width of 'small_cnn'"),
}


def _fill(template: str, files: dict[str, Path]) -> str:
    return template.format(**{k: str(v) for k, v in files.items()})


@pytest.mark.parametrize("kind", sorted(BAD_MODELS))
@pytest.mark.parametrize("command", ["evaluate", "explain", "card", "shortcut-report"])
def test_bad_checkpoint_files(command: str, kind: str, files: dict[str, Path], capsys, tmp_path: Path) -> None:
    model = _fill(BAD_MODELS[kind][0], files)
    argv = {
        "evaluate": ["evaluate", "--model", model, "--data", "pneumoniamnist"],
        "explain": ["explain", str(files["image"]), "--model", model, "--out", str(tmp_path / "maps")],
        "card": ["card", model],
        "shortcut-report": ["shortcut-report", "--clean", model, "--shortcut", str(files["short"]),
                            "--out", str(tmp_path / "report")],
    }[command]
    code, out, err = run(argv, capsys)
    assert_user_error(code, err, BAD_MODELS[kind][1])
    assert not os.path.exists("/tmp/xai_demo_cli_pwned")


BAD_OPTIONS = {  # argv (after filling) -> words
    "unknown command": (["teach"], "invalid choice"),
    "train size 0": (["train", "--size", "0", "--out", "{root}/m.pt"], "--size"),
    "train size text": (["train", "--size", "big", "--out", "{root}/m.pt"], "--size"),
    "train epochs -1": (["train", "--epochs", "-1", "--out", "{root}/m.pt"], "--epochs"),
    "train lr 0": (["train", "--lr", "0", "--out", "{root}/m.pt"], "--lr"),
    "train confound 1.5": (["train", "--confound", "1.5", "--out", "{root}/m.pt"], "--confound"),
    "train batch 0": (["train", "--batch-size", "0", "--out", "{root}/m.pt"], "--batch-size"),
    "train erase 2": (["train", "--erase", "2", "--out", "{root}/m.pt"], "--erase"),
    "train smoothing 1": (["train", "--label-smoothing", "1", "--out", "{root}/m.pt"], "--label-smoothing"),
    "train seed -3": (["train", "--seed", "-3", "--out", "{root}/m.pt"], "--seed"),
    "train limit -1": (["train", "--limit", "-1", "--out", "{root}/m.pt"], "--limit"),
    "train arch": (["train", "--arch", "vgg99", "--out", "{root}/m.pt"], "--arch"),
    "train no out": (["train"], "--out"),
    "option without =": (["train", "--artefact", "ruler", "--artefact-option", "wide", "--out", "{root}/m.pt"],
                         "NAME=VALUE"),
    "unknown artefact option": (["train", "--artefact", "laterality_marker", "--artefact-option", "bogus=1",
                                 "--data", "{three}", "--out", "{root}/m.pt"], "bogus"),
    "artefact option of the wrong type": (["train", "--artefact", "laterality_marker", "--artefact-option",
                                           "text=5", "--data", "{three}", "--out", "{root}/m.pt"], "text"),
    "unknown dataset": (["train", "--data", "nosuchdata", "--out", "{root}/m.pt"], "neither a known dataset"),
    "three classes": (["train", "--data", "{three}", "--size", "28", "--epochs", "1", "--out", "{root}/m.pt"],
                      "binary"),
    "no images": (["train", "--data", "{root}/empty_data", "--out", "{root}/m.pt"],
                  "no .png/.jpg/.jpeg/.bmp/.tif/.tiff/.webp images"),
    "only unreadable images": (["train", "--data", "{root}/broken_data", "--out", "{root}/m.pt"],
                               "none of the 2 images"),
    "kermany without data": (["evaluate", "--model", "{clean}", "--data", "kermany", "--data-root",
                              "{root}/nowhere"], "kermany_sample"),
    "evaluate split": (["evaluate", "--model", "{clean}", "--split", "holdout"], "--split"),
    "explain alpha": (["explain", "{image}", "--model", "{clean}", "--alpha", "2"], "--alpha"),
    "explain method": (["explain", "{image}", "--model", "{clean}", "--method", "magic"], "--method"),
    "explain mode": (["explain", "{image}", "--model", "{clean}", "--mode", "loud"], "--mode"),
    "explain out is a file": (["explain", "{image}", "--model", "{clean}", "--out", "{a_file}"], "a_file"),
    "report n 0": (["shortcut-report", "--clean", "{clean}", "--shortcut", "{short}", "--out", "{root}/r",
                    "--n", "0"], "--n"),
    "report clean as shortcut": (["shortcut-report", "--clean", "{short}", "--shortcut", "{clean}",
                                  "--out", "{root}/r"], "same --size"),
    "report shortcut without artefact": (["shortcut-report", "--clean", "{clean}", "--shortcut", "{clean}",
                                          "--out", "{root}/r"], "not trained with an artefact"),
    "serve port": (["serve", "--port", "70000"], "--port"),
    "serve lang": (["serve", "--lang", "de"], "--lang"),
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_bad_options_and_data(case: str, files: dict[str, Path], capsys) -> None:
    argv, words = BAD_OPTIONS[case]
    code, out, err = run([_fill(a, files) for a in argv], capsys)
    assert_user_error(code, err, words)
    assert not (files["root"] / "m.pt").exists()


def test_unreadable_and_hostile_images_fail_per_image_with_exit_1(files: dict[str, Path], capsys,
                                                                   tmp_path: Path) -> None:
    argv = ["explain", str(files["image"]), str(files["random"]), str(files["root"] / "fifo.pt"),
            str(files["root"]), "--model", str(files["clean"]), "--out", str(tmp_path)]
    code, out, err = run(argv, capsys)
    lines = out.strip().splitlines()
    assert code == 1 and len(lines) == 4 and "Traceback" not in err
    assert '"files"' in lines[0] and all('"error"' in line for line in lines[1:])


def test_internal_errors_are_one_line_unless_debug(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    def broken(args) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "cmd_list", broken)
    code, out, err = run(["list"], capsys)
    assert code == 3 and len(err.strip().splitlines()) == 1
    assert "internal error (ZeroDivisionError" in err and "--debug" in err and "Traceback" not in err
    for argv in (["--debug", "list"], ["list", "--debug"]):
        code, out, err = run(argv, capsys)
        assert code == 3 and "Traceback" in err and "ZeroDivisionError" in err.splitlines()[-1]


def test_user_errors_show_the_traceback_only_with_debug(files: dict[str, Path], capsys) -> None:
    code, _, err = run(["--debug", "card", str(files["text"])], capsys)
    assert code == 2 and "Traceback" in err and "CheckpointError" in err


def test_write_failures_are_user_errors(files: dict[str, Path], xray_folder: Path, capsys) -> None:
    target = files["a_file"] / "m.pt"  # a path below a regular file cannot be created
    code, _, err = run(["train", "--data", str(xray_folder), "--size", "28", "--epochs", "1", "--out", str(target)],
                       capsys)
    assert_user_error(code, err, "a_file")
