"""Training time and test metrics per input size, on the Kermany chest X-rays (needs $XAI_DEMO_DATA).

    python benchmarks/train_sizes.py                 # trains at 28, 64 and 128 px (about 15 min on 2 cores)
    python benchmarks/train_sizes.py --sizes 28 64
    python benchmarks/train_sizes.py --from-cards    # table from the committed checkpoints' cards

Each run is exactly what ``xai-demo train --data kermany --size S --epochs E`` does (seed 0); the
threshold is chosen on the validation split carved from train, metrics are on the whole test split.
"""

from __future__ import annotations

import argparse
import platform

import torch

from xai_demo.checkpoints import load_checkpoint
from xai_demo.paths import MODELS_DIR
from xai_demo.train import TrainConfig, train

EPOCHS = {28: 10, 64: 8, 128: 6}


def row(name: str, size: int, metrics: dict) -> str:
    t = metrics["test"]
    return (f"| {name} | {size} | {metrics['train_seconds']:.0f} | {100 * t['accuracy']:.1f} | {t['auc']:.3f} | "
            f"{100 * t['sensitivity']:.1f} | {100 * t['specificity']:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[28, 64, 128])
    parser.add_argument("--from-cards", action="store_true", help="read the committed checkpoints instead")
    args = parser.parse_args()
    print(f"Machine: {platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}\n")
    print("| model | size | train s | test ACC % | test AUC | sensitivity % | specificity % |")
    print("|---|---|---|---|---|---|---|")
    if args.from_cards:
        for path in sorted(MODELS_DIR.glob("*.pt")):
            ck = load_checkpoint(path)
            print(row(path.stem, ck.spec.input_size, ck.metrics))
        return
    for size in args.sizes:
        ck = train(TrainConfig(dataset="kermany", size=size, epochs=EPOCHS.get(size, 8), seed=0))
        print(row(f"kermany small_cnn, {ck.train_config['epochs']} epochs", size, ck.metrics), flush=True)


if __name__ == "__main__":
    main()
