"""Training a classifier on an in-memory dataset, with its threshold chosen on validation data.

Typical use (what ``xai-demo train`` runs)::

    cfg = TrainConfig(dataset="kermany", size=128, arch="small_cnn", epochs=8, seed=0)
    checkpoint = train(cfg, out="models/cxr_small_cnn_128.pt")
"""

from __future__ import annotations

import copy
import math
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .checkpoints import Checkpoint, save_checkpoint
from .data import DATASETS, ImageArrayDataset, load_dataset
from .errors import ConfigError, DataError
from .metrics import binary_metrics, choose_threshold
from .models import MODELS, XaiModel, create_model, with_threshold
from .predict import predict_batch
from .progress import Progress
from .schema import TRAIN_CONFIG, SchemaViolation


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (stored in the checkpoint).

    Attributes:
        dataset: a registered dataset name or an image-folder path.
        size: input side length in pixels.
        arch: registered architecture name.
        epochs: passes over the training split.
        seed: fixes initialisation, validation split, batch order, augmentation and artefacts.
        batch_size, lr, weight_decay: optimiser settings (AdamW with a one-cycle schedule).
        val_fraction: share of train held out to choose the threshold when there is no val split.
        augment: small random affine and contrast changes during training.
        label_smoothing: cross-entropy label smoothing in [0, 1) (softer, better calibrated outputs).
        erase: probability of blanking one random rectangle (up to a quarter of the image) per image.
        limit: use at most this many train and val images (quick experiments); 0 = all. The test split
            is always used whole.
        val_split: how val is carved from train when the dataset has no val split: "stratified" (image by
            image) or "patient" (all images of a patient on one side, see :func:`xai_demo.data.patient_id`).
        width: channels of the first block of architectures that take a ``width`` (0 = their default).
        augment_strength: multiplies the ranges of :func:`augment_batch` (1 = rotation +-7 deg, scale
            0.9-1.1, shift +-6%, contrast and brightness +-10%).
        gamma: random gamma correction, exponent exp(U(-gamma, gamma)) (0 = off); needs ``augment``.
        hflip: probability of mirroring a training image left-right (0 = never).
        ema: decay of an exponential moving average of the weights, evaluated and kept instead of the raw
            weights (0 = off; e.g. 0.99).
        half_size_epochs: the first N epochs see the images halved by 2x2 average pooling, then augmented
            (progressive resizing: a batch costs 4-8x less); the network is the full-size one throughout and
            the later epochs, validation and test use full-size images (0 = off; must stay below ``epochs``).
        artefact: name of an artefact to inject into the training data (shortcut experiments).
        artefact_options: keyword options of that artefact as (name, value) pairs, e.g. (("text", "L"),).
        confound: P(artefact | positive) in [0, 1]; ``confound_negative`` is P(artefact | negative).
        data_root: folder holding the data (default ``$XAI_DEMO_DATA``).
    """

    dataset: str = "pneumoniamnist"
    size: int = 28
    arch: str = "small_cnn"
    epochs: int = 10
    seed: int = 0
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    val_fraction: float = 0.1
    augment: bool = True
    label_smoothing: float = 0.1
    erase: float = 0.0
    limit: int = 0
    val_split: str = "stratified"
    width: int = 0
    augment_strength: float = 1.0
    gamma: float = 0.0
    hflip: float = 0.0
    ema: float = 0.0
    half_size_epochs: int = 0
    artefact: str | None = None
    artefact_options: tuple[tuple[str, str | float | int | bool], ...] = ()
    confound: float = 0.0
    confound_negative: float = 0.0
    data_root: str | None = None

    def __post_init__(self) -> None:
        """Refuse settings outside the ranges of :data:`xai_demo.schema.TRAIN_CONFIG_FIELDS` (ConfigError)."""
        try:
            TRAIN_CONFIG(self.to_dict(), "training setting")
        except SchemaViolation as exc:
            name = str(exc).split(":", 1)[0].removeprefix("training setting.")
            flag = "--" + name.split(".")[0].replace("_", "-")
            raise ConfigError(f"{exc} (the {flag} option)") from None
        if self.half_size_epochs >= self.epochs:
            raise ConfigError(f"--half-size-epochs ({self.half_size_epochs}) must be below --epochs "
                              f"({self.epochs}): the last epochs train at full size")

    def to_dict(self) -> dict:
        """Plain types only, for the checkpoint."""
        out = asdict(self)
        out["artefact_options"] = {k: v for k, v in self.artefact_options}
        return out

    def command(self, out: str | Path) -> str:
        """The ``xai-demo train`` command line that reproduces this run."""
        defaults = TrainConfig()
        flags = [f"--data {self.dataset}", f"--size {self.size}"]
        for name in ("arch", "epochs", "seed", "batch_size", "lr", "weight_decay", "label_smoothing", "erase",
                     "limit", "val_split", "width", "augment_strength", "gamma", "hflip", "ema",
                     "half_size_epochs"):
            value = getattr(self, name)
            if name in ("epochs", "seed") or value != getattr(defaults, name):
                flags.append(f"--{name.replace('_', '-')} {value}")
        if self.artefact:
            flags.append(f"--artefact {self.artefact}")
            flags += [f"--artefact-option {k}={v}" for k, v in self.artefact_options]
            flags.append(f"--confound {self.confound}")
            if self.confound_negative:
                flags.append(f"--confound-negative {self.confound_negative}")
        return "xai-demo train " + " ".join(flags) + f" --out {out}"

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """The config stored in a checkpoint (ConfigError if a stored value is out of range)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        options = data.get("artefact_options") or {}
        if not isinstance(options, dict):
            raise ConfigError(f"artefact_options must be a mapping, not {type(options).__name__}")
        known["artefact_options"] = tuple(sorted(options.items()))
        return cls(**known)


