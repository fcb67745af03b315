"""The TorchXRayVision adapter, exercised without network access: architectures built with weights=None,
the calibration path with TorchXRayVision's published operating points, check-model and the CLI plugin."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

xrv = pytest.importorskip("torchxrayvision")

from xai_demo import XaiModel, check_model, explain, predict  # noqa: E402
from xai_demo.models import MODELS  # noqa: E402
from xai_demo.xrv import ARCHITECTURES, XrvNet, register_architectures, xrv_model  # noqa: E402

for _name in ARCHITECTURES:  # importing the plugin registered them: keep them out of the other tests' grids
    MODELS.remove(_name)

SIZE = 64  # the networks are fully convolutional; small inputs keep the tests quick on a CPU


@pytest.fixture(scope="module")
def densenet() -> XaiModel:
    torch.manual_seed(0)
    return xrv_model(weights=None, input_size=SIZE)


def _reference(model: XaiModel) -> torch.nn.Module:
    """TorchXRayVision's own DenseNet holding the adapter's weights."""
    ref = xrv.models.DenseNet(weights=None)
    ref.load_state_dict({k: v for k, v in model.net.state_dict().items() if k != "op_threshs"}, strict=False)
    return ref.eval()


def test_spec_carries_the_preprocessing_and_the_pathologies(densenet: XaiModel) -> None:
    spec = densenet.spec
    assert spec.class_names == tuple(xrv.datasets.default_pathologies) and spec.output == "sigmoid"
    assert spec.in_channels == 1 and spec.target_layer == "final_relu"
    assert xrv_model(weights=None).spec.input_size == 224


def test_outputs_match_torchxrayvision_on_its_own_scale(densenet: XaiModel) -> None:
    x = torch.rand(2, 1, SIZE, SIZE)
    ours = densenet(x)
    theirs = _reference(densenet)((x * 2 - 1) * 1024)  # xrv.utils.normalize: [0, 255] -> [-1024, 1024]
    assert torch.allclose(ours, theirs, atol=1e-4)
    p = predict(densenet, x[0, 0])["probabilities"]
    assert len(p) == 18 and abs(sum(p.values()) - 1) > 1e-3  # independent findings, not a softmax


def test_calibrated_outputs_match_op_norm(densenet: XaiModel) -> None:
    ops = torch.tensor(xrv.models.model_urls["densenet121-res224-all"]["op_threshs"])
    ref = _reference(densenet)
    ref.op_threshs = ops
    calibrated = XaiModel(XrvNet(ref, ops), densenet.spec)
    x = torch.rand(1, 1, SIZE, SIZE)
    assert torch.allclose(calibrated.probabilities(x), ref((x * 2 - 1) * 1024), atol=1e-4)


def test_every_activation_method_works_on_the_densenet(densenet: XaiModel) -> None:
    report = check_model(densenet, methods=["gradcam", "saliency", "deeplift", "guided_backprop"])
    assert {m.status for m in report.methods} == {"ok"} and not report.findings, report.format()
    e = explain(densenet, torch.rand(SIZE, SIZE), "gradcam", target=densenet.spec.class_names.index("Pneumonia"))
    assert e.map.shape == (SIZE, SIZE) and e.target_name == "Pneumonia"


def test_resnet50_blocks_are_split_for_deeplift() -> None:
    model = xrv_model(weights=None, arch="resnet50", input_size=SIZE)
    assert model.spec.input_size == SIZE and len(model.spec.class_names) == 18
    report = check_model(model, methods=["gradcam", "deeplift"])
    assert {m.status for m in report.methods} == {"ok"}, report.format()


def test_cli_plugin_registers_the_architectures() -> None:
    proc = subprocess.run([sys.executable, "-m", "xai_demo.cli", "check-model", "--plugin", "xai_demo.xrv", "--arch",
                           "xrv_densenet121", "--size", str(SIZE), "--method", "gradcam"],
                          capture_output=True, text=True, env=dict(os.environ), timeout=600)
    assert proc.returncode == 0 and "explainable: 1/1" in proc.stdout, proc.stderr
    assert "(1, 1, 64, 64)" in proc.stdout


def test_a_registered_xrv_architecture_round_trips_through_a_checkpoint(tmp_path) -> None:  # noqa: ANN001
    from xai_demo import create_model

    register_architectures()
    try:
        _round_trip(create_model("xrv_densenet121", input_size=SIZE), tmp_path)
    finally:
        for name in ARCHITECTURES:
            MODELS.remove(name)


def _round_trip(model: XaiModel, tmp_path) -> None:  # noqa: ANN001
    from xai_demo import load_checkpoint, save_checkpoint

    assert model.spec.output == "sigmoid" and len(model.spec.class_names) == 18
    loaded = load_checkpoint(save_checkpoint(tmp_path / "xrv.pt", model)).model
    x = torch.rand(1, 1, SIZE, SIZE)
    assert loaded.spec == model.spec and torch.allclose(loaded(x), model(x), atol=1e-5)
