"""Plugins: an architecture registered in a developer's file or installed package reaches every command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xai_demo.errors import PluginError
from xai_demo.models import MODELS
from xai_demo.plugins import load_entry_point_plugins, load_plugin, reset_entry_point_plugins

PLUGIN = '''
"""A developer's architecture: a tiny CNN registered under {name!r}."""
from torch import nn
from xai_demo import register_model

@register_model({name!r}, description="tiny plugin net")
def tiny(num_classes, in_channels=1, input_size=28):
    net = nn.Sequential()
    net.add_module("conv", nn.Conv2d(in_channels, 8, 3, padding=1))
    net.add_module("act", nn.ReLU())
    net.add_module("pool", nn.AdaptiveAvgPool2d(1))
    net.add_module("flat", nn.Flatten())
    net.add_module("head", nn.Linear(8, num_classes))
    return net, "act"
'''


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "xai_demo.cli", *args], capture_output=True, text=True,
                          env=full, cwd=cwd, timeout=600)


def _pythonpath(*folders: Path) -> dict[str, str]:
    parts = [str(f) for f in folders] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {"PYTHONPATH": os.pathsep.join(parts)}


@pytest.fixture()
def plugin_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_nets.py"
    path.write_text(PLUGIN.format(name="tiny_plugin_net"))
    return path


def _assert_one_line_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "plugin" in lines[0] and lines[0].startswith("xai-demo: error: "), proc.stderr
    for word in words:
        assert word in lines[0]


@pytest.mark.slow
def test_a_plugin_file_trains_checks_explains_and_evaluates(plugin_file: Path, tmp_path: Path) -> None:
    assert "tiny_plugin_net" in run("list", "--plugin", str(plugin_file)).stdout
    ckpt = tmp_path / "tiny.pt"
    proc = run("train", "--plugin", str(plugin_file), "--arch", "tiny_plugin_net", "--data", "pneumoniamnist_sample",
               "--size", "28", "--epochs", "1", "--limit", "200", "--out", str(ckpt))
    assert proc.returncode == 0, proc.stderr
    # the plugin is needed to load the checkpoint, and the error says how to provide it
    proc = run("evaluate", "--model", str(ckpt), "--data", "pneumoniamnist_sample")
    assert proc.returncode == 2 and "tiny_plugin_net" in proc.stderr and "--plugin" in proc.stderr
    proc = run("--plugin", str(plugin_file), "evaluate", "--model", str(ckpt), "--data", "pneumoniamnist_sample",
               "--json")
    assert proc.returncode == 0, proc.stderr
    proc = run("check-model", "--plugin", str(plugin_file), "--model", str(ckpt), "--method", "gradcam", "deeplift")
    assert proc.returncode == 0 and "Grad-CAM" in proc.stdout and "explainable" in proc.stdout, proc.stderr


def test_a_plugin_is_importable_by_module_name(plugin_file: Path) -> None:
    proc = run("list", "--plugin", "my_nets", env=_pythonpath(plugin_file.parent))
    assert proc.returncode == 0 and "tiny_plugin_net" in proc.stdout, proc.stderr


def test_a_plugin_file_loads_once_in_process(plugin_file: Path) -> None:
    try:
        first = load_plugin(str(plugin_file))
        assert load_plugin(str(plugin_file)) is first and "tiny_plugin_net" in MODELS
    finally:
        if "tiny_plugin_net" in MODELS:
            MODELS.remove("tiny_plugin_net")


@pytest.mark.parametrize("bad", ["no_such_plugin_module", "missing_file.py", "raises.py", "syntax.py", "exits.py"])
def test_a_broken_plugin_is_one_line_and_a_nonzero_exit(bad: str, tmp_path: Path) -> None:
    (tmp_path / "raises.py").write_text("raise RuntimeError('database not reachable')\n")
    (tmp_path / "syntax.py").write_text("def broken(:\n")
    (tmp_path / "exits.py").write_text("import sys\nsys.exit(3)\n")
    name = str(tmp_path / bad) if bad.endswith(".py") else bad
    for args in (["--plugin", name, "list"], ["train", "--plugin", name, "--out", str(tmp_path / "x.pt")]):
        _assert_one_line_error(run(*args, cwd=tmp_path), bad.split(".")[0])
    with pytest.raises(PluginError):
        load_plugin(name)


def _installed_plugin(root: Path, module: str, body: str) -> Path:
    """A package importable from ``root`` that declares an ``xai_demo.plugins`` entry point in its metadata
    (what ``pip install`` of a package with ``[project.entry-points."xai_demo.plugins"]`` leaves behind)."""
    (root / module).mkdir(parents=True)
    (root / module / "__init__.py").write_text(body)
    info = root / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[xai_demo.plugins]\nnets = {module}\n")
    return root


def test_an_installed_entry_point_plugin_loads_automatically(tmp_path: Path) -> None:
    root = _installed_plugin(tmp_path, "xai_demo_test_plugin", PLUGIN.format(name="entry_point_net"))
    proc = run("list", env=_pythonpath(root))
    assert proc.returncode == 0 and "entry_point_net" in proc.stdout, proc.stderr
    assert "entry_point_net" not in run("list", env={**_pythonpath(root), "XAI_DEMO_NO_PLUGINS": "1"}).stdout
    sys.path.insert(0, str(root))
    try:
        reset_entry_point_plugins()
        assert load_entry_point_plugins() == ["nets"] and "entry_point_net" in MODELS
        assert load_entry_point_plugins() == []  # once per process
    finally:
        sys.path.remove(str(root))
        MODELS.remove("entry_point_net")


def test_a_broken_entry_point_names_its_package_and_the_way_out(tmp_path: Path) -> None:
    root = _installed_plugin(tmp_path, "xai_demo_broken_plugin", "import no_such_dependency\n")
    proc = run("list", env=_pythonpath(root))
    _assert_one_line_error(proc, "xai_demo_broken_plugin", "XAI_DEMO_NO_PLUGINS")


def test_every_command_accepts_plugin(plugin_file: Path) -> None:
    from xai_demo.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001 (argparse has no public API)
    assert "--plugin" in parser.format_help()
    for name, command in commands.items():
        assert "--plugin" in command.format_help(), name
    assert "tiny_plugin_net" in run("train", "--plugin", str(plugin_file), "--help").stdout
