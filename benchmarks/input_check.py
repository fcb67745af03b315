"""How often the input check flags real chest X-rays (should be ~0) and other pictures (should be ~1).

    python benchmarks/input_check.py                  # needs $XAI_DEMO_DATA (or --data)

Radiographs: the Kermany test split (224 px JPEG files, read as uploads are) and the PneumoniaMNIST test
split (28 px). Other pictures: ISIC dermoscopy photos (as uploaded, in colour, and converted to grey, which
leaves only the layout and texture statistics to catch them), BreastMNIST ultrasound (all splits),
synthetic noise, rendered text pages and flat images (seeded). None of these was used to fit or calibrate
the check: the reference and its threshold come from the training and validation splits only.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from xai_demo.fonts import font
from xai_demo.input_check import check_image
from xai_demo.paths import data_root

WORDS = ("patient", "report", "the", "chest", "film", "findings", "lung", "normal", "no", "acute", "disease",
         "impression", "consolidation", "left", "right", "lobe", "2024", "dose", "mg", "signed")


def kermany_test(root: Path) -> Iterator[Image.Image]:
    for path in sorted((root / "kermany_cxr_224" / "test").glob("*/*.jpeg")):
        with Image.open(path) as img:
            yield img.convert("RGB")


def npz_images(path: Path, splits: tuple[str, ...]) -> Iterator[np.ndarray]:
    with np.load(path) as npz:
        for split in splits:
            yield from npz[f"{split}_images"]


def isic(root: Path, grey: bool) -> Iterator[Image.Image]:
    for path in sorted((root / "isic_uda1_cc0" / "images").glob("*.jpg")):
        with Image.open(path) as img:
            yield img.convert("L" if grey else "RGB")


def noise(n: int = 200) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(0)
    for i in range(n):
        side = int(rng.choice([5, 16, 28, 64, 224, 512]))
        arr = rng.random((side, side)) if i % 2 else np.clip(rng.normal(0.5, 0.2, (side, side)), 0, 1)
        yield (arr * 255).astype(np.uint8)


def text_pages(n: int = 200) -> Iterator[Image.Image]:
    rng = np.random.default_rng(1)
    for _ in range(n):
        w, h = int(rng.integers(300, 900)), int(rng.integers(300, 1200))
        size = int(rng.integers(10, 40))
        page = Image.new("L", (w, h), int(rng.integers(200, 256)))
        draw = ImageDraw.Draw(page)
        y = int(rng.integers(5, 40))
        while y < h - size:
            line = " ".join(rng.choice(WORDS, int(rng.integers(3, 14))))
            draw.text((int(rng.integers(5, 30)), y), line, fill=int(rng.integers(0, 60)), font=font(size))
            y += int(size * rng.uniform(1.2, 2.0))
        yield page


def flat(n: int = 100) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(2)
    for _ in range(n):
        side = int(rng.choice([28, 64, 224, 512]))
        yield np.full((side, side), int(rng.integers(0, 256)), np.uint8)


def rate(images) -> tuple[int, int, Counter]:
    flagged, total, reasons = 0, 0, Counter()
    for image in images:
        result = check_image(image)
        total += 1
        flagged += int(not result.ok)
        reasons.update(result.reasons)
    return flagged, total, reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.environ.get("XAI_DEMO_DATA"), help="data folder")
    args = parser.parse_args()
    root = data_root(args.data)
    if root is None:
        raise SystemExit("set XAI_DEMO_DATA or pass --data (the folder with kermany_cxr_224/ and medmnist/)")
    sets = [
        ("chest X-ray", "Kermany test split (224 px files)", lambda: kermany_test(root)),
        ("chest X-ray", "PneumoniaMNIST test split (28 px)",
         lambda: npz_images(root / "medmnist" / "pneumoniamnist.npz", ("test",))),
        ("other", "ISIC dermoscopy photos (colour)", lambda: isic(root, grey=False)),
        ("other", "ISIC dermoscopy photos (made grey)", lambda: isic(root, grey=True)),
        ("other", "BreastMNIST ultrasound (all splits, 28 px)",
         lambda: npz_images(root / "medmnist" / "breastmnist.npz", ("train", "val", "test"))),
        ("other", "synthetic noise (5-512 px)", noise),
        ("other", "rendered text pages", text_pages),
        ("other", "flat images", flat),
    ]
    print("| kind | images | n | flagged | main reasons |")
    print("|---|---|---|---|---|")
    for kind, name, make in sets:
        flagged, total, reasons = rate(make())
        top = ", ".join(f"{r} {c}" for r, c in reasons.most_common(3)) or "-"
        print(f"| {kind} | {name} | {total} | {flagged / total:.1%} | {top} |", flush=True)


if __name__ == "__main__":
    main()
