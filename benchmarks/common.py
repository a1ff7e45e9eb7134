"""What every benchmark writes next to its numbers: the command, the machine, the date."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def provenance(seeds: list[int]) -> dict:
    from aedetect.benchmarking.runner import provenance as library_provenance

    return library_provenance(seeds, [Path(sys.executable).name, *sys.argv])


def run_measured(command: list[str]) -> tuple[float, float]:
    """Run ``command`` (stdout discarded) and return its wall seconds and its own peak resident memory
    in MB (ru_maxrss of that child, kB on Linux); a failure raises with its stderr."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(proc.stderr.read())
    return seconds, usage.ru_maxrss / 1024


def write(name: str, payload: dict, markdown: str) -> None:
    """benchmarks/results/NAME.json and NAME.md (with the provenance on top)."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    p = payload["provenance"]
    head = (f"- command: `{p['command']}`\n- date: {p['date']}\n- machine: {p['machine']}\n"
            f"- seeds: {p['seeds']}\n\n")
    (RESULTS / f"{name}.md").write_text(f"# {name}\n\n" + head + markdown + "\n")


def image_tensor(images):
    """uint8 images (N, H, W) or (N, H, W, C) -> float (N, C, H, W) in [0, 1]."""
    import torch

    t = torch.from_numpy(images).float() / 255.0
    return t[:, None] if t.ndim == 3 else t.permute(0, 3, 1, 2)


def patch_memory_of(images):
    """An ``aedetect.patch_memory.PatchMemory`` keeping these uint8 images, as a model would."""
    from aedetect.patch_memory import PatchMemory

    memory = PatchMemory(tuple(image_tensor(images[:1]).shape[1:]))
    memory.remember(image_tensor(images))
    return memory


def nearest_maps(memory, images, sigma: float, batch: int = 64):
    """(N, H, W) nearest-patch maps of uint8 images, ``batch`` at a time."""
    import torch

    return torch.cat([memory(image_tensor(images[i:i + batch]), sigma)
                      for i in range(0, len(images), batch)]).numpy()
