"""What every session shares (models, cases, caches), and the base of the per-tab handlers. No gradio here."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from ..errors import ConfigError
from ..paths import MODELS_DIR, REPO_ROOT, SAMPLES_DIR
from .cases import Case, resolve_cases
from .gate import TrainingGate
from .logic import TrainChoice, train_choices
from .session import Session
from .shelf import InMemoryModels, LoadedModel, Pair, discover_models, in_memory_models, pair_models
from .store import ImageStore, LRUCache

PICTURE_TTL_ENV = "XAI_DEMO_PICTURE_TTL"  # seconds a derived picture is kept (default 300; tests shorten it)


def _temporary_store() -> ImageStore:
    """A picture store in a fresh temporary folder, removed when the process exits."""
    folder = Path(tempfile.mkdtemp(prefix="xai_demo_pictures_"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return ImageStore(folder, max_age=float(os.environ.get(PICTURE_TTL_ENV) or 300))


@dataclass
class AppContext:
    """What every session shares, read-only after start (the caches are locked and deterministic)."""

    models: dict[str, LoadedModel]
    pairs: list[Pair]
    cases: list[Case]
    root: Path | None
    models_dir: Path
    reports_dir: Path
    train_choices: list[TrainChoice]
    cache: LRUCache = field(default_factory=lambda: LRUCache(512))
    store: ImageStore = field(default_factory=_temporary_store)
    train_gate: TrainingGate = field(default_factory=TrainingGate)  # live trainings at once ($XAI_DEMO_TRAIN_SLOTS)

    def entry(self, key: str | None, session: Session) -> LoadedModel | None:
        """A shared model or one of this session's own (``"user:N"``)."""
        if not key:
            return None
        return session.user_model(key) if key.startswith("user:") else self.models.get(key)

    def pair(self, key: str | None) -> Pair | None:
        """The pair ``key``, else the first pair (None without pairs)."""
        return next((p for p in self.pairs if p.key == key), self.pairs[0] if self.pairs else None)


def make_context(models_dir: Path | None, root: Path | None, samples_dir: Path = SAMPLES_DIR,
                 reports_dir: Path | None = None, models: InMemoryModels | None = None) -> AppContext:
    """Load the models and resolve the cases once.

    Args:
        models_dir: folder of checkpoints (None: the committed ``models/``, unless ``models`` are given).
        models: models held in memory (see :func:`~xai_demo.ui.shelf.in_memory_models`), offered after the
            folder's; alone when ``models_dir`` is None.
    """
    folder = models_dir or MODELS_DIR
    shelf = discover_models(folder) if models is None or models_dir is not None else {}
    extra = in_memory_models(models) if models is not None else {}
    clash = sorted(set(shelf) & set(extra))
    if clash:
        raise ConfigError(f"model names {', '.join(clash)} are also checkpoint names in {folder}; rename them")
    models = {**shelf, **extra}
    return AppContext(models=models, pairs=pair_models(models), cases=resolve_cases(samples_dir, root),
                      root=root, models_dir=folder, reports_dir=reports_dir or REPO_ROOT / "reports",
                      train_choices=train_choices(root))


class Handlers:
    """Base of the per-tab handler classes: plain methods taking and returning plain values and a
    :class:`Session` (tests call them directly); each returns user-facing messages instead of raising."""

    def __init__(self, ctx: AppContext, lecture: bool = False) -> None:
        self.ctx = ctx
        self.lecture = lecture

    def out(self, picture: Image.Image) -> str:
        """A picture as a file path for gradio (written atomically; see :class:`ImageStore`)."""
        return self.ctx.store.save(picture)

    def out_items(self, items: list[tuple[Image.Image, str]]) -> list[tuple[str, str]]:
        """Gallery items ``(picture, caption)`` with the pictures as file paths."""
        return [(self.out(p), caption) for p, caption in items]

    def model_choices(self, session: Session) -> list[tuple[str, str]]:
        """(label, key) of the shared models and this session's own."""
        return [(e.label(session.lang), e.key) for e in [*self.ctx.models.values(), *session.user_models]]


__all__ = ["AppContext", "Handlers", "make_context"]
