"""Check which explanation methods work on a network before showing its maps to anyone.

    python examples/check_my_model.py

A torchvision ResNet-18 as it comes (in-place ReLUs, one ReLU module reused inside every block) is checked,
then fixed with two calls and checked again. The same check runs from the shell:
``xai-demo check-model --plugin my_nets.py --arch my_net`` or ``xai-demo check-model --model my_model.pt``.
"""

from __future__ import annotations

import torchvision

from xai_demo import ModelSpec, XaiModel, check_model
from xai_demo.models import IMAGENET_MEAN, IMAGENET_STD, make_explainable, split_resnet_relus

METHODS = ["saliency", "deeplift", "guided_backprop", "gradcam"]  # all methods: leave out methods=


def resnet(fixed: bool) -> XaiModel:
    net = torchvision.models.resnet18(weights=None, num_classes=3)
    if fixed:
        split_resnet_relus(make_explainable(net))
    spec = ModelSpec("custom", ("normal", "bacterial", "viral"), in_channels=3, input_size=64,
                     mean=IMAGENET_MEAN, std=IMAGENET_STD, target_layer="layer4" if fixed else "")
    return XaiModel(net, spec)


if __name__ == "__main__":
    print(check_model(resnet(fixed=False), methods=METHODS).format())
    print()
    print(check_model(resnet(fixed=True), methods=METHODS).format())
