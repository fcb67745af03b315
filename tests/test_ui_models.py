"""build_app(models=...): models held in memory, offered in every tab, through the app's own callbacks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    import gradio  # noqa: F401 (in CI a missing gradio is an error, never a skip)
else:
    pytest.importorskip("gradio")

from xai_demo import Checkpoint, ConfigError, ModelSpec, XaiModel, save_checkpoint  # noqa: E402
from xai_demo.models import IMAGENET_MEAN, IMAGENET_STD, create_model, make_explainable  # noqa: E402
from xai_demo.ui import build_app  # noqa: E402
from xai_demo.ui.app import new_state  # noqa: E402
from xai_demo.ui.tabs.explore import PREDICTED  # noqa: E402

CLASSES = ("normal", "bacterial", "viral")


def three_class_rgb() -> XaiModel:
    """An RGB torchvision network with ImageNet normalisation and three classes, Grad-CAM layer by name."""
    import torchvision

    torch.manual_seed(0)
    net = make_explainable(torchvision.models.squeezenet1_1(weights=None, num_classes=3))
    return XaiModel(net, ModelSpec("squeezenet1_1", CLASSES, in_channels=3, input_size=48, mean=IMAGENET_MEAN,
                                   std=IMAGENET_STD, target_layer="features.12"))


def pair() -> dict[str, Checkpoint]:
    """A clean and a shortcut model marked as such (what xai_demo.train.train returns carries the same)."""
    clean = create_model("small_cnn", input_size=28)
    shortcut = create_model("small_cnn", input_size=28)
    return {"clean twin": Checkpoint(clean, {"dataset": "mine"}),
            "marker twin": Checkpoint(shortcut, {"dataset": "mine", "artefact": "laterality_marker",
                                                 "artefact_options": {"text": "L"}})}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ui_models_samples")
    rng = np.random.default_rng(0)
    for name in ("film_a.png", "film_b.png"):
        Image.fromarray(rng.integers(0, 255, (96, 80), dtype=np.uint8)).save(folder / name)
    return folder


@pytest.fixture(scope="module")
def app(samples: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("no_data")
    return build_app(models={"my RGB net": three_class_rgb(), **pair()}, samples_dir=samples,
                     data_root_dir=str(root / "none"))


def model_classes(key: str, app) -> tuple[str, ...]:  # noqa: ANN001
    return app.xai_context.models[key].model.spec.class_names


def _session(cb):  # noqa: ANN001, ANN202
    return cb.case_image(0, new_state("en"))


def test_in_memory_models_replace_the_folder_and_pair_up(app) -> None:
    ctx = app.xai_context
    assert list(ctx.models) == ["my RGB net", "clean twin", "marker twin"]
    assert [p.key for p in ctx.pairs] == ["clean twin|marker twin"]
    assert ctx.models["my RGB net"].label("en").startswith("my RGB net · ")
    assert [k for _, k in app.xai_callbacks.model_choices(new_state("en"))] == list(ctx.models)


def test_explore_lists_the_classes_and_explains_the_chosen_one(app) -> None:
    cb = app.xai_callbacks
    session = _session(cb)
    choices = cb.class_choices(session, "my RGB net")
    assert choices == [("the predicted class", PREDICTED), ("normal", 0), ("bacterial", 1), ("viral", 2)]
    assert cb.class_choices(new_state("fr"), "my RGB net")[0][0] == "la classe prédite"
    session, pred, probs, gallery, _ = cb.explore(session, "my RGB net", ["gradcam", "deeplift"], 0.5, "positive", 2)
    assert session.result.target == 2 and len(gallery) == 2 and probs.count("xai-prob-name") == 3
    predicted = cb.explore(session, "my RGB net", ["gradcam"], 0.5, "positive", PREDICTED)[0].result
    assert predicted.target == predicted.predicted
    # an index the model does not have (the picker of another model) falls back to the predicted class
    assert cb.explore(session, "clean twin", ["gradcam"], 0.5, "positive", 2)[0].result.target in (0, 1)


def test_shortcuts_sanity_and_quiz_work_on_in_memory_models(app) -> None:
    cb = app.xai_callbacks
    session = _session(cb)
    out = cb.shortcut(session, "clean twin|marker twin", True, "laterality_marker", "top_left", 1.0, "gradcam")
    assert out[1] is not None and out[2] is not None
    session, first = cb.sanity(session, "my RGB net", ["gradcam", "saliency"])
    stages = cb.sanity_stages(session)
    assert stages >= 2 and 0 <= first <= stages
    picture, verdicts = cb.sanity_view(session, stages)
    assert picture is not None and "Grad-CAM" in verdicts
    session, picture, text = cb.quiz_next(_session(cb))
    assert picture is not None and text


def test_in_memory_models_beside_a_folder_and_as_a_list(tmp_path: Path, samples: Path) -> None:
    folder = tmp_path / "models"
    save_checkpoint(folder / "from_disk.pt", create_model("small_cnn", input_size=28),
                    train_config={"dataset": "pneumoniamnist"})
    none = str(tmp_path / "none")
    both = build_app(folder, models=[create_model("small_cnn", input_size=28)], samples_dir=samples,
                     data_root_dir=none)
    assert list(both.xai_context.models) == ["from_disk", "small_cnn"]
    with pytest.raises(ConfigError, match="XaiModel"):
        build_app(models={"bad": torch.nn.Linear(2, 2)}, samples_dir=samples, data_root_dir=none)
    with pytest.raises(ConfigError, match="from_disk"):
        build_app(folder, models={"from_disk": create_model("small_cnn")}, samples_dir=samples, data_root_dir=none)


def test_torchxrayvision_in_the_app(samples: Path, tmp_path: Path) -> None:
    pytest.importorskip("torchxrayvision")
    from xai_demo.xrv import xrv_model

    app = build_app(models={"TorchXRayVision DenseNet-121 (random)": xrv_model(None, input_size=64)},
                    samples_dir=samples, data_root_dir=str(tmp_path / "none"))
    cb = app.xai_callbacks
    key = "TorchXRayVision DenseNet-121 (random)"
    choices = cb.class_choices(new_state("en"), key)
    pneumonia = dict(choices)["Pneumonia"]
    assert len(choices) == 19 and pneumonia == model_classes(key, app).index("Pneumonia")
    session, _, probs, gallery, _ = cb.explore(_session(cb), key, ["gradcam"], 0.5, "positive", pneumonia)
    assert session.result.target == pneumonia and len(gallery) == 1
