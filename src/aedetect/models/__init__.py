"""The model registry: a name maps to an autoencoder class, so the detector, the
CLI and the benchmarks never branch on model names.

Every model is a :class:`~aedetect.models.base.Autoencoder` built as
``cls(input_shape, config)`` where ``input_shape`` is ``(D,)`` for vectors
or ``(C, H, W)`` for images, and ``config`` is its ``Config`` dataclass filled
from the user's options. All families share the encoder/decoder stacks of
:mod:`aedetect.models.layers`: ``dense_ae``, ``conv_ae`` (plain AE), ``vae``,
``beta_vae``, ``aae`` (adversarial, Wasserstein critic) and ``dae`` (denoising).
"""

from __future__ import annotations

import dataclasses

from aedetect.errors import InputError
from aedetect.models.base import Autoencoder

MODELS: dict[str, type[Autoencoder]] = {}


def register(name: str):
    """Class decorator adding a model to the registry under ``name``."""

    def add(cls: type[Autoencoder]) -> type[Autoencoder]:
        MODELS[name] = cls
        cls.name = name
        return cls

    return add


def model_config(name: str, options: dict | None = None):
    """The model's Config dataclass filled from ``options``; unknown names or keys are refused."""
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; available: {', '.join(sorted(MODELS))}")
    cls = MODELS[name]
    fields = {f.name for f in dataclasses.fields(cls.Config)}
    unknown = sorted(set(options or {}) - fields)
    if unknown:
        raise InputError(f"unknown option(s) {unknown} for model {name!r}; "
                         f"its options are {sorted(fields)}")
    return cls.Config(**(options or {}))


def build_model(name: str, input_shape: tuple[int, ...], options: dict | None = None) -> Autoencoder:
    """Instantiate registered model ``name`` for samples of ``input_shape``."""
    config = model_config(name, options)
    return MODELS[name](tuple(input_shape), config)


# Importing the model modules fills the registry.
from aedetect.models import aae, ae, dae, vae  # noqa: E402, F401
