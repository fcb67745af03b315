"""Example plugin: torchvision's MobileNetV3-Small as an xai_demo architecture (RGB, ImageNet normalisation).

Registering it is all a plugin does; every ``xai-demo`` command then knows ``--arch mobilenet_v3_small`` and
can load its checkpoints. From the shell alone (a few minutes on 2 CPU cores)::

    xai-demo train --plugin examples/torchvision_plugin.py --arch mobilenet_v3_small \\
        --data kermany_sample --size 64 --epochs 4 --out my_models/mobilenet_64.pt
    xai-demo check-model --plugin examples/torchvision_plugin.py --model my_models/mobilenet_64.pt
    xai-demo explain sample_images/cases/*.jpeg --plugin examples/torchvision_plugin.py \\
        --model my_models/mobilenet_64.pt --method gradcam --out out/
    xai-demo serve --plugin examples/torchvision_plugin.py --models my_models

The network is randomly initialised (no download). It is an RGB ImageNet architecture: grayscale X-rays are
repeated to three channels and normalised with the ImageNet mean and std, which the spec stores in every
checkpoint. Grad-CAM explains the layer named ``features`` (the whole convolutional trunk).
"""

from __future__ import annotations

from torch import nn

from xai_demo import register_model
from xai_demo.models import IMAGENET_MEAN, IMAGENET_STD, make_explainable


@register_model(description="torchvision MobileNetV3-Small (RGB, ImageNet normalisation, random init)",
                in_channels=3, mean=IMAGENET_MEAN, std=IMAGENET_STD)
def mobilenet_v3_small(num_classes: int, in_channels: int = 3, input_size: int = 64) -> tuple[nn.Module, str]:
    """MobileNetV3-Small; below 128 px its stem keeps full resolution so Grad-CAM still sees a 4x4 map."""
    import torchvision

    net = torchvision.models.mobilenet_v3_small(weights=None, num_classes=num_classes)
    stem = net.features[0][0]
    if in_channels != 3 or input_size < 128:
        net.features[0][0] = nn.Conv2d(in_channels, stem.out_channels, 3, stride=1 if input_size < 128 else 2,
                                       padding=1, bias=False)
    for module in net.modules():  # torchvision's BN momentum (0.01) suits long ImageNet runs, not a few epochs
        if isinstance(module, nn.BatchNorm2d):
            module.momentum = 0.1
    return make_explainable(net), "features"  # torchvision uses in-place activations: switch them off
