"""Launch the teaching app on models held in memory: no checkpoint folder, no registration.

    python examples/app_on_my_model.py            # then open the printed address

Three networks appear in every tab: a three-class RGB torchvision network (the Explore tab's "explained class"
picker lists its classes), and a clean/shortcut pair of small CNNs trained here in a few seconds on the
embedded 28 px set (the shortcut one with an "L" marker on 95% of pneumonia films), which the Shortcuts and
Quiz tabs compare. ``xai_demo.train.train`` returns checkpoints whose training config names the planted
artefact, which is how the app pairs them; a bare ``XaiModel`` is shown as a clean model.
"""

from __future__ import annotations

import torchvision

from xai_demo import ModelSpec, XaiModel
from xai_demo.models import IMAGENET_MEAN, IMAGENET_STD, make_explainable
from xai_demo.train import TrainConfig, train
from xai_demo.ui import serve


def three_class_net() -> XaiModel:
    """Untrained SqueezeNet 1.1 with three outputs (its maps show the machinery, not medicine)."""
    net = make_explainable(torchvision.models.squeezenet1_1(weights=None, num_classes=3))
    spec = ModelSpec("squeezenet1_1", ("normal", "bacterial", "viral"), in_channels=3, input_size=64,
                     mean=IMAGENET_MEAN, std=IMAGENET_STD, target_layer="features.12")
    return XaiModel(net, spec)


if __name__ == "__main__":
    common = dict(dataset="pneumoniamnist_sample", size=28, epochs=3)
    clean = train(TrainConfig(**common))
    shortcut = train(TrainConfig(**common, artefact="laterality_marker", artefact_options=(("text", "L"),),
                                 confound=0.95))
    serve(models={"SqueezeNet, 3 classes": three_class_net(), "clean CNN": clean, "shortcut CNN": shortcut})
