"""Run by tests/test_distributed.py, alone or under torchrun: one training step of the
paper-mnist network (batch norm everywhere) on 30 fixed images, through the training loop's
own pieces; rank 0 writes every parameter's gradient to the file named by argv[1]."""

from __future__ import annotations

import os
import sys

import torch
from safetensors.torch import save_file

from aedetect.distributed import PhaseLoss, rank_and_world, sync_batch_norm
from aedetect.models import build_model
from aedetect.presets import preset_params

torch.manual_seed(0)
net = build_model("conv_ae", (1, 28, 28), preset_params("paper-mnist")["model_options"]).train()
x = torch.rand(30, 1, 28, 28, generator=torch.Generator().manual_seed(1))
if "RANK" in os.environ:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    dist.init_process_group("gloo")
    rank, world = rank_and_world()
    sync_batch_norm(net)
    ddp = DistributedDataParallel(PhaseLoss(net), find_unused_parameters=True, broadcast_buffers=False)
    loss = ddp(x[rank::world], "autoencoder")
else:
    rank, loss = 0, net.phase_loss(x, "autoencoder")
loss.backward()
if rank == 0:
    save_file({k: p.grad.contiguous() for k, p in net.named_parameters()}, sys.argv[1])
