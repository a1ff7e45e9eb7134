"""Shared fixtures: small synthetic data made here, and the real-data folder.

Real data come from $AEDETECT_DATA (default ../shared/data beside the project).
When a data set (or a tool such as the browser) is missing the test is skipped,
unless AEDETECT_REQUIRE_DATA=1 (as in CI), which makes it fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def require(what: str) -> None:
    """Skip because ``what`` is missing, or fail when AEDETECT_REQUIRE_DATA=1 (CI)."""
    message = f"{what} not found"
    if os.environ.get("AEDETECT_REQUIRE_DATA") == "1":
        pytest.fail(message + "; AEDETECT_REQUIRE_DATA=1 forbids skipping")
    pytest.skip(message)


def real_data(subpath: str) -> Path:
    """The real data set at $AEDETECT_DATA/subpath, or skip (fail in CI) when it is absent."""
    base = Path(os.environ.get("AEDETECT_DATA", ROOT.parent / "shared" / "data"))
    path = base / subpath
    if not path.exists():
        require(f"real data {path} (set AEDETECT_DATA to the shared data folder)")
    return path


def blobs(n: int, size: int = 8, *, anomalous: bool = False, seed: int = 0) -> np.ndarray:
    """Synthetic grey images, uint8 (n, size, size): normal ones are a bright square
    in the centre; anomalous ones a bright square in a corner plus noise."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 30, size=(n, size, size)).astype(np.uint8)
    q = size // 4
    if anomalous:
        X[:, :2 * q, :2 * q] = 220
        X += rng.integers(0, 35, size=X.shape).astype(np.uint8)
    else:
        X[:, q:3 * q, q:3 * q] = 200 + rng.integers(0, 40, size=(n, 1, 1)).astype(np.uint8)
    return X


@pytest.fixture(autouse=True, scope="session")
def _feature_cache(tmp_path_factory):
    """Audio features are cached in a temporary folder, never in the user's ~/.cache."""
    old = os.environ.get("AEDETECT_CACHE")
    os.environ["AEDETECT_CACHE"] = str(tmp_path_factory.mktemp("feature-cache"))
    yield
    if old is None:
        os.environ.pop("AEDETECT_CACHE", None)
    else:
        os.environ["AEDETECT_CACHE"] = old


@pytest.fixture
def normal_images() -> np.ndarray:
    return blobs(200, seed=1)


@pytest.fixture
def anomalous_images() -> np.ndarray:
    return blobs(50, anomalous=True, seed=2)


def press_ctrl_c_in_epoch(monkeypatch, epoch: int) -> None:
    """Make training raise KeyboardInterrupt (as Ctrl-C would) in ``epoch``, once its
    gradient steps are done: the epoch-th validation pass of the run is interrupted."""
    import aedetect.training as training

    calls = []
    real = training.mean_loss

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == epoch:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "mean_loss", interrupted)


def render_in_browser(html: Path, shot: Path):
    """Open ``html`` in headless Chromium: (images as [complete, naturalWidth], the page's text,
    the URLs it requested, the dialogs it opened, its number of scripts); a screenshot to ``shot``."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        require("the chromium browser (apt-get install chromium)")
    pytest.importorskip("playwright", reason="pip install playwright (a dev dependency)")
    from playwright.sync_api import sync_playwright

    requests, dialogs = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(html.as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate("[...document.images].map(i => [i.complete, i.naturalWidth])")
        text = page.inner_text("body")
        scripts = page.evaluate("document.scripts.length")
        page.screenshot(path=str(shot), full_page=False)
        browser.close()
    return images, text, requests, dialogs, scripts
