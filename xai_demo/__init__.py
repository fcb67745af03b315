"""xai_demo: teach medical trainees to read AI explanations critically.

The flow is one-way: file -> :func:`load_image` -> model (:func:`load_checkpoint` or :func:`create_model`)
-> :func:`predict` / :func:`explain` -> :func:`overlay`.

    >>> import xai_demo
    >>> model = xai_demo.load_checkpoint("models/cxr_clean_128.pt").model
    >>> image = xai_demo.load_image("chest.png")
    >>> xai_demo.predict(model, image)["label"]
    >>> e = xai_demo.explain(model, image, "gradcam")
    >>> xai_demo.overlay(e.image, e.map).save("gradcam.png")
"""

from .artefacts import add_artefact as add_artefact
from .artefacts import list_artefacts as list_artefacts
from .check import CompatibilityReport as CompatibilityReport
from .check import check_model as check_model
from .checkpoints import Checkpoint as Checkpoint
from .checkpoints import load_checkpoint as load_checkpoint
from .checkpoints import save_checkpoint as save_checkpoint
from .data import list_datasets as list_datasets
from .data import load_dataset as load_dataset
from .errors import CheckpointError as CheckpointError
from .errors import ConfigError as ConfigError
from .errors import DataError as DataError
from .errors import ImageError as ImageError
from .errors import PluginError as PluginError
from .errors import XaiDemoError as XaiDemoError
from .explain import Explanation as Explanation
from .explain import explain as explain
from .explain import list_methods as list_methods
from .explain import register_method as register_method
from .images import load_image as load_image
from .models import ModelSpec as ModelSpec
from .models import XaiModel as XaiModel
from .models import create_model as create_model
from .models import list_models as list_models
from .models import register_model as register_model
from .plugins import load_plugin as load_plugin
from .predict import predict as predict
from .predict import preprocess as preprocess
from .version import __version__ as __version__
from .viz import grid as grid
from .viz import overlay as overlay

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "CompatibilityReport",
    "ConfigError",
    "DataError",
    "Explanation",
    "ImageError",
    "ModelSpec",
    "PluginError",
    "XaiDemoError",
    "XaiModel",
    "__version__",
    "add_artefact",
    "check_model",
    "create_model",
    "explain",
    "grid",
    "list_artefacts",
    "list_datasets",
    "list_methods",
    "list_models",
    "load_checkpoint",
    "load_dataset",
    "load_image",
    "load_plugin",
    "overlay",
    "predict",
    "preprocess",
    "register_method",
    "register_model",
    "save_checkpoint",
]
