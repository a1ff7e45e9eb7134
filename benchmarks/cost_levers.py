"""What each cost lever does on this CPU, on the two networks of the accurate configurations.

For the paper-mnist network (28x28x1) and the paper-cifar network (32x32x3), both with the 72
``geom`` transforms and 4 draws per image: one training step (batch of 128: reconstruction and
the transform head's cross-entropy, backward, Adam) in float32, under bfloat16 autocast, and
compiled with ``torch.compile``; then scoring: encoder passes per second by batch size, in
float32 and bfloat16, and 8 transforms of a batch in 8 passes (one per transform, as before)
against one pass over all of them (as now). One thread by default (the front's setting).

    python benchmarks/cost_levers.py --threads 1

Writes benchmarks/results/cost/levers.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import torch

from aedetect.benchmarking.runner import provenance
from aedetect.models import build_model
from aedetect.models.transforms import transform
from aedetect.presets import preset_params
from aedetect.scoring.head import split_score_options, spread

NETWORKS = {"paper-mnist": (1, 28, 28), "paper-cifar": (3, 32, 32)}
BATCHES = (16, 32, 64, 128, 256, 512)


def timed(fn, repeat: int) -> float:
    """Seconds per call of ``fn``, after two untimed calls."""
    fn()
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def network(preset: str, shape: tuple[int, ...]) -> torch.nn.Module:
    options, _, _ = split_score_options(preset_params(preset, "conv_ae", model_options={
        "transforms": "geom", "transform_draws": 4})["model_options"])
    return build_model("conv_ae", shape, options).to(memory_format=torch.channels_last)


def training(preset: str, shape: tuple[int, ...], repeat: int, compile_: bool) -> dict:
    torch.manual_seed(0)
    net = network(preset, shape).train()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    x = torch.rand(128, *shape).contiguous(memory_format=torch.channels_last)

    def step(loss_fn, bf16: bool):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = loss_fn(x)
        opt.zero_grad()
        loss.backward()
        opt.step()

    out = {"float32_ms": 1000 * timed(lambda: step(net.loss, False), repeat),
           "bfloat16_ms": 1000 * timed(lambda: step(net.loss, True), repeat)}
    if compile_:  # the training loss (forward passes and transforms) compiled; torch.compile(net)
        compiled = torch.compile(net.loss)  # would compile forward() only, which loss() does not call
        start = time.perf_counter()
        step(compiled, False)
        out["compile_first_step_s"] = time.perf_counter() - start
        out["compiled_float32_ms"] = 1000 * timed(lambda: step(compiled, False), repeat)
    return out


def scoring(preset: str, shape: tuple[int, ...], repeat: int) -> dict:
    net = network(preset, shape).eval()
    x = torch.rand(max(BATCHES), *shape).contiguous(memory_format=torch.channels_last)
    ks = spread(72, 8)
    out = {}
    with torch.inference_mode():
        for precision in ("float32", "bfloat16"):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bfloat16"):
                out[f"{precision}_passes_per_s"] = {b: b / timed(lambda b=b: net.body(x[:b]), repeat)
                                                   for b in BATCHES}
                for b in (8, 32):  # samples per batch; 8 transforms each
                    xb = x[:b]
                    per_k = timed(lambda xb=xb: [net.body(transform(xb, k)) for k in ks], repeat)
                    one = timed(lambda xb=xb: net.transform_features(xb, ks), repeat)
                    out[f"{precision}_8_transforms_of_{b}"] = {"per_transform_passes_per_s": 8 * b / per_k,
                                                               "one_pass_per_s": 8 * b / one}
    return out


def markdown(meta: dict, results: dict) -> str:
    lines = ["# Cost levers on this CPU\n\n" + "\n".join(f"- {k}: {v}" for k, v in meta.items()), "",
             "| network | float32 step ms | bfloat16 step ms | speed-up | compiled float32 step ms "
             "(first step s) |", "|---|---|---|---|---|"]
    for name, r in results.items():
        t = r["training"]
        compiled = (f"{t['compiled_float32_ms']:.0f} ({t['compile_first_step_s']:.0f})"
                    if "compiled_float32_ms" in t else "-")
        lines.append(f"| {name} | {t['float32_ms']:.0f} | {t['bfloat16_ms']:.0f} "
                     f"| {t['float32_ms'] / t['bfloat16_ms']:.2f}x | {compiled} |")
    lines += ["", "Encoder passes per second by batch size (images per pass):", "",
              "| network | precision | " + " | ".join(str(b) for b in BATCHES) + " |",
              "|---|---|" + "---|" * len(BATCHES)]
    for name, r in results.items():
        for precision in ("float32", "bfloat16"):
            rates = r["scoring"][f"{precision}_passes_per_s"]
            lines.append(f"| {name} | {precision} | " + " | ".join(f"{rates[b]:,.0f}" for b in BATCHES)
                         + " |")
    lines += ["", "8 transforms of a batch: one pass per transform against one pass over all (passes/s):",
              "", "| network | precision | samples | one pass per transform | one pass for all |",
              "|---|---|---|---|---|"]
    for name, r in results.items():
        for precision in ("float32", "bfloat16"):
            for b in (8, 32):
                v = r["scoring"][f"{precision}_8_transforms_of_{b}"]
                lines.append(f"| {name} | {precision} | {b} | {v['per_transform_passes_per_s']:,.0f} "
                             f"| {v['one_pass_per_s']:,.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--compile", action="store_true", help="also time torch.compile (minutes)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "cost")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(args.threads)
    meta = {**provenance([0], ["python", *sys.argv]), "threads": args.threads}
    results = {}
    for name, shape in NETWORKS.items():
        results[name] = {"training": training(name, shape, args.repeat, args.compile),
                         "scoring": scoring(name, shape, args.repeat)}
        print(name, json.dumps(results[name]["training"]), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "levers.json").write_text(json.dumps({"provenance": meta, "results": results}, indent=1))
    (args.out / "levers.md").write_text(markdown(meta, results))
    print(markdown(meta, results))


if __name__ == "__main__":
    main()
