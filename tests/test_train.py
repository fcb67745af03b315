"""Training is seeded and repeatable, handles imbalance, picks its threshold on validation data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from xai_demo.checkpoints import load_checkpoint
from xai_demo.train import TrainConfig, augment_batch, train


@pytest.mark.data
def test_training_is_repeatable_and_records_its_card(tmp_path, data_root) -> None:
    cfg = TrainConfig(dataset="pneumoniamnist", size=28, epochs=2, limit=500, seed=7, data_root=str(data_root))
    a = train(cfg, out=tmp_path / "a.pt")
    b = train(cfg)
    for key, value in a.model.net.state_dict().items():
        assert torch.equal(value, b.model.net.state_dict()[key]), key
    assert a.metrics["test"] == b.metrics["test"]
    card = load_checkpoint(tmp_path / "a.pt").card()
    assert card["train_config"]["seed"] == 7 and card["train_config"]["dataset"] == "pneumoniamnist"
    assert card["metrics"]["test"]["n"] == 624  # the test split is never limited
    assert card["provenance"]["splits"]["train"]["n"] == 500
    assert card["provenance"]["licence"] == "CC BY 4.0"
    threshold = card["spec"]["threshold"]
    assert 0 < threshold < 1 and threshold == card["metrics"]["val"]["threshold"]
    # the threshold is the validation choice, reported on test without being re-tuned
    assert card["metrics"]["test"]["threshold"] == threshold
    assert a.metrics["test"]["auc"] > 0.85


@pytest.mark.data
def test_different_seed_gives_a_different_model(data_root) -> None:
    base = dict(dataset="pneumoniamnist", size=28, epochs=1, limit=300, data_root=str(data_root))
    a = train(TrainConfig(seed=1, **base)).model.net.state_dict()
    b = train(TrainConfig(seed=2, **base)).model.net.state_dict()
    assert not all(torch.equal(a[k], b[k]) for k in a)


def _correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pearson correlation per image of two (B, C, H, W) batches."""
    a, b = a.flatten(1), b.flatten(1)
    a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))


