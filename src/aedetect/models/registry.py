"""The registry of model families: a name maps to an autoencoder class."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aedetect.models.base import Autoencoder

MODELS: dict[str, type[Autoencoder]] = {}
# options renamed since: the old name is still read (model folders, scripts)
RENAMED_OPTIONS = {"score_samples": "score_draws"}


def register(name: str):
    """Class decorator adding a model to the registry under ``name``."""

    def add(cls: type[Autoencoder]) -> type[Autoencoder]:
        MODELS[name] = cls
        cls.name = name
        return cls

    return add
