"""The one training loop for every model: mini-batches through the model's own
``training_step`` (Adam on ``model.loss`` for most; two phases for the AAE),
validation loss each epoch, optional early stopping, best weights kept.

Data stay as numpy arrays (uint8 where they came so) and are converted batch
by batch by ``to_tensor``, so training memory is the raw data plus one batch.

Under torch.distributed (``torchrun ... aedetect fit --distributed``) every
process holds the data, takes its share of each batch (same batches, same
order as one process), and gradients are averaged over processes before each
optimizer step; batch-norm statistics follow rank 0, losses are summed over
processes, and only rank 0 saves checkpoints. One step of N processes is the
step one process would take on the whole batch.
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from collections.abc import Callable

import numpy as np
import torch

from aedetect.errors import TrainingError


def progress_bar(verbose: int, description: str = ""):
    """A rich progress bar on stderr (disabled when verbose == 0)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("{task.fields[info]}"),
                    console=Console(stderr=True), disable=verbose == 0, transient=False)


def mean_loss(model: torch.nn.Module, X, to_tensor: Callable, batch_size: int) -> float:
    """Mean of ``model.loss`` over X in batches, weighted by batch size, without gradients."""
    model.eval()
    total = 0.0
    with torch.inference_mode():
        for i in range(0, len(X), batch_size):
            xb = to_tensor(X[i:i + batch_size])
            total += float(model.loss(xb)) * len(xb)
    return total / len(X)


def distributed() -> tuple[int, int]:
    """(rank, world size) of this process under torch.distributed; (0, 1) when not started."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def start_distributed(device: str) -> str:
    """Join the process group ``torchrun`` set up (gloo on CPU, NCCL on CUDA); returns the
    device this process trains on."""
    import os

    import torch.distributed as dist

    from aedetect.errors import InputError

    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        raise InputError("--distributed runs under torchrun: torchrun --nproc-per-node 2 -m aedetect fit "
                         "... --distributed")
    cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    if dist.get_rank() != 0:
        warnings.simplefilter("ignore")  # rank 0 says it once
    return "cuda" if cuda else "cpu"


def stop_distributed() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def is_main_process() -> bool:
    """True unless this is a torch.distributed process other than rank 0 (which alone writes files)."""
    return distributed()[0] == 0


class GradientAverager:
    """An optimizer whose ``step`` first averages its parameters' gradients over the
    torch.distributed processes (one all-reduce per step, as DistributedDataParallel does).
    Wrapping the optimizer rather than the module keeps every family's own training step
    (the AAE's three optimizers included) unchanged."""

    def __init__(self, optimizer: torch.optim.Optimizer, world: int):
        self.optimizer, self.world = optimizer, world

    def step(self, *args, **kwargs):
        import torch.distributed as dist

        grads = [p.grad for group in self.optimizer.param_groups for p in group["params"]
                 if p.grad is not None]
        if grads:
            flat = torch.cat([g.reshape(-1) for g in grads])
            dist.all_reduce(flat)
            flat /= self.world
            for g, part in zip(grads, flat.split([g.numel() for g in grads])):
                g.copy_(part.view_as(g))
        return self.optimizer.step(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.optimizer, name)


def _broadcast_state(model: torch.nn.Module, buffers_only: bool = False) -> None:
    """Rank 0's weights (and batch-norm statistics) to every process."""
    import torch.distributed as dist

    tensors = list(model.buffers()) if buffers_only else [*model.parameters(), *model.buffers()]
    for t in tensors:
        dist.broadcast(t.data, src=0)


def _sum_over_processes(*values: float) -> list[float]:
    import torch.distributed as dist

    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t)
    return t.tolist()


LR_SCHEDULES = ("constant", "cosine")


