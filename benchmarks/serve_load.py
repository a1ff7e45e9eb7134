"""Load on `aedetect serve`, 127.0.0.1 only, bounded in clients and time.

Two models in one server: an image model (the default conv AE on 28x28 MNIST digits 0, 3 epochs)
and a table model (ADBench cardio's normal rows, the table defaults, 20 epochs). Each client
thread sends, one after another, a request of one PNG image (multipart) or one table row (JSON
record), half the clients each; every answer is checked against the score the same model gives
offline. Three phases:

1. clean: ``--clients`` clients for ``--seconds`` seconds;
2. malformed: the same, every tenth request malformed (a broken PNG, a row missing a column, a
   wrong shape); each must get a 4xx answer and every good request its correct score;
3. restart: ``--seconds`` / 2 seconds, the server killed (SIGKILL) and restarted on the same port
   a third of the way in; clients retry a request that found no server (up to 40 times, 0.25 s
   apart), and every answer they got is checked.

Throughput, latency p50 / p99, errors and the server's resident memory (sampled every second:
first, peak, last) per phase.

    python benchmarks/serve_load.py --clients 50 --seconds 60
"""

from __future__ import annotations

import argparse
import io
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import provenance, write  # noqa: E402

from aedetect import AutoencoderDetector  # noqa: E402
from aedetect.benchmarking.tabular import load_table  # noqa: E402
from aedetect.data.idx import load_idx_folder  # noqa: E402
from aedetect.serving.client import Client, ServiceError  # noqa: E402
from aedetect.table_detector import TableDetector, as_frame  # noqa: E402

POOL = 200  # distinct inputs per model the clients pick from


