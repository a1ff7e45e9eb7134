"""Speed of audio feature extraction on one core: WAV file -> log-mel spectrogram.

Times aedetect.data.audio.file_log_mel (soundfile read + librosa STFT + mel filter
bank + dB) with the feature cache off, single-threaded (OMP/MKL/OpenBLAS threads 1,
set before numpy loads), on the real DCASE recordings in $AEDETECT_DATA/audio when
present and on synthetic 10 s clips written to a temporary folder. Reports the
real-time factor: seconds of audio processed per second of wall time. Also the
cached path (a second pass that reads the .npy cache).

    python benchmarks/audio_features.py --repeats 3
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import soundfile as sf  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from common import provenance, write  # noqa: E402

from aedetect.data.audio import AudioFeatures, file_log_mel  # noqa: E402
from aedetect.data.audio_layouts import list_audio  # noqa: E402
from aedetect.data.synthetic import machine_sound  # noqa: E402


def timed(files: list[Path], features: AudioFeatures, repeats: int) -> float:
    """Best-of-``repeats`` seconds to turn every file into a log-mel spectrogram."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for f in files:
            file_log_mel(f, features)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("AEDETECT_DATA", "../shared/data"))
    parser.add_argument("--synthetic", type=int, default=50, help="synthetic 10 s clips")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="aedetect-features-"))
    sets = {}
    real = [p for d in sorted((Path(args.data) / "audio").glob("*")) for part in ("train", "test")
            for p in list_audio(d / part)]
    if real:
        sets["real DCASE 2020 clips (16 kHz, 16-bit)"] = real
    synthetic = []
    for i in range(args.synthetic):
        synthetic.append(tmp / f"clip_{i:04d}.wav")
        sf.write(synthetic[-1], machine_sound(10.0, seed=i)[0], 16000, subtype="PCM_16")
    sets["synthetic 10 s clips (16 kHz, 16-bit)"] = synthetic

    rows = []
    for name, files in sets.items():
        seconds = sum(sf.info(str(f)).duration for f in files)
        for label, features in (("DCASE baseline: 128 mels", AudioFeatures()),
                                ("homework: 64 mels", AudioFeatures(n_mels=64, mode="patches"))):
            os.environ["AEDETECT_CACHE"] = ""
            cold = timed(files, features, args.repeats)
            os.environ["AEDETECT_CACHE"] = str(tmp / "cache")
            file_log_mel(files[0], features)
            timed(files, features, 1)  # fill the cache
            warm = timed(files, features, args.repeats)
            rows.append({"data": name, "features": label, "files": len(files), "audio_s": seconds,
                         "cold_s": cold, "cached_s": warm, "realtime_x": seconds / cold,
                         "cached_realtime_x": seconds / warm})
            print(rows[-1], file=sys.stderr)
    lines = ["**Log-mel extraction on one core** (best of "
             f"{args.repeats}; real-time factor = audio seconds per wall second)", "",
             "| data | features | files | audio (s) | time (s) | real-time factor | cached: time (s) "
             "| cached: factor |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['data']} | {r['features']} | {r['files']} | {r['audio_s']:.0f} | "
                     f"{r['cold_s']:.3f} | {r['realtime_x']:.0f}x | {r['cached_s']:.3f} | "
                     f"{r['cached_realtime_x']:.0f}x |")
    write("audio_features", {"provenance": provenance([]), "rows": rows}, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
