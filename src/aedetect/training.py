"""The one training loop for every model: mini-batches, one optimizer per parameter group of
the model (:meth:`~aedetect.models.base.Autoencoder.optimizer_groups`) stepped on the losses of
its training phases, the learning-rate schedule, validation loss each epoch, optional early
stopping, best weights kept, checkpoints.

Data stay as numpy arrays (uint8 where they came so) and are converted batch
by batch by ``to_tensor``, so training memory is the raw data plus one batch.

Under torch.distributed (``torchrun ... aedetect fit --distributed``) every process holds the
data and takes its share of each batch (same batches, same order as one process); the model
runs inside ``DistributedDataParallel`` with batch norm synchronised
(:mod:`aedetect.distributed`), losses are summed over processes, and only rank 0 saves
checkpoints. One step of N processes is the step one process would take on the whole batch.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable

import numpy as np
import torch

from aedetect.console import progress
from aedetect.distributed import (
    PhaseLoss,
    rank_and_world,
    restore_batch_norm,
    sum_over_processes,
    sync_batch_norm,
)
from aedetect.errors import TrainingError
from aedetect.inputs import autocast

LR_SCHEDULES = ("constant", "cosine")


def low_precision(loss_fn: Callable, context) -> Callable:
    """``loss_fn`` run under the autocast ``context`` (its backward pass then outside it)."""
    def run(*args):
        with context:
            return loss_fn(*args)
    return run


def mean_loss(model: torch.nn.Module, X, to_tensor: Callable, batch_size: int) -> float:
    """Mean of ``model.loss`` over X in batches, weighted by batch size, without gradients."""
    model.eval()
    total = 0.0
    with torch.inference_mode():
        for i in range(0, len(X), batch_size):
            xb = to_tensor(X[i:i + batch_size])
            total += float(model.loss(xb)) * len(xb)
    return total / len(X)


def sample_errors(model: torch.nn.Module, X, to_tensor: Callable, batch_size: int) -> np.ndarray:
    """Per-sample mean squared reconstruction error of X, without gradients."""
    model.eval()
    with torch.inference_mode():
        return np.concatenate([model.reconstruction_error(to_tensor(X[i:i + batch_size])).float().cpu()
                               .numpy() for i in range(0, len(X), batch_size)])


def batch_bounds(n: int, batch_size: int, world: int) -> list[int]:
    """Start of each batch, and n: no last batch of fewer than 2 samples per process (batch
    normalisation cannot train on one)."""
    bounds = list(range(0, n, batch_size)) + [n]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < 2 * world:
        del bounds[-2]
    return bounds


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; ``epoch`` is that of the last checkpoint kept (0: none)."""

    def __init__(self, epoch: int):
        super().__init__(epoch)
        self.epoch = epoch


def make_optimizers(model: torch.nn.Module, learning_rate: float) -> dict:
    """One optimizer per parameter group the model names, as the model chooses it."""
    return {name: model.make_optimizer(name, params, learning_rate)
            for name, params in model.optimizer_groups().items()}


def training_step(model: torch.nn.Module, x: torch.Tensor, optimizers: dict, loss_fn: Callable | None = None,
                  weight: float = 1.0) -> float:
    """One update on batch x: for each of the model's phases, the phase's loss (from ``loss_fn``,
    by default the model's ``phase_loss``; times ``weight`` when it is not 1), a backward pass and
    that phase's optimizer step. Returns the first phase's loss, unweighted."""
    loss_fn = loss_fn or model.phase_loss
    value = None
    for phase in model.phases():
        loss = loss_fn(x, phase) if weight == 1.0 else loss_fn(x, phase, weight)
        optimizers[phase].zero_grad(set_to_none=True)
        loss.backward()
        optimizers[phase].step()
        model.after_step(phase)
        value = float(loss.detach()) / weight if value is None else value
    return value


def _schedulers(optimizers: dict, lr_schedule: str, epochs: int, done: int) -> list:
    """``"cosine"``: each optimizer's rate is ``lr * (1 + cos(pi * (epoch - 1) / epochs)) / 2`` in epoch
    ``epoch`` (the full rate in the first, near zero in the last); ``done`` epochs already run."""
    if lr_schedule != "cosine":
        return []

    def factor(e: int) -> float:
        return (1 + math.cos(math.pi * e / epochs)) / 2

    return [torch.optim.lr_scheduler.LambdaLR(o, factor, last_epoch=done - 1) for o in optimizers.values()]


