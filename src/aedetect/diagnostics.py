"""Checks of a fitted network that users should hear about."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

from aedetect.errors import CollapseWarning


def check_collapse(model: torch.nn.Module, name: str, X_train, X_val, to_tensor: Callable,
                   batch_size: int, history: dict) -> None:
    """Record in ``history`` whether the model reconstructs the held-out normals no better
    than a constant output (the mean training sample) does, and warn if so."""
    constant, errors = [], []
    with torch.inference_mode():
        mean = sum(to_tensor(X_train[i:i + batch_size]).sum(0)
                   for i in range(0, len(X_train), batch_size)) / len(X_train)
        for i in range(0, len(X_val), batch_size):
            x = to_tensor(X_val[i:i + batch_size])
            constant.append(float((x - mean).pow(2).sum()))
            errors.append(float((model(x) - x).pow(2).sum()))
    constant, error = sum(constant) / X_val.size, sum(errors) / X_val.size
    history["constant_output_error"] = constant
    history["validation_error"] = error
    history["collapsed"] = bool(error >= 0.9 * constant)
    if history["collapsed"]:
        warnings.warn(
            f"the {name} model reconstructs held-out normal samples no better than one "
            f"constant output does (validation error {error:.4g}; the mean training sample: "
            f"{constant:.4g}): it collapsed or is undertrained, so its scores mostly measure how "
            "far an input lies from the average. Try a lower learning_rate, more epochs, "
            "model_options norm='batch' or loss='bce', or (for a VAE) a smaller beta",
            CollapseWarning, stacklevel=3)
