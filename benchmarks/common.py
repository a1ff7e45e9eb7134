"""What every benchmark writes next to its numbers: the command, the machine, the date."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def provenance(seeds: list[int]) -> dict:
    import torch

    return {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} "
                   f"{platform.release()}, Python {platform.python_version()}, torch {torch.__version__}"
                   + (f", GPU {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""),
        "torch_threads": torch.get_num_threads(),
        "seeds": seeds,
    }


def write(name: str, payload: dict, markdown: str) -> None:
    """benchmarks/results/NAME.json and NAME.md (with the provenance on top)."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    p = payload["provenance"]
    head = (f"- command: `{p['command']}`\n- date: {p['date']}\n- machine: {p['machine']}\n"
            f"- seeds: {p['seeds']}\n\n")
    (RESULTS / f"{name}.md").write_text(f"# {name}\n\n" + head + markdown + "\n")