def _limit(ds: ImageArrayDataset, limit: int, seed: int) -> ImageArrayDataset:
    if not limit or len(ds) <= limit:
        return ds
    rng = np.random.default_rng(seed)
    return ds.subset(np.sort(rng.choice(len(ds), limit, replace=False)))


def load_splits(cfg: TrainConfig) -> dict[str, ImageArrayDataset]:
    """Train, val and test splits at ``cfg.size``, with the artefact injected if the config asks."""
    splits = {
        split: load_dataset(cfg.dataset, split, cfg.size, cfg.data_root, val_fraction=cfg.val_fraction,
                            seed=cfg.seed, val_split=cfg.val_split)
        for split in ("train", "val", "test")
    }
    for split in ("train", "val"):  # the test split is always whole, so cards compare
        splits[split] = _limit(splits[split], cfg.limit, cfg.seed)
    if cfg.artefact:
        from .artefacts import ConfoundSpec, confound

        for offset, split in enumerate(("train", "val")):  # the biased "hospital": val shares its bias
            spec = ConfoundSpec(cfg.artefact, cfg.confound, cfg.confound_negative, seed=cfg.seed + offset,
                                params=tuple(sorted(cfg.artefact_options)))
            splits[split] = confound(splits[split], spec).as_dataset()
    return splits


def erase_batch(x: torch.Tensor, generator: torch.Generator, p: float) -> torch.Tensor:
    """Random erasing (Zhong et al. 2020): with probability ``p`` fill one rectangle of 2-25% of the image
    with the image mean. ``x`` is ``(B, C, H, W)``; returns a new tensor."""
    b, _, h, w = x.shape
    out = x.clone()
    draws = torch.rand(b, 5, generator=generator)
    for i in range(b):
        if draws[i, 0] >= p:
            continue
        area = 0.02 + 0.23 * float(draws[i, 1])
        aspect = 0.5 + 1.5 * float(draws[i, 2])
        eh = max(1, min(h, round((area * h * w * aspect) ** 0.5)))
        ew = max(1, min(w, round((area * h * w / aspect) ** 0.5)))
        y0 = int(float(draws[i, 3]) * (h - eh + 1))
        x0 = int(float(draws[i, 4]) * (w - ew + 1))
        out[i, :, y0 : y0 + eh, x0 : x0 + ew] = x[i].mean()
    return out