def train(model: torch.nn.Module, X_train, X_val, *, to_tensor: Callable, epochs: int,
          batch_size: int, learning_rate: float, patience: int | None, seed: int,
          lr_schedule: str = "constant", verbose: int = 1, checkpoint: Callable[[dict], None] | None = None,
          checkpoint_every: int = 0, resume: dict | None = None, trim: float = 0.0,
          precision: str = "float32") -> dict:
    """Train ``model`` in place on X_train; X_val (normal data no gradient step sees)
    picks the epoch whose weights are kept and, with ``patience``, stops training
    after that many epochs without improvement.

    ``lr_schedule``: ``"constant"`` or ``"cosine"`` (see :func:`_schedulers`).
    ``to_tensor(batch)`` turns a numpy batch into a float tensor on the
    model's device. Every ``checkpoint_every`` epochs ``checkpoint(state)`` is
    called with the whole training state; ``resume=state`` continues such a
    state exactly (same batches, same random numbers). ``trim``: from the second epoch on, the
    training samples with the highest ``trim`` share of reconstruction errors (measured at the
    start of the epoch) take no gradient step in it (contaminated training data). ``precision``
    "bfloat16": the losses (not their backward passes) run under bfloat16 autocast. Ctrl-C raises
    :class:`TrainingInterrupted`. Returns the history: ``train_loss`` and
    ``val_loss`` per epoch, ``elapsed`` (seconds since the start at the end of each epoch),
    ``best_epoch`` (1-based), ``stopped_early``, ``seconds``.
    """
    rank, world = rank_and_world()
    generator = torch.Generator().manual_seed(seed)
    optimizers = make_optimizers(model, learning_rate)
    history = {"train_loss": [], "val_loss": [], "elapsed": [], "best_epoch": 0, "stopped_early": False}
    best_loss, best_state, waited = math.inf, copy.deepcopy(model.state_dict()), 0
    first, spent = 1, 0.0
    if resume is not None:
        model.load_state_dict(resume["model"])
        for opt, opt_state in zip(optimizers.values(), resume["optimizers"]):
            opt.load_state_dict(opt_state)
        history, best_loss, waited = resume["history"], resume["best_loss"], resume["waited"]
        best_state, first, spent = resume["best"], resume["epoch"] + 1, resume["seconds"]
        generator.set_state(resume["rng_generator"])
        torch.set_rng_state(resume["rng_torch"])
    schedulers = _schedulers(optimizers, lr_schedule, epochs, first - 1)
    saved = resume["epoch"] if resume is not None else 0
    n = len(X_train)
    if trim and world > 1:
        raise TrainingError("training on contaminated data (trim) runs in one process: leave out "
                            "--distributed or the contamination")
    if n < 2 * world:
        raise TrainingError(f"{n} training samples cannot be shared by {world} processes: pass more data")
    step_loss, swapped = model.phase_loss, []
    if world > 1:  # data parallel: every process takes its share of each batch
        from torch.nn.parallel import DistributedDataParallel

        swapped = sync_batch_norm(model)
        step_loss = DistributedDataParallel(PhaseLoss(model), find_unused_parameters=True,
                                            broadcast_buffers=False)
        checkpoint = checkpoint if rank == 0 else None
        verbose = verbose if rank == 0 else 0
    low = autocast(next(model.parameters()).device.type, precision)
    if precision != "float32":
        step_loss = low_precision(step_loss, low)
    start = time.perf_counter() - spent
    try:
        with progress(verbose) as bar:
            task = bar.add_task(f"training {getattr(model, 'name', 'model')}", total=epochs,
                                completed=first - 1, info="")
            for epoch in range(first, epochs + 1):
                model.train()
                model.start_epoch(epoch)
                order = torch.randperm(n, generator=generator).numpy()
                if trim and epoch > 1:  # leave out the worst-reconstructed share: likely anomalies
                    errors = sample_errors(model, X_train, to_tensor, batch_size)
                    order = order[(errors <= np.quantile(errors, 1 - trim))[order]]
                    model.train()
                bounds = batch_bounds(len(order), batch_size, world)
                total = 0.0
                for i, j in zip(bounds[:-1], bounds[1:]):
                    idx = np.sort(order[i:j])[rank::world]
                    xb = to_tensor(X_train[idx])
                    # each process weighs its share by its size, so the averaged gradient is the batch's
                    weight = 1.0 if world == 1 else len(idx) * world / (j - i)
                    value = training_step(model, xb, optimizers, step_loss, weight)
                    if not math.isfinite(value):
                        model.load_state_dict(best_state)
                        raise TrainingError(
                            f"the training loss became {value} in epoch {epoch}; the weights of "
                            f"epoch {history['best_epoch']} were kept. Try a lower learning rate "
                            f"(now {learning_rate}) or check the input for extreme values"
                        )
                    total += value * len(xb)
                for scheduler in schedulers:
                    scheduler.step()
                if world > 1:
                    shard = X_val[rank::world]
                    with low:
                        local = len(shard) and mean_loss(model, shard, to_tensor, batch_size) * len(shard)
                    total, val_total, val_n = sum_over_processes(total, local, len(shard))
                    val_loss = val_total / val_n
                else:
                    with low:
                        val_loss = mean_loss(model, X_val, to_tensor, batch_size)
                history["train_loss"].append(total / len(order))
                history["val_loss"].append(val_loss)
                history["elapsed"].append(time.perf_counter() - start)
                if history["val_loss"][-1] < best_loss:
                    best_loss, waited = history["val_loss"][-1], 0
                    best_state = copy.deepcopy(model.state_dict())
                    history["best_epoch"] = epoch
                else:
                    waited += 1
                bar.update(task, advance=1, info=f"train {history['train_loss'][-1]:.5f}  "
                                                 f"val {history['val_loss'][-1]:.5f}")
                if patience is not None and waited >= patience:
                    history["stopped_early"] = True
                    break
                due = bool(checkpoint_every) and epoch % checkpoint_every == 0 and epoch < epochs
                if checkpoint is not None and due:
                    checkpoint({"epoch": epoch, "history": history, "best_loss": best_loss, "waited": waited,
                                "seconds": time.perf_counter() - start, "model": model.state_dict(),
                                "best": best_state,
                                "optimizers": [o.state_dict() for o in optimizers.values()],
                                "rng_torch": torch.get_rng_state(), "rng_generator": generator.get_state()})
                    saved = epoch
    except KeyboardInterrupt:
        raise TrainingInterrupted(saved) from None
    finally:
        restore_batch_norm(swapped)
    model.load_state_dict(best_state)
    model.eval()
    history["seconds"] = time.perf_counter() - start
    return history
