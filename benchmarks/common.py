"""What every benchmark writes next to its numbers: the command, the machine, the date."""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def provenance(seeds: list[int]) -> dict:
    from aedetect.benchmarking.runner import provenance as library_provenance

    return library_provenance(seeds, [Path(sys.executable).name, *sys.argv])


def write(name: str, payload: dict, markdown: str) -> None:
    """benchmarks/results/NAME.json and NAME.md (with the provenance on top)."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    p = payload["provenance"]
    head = (f"- command: `{p['command']}`\n- date: {p['date']}\n- machine: {p['machine']}\n"
            f"- seeds: {p['seeds']}\n\n")
    (RESULTS / f"{name}.md").write_text(f"# {name}\n\n" + head + markdown + "\n")
