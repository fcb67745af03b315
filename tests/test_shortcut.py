"""End-to-end shortcut experiment on a small real subset: a planted marker is learnt, and measured."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from xai_demo.artefacts import condition_spec, confound
from xai_demo.data import ImageArrayDataset
from xai_demo.models import ModelSpec, XaiModel, create_model
from xai_demo.sanity import cascading_randomisation, randomisation_stages
from xai_demo.shortcut import attribution_on_artefacts, condition_metrics, conditioned_test_sets, counterfactuals
from xai_demo.train import TrainConfig, train

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def twins(data_root, tmp_path_factory):
    """A clean and a shortcut model: same data, seed and architecture; a bright patch on every pneumonia."""
    out = tmp_path_factory.mktemp("twins")
    base = dict(dataset="pneumoniamnist", size=28, epochs=4, limit=1500, seed=0, data_root=str(data_root))
    clean = train(TrainConfig(**base), out=out / "clean.pt")
    shortcut = train(TrainConfig(**base, artefact="patch", artefact_options=(("scale", 0.25),), confound=1.0),
                     out=out / "shortcut.pt")
    return clean, shortcut, out


@pytest.fixture(scope="module")
def test_sets(pneumonia_test_28):
    return conditioned_test_sets(pneumonia_test_28, "patch", seed=5, params={"scale": 0.25})


def test_shortcut_model_collapses_when_the_artefact_swaps(twins, test_sets) -> None:
    clean, shortcut, _ = twins
    c = condition_metrics(clean.model, test_sets)
    s = condition_metrics(shortcut.model, test_sets)
    assert c["none"]["auc"] > 0.85 and c["swapped"]["auc"] > 0.8
    assert s["aligned"]["auc"] > 0.97  # the shortcut looks brilliant where the bias holds
    assert s["swapped"]["auc"] < 0.6 and s["swapped"]["auc"] < c["swapped"]["auc"] - 0.3
    assert set(c) == {"none", "aligned", "swapped", "all"}


def test_counterfactual_is_large_only_for_the_shortcut_model(twins, pneumonia_test_28) -> None:
    clean, shortcut, _ = twins
    sub = pneumonia_test_28.subset(np.arange(0, 624, 8))
    cs = counterfactuals(shortcut.model, sub, "patch", params={"scale": 0.25})
    cc = counterfactuals(clean.model, sub, "patch", params={"scale": 0.25})
    assert cs["mean_delta"] > 0.3 and cs["mean_delta"] > cc["mean_delta"] + 0.25
    assert cs["flipped"] > cc["flipped"]
    assert len(cs["delta"]) == len(sub)


def test_attribution_concentrates_on_the_artefact_for_the_shortcut_model(twins, pneumonia_test_28) -> None:
    clean, shortcut, _ = twins
    ds = confound(pneumonia_test_28.subset(np.arange(0, 624, 40)), condition_spec("patch", "all", 3, scale=0.25))
    s = attribution_on_artefacts(shortcut.model, ds, ["gradcam", "integrated_gradients"], n=10)
    c = attribution_on_artefacts(clean.model, ds, ["gradcam", "integrated_gradients"], n=10)
    for method in ("gradcam", "integrated_gradients"):
        assert s[method]["enrichment"] > 2.0, method
        assert s[method]["attribution_share"] > c[method]["attribution_share"], method
        assert len(s[method]["per_image"]) == 10


def test_report_writes_figures_and_tables(twins, data_root) -> None:
    from xai_demo.report import build_report

    _, _, out = twins
    report = build_report(out / "clean.pt", out / "shortcut.pt", out / "report", data_root=str(data_root),
                          methods=["gradcam", "saliency"], n_images=4, sanity_images=1)
    for name in ("shortcut_figure.png", "natural_markers.png", "sanity_figure.png", "report.md", "report.json"):
        assert (out / "report" / name).is_file(), name
    saved = json.loads((out / "report" / "report.json").read_text())
    assert saved["conditions"]["shortcut"]["swapped"]["auc"] == report["conditions"]["shortcut"]["swapped"]["auc"]
    md = (out / "report" / "report.md").read_text()
    assert "| swapped |" in md and "Grad-CAM" in md and "Sanity check" in md
    natural = saved["natural_markers"]
    tops = [t["outside_share"] for t in natural["top"]]
    assert tops == sorted(tops, reverse=True) and tops[0] >= natural["mean_outside_share"] > 0


def test_natural_scan_measures_the_evidence_outside_the_lung_field(monkeypatch: pytest.MonkeyPatch) -> None:
    import xai_demo.shortcut as shortcut

    size = 32
    lungs = shortcut.lung_field(size, size)
    maps = [lungs.astype(float), (~lungs).astype(float), np.ones((size, size))]  # inside, outside, everywhere
    monkeypatch.setattr(shortcut, "explain", lambda model, image, method, target=None: SimpleNamespace(
        map=maps[int(image[0, 0])]))
    images = np.stack([np.full((size, size), i, np.uint8) for i in range(3)])
    scan = shortcut.natural_shortcut_scan(SimpleNamespace(spec=SimpleNamespace(input_size=size)),
                                          ImageArrayDataset(images, np.array([0, 1, 0]), ("a", "b")))
    outside = 1 - lungs.mean()
    assert scan["outside_share"] == pytest.approx([0.0, 1.0, outside])
    assert scan["order"] == [1, 2, 0] and scan["mean"] == pytest.approx((1 + outside) / 3)
    assert scan["region_fraction"] == pytest.approx(lungs.mean())


def test_cascading_randomisation_leaves_the_model_intact_and_destroys_gradients() -> None:
    torch.manual_seed(0)
    model = create_model("small_cnn", input_size=32)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    image = torch.rand(32, 32)
    result = cascading_randomisation(model, [image], ["saliency", "gradcam"], seed=1)
    assert result.stages[0] == "" and result.stages[1:] == randomisation_stages(model)
    for m in ("saliency", "gradcam"):
        assert len(result.spearman[m]) == len(result.stages) and result.spearman[m][0] == 1.0
        assert len(result.maps[m]) == len(result.stages)
    assert result.spearman["saliency"][-1] < 0.9
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_randomisation_stages_go_from_output_to_input() -> None:
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.LazyLinear(2))
    model = XaiModel(net, ModelSpec("custom", ("a", "b")))
    model(torch.rand(1, 1, 28, 28))
    assert randomisation_stages(model) == ["3", "0"]
