"""How numpy inputs become the tensors a network takes, the same at fit and at scoring time:
uint8 / uint16 / bool data scaled by their full range, any other dtype by the training data's
minimum and maximum; images channels first (stored channels-last); the device to run on."""

from __future__ import annotations

import math

import numpy as np
import torch

from aedetect.data.arrays import as_samples
from aedetect.errors import InputError

# Integer dtypes scaled by their full range; any other dtype by the min and max of the training data.
FIXED_RANGES = {"uint8": (0.0, 255.0), "uint16": (0.0, 65535.0), "bool": (0.0, 1.0)}


def resolve_device(device: str) -> str:
    """'auto' -> 'cuda' when a GPU is usable, else 'cpu'."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("device='cuda' but no CUDA GPU is usable here: use device='auto' or 'cpu'")
    if device not in ("cpu", "cuda"):
        raise InputError(f"device must be 'auto', 'cpu' or 'cuda'; got {device!r}")
    return device


SCALINGS = ("auto", "global", "column", "none")


def resolve_scaling(scaling: str, X) -> str:
    """"auto": "column" for (N, D) vectors of floats or wide integers (columns of a table have their
    own units), "global" for images and for uint8 / uint16 / bool data."""
    if scaling not in SCALINGS:
        raise InputError(f"scaling must be one of {', '.join(SCALINGS)}; got {scaling!r}")
    if scaling != "auto":
        return scaling
    return "column" if len(X.shape) == 2 and str(X.dtype) not in FIXED_RANGES else "global"


def input_range(X: np.ndarray, scaling: str = "global") -> tuple:
    """(low, high) that map the training data X to [0, 1]: two floats ("global": the dtype's full
    range, else X's minimum and maximum) or, with "column", two (D,) arrays, one min and max per
    column; "none" leaves the values as they are (0, 1). A constant column gets a span of 1, so it
    adds nothing instead of dividing by 0."""
    if scaling == "none":  # the caller scaled the data (e.g. a table encoder)
        return 0.0, 1.0
    if scaling == "column":
        lo, hi = X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64)
        return lo, np.where(hi > lo, hi, lo + 1.0)
    lo, hi = FIXED_RANGES.get(str(X.dtype)) or (float(X.min()), float(X.max()))
    return lo, hi if hi > lo else lo + 1.0


def range_to_json(value_range: tuple) -> list:
    return [np.asarray(v).tolist() for v in value_range]


def range_from_json(value: list) -> tuple:
    return tuple(np.asarray(v, dtype=np.float64) if isinstance(v, list) else float(v) for v in value)


def network_shape(input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """A sample's shape as the network takes it: (D,) or (C, H, W)."""
    s = tuple(input_shape)
    return s if len(s) == 1 else (1, *s) if len(s) == 2 else (s[2], s[0], s[1])


def memory_format(shape: tuple[int, ...]) -> torch.memory_format:
    """Images (C, H, W) run channels-last: 30-40% faster convolutions on CPU (benchmarks/speed.py)."""
    return torch.channels_last if len(shape) == 3 else torch.preserve_format


def to_tensor(batch: np.ndarray, value_range: tuple[float, float], device: str) -> torch.Tensor:
    """(B, *input_shape) numpy -> float tensor on ``device``, scaled to [0, 1], channels first."""
    lo, hi = value_range
    batch = np.ascontiguousarray(batch)
    t = torch.from_numpy(batch if batch.flags.writeable else batch.copy()).to(device)  # torch wants writable
    if np.ndim(lo):  # one range per column
        lo, hi = (torch.as_tensor(np.asarray(v, dtype=np.float32), device=device) for v in (lo, hi))
    t = (t.float() - lo) / (hi - lo)
    if t.ndim == 3:
        t = t.unsqueeze(1)  # (B, H, W) -> (B, 1, H, W)
    elif t.ndim == 4:
        t = t.permute(0, 3, 1, 2)  # (B, H, W, C) -> (B, C, H, W), stored channels last
    return t if t.ndim == 2 else t.contiguous(memory_format=torch.channels_last)


def check_input(X, input_shape: tuple[int, ...], input_dtype: str, value_range: tuple[float, float]):
    """X as samples of the fitted shape and dtype, or an InputError saying how to fix it."""
    X = as_samples(X)
    shape = tuple(X.shape[1:])
    if shape != tuple(input_shape):
        n, expected = math.prod(shape), math.prod(input_shape)
        raise InputError(f"X has {n} features, but AutoencoderDetector is expecting {expected} features "
                         f"as input: this model was fitted on samples of shape {tuple(input_shape)}; "
                         f"got {shape}: resize or reshape the input to match")
    got = str(np.dtype(X.dtype))
    if input_dtype in FIXED_RANGES and got != input_dtype:
        raise InputError(
            f"this model was fitted on {input_dtype} data scaled by its full range "
            f"{tuple(value_range)}; got {got}: pass {input_dtype} (e.g. "
            f"(X * {value_range[1]:g}).round().astype('{input_dtype}') for data in [0, 1])"
        )
    return X


PRECISIONS = ("float32", "bfloat16")


def autocast(device: str, precision: str):
    """The context the network's passes run in: bfloat16 autocast (matrix products and convolutions
    in bfloat16, on CPUs with AMX or AVX-512 BF16 and on GPUs) or plain float32."""
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=precision == "bfloat16")


def scoring_batch_size(model: torch.nn.Module, shape: tuple[int, ...], device: str) -> int:
    """Samples per scoring batch: as many as keep the widest layer's output near 4M values
    (32 to 4,096). Conv nets score fastest on a CPU in batches that stay in cache (64 for
    the 96x96 Caltech net, 4-8x faster than 1,024), dense nets in large ones."""
    widest = [int(np.prod(shape))]

    def record(module, inputs, output):
        widest.append(max(t.numel() for t in (output if isinstance(output, tuple) else (output,))))

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(record) for m in leaves]
    try:
        model.eval()
        with torch.inference_mode():
            model(torch.zeros(1, *shape, device=device))
    finally:
        for h in hooks:
            h.remove()
    return int(np.clip(2**22 // max(widest), 32, 4096))
