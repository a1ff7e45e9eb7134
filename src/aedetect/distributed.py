"""Data-parallel training and scoring under ``torchrun`` (gloo on CPU, NCCL on GPUs).

Training wraps the model in torch's ``DistributedDataParallel``: every process takes its
share of each batch, DDP averages the gradients during the backward pass, and batch
normalisation computes its statistics over the whole batch (:class:`SyncedBatchNorm`), so
N processes take the steps one process would. Rank 0 alone writes files.
"""

from __future__ import annotations

import os
import warnings

import torch
from torch import nn
from torch.nn import functional as F

from aedetect.errors import InputError


def rank_and_world() -> tuple[int, int]:
    """(rank, world size) of this process under torch.distributed; (0, 1) when not started."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main_process() -> bool:
    """True unless this is a torch.distributed process other than rank 0 (which alone writes files)."""
    return rank_and_world()[0] == 0


def start_distributed(device: str) -> str:
    """Join the process group ``torchrun`` set up (gloo on CPU, NCCL on CUDA); returns the
    device this process runs on."""
    import torch.distributed as dist

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


def sum_over_processes(*values: float) -> list[float]:
    import torch.distributed as dist

    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t)
    return t.tolist()


class _SyncedNorm(torch.autograd.Function):
    """Batch normalisation over the samples of every process: two passes forward (the mean, then
    the squared deviations from it), one all-reduce backward (of the two sums the input gradient
    needs), so that every process issues its collectives in the same order."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps: float, momentum: float, running_mean, running_var, group):
        import torch.distributed as dist

        dims = [0, *range(2, x.dim())]  # all but the channels
        shape = [1, -1, *[1] * (x.dim() - 2)]
        count = torch.tensor([x.numel() / x.shape[1]], dtype=torch.float64, device=x.device)
        total = x.sum(dims)
        dist.all_reduce(count, group=group)
        dist.all_reduce(total, group=group)
        mean = total / count.to(x.dtype)
        centred = x - mean.view(shape)
        squares = centred.pow(2).sum(dims)
        dist.all_reduce(squares, group=group)
        var = squares / count.to(x.dtype)
        invstd = torch.rsqrt(var + eps)
        xhat = centred * invstd.view(shape)
        with torch.no_grad():
            n = float(count)
            running_mean.mul_(1 - momentum).add_(mean, alpha=momentum)
            running_var.mul_(1 - momentum).add_(var * n / (n - 1), alpha=momentum)
        ctx.save_for_backward(xhat, invstd, weight)
        ctx.count, ctx.group, ctx.dims, ctx.shape = float(count), group, dims, shape
        return xhat * weight.view(shape) + bias.view(shape)

    @staticmethod
    def backward(ctx, grad):
        import torch.distributed as dist

        xhat, invstd, weight = ctx.saved_tensors
        dims, shape = ctx.dims, ctx.shape
        sum_dy, sum_dy_xhat = grad.sum(dims), (grad * xhat).sum(dims)  # this process's samples
        both = torch.cat([sum_dy, sum_dy_xhat])
        dist.all_reduce(both, group=ctx.group)  # every process's samples
        mean_dy, mean_dy_xhat = (both / ctx.count).view(2, 1, -1).unbind(0)
        grad_x = (weight * invstd).view(shape) * (grad - mean_dy.view(shape)
                                                  - xhat * mean_dy_xhat.view(shape))
        return grad_x, sum_dy_xhat, sum_dy, None, None, None, None, None


class SyncedBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Batch normalisation whose training statistics are those of the whole batch over all
    processes (and whose gradients are those of the whole batch). Torch's ``SyncBatchNorm``
    computes the same but accepts GPU tensors only; this one runs on gloo (CPU) and NCCL alike.
    ``group``: a process group of its own, so that its collectives never interleave with those
    DistributedDataParallel issues for the gradients during the same backward pass."""

    group = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                False, 0.0, self.eps)
        self.num_batches_tracked.add_(1)
        return _SyncedNorm.apply(x, self.weight, self.bias, self.eps, self.momentum, self.running_mean,
                                 self.running_var, self.group)


def sync_batch_norm(model: nn.Module) -> list[tuple[nn.Module, str, nn.Module]]:
    """Replace every batch-norm layer of ``model`` by a :class:`SyncedBatchNorm` sharing its
    parameters and buffers; returns what :func:`restore_batch_norm` puts back."""
    import torch.distributed as dist

    swapped, group = [], None
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d)):
                synced = SyncedBatchNorm(child.num_features, child.eps, child.momentum, child.affine,
                                         child.track_running_stats)
                for key in ("weight", "bias"):
                    setattr(synced, key, getattr(child, key))
                for key in ("running_mean", "running_var", "num_batches_tracked"):
                    synced.register_buffer(key, getattr(child, key))
                group = group or dist.new_group()
                synced.group = group
                synced.train(child.training)
                parent._modules[name] = synced
                swapped.append((parent, name, child))
    return swapped


def restore_batch_norm(swapped: list[tuple[nn.Module, str, nn.Module]]) -> None:
    """Put back the layers :func:`sync_batch_norm` replaced (they share the trained tensors)."""
    for parent, name, child in swapped:
        child.train(parent._modules[name].training)
        parent._modules[name] = child


class PhaseLoss(nn.Module):
    """What DistributedDataParallel wraps: the model's loss of a training phase, times
    ``weight`` (a process's share of the batch relative to an equal share, so that the
    averaged gradient is that of the whole batch's mean loss)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, phase: str, weight: float = 1.0) -> torch.Tensor:
        return self.model.phase_loss(x, phase) * weight
