"""Results in words: live training, the sanity check, the input check's warning."""

from __future__ import annotations

import numpy as np

from xai_demo.input_check import InputCheck
from xai_demo.sanity import SanityResult
from xai_demo.ui.story import (
    check_warning,
    failing_stage,
    learned_artefact,
    sanity_story,
    stage_name,
    training_step,
    training_story,
)
from xai_demo.ui.text import NBSP

EFFECT = {"aligned": {"accuracy": 0.9, "sensitivity": 0.98, "specificity": 0.8, "auc": 0.95},
          "none": {"accuracy": 0.378, "sensitivity": 0.018, "specificity": 0.99, "auc": 0.81}}


def test_training_story_says_the_model_learned_the_artefact() -> None:
    text = training_story(12.0, "Your model #1", "laterality_marker", EFFECT["none"], EFFECT, "en")
    assert "learned the artefact as a sign of pneumonia" in text and "Done in 12 s" in text
    assert "90%" in text and "2%" in text
    fr = training_story(12.0, "Votre modèle n°1", "laterality_marker", EFFECT["none"], EFFECT, "fr")
    assert "a appris l'artefact" in fr and f"90{NBSP}%" in fr and "Marqueur de latéralité" in fr


def test_training_story_without_the_effect() -> None:
    same = {"aligned": EFFECT["none"], "none": EFFECT["none"]}
    assert not learned_artefact(same)
    assert "did not lean" in training_story(5, "m", "ruler", EFFECT["none"], same, "en")
    assert "without an artefact" in training_story(5, "m", None, EFFECT["none"], None, "en")


def test_training_step() -> None:
    assert training_step(0.0, 3, "en") == "Training: epoch 1 of 3, 0% done"
    assert training_step(0.5, 3, "fr") == f"Entraînement{NBSP}: époque 2 sur 3, 50{NBSP}% effectués"


def test_stage_names_are_plain() -> None:
    assert [stage_name(k, 5, "en") for k in range(6)] == [
        "nothing (the trained model)", "the last layer", "the last 2 layers (of 5)", "half the network",
        "the last 4 layers (of 5)", "all layers"]
    assert stage_name(1, 5, "fr") == "la dernière couche" and stage_name(5, 5, "fr") == "toutes les couches"


def _result() -> SanityResult:
    stages = ["", "head", "features.block4", "features.block3"]
    spearman = {"gradcam": [1.0, 0.2, 0.1, 0.0], "guided_backprop": [1.0, 0.95, 0.45, 0.3],
                "saliency": [1.0, 0.8, 0.6, 0.2]}
    empty = {m: [1.0] * 4 for m in spearman}
    return SanityResult(stages, list(spearman), spearman, empty, empty, {m: [np.zeros((2, 2))] * 4 for m in spearman})


def test_failing_stage_is_where_most_methods_fail() -> None:
    assert failing_stage(_result()) == 1


def test_sanity_story_names_the_failing_methods_first() -> None:
    text = sanity_story(_result(), 1, "en")
    first = text.split("\n")[0]
    assert first.startswith("**Randomised: the last layer.** Guided Backprop and Saliency still draw")
    assert "Grad-CAM changes with the model: it depends on what it learned" in text
    assert "head" not in text and "features" not in text
    fr = sanity_story(_result(), 1, "fr")
    assert "Rétropropagation guidée et Saillance (gradient) dessinent encore" in fr and "0,95" in fr
    assert "Grad-CAM change avec le modèle\u00a0: elle dépend de ce qu'il a appris" in fr
    assert "every map changes" in sanity_story(_result(), 3, "en").lower()


def test_check_warning() -> None:
    assert check_warning(InputCheck((), 1.0, 8.0), "en") == ""
    text = check_warning(InputCheck(("too_small",), float("nan"), 8.0), "fr")
    assert "ne ressemble pas à une radiographie thoracique" in text and "trop petite" in text


def test_artefact_effect_measures_with_and_without_the_artefact() -> None:
    from xai_demo.train import TrainConfig, train
    from xai_demo.ui.story import artefact_effect

    cfg = TrainConfig(dataset="pneumoniamnist_sample", size=28, epochs=1, limit=300, artefact="laterality_marker",
                      artefact_options=(("text", "L"),), confound=1.0)
    effect = artefact_effect(train(cfg), None, n=60)
    assert set(effect) == {"none", "aligned"}
    assert effect["none"]["n"] == effect["aligned"]["n"] == 60
    assert 0 <= effect["aligned"]["sensitivity"] <= 1
