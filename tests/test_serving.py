"""``aedetect serve``: a real server on a free port of 127.0.0.1, one model of each kind."""

from __future__ import annotations

import asyncio
import hashlib
import io
import signal
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aedetect import AutoencoderDetector
from aedetect.audio_detector import AudioDetector
from aedetect.serving import Client, MicroBatcher
from aedetect.serving.client import ServiceError
from aedetect.table_detector import TableDetector

SR = 16000


def tone(seconds: float = 1.0, freq: float = 440.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(SR * seconds)
    return (np.sin(2 * np.pi * freq * np.arange(n) / SR) + 0.01 * rng.normal(size=n)).astype(np.float32)


def plant(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = rng.normal(size=n)
    return pd.DataFrame({"temp": 20 + 5 * t, "pressure": 1000 + 200 * t + rng.normal(size=n), "mode": "a"})


def images(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = (rng.random((n, 16, 16)) * 60).astype(np.uint8)
    X[:, 4:12, 4:12] += 120
    return X


MAP_SETTINGS = {"kind": "ssim", "sigma": 2.0}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        AutoencoderDetector(model="conv_ae", epochs=2, verbose=0, random_state=0).fit(images(160)).save(
            root / "img", metadata={"maps": MAP_SETTINGS})  # as `aedetect fit` keeps them
        TableDetector(detector=AutoencoderDetector(epochs=5, verbose=0, random_state=0)).fit(plant(300)).save(
            root / "tab")
        AudioDetector(detector=AutoencoderDetector(epochs=2, verbose=0, random_state=0)).fit(
            [tone(seed=s) for s in range(8)]).save(root / "aud")
        AutoencoderDetector(epochs=3, verbose=0, random_state=0).fit(
            np.random.default_rng(0).normal(size=(300, 6))).save(root / "vec")
    return root


class Server:
    """``aedetect serve`` in a subprocess; its port read from what it prints."""

    def __init__(self, folders: list[Path], *args: str):
        cmd = [sys.executable, "-m", "aedetect", "serve", *map(str, folders), "--port", "0", "--threads", "1",
               *args]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        self.lines = []
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            self.lines.append(line)
            if "listening on http://" in line:
                self.url = line.split("listening on ")[1].split()[0]
                threading.Thread(target=self.proc.stderr.read, daemon=True).start()  # keep the pipe drained
                return
            if not line and self.proc.poll() is not None:
                break
        self.proc.kill()
        raise RuntimeError("the server did not start: " + "".join(self.lines))

    def stop(self) -> bool:
        """SIGTERM; whether the server then shut down by itself (uvicorn ends by re-raising the
        signal once the requests in flight are answered: exit status -SIGTERM)."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30) in (0, -signal.SIGTERM)


@pytest.fixture(scope="module")
def server(folders):
    s = Server([folders / n for n in ("img", "tab", "aud", "vec")], "--max-samples", "300",
               "--max-pixels", "10000", "--max-audio-seconds", "3", "--max-body-mb", "2")
    yield s
    assert s.stop()


def refused(fn, status: int, match: str):
    with pytest.raises(ServiceError) as err:
        fn()
    assert err.value.status == status, err.value.body
    assert match in err.value.body["error"], err.value.body


def png(array: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def wav(y: np.ndarray) -> bytes:
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, y, SR, format="WAV", subtype="FLOAT")
    return buffer.getvalue()


def test_models_are_described(server):
    client = Client(server.url)
    assert client.health()["status"] == "ok"
    found = {m["name"]: m for m in client.models()}
    assert {n: m["kind"] for n, m in found.items()} == {"img": "image", "tab": "table", "aud": "audio",
                                                        "vec": "vector"}
    assert found["img"]["input_shape"] == [16, 16] and found["img"]["input_dtype"] == "uint8"
    assert found["tab"]["columns"] == ["temp", "pressure", "mode"]
    assert found["aud"]["sample_rate"] == SR and found["vec"]["input_shape"] == [6]
    assert all(m["seed"] == 0 and m["trained"][:4].isdigit() and m["threshold"] > 0 for m in found.values())


def test_each_kind_scores_as_offline_with_its_extras(server, folders):
    client = Client(server.url)
    img = AutoencoderDetector.load(folders / "img")
    X = images(5, seed=1)
    X[4, :4, :4] = 255  # a bright corner
    got = client.score("img", instances=X)
    np.testing.assert_allclose(got["scores"], img.anomaly_score(X), rtol=1e-5)
    assert got["flagged"] == [bool(s > img.threshold_) for s in got["scores"]]
    as_files = client.score("img", files=[(f"{i}.png", png(x)) for i, x in enumerate(X)], maps="array")
    np.testing.assert_allclose(as_files["scores"], got["scores"], rtol=1e-5)
    # drawn with the model's map settings, not the defaults
    np.testing.assert_allclose(as_files["maps"], img.anomaly_map(X, **MAP_SETTINGS), rtol=1e-4, atol=1e-6)
    assert not np.allclose(as_files["maps"], img.anomaly_map(X), rtol=1e-2)
    heat = client.score("img", instances=X[4:], maps="png")["maps"][0]
    import base64

    from PIL import Image

    shown = np.asarray(Image.open(io.BytesIO(base64.b64decode(heat))))
    assert shown.shape == (16, 16) and shown[:4, :4].mean() > shown[8:, 8:].mean()  # the corner is hot
    counted = client.models()
    assert {m["name"]: m["served"]["with_maps"] for m in counted}["img"] == 2

    tab = TableDetector.load(folders / "tab")
    rows = plant(4, seed=2)
    rows.loc[3, "pressure"] = 3000.0
    got = client.score("tab", records=rows.to_dict("records"), contributions=2)
    np.testing.assert_allclose(got["scores"], tab.anomaly_score(rows), rtol=1e-4)
    assert got["contributions"][3][0]["column"] in ("pressure", "temp") and got["flagged"][3]
    want = tab.feature_contributions(rows).top(2)
    assert [[c["column"] for c in row] for row in got["contributions"]] == [[c for c, _ in r] for r in want]
    as_csv = client.score("tab", csv=rows[["mode", "pressure", "temp"]].to_csv(index=False))  # another order
    np.testing.assert_allclose(as_csv["scores"], got["scores"], rtol=1e-4)

    aud = AudioDetector.load(folders / "aud")
    clips = [tone(seed=9), tone(freq=2000.0, seed=9)]
    got = client.score("aud", files=[("a.wav", wav(clips[0])), ("b.wav", wav(clips[1]))], spans=True)
    np.testing.assert_allclose(got["scores"], aud.anomaly_score(clips), rtol=1e-4)
    assert got["scores"][1] > got["scores"][0]
    assert [[tuple(s) for s in spans] for spans in got["spans"]] == [
        aud.flagged_spans(*aud.frame_errors(c)) for c in clips]
    as_json = client.score("aud", instances=[c.tolist() for c in clips])
    np.testing.assert_allclose(as_json["scores"], got["scores"], rtol=1e-4)

    vec = AutoencoderDetector.load(folders / "vec")
    V = np.random.default_rng(3).normal(size=(3, 6))
    np.testing.assert_allclose(client.score("vec", instances=V)["scores"], vec.anomaly_score(V), rtol=1e-5)


def test_bad_requests_get_clear_json_errors(server):
    client = Client(server.url)
    refused(lambda: client.score("nope", instances=[[1]]), 404, "no model 'nope'")
    refused(lambda: client.score("img", instances=[[1, 2]]), 422, "this model takes [16, 16]")
    refused(lambda: client.score("img", instances=np.full((1, 16, 16), 0.5)), 422, "whole numbers from 0")
    refused(lambda: client.score("img", files=[("x.png", b"not an image")]), 422, "x.png: not a readable")
    refused(lambda: client.score("img", files=[("big.png", png(np.zeros((200, 200), np.uint8)))]), 413,
            "at most 10,000 per image")
    refused(lambda: client.score("vec", instances=np.zeros((301, 6))), 413, "at most 300")
    refused(lambda: client.score("vec", instances=[[1, 2, "x", 4, 5, 6]]), 422, "not a rectangular array")
    refused(lambda: client.score("vec", instances=[[1, 2, 3, 4, 5, float("nan")]]), 422, "NaN")
    refused(lambda: client.score("vec", instances=[[0] * 6], maps="png"), 422, "maps= needs an image model")
    refused(lambda: client.score("vec", instances=[[0] * 6], colour="red"), 422, "unknown option(s)")
    refused(lambda: client.score("tab", records=[{"temp": 1.0}]), 422, "lacks column(s) ['pressure', 'mode']")
    refused(lambda: client.score("tab", csv="a;b\n1;2\n"), 422, "lacks column(s)")
    refused(lambda: client.score("aud", files=[("long.wav", wav(tone(4.0)))]), 413, "at most 3 s")
    refused(lambda: client.score("aud", files=[("x.wav", b"RIFF....WAVEjunk")]), 422, "not a readable audio")
    refused(lambda: client.score("vec", csv="a,b\n1,2\n"), 422, "a CSV body needs a table model")
    big = client._request
    import http.client
    import json

    host, port = server.url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)  # refused from its header alone:
    conn.putrequest("POST", "/models/vec/score")                     # send the head, not the 3 MB
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", "3000000")
    conn.endheaders(b"[1,")
    answer = conn.getresponse()
    assert answer.status == 413 and "at most 2,097,152" in json.loads(answer.read())["error"]
    conn.close()
    refused(lambda: big("POST", "/models/vec/score", b"{not json", "application/json"), 422, "not valid JSON")
    refused(lambda: big("POST", "/models/vec/score", b"x", "application/xml"), 422, "content type")
    assert client.health()["status"] == "ok"  # none of it disturbed the service


def test_malformed_requests_among_good_ones_under_concurrency(server, folders):
    vec = AutoencoderDetector.load(folders / "vec")
    V = np.random.default_rng(4).normal(size=(40, 6))
    want = vec.anomaly_score(V)

    def call(i: int):
        client = Client(server.url)
        if i % 5 == 4:  # every fifth request is malformed
            with pytest.raises(ServiceError):
                client.score("vec", instances=[[1.0, 2.0]])
            return None
        return i, client.score("vec", instances=V[i:i + 1])["scores"][0]

    with ThreadPoolExecutor(16) as pool:
        answers = [a for a in pool.map(call, range(40)) if a is not None]
    assert len(answers) == 32
    for i, score in answers:
        assert score == pytest.approx(want[i], rel=1e-5)
    served = {m["name"]: m["served"] for m in Client(server.url).models()}["vec"]
    assert served["requests"] >= 32 and 1 <= served["batches"] <= served["requests"]


def test_micro_batches_group_requests_and_isolate_a_failing_one():
    calls = []

    def score(X):
        calls.append(len(X))
        if (X < 0).any():
            raise ValueError("negative")
        return X.sum(axis=1)

    async def main():
        with ThreadPoolExecutor(1) as pool:
            batcher = MicroBatcher(score, np.concatenate, pool, max_batch=100, max_wait=0.2)
            batcher.start()
            inputs = [np.full((2, 3), i, dtype=float) for i in range(6)] + [np.full((1, 3), -1.0)]
            waiting = (batcher.submit(x, len(x)) for x in inputs)
            results = await asyncio.gather(*waiting, return_exceptions=True)
            await batcher.stop()
        return results

    results = asyncio.run(main())
    assert calls[0] == 13  # all seven requests in one batch, which failed; then one by one
    assert calls[1:] == [2] * 6 + [1]
    for i in range(6):
        np.testing.assert_allclose(results[i], [3.0 * i] * 2)
    assert isinstance(results[6], ValueError)


def test_token_and_binding_rules(folders, tmp_path):
    token = tmp_path / "token"
    token.write_text("s3cret-token-0123456789\n")
    s = Server([folders / "vec"], "--token-file", str(token))
    try:
        refused(lambda: Client(s.url).models(), 401, "Authorization: Bearer")
        refused(lambda: Client(s.url, token="s3cret-token-012345678X").models(), 401, "wrong token")
        assert Client(s.url).health()["status"] == "ok"  # open: says nothing about the models
        assert Client(s.url, token="s3cret-token-0123456789").models()[0]["name"] == "vec"
    finally:
        assert s.stop()
    for args, message in [(["--host", "0.0.0.0"], "--token-file FILE"),
                          (["--token-file", str(tmp_path / "missing")], "no such file")]:
        short = subprocess.run([sys.executable, "-m", "aedetect", "serve", str(folders / "vec"), *args],
                               capture_output=True, text=True, timeout=60)
        assert short.returncode == 2 and message in short.stderr, short.stderr


def test_sigterm_finishes_the_request_in_flight_and_leaves_the_folders_alone(folders):
    import http.client
    import json

    def digest(folder: Path) -> dict:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}

    before = digest(folders / "img")
    s = Server([folders / "img"])
    X = images(5000, seed=5)
    host, port = s.url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    conn.request("POST", "/models/img/score?maps=array", json.dumps({"instances": X.tolist()}),
                 {"Content-Type": "application/json"})  # sent whole; 5000 maps take a while to answer
    time.sleep(0.3)
    s.proc.send_signal(signal.SIGTERM)
    signalled = time.perf_counter()
    response = conn.getresponse()
    body = json.loads(response.read())
    answered = time.perf_counter()
    assert response.status == 200 and len(body["scores"]) == 5000 and len(body["maps"]) == 5000
    assert answered > signalled  # the answer came after the signal: the request in flight was finished
    assert s.proc.wait(timeout=30) in (0, -signal.SIGTERM)
    with pytest.raises(ConnectionError):
        Client(s.url).health()  # and nothing new is taken
    assert digest(folders / "img") == before


def test_a_body_without_length_is_cut_at_the_limit(folders):
    """Chunked bodies (no Content-Length) are counted as they arrive: 413 past the limit."""
    from aedetect.serving import ServedModel, build_app
    from aedetect.serving.served import Limits

    app = build_app([ServedModel(folders / "vec")], limits=Limits(body_bytes=1000))
    chunks = [{"type": "http.request", "body": b"[" + b"1," * 300, "more_body": True}] * 5
    sent = []

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.request", "body": b"1]", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/models/vec/score", "raw_path": b"/models/vec/score",
             "query_string": b"", "headers": [(b"content-type", b"application/json")], "http_version": "1.1",
             "scheme": "http", "server": ("127.0.0.1", 1), "client": ("127.0.0.1", 2), "root_path": ""}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413 and b"larger than 1,000 bytes" in sent[1]["body"]
