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
import warnings

from aedetect.errors import InputError
from aedetect.models import aae, ae, dae, vae  # noqa: F401  (each registers its families)
from aedetect.models.base import Autoencoder
from aedetect.models.registry import MODELS, RENAMED_OPTIONS, register

__all__ = ["MODELS", "RENAMED_OPTIONS", "build_model", "model_config", "register"]

def model_config(name: str, options: dict | None = None):
    """The model's Config dataclass filled from ``options``; unknown names or keys are refused."""
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; available: {', '.join(sorted(MODELS))}")
    cls = MODELS[name]
    options = {RENAMED_OPTIONS.get(k, k): v for k, v in (options or {}).items()}
    fields = {f.name for f in dataclasses.fields(cls.Config)}
    unknown = sorted(set(options or {}) - fields)
    if unknown:
        raise InputError(f"unknown option(s) {unknown} for model {name!r}; "
                         f"its options are {sorted(fields)}")
    return cls.Config(**options)


def build_model(name: str, input_shape: tuple[int, ...], options: dict | None = None) -> Autoencoder:
    """Instantiate registered model ``name`` for samples of ``input_shape`` (network options only:
    ``score_parts`` belongs to :class:`aedetect.scoring.ScoreHead`). For vectors of D features the
    default latent size is at most D // 2; a latent of D or more set by the user gets a warning."""
    config = model_config(name, options)
    features = input_shape[0] if len(input_shape) == 1 else None
    if features is not None and config.latent is not None and config.latent >= features:
        if "latent" in (options or {}):
            warnings.warn(f"latent {config.latent} >= the {features} input features: an over-complete "
                          "autoencoder can learn to copy its input and reconstruct anomalies too; set "
                          f"model_options latent below {features}, e.g. {max(1, features // 2)}",
                          UserWarning, stacklevel=3)
        else:  # the default code size, made smaller than the input
            config = dataclasses.replace(config, latent=max(1, features // 2))
    return MODELS[name](tuple(input_shape), config)

