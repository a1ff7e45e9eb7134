"""Checks of a fitted network that users should hear about."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

from aedetect.errors import CollapseWarning


def check_collapse(model: torch.nn.Module, name: str, X_train, X_val, to_tensor: Callable,
                   batch_size: int, history: dict) -> None:
    """Record in ``history`` how the model's reconstructions of the held-out normals compare with
    one constant output (the mean training sample), and warn when the model is no better.

    Collapsed means: the total error is at least 0.9 of the constant's, and the model beats the
    constant on fewer than 60% of the held-out samples (chance is about half). A model with
    blurry reconstructions of real photographs can have nearly the constant's total error and
    still beat it on most samples: it is working, and no warning is given."""
    constant, errors = [], []
    with torch.inference_mode():
        mean = sum(to_tensor(X_train[i:i + batch_size]).sum(0)
                   for i in range(0, len(X_train), batch_size)) / len(X_train)
        for i in range(0, len(X_val), batch_size):
            x = to_tensor(X_val[i:i + batch_size])
            constant.append((x - mean).pow(2).flatten(1).sum(1).double())
            errors.append((model(x) - x).pow(2).flatten(1).sum(1).double())
    constant, errors = torch.cat(constant), torch.cat(errors)
    total_constant, total_error = float(constant.sum()) / X_val.size, float(errors.sum()) / X_val.size
    better = float((errors < constant).double().mean())
    history["constant_output_error"] = total_constant
    history["validation_error"] = total_error
    history["better_than_constant"] = better
    history["collapsed"] = bool(total_error >= 0.9 * total_constant and better < 0.6)
    if history["collapsed"]:
        stalled = _stalled(history.get("val_loss", []))
        advice = ("Its validation loss stopped falling early, as when the output layer saturates: try "
                  "model_options norm='batch' (what the paper-* presets add) or loss='bce', or a lower "
                  "learning_rate" if stalled else
                  "Its validation loss was still falling: try more epochs or a higher learning_rate")
        warnings.warn(
            f"the {name} model reconstructs held-out normal samples no better than one constant "
            f"output does (validation error {total_error:.4g}, the mean training sample's "
            f"{total_constant:.4g}; better on {better:.0%} of the samples): its scores mostly measure how "
            f"far an input lies from the average. {advice}; for a VAE, a smaller beta",
            CollapseWarning, stacklevel=3)


def _stalled(val_loss: list[float]) -> bool:
    """True when the validation loss of the later epochs improved by less than 1% on the best of
    the first half of them (the first epoch, with 2 or 3)."""
    if len(val_loss) < 2:
        return False
    half = len(val_loss) // 2
    return min(val_loss[half:]) > 0.99 * min(val_loss[:half])
