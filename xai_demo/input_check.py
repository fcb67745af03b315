"""Does this picture look like a chest radiograph? A check run before any prediction.

The models here have only ever seen frontal chest X-rays; for anything else their answer means nothing,
and saying so is itself a teaching point. :func:`check_image` applies, in order:

- **too small**: a side under :data:`MIN_SIDE` px (the smallest training images are 28 px);
- **colour**: radiographs are grey; a mean chroma ``max(R, G, B) - min(R, G, B)`` above
  :data:`MAX_CHROMA` (of 255) means a colour photo;
- **flat**: almost no contrast (standard deviation under :data:`MIN_STD`);
- **noise**: neighbouring pixels unrelated (lag-1 autocorrelation under :data:`MIN_AUTOCORRELATION`) at the
  working size, where every radiograph is smooth;
- **unusual**: far from the training radiographs by the Mahalanobis distance of a few image statistics
  (a 3x3 grid of mean intensities, i.e. the layout of dark lungs beside a bright mediastinum; intensity
  quantiles; contrast; smoothness; edge density; left-right symmetry), all computed on the picture
  shrunk to :data:`WORK_SIZE` px as the models see it.

The reference statistics (mean, inverse covariance) were fitted on training-split radiographs
(Kermany train minus a held-out 10%, PneumoniaMNIST train) and the distance threshold is the 99.5th
percentile on validation radiographs (the held-out Kermany 10%, PneumoniaMNIST val); the fixed thresholds
above sit well outside what the training radiographs show. Test splits and non-radiographs are used only to
report the rates (``benchmarks/input_check.py``). Rebuild the reference with
``python -m xai_demo.input_check fit --data <data folder>``.

An image statistic rather than the model's features: it is the same for every model in the app (28 to
128 px, any architecture), needs no forward pass, and its reasons can be put into words.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from .images import ImageSource, load_image

WORK_SIZE = 28  # side at which statistics are computed (the smallest model input; PneumoniaMNIST's size)
MIN_SIDE = 28
MAX_CHROMA = 12.0  # of 255; grey radiographs saved as JPEG stay under ~3
MIN_STD = 0.02  # of the [0, 1] range
MIN_AUTOCORRELATION = 0.5  # radiographs at 28 px: above 0.8
REFERENCE_FILE = Path(__file__).with_name("input_check_reference.json")
REASONS = ("too_small", "colour", "flat", "noise", "unusual")
WARNING = "this model was trained on chest X-rays; its answer here means nothing"


@dataclass(frozen=True)
class InputCheck:
    """The verdict on one picture.

    Attributes:
        reasons: why it does not look like a chest radiograph (codes from :data:`REASONS`); empty if it does.
        distance: Mahalanobis distance of its statistics to the training radiographs (nan if not computed).
        threshold: the distance above which a picture is "unusual".
    """

    reasons: tuple[str, ...]
    distance: float
    threshold: float

    @property
    def ok(self) -> bool:
        """Whether the picture looks like a chest radiograph."""
        return not self.reasons

    def as_dict(self) -> dict:
        """Plain values for a JSON result (``predict``'s ``"input_check"``)."""
        return {"ok": self.ok, "reasons": list(self.reasons), "distance": self.distance,
                "threshold": self.threshold, "warning": None if self.ok else WARNING}


@dataclass(frozen=True)
class Reference:
    """Mean and inverse covariance of :func:`features` over training radiographs, and the distance threshold."""

    mean: np.ndarray
    inverse_covariance: np.ndarray
    threshold: float

    def distance(self, feats: np.ndarray) -> np.ndarray:
        """Mahalanobis distances of feature rows ``(N, F)`` (or one row ``(F,)``)."""
        d = np.atleast_2d(feats) - self.mean
        return np.sqrt(np.einsum("nf,fg,ng->n", d, self.inverse_covariance, d))

    def to_json(self) -> dict:
        return {"mean": self.mean.tolist(), "inverse_covariance": self.inverse_covariance.tolist(),
                "threshold": self.threshold, "work_size": WORK_SIZE}

    @classmethod
    def from_json(cls, data: dict) -> Reference:
        if int(data.get("work_size", WORK_SIZE)) != WORK_SIZE:
            raise ValueError("the input-check reference was fitted at another working size; refit it")
        return cls(np.asarray(data["mean"], float), np.asarray(data["inverse_covariance"], float),
                   float(data["threshold"]))


@lru_cache(maxsize=1)
def reference() -> Reference:
    """The committed reference (``input_check_reference.json`` next to this module)."""
    return Reference.from_json(json.loads(REFERENCE_FILE.read_text()))


def working_image(image: Image.Image | np.ndarray) -> np.ndarray:
    """``(WORK_SIZE, WORK_SIZE)`` float in [0, 1]: the picture in grey, squashed to a square as the models see it."""
    if isinstance(image, np.ndarray):
        arr = np.asarray(image)
        if arr.ndim == 3:
            arr = arr[..., :3].mean(axis=-1)
        if arr.dtype != np.uint8:
            arr = np.clip(arr * (255.0 if arr.max() <= 1.0 else 1.0) + 0.5, 0, 255).astype(np.uint8)
        image = Image.fromarray(arr)
    gray = image.convert("L")
    if gray.size != (WORK_SIZE, WORK_SIZE):
        gray = gray.resize((WORK_SIZE, WORK_SIZE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(gray, dtype=np.float64) / 255.0


def autocorrelation(x: np.ndarray) -> float:
    """Mean lag-1 correlation of horizontally and vertically neighbouring pixels (0 for white noise)."""
    x = x - x.mean()
    var = float((x * x).mean())
    if var <= 1e-12:
        return 1.0
    return float(((x[:, 1:] * x[:, :-1]).mean() + (x[1:] * x[:-1]).mean()) / (2 * var))


def features(x: np.ndarray) -> np.ndarray:
    """Statistics of a working image ``(S, S)`` in [0, 1]: 3x3 grid means (9), quantiles 5/25/50/75/95% (5),
    standard deviation, lag-1 autocorrelation, mean gradient / standard deviation, left-right correlation."""
    s = x.shape[0] // 3 * 3
    grid = x[:s, :s].reshape(3, s // 3, 3, s // 3).mean(axis=(1, 3)).ravel()
    std = float(x.std())
    gy, gx = np.gradient(x)
    edges = float(np.hypot(gx, gy).mean()) / (std + 1e-3)
    mirror = x[:, ::-1]
    sym = float(np.corrcoef(x.ravel(), mirror.ravel())[0, 1]) if std > 1e-6 else 1.0
    return np.concatenate([grid, np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95]),
                           [std, autocorrelation(x), edges, sym]])


def chroma(image: Image.Image) -> float:
    """Mean of ``max(R, G, B) - min(R, G, B)`` (0-255) over the picture, measured at most 256 px wide."""
    if image.mode in ("L", "I", "F", "1", "I;16"):
        return 0.0
    rgb = image.convert("RGB")
    rgb.thumbnail((256, 256))
    arr = np.asarray(rgb, dtype=np.int16)
    return float((arr.max(axis=-1) - arr.min(axis=-1)).mean())


def check_image(image: ImageSource | np.ndarray, ref: Reference | None = None) -> InputCheck:
    """Whether ``image`` (a file, bytes, a PIL image, or an array ``(H, W)`` / ``(H, W, 3)``) looks like a
    chest radiograph; see the module docstring for the tests and how they were calibrated."""
    if isinstance(image, np.ndarray):
        arr = np.asarray(image)
        if arr.dtype != np.uint8:
            arr = np.clip(arr * (255.0 if arr.size and arr.max() <= 1.0 else 1.0) + 0.5, 0, 255).astype(np.uint8)
        pil = Image.fromarray(arr[..., :3] if arr.ndim == 3 else arr)
    else:
        pil = load_image(image, "RGB")
    ref = ref or reference()
    width, height = pil.size
    if min(width, height) < MIN_SIDE:
        return InputCheck(("too_small",), float("nan"), ref.threshold)
    reasons = []
    if chroma(pil) > MAX_CHROMA:
        reasons.append("colour")
    x = working_image(pil)
    feats = features(x)
    if x.std() > MIN_STD / 10 and feats[15] < MIN_AUTOCORRELATION:  # shrunk noise is faint but still noise
        reasons.append("noise")
    elif x.std() < MIN_STD:
        reasons.append("flat")
    distance = float(ref.distance(feats)[0])
    if distance > ref.threshold and not reasons:
        reasons.append("unusual")
    return InputCheck(tuple(reasons), distance, ref.threshold)


# ----------------------------------------------------------------------------- fitting


def fit_reference(train: Iterable[np.ndarray], val: Iterable[np.ndarray], quantile: float = 0.995,
                  ridge: float = 1e-3) -> Reference:
    """Fit the reference on training working images and set the threshold at ``quantile`` of the validation
    distances. ``ridge`` (times the mean variance) keeps the covariance invertible."""
    f_train = np.stack([features(x) for x in train])
    mean = f_train.mean(axis=0)
    cov = np.cov(f_train, rowvar=False)
    cov += ridge * float(np.trace(cov)) / len(cov) * np.eye(len(cov))
    partial = Reference(mean, np.linalg.inv(cov), float("inf"))
    f_val = np.stack([features(x) for x in val])
    return Reference(mean, partial.inverse_covariance, float(np.quantile(partial.distance(f_val), quantile)))


def radiograph_splits(root: Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Working images of the training radiographs: (fit set, calibration set), from ``root`` (the data folder
    with ``kermany_cxr_224/train`` and ``medmnist/pneumoniamnist.npz``). Test splits are never read."""
    from .data import stratified_split

    files = sorted((root / "kermany_cxr_224" / "train").glob("*/*.jpeg"))
    labels = np.array([f.parent.name == "PNEUMONIA" for f in files], int)
    kept, held = stratified_split(labels, 0.1, seed=0)
    kermany = [working_image(load_image(f, "L")) for f in files]
    with np.load(root / "medmnist" / "pneumoniamnist.npz") as npz:
        mnist_train = [working_image(a) for a in npz["train_images"]]
        mnist_val = [working_image(a) for a in npz["val_images"]]
    return [kermany[i] for i in kept] + mnist_train, [kermany[i] for i in held] + mnist_val


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m xai_demo.input_check",
                                     description="Fit the input check's reference on training radiographs.")
    sub = parser.add_subparsers(dest="command", required=True)
    fit = sub.add_parser("fit", help="write input_check_reference.json from the training splits")
    fit.add_argument("--data", required=True, help="data folder (kermany_cxr_224/, medmnist/)")
    fit.add_argument("--out", default=str(REFERENCE_FILE))
    args = parser.parse_args(argv)
    train, val = radiograph_splits(Path(args.data))
    ref = fit_reference(train, val)
    Path(args.out).write_text(json.dumps(ref.to_json(), indent=1) + "\n")
    print(f"fitted on {len(train)} radiographs, threshold {ref.threshold:.2f} from {len(val)}: {args.out}")


if __name__ == "__main__":
    main()


__all__ = ["InputCheck", "REASONS", "Reference", "WARNING", "check_image", "features", "fit_reference",
           "reference", "working_image"]