def png(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Server:
    def __init__(self, folders: list[Path], port: int, threads: int):
        self.cmd = [sys.executable, "-m", "aedetect", "serve", *map(str, folders), "--port", str(port),
                    "--threads", str(threads), "--max-wait-ms", "2"]
        self.url = f"http://127.0.0.1:{port}"
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = Client(self.url, retries=240, retry_wait=0.25)
        client.health()  # waits until it answers

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def run_phase(server: Server, pools: dict, *, clients: int, seconds: float, malformed: float,
              restart_at: float | None = None, seed: int = 0) -> dict:
    """Clients send requests until ``seconds`` pass; returns the phase's figures."""
    stop = time.perf_counter() + seconds
    latencies, wrong, errors, bad_answered, bad_refused = [], [], [], [], []
    lock = threading.Lock()
    retried = [0]
    memory = []

    def client_loop(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        client = Client(server.url, timeout=60, retries=40 if restart_at is not None else 0, retry_wait=0.25)
        model = "digits" if k % 2 == 0 else "cardio"
        while time.perf_counter() < stop:
            i = rng.randrange(POOL)
            bad = rng.random() < malformed
            begin = time.perf_counter()
            try:
                if model == "digits":
                    data = b"\x89PNG broken" if bad else pools["png"][i]
                    answer = client.score("digits", files=[(f"{i}.png", data)])
                else:
                    record = dict(pools["records"][i])
                    if bad:
                        record.pop(next(iter(record)))
                    answer = client.score("cardio", records=[record])
                took = time.perf_counter() - begin
                with lock:
                    if bad:
                        bad_answered.append(i)
                    else:
                        latencies.append(took)
                        want = pools["scores"][model][i]
                        if abs(answer["scores"][0] - want) > 1e-4 * max(1.0, abs(want)):
                            wrong.append((model, i, answer["scores"][0], want))
            except ServiceError as err:
                with lock:
                    (bad_refused if bad and 400 <= err.status < 500 else errors).append(str(err))
            except (ConnectionError, OSError) as err:
                with lock:
                    errors.append(repr(err))
        with lock:
            retried[0] += client.retried

    def counts() -> dict:  # requests and batches per model since the server started
        return {m["name"]: m["served"] for m in Client(server.url, retries=40, retry_wait=0.25).models()}

    before = counts()
    threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    restarted = False
    while any(t.is_alive() for t in threads):
        memory.append(rss_mb(server.proc.pid))
        if restart_at is not None and not restarted and time.perf_counter() - began > restart_at:
            server.kill()
            server.start()
            restarted = True
        time.sleep(1.0)
    elapsed = time.perf_counter() - began
    after = counts()
    served = {name: {k: v[k] - (0 if restarted else before[name][k]) for k in v} for name, v in after.items()}
    memory = [m for m in memory if m == m]
    ordered = sorted(latencies)
    return {"clients": clients, "seconds": round(elapsed, 1), "good_requests": len(latencies),
            "requests_per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(1000 * ordered[len(ordered) // 2], 1) if ordered else None,
            "p99_ms": round(1000 * ordered[int(len(ordered) * 0.99)], 1) if ordered else None,
            "wrong_scores": len(wrong), "errors": len(errors), "error_examples": errors[:3],
            "malformed_refused": len(bad_refused), "malformed_answered": len(bad_answered),
            "retried": retried[0], "restarted": restarted,
            "requests_per_batch": {name: round(v["requests"] / max(v["batches"], 1), 2)
                                   for name, v in served.items()},
            "rss_mb_first": round(memory[0], 1) if memory else None,
            "rss_mb_peak": round(max(memory), 1) if memory else None,
            "rss_mb_last": round(memory[-1], 1) if memory else None}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("AEDETECT_DATA", "../shared/data"))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=1, help="the server's scoring threads")
    args = parser.parse_args()
    if not 1 <= args.clients <= 200 or not 1 <= args.seconds <= 600:
        parser.error("--clients 1..200 and --seconds 1..600 keep the load bounded")
    run = provenance([0])
    data = Path(args.data)
    mnist = load_idx_folder(data / "mnist")
    digits = mnist["train_images"][mnist["train_labels"] == 0][:3000]
    tests = mnist["test_images"][:POOL]
    X, y = load_table(data / "adbench-classical" / "6_cardio.npz")
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tmp = Path(tmp)
        image_model = AutoencoderDetector(model="conv_ae", epochs=3, verbose=0, random_state=0).fit(digits)
        image_model.save(tmp / "digits")
        table_model = TableDetector(detector=AutoencoderDetector(epochs=20, verbose=0, random_state=0))
        table_model.fit(as_frame(X[y == 0][:-POOL])).save(tmp / "cardio")
        rows = as_frame(X[-POOL:])
        pools = {"png": [png(t) for t in tests], "records": rows.to_dict("records"),
                 "scores": {"digits": image_model.anomaly_score(tests),
                            "cardio": table_model.anomaly_score(rows)}}
        offline = {}  # samples per second scored in one call in this process, for comparison
        for name, model, inputs in (("digits", image_model, np.repeat(tests, 10, axis=0)),
                                    ("cardio", table_model, as_frame(np.repeat(X[-POOL:], 10, axis=0)))):
            begin = time.perf_counter()
            model.anomaly_score(inputs)
            offline[name] = round(len(inputs) / (time.perf_counter() - begin))
        server = Server([tmp / "digits", tmp / "cardio"], free_port(), args.threads)
        try:
            phases = {"clean": run_phase(server, pools, clients=args.clients, seconds=args.seconds,
                                         malformed=0.0),
                      "10% malformed": run_phase(server, pools, clients=args.clients, seconds=args.seconds,
                                                 malformed=0.1, seed=1),
                      "kill and restart": run_phase(server, pools, clients=args.clients,
                                                    seconds=args.seconds / 2, malformed=0.0,
                                                    restart_at=args.seconds / 6, seed=2)}
        finally:
            server.stop()
    lines = ["| phase | clients | s | good requests | req/s | p50 ms | p99 ms | wrong scores | errors | "
             "malformed refused / answered | retried | RSS MB first / peak / last | requests per batch |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, p in phases.items():
        lines.append(f"| {name} | {p['clients']} | {p['seconds']} | {p['good_requests']:,} | "
                     f"{p['requests_per_second']} | {p['p50_ms']} | {p['p99_ms']} | {p['wrong_scores']} | "
                     f"{p['errors']} | {p['malformed_refused']} / {p['malformed_answered']} | "
                     f"{p['retried']} | "
                     f"{p['rss_mb_first']} / {p['rss_mb_peak']} / {p['rss_mb_last']} | "
                     + ", ".join(f"{k} {v}" for k, v in p["requests_per_batch"].items()) + " |")
    text = (f"**`aedetect serve` under load: one PNG (28x28 MNIST, conv AE) or one table row (cardio, "
            f"21 columns) per request, {args.clients} clients, server scoring threads {args.threads}; "
            f"clients and server on the same 2-core machine**\n\n" + "\n".join(lines)
            + f"\n\nOffline, in one call in the benchmark's process (torch threads as it started): "
            f"{offline['digits']:,} images/s, {offline['cardio']:,} table rows/s.")
    write("serve_load", {"provenance": run, "phases": phases, "threads": args.threads, "offline": offline},
          text)
    print(text)


if __name__ == "__main__":
    main()
