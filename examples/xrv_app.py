"""TorchXRayVision's DenseNet-121 in the teaching app (needs ``pip install "xai_demo[xrv]"``).

    python examples/xrv_app.py               # pretrained weights: downloaded by TorchXRayVision on first use
    python examples/xrv_app.py --random      # the same architecture with random weights (no download)

The Explore tab's "explained class" picker lists its 18 pathologies; Grad-CAM explains the DenseNet trunk's
final ReLU. With ``--random`` the maps only show that the machinery works: they say nothing about the trained
network. Check it first from the shell: ``xai-demo check-model --plugin xai_demo.xrv --arch xrv_densenet121``.
"""

from __future__ import annotations

import sys

from xai_demo.ui import serve
from xai_demo.xrv import DEFAULT_WEIGHTS, xrv_model

if __name__ == "__main__":
    weights = None if "--random" in sys.argv else DEFAULT_WEIGHTS
    name = "TorchXRayVision DenseNet-121" + (" (random weights)" if weights is None else "")
    serve(models={name: xrv_model(weights)})