def set_learning_rate(optimizers: list, factor: float) -> None:
    """Each parameter group's learning rate becomes ``factor`` times the one it started with."""
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["lr"] = group.setdefault("initial_lr", group["lr"]) * factor


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; ``epoch`` is that of the last checkpoint kept (0: none)."""

    def __init__(self, epoch: int):
        super().__init__(epoch)
        self.epoch = epoch


def train(model: torch.nn.Module, X_train, X_val, *, to_tensor: Callable, epochs: int,
          batch_size: int, learning_rate: float, patience: int | None, seed: int,
          lr_schedule: str = "constant", verbose: int = 1, checkpoint: Callable[[dict], None] | None = None,
          checkpoint_every: int = 0, resume: dict | None = None) -> dict:
    """Train ``model`` in place on X_train; X_val (normal data no gradient step sees)
    picks the epoch whose weights are kept and, with ``patience``, stops training
    after that many epochs without improvement.

    ``lr_schedule``: ``"constant"`` keeps each optimizer's learning rate; ``"cosine"``
    sets it to ``lr * (1 + cos(pi * (epoch - 1) / epochs)) / 2`` at the start of each epoch
    (from the full rate in the first epoch to near zero in the last).
    ``to_tensor(batch)`` turns a numpy batch into a float tensor on the
    model's device. Every ``checkpoint_every`` epochs ``checkpoint(state)`` is
    called with the whole training state; ``resume=state`` continues such a
    state exactly (same batches, same random numbers). Ctrl-C raises
    :class:`TrainingInterrupted`. Returns the history: ``train_loss`` and
    ``val_loss`` per epoch, ``elapsed`` (seconds since the start at the end of each epoch),
    ``best_epoch`` (1-based), ``stopped_early``, ``seconds``.
    """
    rank, world = distributed()
    generator = torch.Generator().manual_seed(seed)
    optimizers = model.configure_optimizers(learning_rate)
    if world > 1:  # data parallel: every process takes its share of each batch
        _broadcast_state(model)
        optimizers = [GradientAverager(o, world) for o in optimizers]
        checkpoint = checkpoint if rank == 0 else None
        verbose = verbose if rank == 0 else 0
    history = {"train_loss": [], "val_loss": [], "elapsed": [], "best_epoch": 0, "stopped_early": False}
    best_loss, best_state, waited = math.inf, copy.deepcopy(model.state_dict()), 0
    first, spent = 1, 0.0
    if resume is not None:
        model.load_state_dict(resume["model"])
        for opt, opt_state in zip(optimizers, resume["optimizers"]):
            opt.load_state_dict(opt_state)
        history, best_loss, waited = resume["history"], resume["best_loss"], resume["waited"]
        best_state, first, spent = resume["best"], resume["epoch"] + 1, resume["seconds"]
        generator.set_state(resume["rng_generator"])
        torch.set_rng_state(resume["rng_torch"])
    saved = resume["epoch"] if resume is not None else 0
    n = len(X_train)
    bounds = list(range(0, n, batch_size)) + [n]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < 2 * world:
        del bounds[-2]  # no batch of one sample per process: batch normalisation cannot train on it
    if n < 2 * world:
        raise TrainingError(f"{n} training samples cannot be shared by {world} processes: pass more data")
    start = time.perf_counter() - spent
    try:
        with progress_bar(verbose) as bar:
            task = bar.add_task(f"training {getattr(model, 'name', 'model')}", total=epochs,
                                completed=first - 1, info="")
            for epoch in range(first, epochs + 1):
                model.train()
                model.start_epoch(epoch)
                if lr_schedule == "cosine":
                    set_learning_rate(optimizers, (1 + math.cos(math.pi * (epoch - 1) / epochs)) / 2)
                order = torch.randperm(n, generator=generator).numpy()
                total = 0.0
                for i, j in zip(bounds[:-1], bounds[1:]):
                    idx = np.sort(order[i:j])[rank::world]
                    xb = to_tensor(X_train[idx])
                    value = float(model.training_step(xb, optimizers))
                    if not math.isfinite(value):
                        model.load_state_dict(best_state)
                        raise TrainingError(
                            f"the training loss became {value} in epoch {epoch}; the weights of "
                            f"epoch {history['best_epoch']} were kept. Try a lower learning rate "
                            f"(now {learning_rate}) or check the input for extreme values"
                        )
                    total += value * len(xb)
                if world > 1:
                    _broadcast_state(model, buffers_only=True)
                    shard = X_val[rank::world]
                    local = mean_loss(model, shard, to_tensor, batch_size) * len(shard) if len(shard) else 0.0
                    total, val_total, val_n = _sum_over_processes(total, local, len(shard))
                    val_loss = val_total / val_n
                else:
                    val_loss = mean_loss(model, X_val, to_tensor, batch_size)
                history["train_loss"].append(total / n)
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
                                "best": best_state, "optimizers": [o.state_dict() for o in optimizers],
                                "rng_torch": torch.get_rng_state(), "rng_generator": generator.get_state()})
                    saved = epoch
    except KeyboardInterrupt:
        raise TrainingInterrupted(saved) from None
    model.load_state_dict(best_state)
    model.eval()
    history["seconds"] = time.perf_counter() - start
    return history
