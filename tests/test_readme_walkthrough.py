"""The README's "Swapping in your own model" section, executed as written: the plugin file it shows, every
``xai-demo`` command (``serve`` until the page answers), and its Python blocks (``serve`` replaced by
``build_app``, so the test does not block). Only the block that downloads TorchXRayVision weights is skipped."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from browser_support import READY

from xai_demo.paths import REPO_ROOT

SECTION = "### Swapping in your own model"
NEEDS_NETWORK = ('xrv_model("densenet121-res224-all")',)

pytestmark = pytest.mark.slow


def _section() -> str:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start)
    return text[start:end]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(), flags=re.S)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh folder holding the plugin file the README shows, with sample_images/ reachable as written."""
    root = tmp_path_factory.mktemp("walkthrough")
    files = [b for b in _blocks("python") if b.startswith("# my_nets.py")]
    assert len(files) == 1, "the README shows the plugin file once, starting with '# my_nets.py'"
    (root / "my_nets.py").write_text(files[0])
    (root / "sample_images").symlink_to(REPO_ROOT / "sample_images")
    return root


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(REPO_ROOT), env.get("PYTHONPATH", "")])
    return env


def _commands() -> list[list[str]]:
    lines = [line for block in _blocks("bash") for line in block.splitlines() if line.startswith("xai-demo ")]
    assert len(lines) >= 4
    return [shlex.split(line)[1:] for line in lines]


def _serve(args: list[str], root: Path) -> str:
    """Start ``xai-demo serve`` in ``root`` (it binds a free port itself), wait for its ready line, return the
    app's config JSON, stop it."""
    proc = subprocess.Popen([sys.executable, "-m", "xai_demo.cli", *args], cwd=root, env=_env(root),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in proc.stdout:  # ends when the process exits
            if line.startswith(READY):
                url = line[len(READY):].split()[0].rstrip("/")
                with urllib.request.urlopen(f"{url}/config", timeout=60) as response:
                    return response.read().decode()
        raise AssertionError(f"serve exited with {proc.wait()} before it was ready")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_every_command_of_the_walkthrough_runs(workdir: Path) -> None:
    for args in _commands():
        if args[0] == "serve":
            config = _serve(args, workdir)
            assert "tiny_64" in config  # the trained plugin model is offered in the app
            continue
        proc = subprocess.run([sys.executable, "-m", "xai_demo.cli", *args], cwd=workdir, env=_env(workdir),
                              capture_output=True, text=True, timeout=1200)
        assert proc.returncode == 0, f"{args}: {proc.stderr[-2000:]}"
        if args[0] == "train":
            assert json.loads(proc.stdout.strip().splitlines()[-1])["test"]["auc"] > 0.5
        if args[0] == "check-model":
            assert "10/10 methods work" in proc.stdout
    assert list((workdir / "out").glob("*_gradcam.png"))


def test_every_python_block_of_the_walkthrough_runs(workdir: Path) -> None:
    if not (workdir / "my_models" / "tiny_64.pt").exists():
        test_every_command_of_the_walkthrough_runs(workdir)
    blocks = [b for b in _blocks("python") if not b.startswith("# my_nets.py")]
    ran = 0
    for i, block in enumerate(blocks):
        if any(marker in block for marker in NEEDS_NETWORK):
            continue
        script = workdir / f"block_{i}.py"
        script.write_text(block.replace("serve(", "build_app(").replace("import serve", "import build_app"))
        proc = subprocess.run([sys.executable, str(script)], cwd=workdir, env=_env(workdir), capture_output=True,
                              text=True, timeout=1200)
        assert proc.returncode == 0, f"block {i}:\n{block}\n{proc.stderr[-3000:]}"
        ran += 1
    assert ran >= 2