def augment_batch(
    x: torch.Tensor, generator: torch.Generator, strength: float = 1.0, gamma: float = 0.0
) -> torch.Tensor:
    """Random rotation (+-7 deg), scale (0.9-1.1), shift (+-6%) and contrast/brightness (+-10%), every
    range multiplied by ``strength``; then, when ``gamma`` > 0, a gamma correction x ** exp(U(-gamma, gamma)).

    Args:
        x: ``(B, C, H, W)`` in [0, 1]. Returns the same shape, clamped to [0, 1].
    """
    b = x.shape[0]

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(b, generator=generator)

    k = strength
    angle = uniform(-7 * k, 7 * k) * math.pi / 180
    scale = uniform(1 - 0.1 * k, 1 + 0.1 * k)
    tx, ty = uniform(-0.06 * k, 0.06 * k), uniform(-0.06 * k, 0.06 * k)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    contrast = uniform(1 - 0.1 * k, 1 + 0.1 * k).view(b, 1, 1, 1)
    brightness = uniform(-0.1 * k, 0.1 * k).view(b, 1, 1, 1)
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = ((out - mean) * contrast + mean + brightness).clamp_(0.0, 1.0)
    if gamma > 0:
        out = out.clamp_(1e-6, 1.0).pow_(torch.exp(uniform(-gamma, gamma)).view(b, 1, 1, 1))
    return out


def flip_batch(x: torch.Tensor, generator: torch.Generator, p: float) -> torch.Tensor:
    """Mirror each image of ``(B, C, H, W)`` left-right with probability ``p``; returns a new tensor."""
    flip = (torch.rand(x.shape[0], generator=generator) < p).view(-1, 1, 1, 1)
    return torch.where(flip, x.flip(-1), x)


class WeightAverage:
    """Exponential moving average of a network's parameters and buffers (decay in (0, 1)), kept on the side."""

    def __init__(self, net: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.state = {k: v.detach().clone() for k, v in net.state_dict().items()}

    @torch.no_grad()
    def update(self, net: torch.nn.Module) -> None:
        for key, value in net.state_dict().items():
            if value.dtype.is_floating_point:
                self.state[key].lerp_(value, 1.0 - self.decay)
            else:
                self.state[key].copy_(value)


def make_schedule(optimiser: torch.optim.Optimizer, lr: float, total_steps: int):
    """One-cycle learning rate (20% warm-up, cosine decay); constant for runs under 10 steps."""
    if total_steps < 10:
        return torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: 1.0)
    return torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=total_steps, pct_start=0.2)


def evaluate(model: XaiModel, dataset: ImageArrayDataset) -> dict:
    """Test metrics of a binary model on ``dataset`` at the model's threshold (see binary_metrics)."""
    images, labels = dataset.tensors()
    probs = predict_batch(model, images)
    threshold = model.spec.decision_threshold
    return binary_metrics(labels.numpy(), probs[:, 1], threshold)


def _provenance(cfg: TrainConfig, splits: dict[str, ImageArrayDataset]) -> dict:
    """Where the training data came from: dataset, split sizes and class counts, citation and licence."""
    provenance = {
        "dataset": cfg.dataset,
        "splits": {k: {"name": v.name, "n": len(v), "class_counts": v.class_counts().tolist()}
                   for k, v in splits.items()},
    }
    if cfg.dataset in DATASETS:
        info = DATASETS.get(cfg.dataset)
        provenance.update(citation=info.citation, licence=info.licence)
    return provenance


