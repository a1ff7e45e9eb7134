"""Synthetic machine sounds, for tests and benchmarks (never mistaken for real recordings).

A normal clip is a steady hum: a fundamental near 100 Hz (it varies by about
1% from clip to clip) with 8 harmonics whose levels drift slowly, and low-passed
broadband noise that pulses with a 4-8 Hz rotation. An anomalous clip adds one of

- ``"tone"``: a whine, a sine between 1.5 and 3 kHz, for 15-30% of the clip;
- ``"clicks"``: 6-10 clicks of 2 ms broadband noise;
- ``"pitch"``: the whole hum runs faster (fundamental up by 4% x strength);
- ``"knock"``: 3-6 knocks, damped 300-600 Hz resonances of ~30 ms.

``strength`` scales the anomaly: 1 is plainly audible; amplitudes are relative
to the hum's RMS level. Each function returns the true anomalous time spans so
that a detector's "when" can be checked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ANOMALIES = ("tone", "clicks", "pitch", "knock")
#: RMS level of the hum (full scale = 1); every clip has it, so an anomaly adds sound
#: without turning the rest down.
LEVEL = 0.1


def machine_sound(seconds: float = 10.0, sample_rate: int = 16000, *, anomaly: str | None = None,
                  strength: float = 1.0, seed: int = 0) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """One clip: float32 samples in [-1, 1], shape (seconds * sample_rate,), and the anomaly's
    time spans in seconds (empty for a normal clip)."""
    if anomaly is not None and anomaly not in ANOMALIES:
        raise ValueError(f"anomaly must be None or one of {', '.join(ANOMALIES)}; got {anomaly!r}")
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sample_rate))
    t = np.arange(n) / sample_rate
    f0 = 100.0 * (1 + 0.01 * rng.standard_normal())
    spans: list[tuple[float, float]] = []
    if anomaly == "pitch":
        f0 *= 1 + 0.04 * strength
        spans.append((0.0, seconds))
    hum = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi)) / k
              * (1 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.2, 1.0) * t + rng.uniform(0, 2 * np.pi)))
              for k in range(1, 9))
    noise = rng.standard_normal(n)
    noise = np.convolve(noise, np.ones(4) / 4, mode="same")  # a gentle low-pass
    rotation = 1 + 0.6 * np.sin(2 * np.pi * rng.uniform(4, 8) * t + rng.uniform(0, 2 * np.pi))
    rms = float(np.sqrt(np.mean(hum**2)))
    y = hum + 0.3 * rms * rotation * noise / noise.std()
    if anomaly == "tone":
        length = seconds * rng.uniform(0.15, 0.3)
        start = rng.uniform(0, seconds - length)
        on = (t >= start) & (t < start + length)
        y = y + on * 0.3 * strength * rms * np.sin(2 * np.pi * rng.uniform(1500, 3000) * t)
        spans.append((start, start + length))
    elif anomaly in ("clicks", "knock"):
        count = rng.integers(6, 11) if anomaly == "clicks" else rng.integers(3, 7)
        duration = 0.002 if anomaly == "clicks" else 0.03
        starts = np.sort(rng.uniform(0.0, max(seconds - 0.15, 0.01), count))
        for s in starts:
            i = int(s * sample_rate)
            m = int(duration * sample_rate * (1 if anomaly == "clicks" else 4))
            tt = np.arange(m) / sample_rate
            if anomaly == "clicks":
                burst = rng.standard_normal(m)
            else:
                burst = np.sin(2 * np.pi * rng.uniform(300, 600) * tt) * np.exp(-tt / duration)
            y[i:i + m] += 2.0 * strength * rms * burst[: n - i]
            spans.append((s, s + (duration if anomaly == "clicks" else 3 * duration)))
    y = np.clip(y * (LEVEL / rms), -1.0, 1.0)  # the hum at a fixed level: anomalies add to it
    return y.astype(np.float32), [(round(float(a), 4), round(float(b), 4)) for a, b in spans]


def write_machine(root: str | Path, *, n_train: int = 20, n_test_normal: int = 10, n_test_anomalous: int = 10,
                  anomaly: str = "knock", strength: float = 1.0, seconds: float = 10.0,
                  sample_rate: int = 16000, machine_id: str = "00", seed: int = 0) -> dict[str, list]:
    """Write a synthetic machine in the DCASE 2020 layout under ``root``:
    ``train/normal_id_XX_*.wav`` and ``test/{normal,anomaly}_id_XX_*.wav`` (16-bit PCM).
    Returns the anomaly spans of every anomalous test file, by file name."""
    import soundfile as sf

    root = Path(root)
    (root / "train").mkdir(parents=True, exist_ok=True)
    (root / "test").mkdir(parents=True, exist_ok=True)
    spans = {}
    plan = ([("train", "normal", i) for i in range(n_train)]
            + [("test", "normal", i) for i in range(n_test_normal)]
            + [("test", "anomaly", i) for i in range(n_test_anomalous)])
    for k, (part, kind, i) in enumerate(plan):
        y, s = machine_sound(seconds, sample_rate, anomaly=anomaly if kind == "anomaly" else None,
                             strength=strength, seed=seed * 100_000 + k)
        name = f"{kind}_id_{machine_id}_{i:08d}.wav"
        sf.write(root / part / name, y, sample_rate, subtype="PCM_16")
        if kind == "anomaly":
            spans[name] = s
    return spans
