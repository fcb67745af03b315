"""check_model / xai-demo check-model: the expected verdict for a good model and for each kind of breakage."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from xai_demo import ModelSpec, XaiModel, check_model
from xai_demo.models import create_model

QUICK = ["saliency", "deeplift", "guided_backprop", "gradcam", "guided_gradcam", "occlusion"]


class ReusedRelu(nn.Module):
    """One ReLU module applied twice in one forward pass (as torchvision's ResNet blocks do)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.conv2(self.relu(self.conv1(x))))
        return self.head(x.mean(dim=(2, 3)))


class SqrtNet(nn.Module):
    """Finite logits, NaN gradients: the derivative of sqrt at 0 (infinite) times zero."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.act = nn.ReLU()
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + 0.0 * torch.sqrt(x - x)
        return self.head(self.act(self.conv(x)).mean(dim=(2, 3)))


def _inplace_net() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(16, 16, 3, padding=1),
                         nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 2))


def _wrap(make_net: Callable[[], nn.Module], layer: str, classes: tuple[str, ...] = ("a", "b")) -> XaiModel:
    torch.manual_seed(0)  # before the weights are drawn: the verdicts must not depend on earlier tests
    return XaiModel(make_net(), ModelSpec("custom", classes, input_size=28, target_layer=layer))


def _statuses(report) -> dict[str, str]:  # noqa: ANN001
    return {m.method: m.status for m in report.methods}


def test_a_good_model_passes_every_method() -> None:
    torch.manual_seed(0)
    report = check_model(create_model("small_cnn", input_size=28))
    assert report.explainable and not report.findings
    assert set(_statuses(report).values()) == {"ok"} and len(report.methods) >= 10
    assert all(m.seconds > 0 for m in report.methods)
    assert "10/10 methods work" in report.format()


def test_in_place_relu_is_found_and_flagged_on_the_hook_methods() -> None:
    report = check_model(_wrap(_inplace_net, "3"), methods=QUICK)
    assert any("in-place" in f for f in report.findings)
    status = _statuses(report)
    for method in ("deeplift", "guided_backprop", "guided_gradcam"):
        assert status[method] in ("warning", "failed")
        assert "make_explainable" in next(m.fix for m in report.methods if m.method == method)
    assert all(status[m] != "failed" for m in ("saliency", "gradcam", "occlusion")) and report.explainable


def test_reused_relu_fails_deeplift_with_the_fix() -> None:
    report = check_model(_wrap(ReusedRelu, "conv2"), methods=QUICK)
    assert any("relu (2x)" in f for f in report.findings)
    deeplift = next(m for m in report.methods if m.method == "deeplift")
    assert deeplift.status == "failed" and "reused" in deeplift.problem and "own module" in deeplift.fix
    assert _statuses(report)["gradcam"] == "ok" and report.explainable


def test_no_target_layer_fails_the_cam_methods_and_suggests_one() -> None:
    def net() -> nn.Module:
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                             nn.Linear(4, 2))

    report = check_model(_wrap(net, ""), methods=QUICK)
    status = _statuses(report)
    assert status["gradcam"] == status["guided_gradcam"] == "failed"
    gradcam = next(m for m in report.methods if m.method == "gradcam")
    assert "no target layer" in gradcam.problem and "'1'" in gradcam.fix
    assert status["saliency"] == status["deeplift"] == "ok" and report.explainable


def test_non_finite_maps_fail() -> None:
    report = check_model(_wrap(SqrtNet, "act"), methods=["saliency", "occlusion"])
    status = _statuses(report)
    assert status["saliency"] == "failed" and status["occlusion"] == "ok"
    assert "non-finite" in report.methods[0].problem


def test_wrong_output_shape_means_not_explainable() -> None:
    report = check_model(_wrap(_inplace_net, "3", classes=("a", "b", "c")), methods=QUICK)
    assert not report.explainable and "wrong output shape" in report.findings[0]
    assert set(_statuses(report).values()) == {"failed"}
    assert report.to_dict()["explainable"] is False


def test_a_three_class_rgb_model_checks_and_targets_any_class() -> None:
    model = create_model("resnet18", input_size=32, in_channels=3, class_names=("a", "b", "c"),
                         mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
    report = check_model(model, methods=["gradcam", "deeplift"], target=2)
    assert report.input_shape == (1, 3, 32, 32) and set(_statuses(report).values()) == {"ok"}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xai_demo.cli", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=600)


def test_cli_exit_codes(tmp_path: Path) -> None:
    proc = _cli("check-model", "--arch", "small_cnn", "--size", "28", "--method", "gradcam", "saliency")
    assert proc.returncode == 0 and "Grad-CAM" in proc.stdout and "explainable: 2/2" in proc.stdout, proc.stderr
    plugin = tmp_path / "broken_head.py"
    plugin.write_text(
        "from torch import nn\nfrom xai_demo import register_model\n\n"
        "@register_model()\ndef broken_head(num_classes, in_channels=1, input_size=28):\n"
        "    return nn.Sequential(nn.Conv2d(in_channels, 4, 3), nn.Flatten()), '0'\n")
    proc = _cli("check-model", "--plugin", str(plugin), "--arch", "broken_head", "--json", "--method", "gradcam")
    assert proc.returncode == 1 and '"explainable": false' in proc.stdout, proc.stderr
