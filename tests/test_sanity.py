"""Cascading randomisation while other users explain the same shared model (the app's situation)."""

from __future__ import annotations

import threading

import numpy as np
import torch

from xai_demo.models import create_model
from xai_demo.sanity import cascading_randomisation


def test_sanity_copy_never_inherits_hooks_of_a_concurrent_attribution() -> None:
    """Captum hooks live on the shared network while an explanation runs; a copy taken then would carry them
    (seen in the soak benchmark as "cannot register a hook on a tensor that doesn't require gradient")."""
    torch.manual_seed(0)
    model = create_model("small_cnn", input_size=28).eval()
    hooked, release = threading.Event(), threading.Event()

    def attribution_in_progress() -> None:  # what explain() does in another session: hooks under the lock
        with model.explain_lock:
            handle = model.net.register_forward_hook(lambda m, i, out: out.register_hook(lambda g: g))
            hooked.set()
            release.wait(timeout=30)
            handle.remove()

    other = threading.Thread(target=attribution_in_progress)
    other.start()
    hooked.wait(timeout=30)
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = cascading_randomisation(model, [np.full((28, 28), 0.5, np.float32)], ["saliency"])
        except RuntimeError as exc:
            outcome["error"] = exc

    sanity = threading.Thread(target=run)
    sanity.start()
    sanity.join(timeout=0.5)  # give it the chance to copy the hooked network (it must wait instead)
    release.set()
    other.join(timeout=30)
    sanity.join(timeout=120)
    assert "error" not in outcome, outcome.get("error")
    assert len(outcome["result"].spearman["saliency"]) == len(outcome["result"].stages) > 1
