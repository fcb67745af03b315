"""From an image to model input, and from logits to a labelled prediction."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from .images import ImageSource, load_image
from .input_check import check_image
from .models import ModelSpec, XaiModel


def preprocess(image: ImageSource | np.ndarray | torch.Tensor, spec: ModelSpec) -> torch.Tensor:
    """Turn an image into the model's input ``(1, C, S, S)`` float32 in [0, 1].

    Args:
        image: anything :func:`load_image` reads, a ``(H, W)`` array (uint8 in [0, 255] or float in
            [0, 1]), or a tensor ``(H, W)``, ``(1, H, W)`` or ``(1, 1, H, W)`` already in [0, 1].
        spec: the model's spec (input size and channels).

    Grayscale is resized to ``spec.input_size`` (bilinear, antialiased) and repeated to
    ``spec.in_channels``.
    """
    size = spec.input_size
    if isinstance(image, torch.Tensor):
        x = image.detach().float()
        while x.dim() < 4:
            x = x.unsqueeze(0)
        if x.shape[1] not in (1, spec.in_channels):
            x = x.mean(dim=1, keepdim=True)
        if x.shape[-2:] != (size, size):
            x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
    else:
        if isinstance(image, np.ndarray):
            arr = image.astype(np.float32) / 255.0 if image.dtype == np.uint8 else image.astype(np.float32)
            pil = Image.fromarray(np.clip(arr * 255.0 + 0.5, 0, 255).astype(np.uint8))
        else:
            pil = load_image(image, "L")
        if pil.size != (size, size):
            pil = pil.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
        x = torch.from_numpy(np.asarray(pil, dtype=np.float32) / 255.0)[None, None]
    x = x.clamp(0.0, 1.0)
    if x.shape[1] != spec.in_channels:
        x = x.expand(-1, spec.in_channels, -1, -1).contiguous()
    return x


def decide(probabilities: torch.Tensor | np.ndarray, spec: ModelSpec) -> np.ndarray:
    """Predicted class indices ``(B,)`` from probabilities ``(B, K)``, using the spec's threshold."""
    p = np.asarray(probabilities, dtype=np.float64)
    if spec.num_classes == 2 and spec.threshold is not None:
        return (p[:, 1] >= spec.threshold).astype(np.int64)
    return p.argmax(axis=1)


def predict(model: XaiModel, image: ImageSource | np.ndarray | torch.Tensor) -> dict:
    """Classify one image.

    Returns:
        ``{"label": str, "index": int, "probabilities": {class name: float in [0, 1]},
        "threshold": float | None, "input_check": dict}``; ``input_check`` says whether the image looks like a
        chest X-ray (:meth:`~xai_demo.input_check.InputCheck.as_dict`: ``ok``, ``reasons``, ``warning``), for
        the models know nothing else.
    """
    if isinstance(image, torch.Tensor):
        pixels = image.detach().float().reshape(-1, *image.shape[-2:]).mean(dim=0).clamp(0, 1).numpy()
        check = check_image(pixels)
    else:
        image = load_image(image, "RGB") if not isinstance(image, np.ndarray) else image
        check = check_image(image)
    x = preprocess(image, model.spec)
    probs = model.probabilities(x)[0].numpy()
    index = int(decide(probs[None], model.spec)[0])
    return {
        "label": model.spec.class_names[index],
        "index": index,
        "probabilities": {name: float(p) for name, p in zip(model.spec.class_names, probs, strict=True)},
        "threshold": model.spec.threshold,
        "input_check": check.as_dict(),
    }


def predict_batch(model: XaiModel, images: torch.Tensor, batch_size: int = 256) -> np.ndarray:
    """Probabilities ``(N, K)`` for images ``(N, C, H, W)`` in [0, 1] at the model's input size."""
    out = []
    for start in range(0, len(images), batch_size):
        x = preprocess(images[start : start + batch_size], model.spec)
        out.append(model.probabilities(x).numpy())
    return np.concatenate(out) if out else np.zeros((0, model.spec.num_classes))