def _load_average() -> float:
    """The 1-minute load average of the machine (0.0 where the OS does not tell)."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else 0.0


def _check_names(cfg: TrainConfig) -> None:
    """Unknown architecture or artefact names and bad artefact options fail now, not after the data has loaded."""
    MODELS.get(cfg.arch)
    if cfg.artefact:
        from .artefacts import check_artefact

        check_artefact(cfg.artefact, dict(cfg.artefact_options))


def train(
    cfg: TrainConfig, out: str | Path | None = None, on_progress: Progress | None = None, score_test: bool = True
) -> Checkpoint:
    """Train ``cfg.arch`` on ``cfg.dataset``, choose the threshold on val, measure on test.

    Args:
        cfg: the run's settings.
        out: where to save the checkpoint (not saved when None).
        on_progress: called with (fraction done in [0, 1], message) after each batch, e.g. by the UI.
        score_test: False leaves the test split unscored (recipe search on validation); the checkpoint
            then cannot be saved, so ``out`` must be None.

    Returns:
        The checkpoint: trained model (weights of the epoch with the best validation AUC), config,
        validation and test metrics, provenance.
    """
    _check_names(cfg)
    if out is not None and not score_test:
        raise ConfigError("a saved checkpoint carries its test metrics: score_test=False needs out=None")
    torch.manual_seed(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    started, load_at_start = time.perf_counter(), _load_average()
    splits = load_splits(cfg)
    train_set = splits["train"]
    class_names = train_set.class_names
    if len(class_names) != 2:
        raise DataError(f"xai_demo trains binary classifiers; {cfg.dataset} has {len(class_names)} classes "
                        f"({', '.join(class_names)}); keep exactly two class folders")
    x_train, y_train = train_set.tensors()
    x_val, y_val = splits["val"].tensors()
    data_norm = {} if MODELS.get(cfg.arch).mean else {"mean": (float(x_train.mean()),), "std": (float(x_train.std()),)}
    arch_options = {"width": cfg.width} if cfg.width else {}
    model = create_model(cfg.arch, class_names=class_names, input_size=cfg.size, **data_norm, **arch_options)
    if model.spec.in_channels != 1:
        x_train = x_train.expand(-1, model.spec.in_channels, -1, -1)
    counts = torch.bincount(y_train, minlength=2).float()
    class_weights = counts.sum() / (2.0 * counts.clamp(min=1))  # balance the classes in the loss
    optimiser = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = math.ceil(len(x_train) / cfg.batch_size)
    schedule = make_schedule(optimiser, cfg.lr, cfg.epochs * steps_per_epoch)
    average = WeightAverage(model.net, cfg.ema) if cfg.ema else None
    best_auc, best_state, history = -1.0, None, []
    total = cfg.epochs * steps_per_epoch
    bar = tqdm(total=total, desc=f"training {cfg.arch}@{cfg.size}", unit="batch", leave=False)
    for epoch in range(cfg.epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        running = 0.0
        for step in range(steps_per_epoch):
            idx = order[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            x = x_train[idx]
            if epoch < cfg.half_size_epochs:  # halve first: the augmentation then costs 4x less too
                x = F.avg_pool2d(x, 2)
            if cfg.augment:
                x = augment_batch(x, generator, cfg.augment_strength, cfg.gamma)
            if cfg.hflip:
                x = flip_batch(x, generator, cfg.hflip)
            if cfg.erase:
                x = erase_batch(x, generator, cfg.erase)
            loss = F.cross_entropy(model(x), y_train[idx], weight=class_weights, label_smoothing=cfg.label_smoothing)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            if average is not None:
                average.update(model.net)
            running += loss.item()
            bar.update(1)
            if on_progress is not None:
                done = epoch * steps_per_epoch + step + 1
                on_progress(done / total, f"epoch {epoch + 1}/{cfg.epochs}, loss {loss.item():.3f}")
        model.eval()
        if average is not None:  # evaluate (and keep) the averaged weights; training goes on with the raw ones
            raw = copy.deepcopy(model.net.state_dict())
            model.net.load_state_dict(average.state)
        val_probs = predict_batch(model, x_val)[:, 1]
        val = binary_metrics(y_val.numpy(), val_probs)
        history.append({"epoch": epoch + 1, "loss": running / steps_per_epoch, "val_auc": val["auc"]})
        bar.set_postfix(loss=f"{running / steps_per_epoch:.3f}", val_auc=f"{val['auc']:.3f}")
        if val["auc"] > best_auc or best_state is None:
            best_auc, best_state = val["auc"], copy.deepcopy(model.net.state_dict())
        if average is not None:
            model.net.load_state_dict(raw)
    bar.close()
    model.net.load_state_dict(best_state)
    model.eval()
    val_probs = predict_batch(model, x_val)[:, 1]
    threshold = choose_threshold(y_val.numpy(), val_probs)
    with_threshold(model, threshold)
    train_seconds = time.perf_counter() - started
    metrics = {
        "val": binary_metrics(y_val.numpy(), val_probs, threshold),
        "test": evaluate(model, splits["test"]) if score_test else None,
        "history": history,
        "train_seconds": round(train_seconds, 1),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
        "load_average": [load_at_start, _load_average()],  # 1-min load at start and end: machines are shared
    }
    provenance = _provenance(cfg, splits)
    checkpoint = Checkpoint(model, cfg.to_dict(), metrics, provenance)
    if out is not None:
        checkpoint.path = save_checkpoint(out, model, train_config=cfg.to_dict(), metrics=metrics,
                                          provenance=provenance)
    return checkpoint