def test_augmentation_is_small_and_seeded() -> None:
    # a smooth, asymmetric picture: a small rotation/shift/contrast change keeps it, a shuffle or flip does not
    ys, xs = torch.meshgrid(torch.linspace(0, 1, 32), torch.linspace(0, 1, 32), indexing="ij")
    x = (0.15 + 0.7 * xs * (1 - 0.5 * ys)).expand(16, 1, 32, 32).clone()
    a = augment_batch(x, torch.Generator().manual_seed(0))
    b = augment_batch(x, torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.shape == x.shape
    assert not torch.equal(a, augment_batch(x, torch.Generator().manual_seed(1)))
    assert float(a.min()) >= 0 and float(a.max()) <= 1
    change = (a - x).abs().mean(dim=(1, 2, 3))
    assert float(change.min()) > 0, "every image is augmented"
    assert float(change.max()) < 0.15, "at most +-10% contrast/brightness and a few pixels of shift"
    assert float(_correlation(a, x).min()) > 0.95, "the anatomy must stay where it was (+-7 deg, +-6% shift)"


def test_class_imbalance_is_balanced_in_the_loss(monkeypatch, tmp_path) -> None:
    """With 9:1 imbalance and no signal, a balanced loss must not collapse to the majority class."""
    from xai_demo import train as train_module
    from xai_demo.data import ImageArrayDataset

    rng = np.random.default_rng(0)
    labels = np.array([1] * 270 + [0] * 30)
    images = rng.integers(0, 255, (300, 16, 16)).astype(np.uint8)
    images[labels == 0, :4, :4] = 255  # a tiny cue for the minority class
    ds = ImageArrayDataset(images, labels, ("neg", "pos"), "synthetic")
    monkeypatch.setattr(train_module, "load_splits", lambda cfg: {"train": ds, "val": ds, "test": ds})
    ck = train(TrainConfig(dataset="synthetic", size=16, epochs=4, augment=False, lr=1e-2))
    assert ck.metrics["test"]["specificity"] > 0.5


def test_recipe_options_are_seeded_and_reproducible(monkeypatch) -> None:
    """Stronger augmentation, gamma, flips, EMA and a width: the same seed gives the same weights, the card's
    command carries every option, and a run can leave the test split unscored."""
    from xai_demo import train as train_module
    from xai_demo.data import ImageArrayDataset

    rng = np.random.default_rng(0)
    labels = np.array([0, 1] * 40)
    images = rng.integers(0, 200, (80, 16, 16)).astype(np.uint8)
    images[labels == 1, 6:10, 6:10] = 255
    ds = ImageArrayDataset(images, labels, ("neg", "pos"), "synthetic")
    monkeypatch.setattr(train_module, "load_splits", lambda cfg: {"train": ds, "val": ds, "test": ds})
    cfg = TrainConfig(dataset="synthetic", size=16, epochs=2, batch_size=16, augment_strength=2.0, gamma=0.3,
                      hflip=0.5, ema=0.9, width=8, val_split="patient", half_size_epochs=1)
    a, b = train(cfg), train(cfg, score_test=False)
    for key, value in a.model.net.state_dict().items():
        assert torch.equal(value, b.model.net.state_dict()[key]), key
    assert b.metrics["test"] is None and a.metrics["test"]["n"] == 80
    assert a.model.spec.arch_kwargs == (("width", 8),)
    command = cfg.command("m.pt")
    for flag in ("--augment-strength 2.0", "--gamma 0.3", "--hflip 0.5", "--ema 0.9", "--width 8",
                 "--val-split patient", "--half-size-epochs 1"):
        assert flag in command
    assert "--hflip" not in TrainConfig().command("m.pt")
    with pytest.raises(Exception, match="score_test"):
        train(cfg, out="never.pt", score_test=False)


def test_stronger_augmentation_moves_pictures_further() -> None:
    ys, xs = torch.meshgrid(torch.linspace(0, 1, 32), torch.linspace(0, 1, 32), indexing="ij")
    x = (0.15 + 0.7 * xs * (1 - 0.5 * ys)).expand(64, 1, 32, 32).clone()
    mild = (augment_batch(x, torch.Generator().manual_seed(0)) - x).abs().mean()
    strong = (augment_batch(x, torch.Generator().manual_seed(0), strength=2.0, gamma=0.3) - x).abs().mean()
    assert strong > mild


def test_half_size_epochs_train_on_halved_images_then_full_size(monkeypatch) -> None:
    """Progressive resizing: the first epochs' batches are halved, the rest, validation and test are not."""
    from xai_demo import train as train_module
    from xai_demo.data import ImageArrayDataset
    from xai_demo.errors import ConfigError
    from xai_demo.models import XaiModel

    rng = np.random.default_rng(0)
    labels = np.array([0, 1] * 16)
    ds = ImageArrayDataset(rng.integers(0, 255, (32, 32, 32)).astype(np.uint8), labels, ("neg", "pos"), "synth")
    monkeypatch.setattr(train_module, "load_splits", lambda cfg: {"train": ds, "val": ds, "test": ds})
    seen: list[tuple[bool, int]] = []

    def record(module, args):
        if isinstance(module, XaiModel):
            seen.append((module.training, args[0].shape[-1]))

    handle = torch.nn.modules.module.register_module_forward_pre_hook(record)
    try:
        train(TrainConfig(dataset="synth", size=32, epochs=3, batch_size=16, half_size_epochs=2))
    finally:
        handle.remove()
    training = [side for is_training, side in seen if is_training]
    assert training == [16] * 4 + [32] * 2  # 2 batches an epoch: two halved epochs, then one full-size
    assert {side for is_training, side in seen if not is_training} == {32}
    with pytest.raises(ConfigError, match="--half-size-epochs"):
        TrainConfig(epochs=4, half_size_epochs=4)
