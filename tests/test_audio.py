"""Machine sounds: reading WAV files, log-mel features, layouts, the clip detector and the CLI.
Clips are synthetic (aedetect.data.synthetic) and short, except in the real-data test."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from aedetect.audio_detector import AudioDetector
from aedetect.cli.main import app
from aedetect.data.audio import AudioFeatures, file_log_mel, log_mel, read_wav, to_samples
from aedetect.data.audio_layouts import find_clips, hold_out_normals, load_clips
from aedetect.data.synthetic import machine_sound, write_machine
from aedetect.detector import AutoencoderDetector
from aedetect.errors import InputError
from aedetect.metrics import evaluate_scores
from aedetect.presets import preset_features, preset_params
from tests.conftest import real_data

SR = 16000


def small_detector(epochs: int = 40, **kwargs) -> AudioDetector:
    params = preset_params("dcase-baseline", epochs=epochs, batch_size=128, validation_fraction=0.25,
                           random_state=0, verbose=0)
    return AudioDetector(detector=AutoencoderDetector(**params), features=preset_features("dcase-baseline"),
                         **kwargs)


# ------------------------------------------------------------------ reading
def test_synthetic_clips_are_seeded_and_report_their_spans():
    a, spans_a = machine_sound(2.0, anomaly="knock", seed=3)
    b, spans_b = machine_sound(2.0, anomaly="knock", seed=3)
    normal, none = machine_sound(2.0, seed=3)
    assert a.shape == (2 * SR,) and a.dtype == np.float32 and np.array_equal(a, b)
    assert spans_a == spans_b and 3 <= len(spans_a) <= 6 and none == []
    assert all(0 <= s < e <= 2.0 for s, e in spans_a)
    assert np.abs(a).max() <= 1 and not np.array_equal(a, normal)
    assert np.sqrt(np.mean(normal**2)) == pytest.approx(0.1 * np.sqrt(1 + 0.09), rel=0.1)  # hum + noise
    with pytest.raises(ValueError, match="anomaly must be"):
        machine_sound(1.0, anomaly="squeak")


def test_read_wav_channels_resampling_and_bad_files(tmp_path):
    y, _ = machine_sound(1.0, seed=0)
    stereo = np.stack([y, -y, 0.5 * y], axis=1)
    sf.write(tmp_path / "multi.wav", stereo, SR, subtype="FLOAT")
    assert np.allclose(read_wav(tmp_path / "multi.wav"), y, atol=1e-6)  # channel 0 by default
    assert np.allclose(read_wav(tmp_path / "multi.wav", channel="mean"), y * 0.5 / 3, atol=1e-6)
    assert np.allclose(read_wav(tmp_path / "multi.wav", channel=1), -y, atol=1e-6)
    with pytest.raises(InputError, match="has 3 channel"):
        read_wav(tmp_path / "multi.wav", channel=5)

    sf.write(tmp_path / "8k.wav", y[::2], 8000)
    assert len(read_wav(tmp_path / "8k.wav")) == SR  # resampled to 16 kHz
    with pytest.raises(InputError, match="sample rate 8000 Hz, expected 16000"):
        read_wav(tmp_path / "8k.wav", resample=False)

    sf.write(tmp_path / "good.wav", y, SR, subtype="PCM_16")
    data = (tmp_path / "good.wav").read_bytes()
    (tmp_path / "truncated.wav").write_bytes(data[: len(data) // 2])
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "text.wav").write_text("this is not audio\n" * 20)
    (tmp_path / "header_only.wav").write_bytes(data[:44])
    cases = [("truncated", "truncated"), ("empty", "empty file"), ("text", "not a readable audio"),
             ("header_only", "truncated")]
    for name, message in cases:
        with pytest.raises(InputError, match=message) as err:
            read_wav(tmp_path / f"{name}.wav")
        assert f"{name}.wav" in str(err.value)


def test_log_mel_matches_the_dcase_recipe_and_is_cached(tmp_path, monkeypatch):
    y, _ = machine_sound(2.0, seed=1)
    spec = log_mel(y)
    assert spec.shape == (128, 2 * SR // 512 + 1) and spec.dtype == np.float32
    # the baseline: librosa's mel power spectrogram, then 10 log10
    import librosa

    mel = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=1024, hop_length=512, n_mels=128, power=2.0)
    assert np.allclose(spec, 10 * np.log10(mel + np.finfo(np.float32).eps), atol=1e-3)

    sf.write(tmp_path / "a.wav", y, SR, subtype="FLOAT")
    monkeypatch.setenv("AEDETECT_CACHE", str(tmp_path / "cache"))
    first = file_log_mel(tmp_path / "a.wav")
    cached = list((tmp_path / "cache").rglob("*.npy"))
    assert len(cached) == 1 and np.array_equal(np.load(cached[0]), first)
    assert np.array_equal(file_log_mel(tmp_path / "a.wav"), first)
    file_log_mel(tmp_path / "a.wav", AudioFeatures(n_mels=64))  # other parameters, another entry
    assert len(list((tmp_path / "cache").rglob("*.npy"))) == 2
    cached[0].write_bytes(b"damaged")  # a damaged entry is recomputed
    assert np.array_equal(file_log_mel(tmp_path / "a.wav"), first)


def test_frames_and_patches():
    spec = np.arange(4 * 10, dtype=np.float32).reshape(4, 10)  # 4 mels, 10 frames
    X, starts = to_samples(spec, AudioFeatures(n_mels=4, context=3))
    assert X.shape == (8, 12) and list(starts) == list(range(8))
    assert np.array_equal(X[2], spec[:, 2:5].T.ravel())  # frame-major: all mels of frame 2, then 3, 4
    P, starts = to_samples(spec, AudioFeatures(n_mels=4, mode="patches", patch_frames=4))
    assert P.shape == (3, 4, 4) and list(starts) == [0, 4, 6]  # the last patch ends with the clip
    with pytest.raises(InputError, match="shorter than one patch"):
        to_samples(spec, AudioFeatures(n_mels=4, mode="patches", patch_frames=11))
    with pytest.raises(InputError, match="unknown audio feature"):
        AudioFeatures.from_dict({"n_mel": 64})
    with pytest.raises(InputError, match="mode must be"):
        AudioFeatures.from_dict({"mode": "waves"})


# ------------------------------------------------------------------ layouts
def _wav(path, seconds=1.0, seed=0, anomaly=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, machine_sound(seconds, anomaly=anomaly, seed=seed)[0], SR)


def test_layouts_dcase_mimii_plain_and_files(tmp_path):
    write_machine(tmp_path / "fan", n_train=3, n_test_normal=1, n_test_anomalous=2, seconds=0.5)
    layout, clips = find_clips(tmp_path / "fan")
    assert layout == "dcase" and len(clips) == 6
    assert [(c.part, c.label) for c in clips].count(("test", 1)) == 2
    assert {c.machine_id for c in clips} == {"00"} and clips[0].machine == "fan"

    for ident in ("id_00", "id_02"):
        for i in range(3):
            _wav(tmp_path / "pump" / ident / "normal" / f"{i:08d}.wav", 0.5, seed=i)
        _wav(tmp_path / "pump" / ident / "abnormal" / "00000000.wav", 0.5, anomaly="tone")
    layout, clips = find_clips(tmp_path / "pump")
    assert layout == "mimii" and len(clips) == 8 and {c.machine_id for c in clips} == {"00", "02"}
    assert find_clips(tmp_path / "pump" / "id_02")[0] == "mimii"
    held = hold_out_normals(clips, 0.2, seed=0)
    assert len(held) == 1 and held[0].label == 0 and held == hold_out_normals(clips, 0.2, seed=0)

    _wav(tmp_path / "plain" / "normal" / "a.wav", 0.5)
    _wav(tmp_path / "plain" / "anomaly" / "b.wav", 0.5, anomaly="clicks")
    layout, clips = find_clips(tmp_path / "plain")
    assert layout == "plain" and [c.label for c in clips] == [1, 0]
    assert find_clips(tmp_path / "plain" / "normal")[0] == "files"
    assert find_clips(tmp_path / "plain" / "normal" / "a.wav")[1][0].label is None

    (tmp_path / "bad" / "train").mkdir(parents=True)
    _wav(tmp_path / "bad" / "train" / "anomaly_id_00_00000000.wav", 0.5)
    with pytest.raises(InputError, match="anomalous clip in train/"):
        find_clips(tmp_path / "bad")
    (tmp_path / "nothing").mkdir()
    with pytest.raises(InputError, match="no audio found"):
        find_clips(tmp_path / "nothing")


def test_bad_and_silent_clips_are_skipped_with_a_warning_or_refused(tmp_path):
    write_machine(tmp_path / "m", n_train=3, n_test_normal=0, n_test_anomalous=0, seconds=0.5)
    (tmp_path / "m" / "train" / "normal_id_00_00000007.wav").write_bytes(b"RIFF????WAVEjunk")
    sf.write(tmp_path / "m" / "train" / "normal_id_00_00000008.wav", np.zeros(SR, np.float32), SR)
    _wav(tmp_path / "m" / "train" / "normal_id_00_00000009.wav", 0.05)  # shorter than 5 frames
    _, clips = find_clips(tmp_path / "m")
    with pytest.warns(UserWarning, match="skipped 3 of 6 audio files"):
        kept, specs = load_clips(clips, AudioFeatures(), training=True)
    assert len(kept) == len(specs) == 3
    with pytest.warns(UserWarning, match="skipped 2 of 6"):  # scoring keeps the silent clip
        kept, _ = load_clips(clips, AudioFeatures())
    assert any(c.path.name.endswith("08.wav") for c in kept)
    with pytest.raises(InputError, match="normal_id_00_00000007.wav: not a readable audio file"):
        load_clips(clips, AudioFeatures(), strict=True)


# ----------------------------------------------------------------- detector
def test_validation_groups_hold_out_whole_clips(normal_images):
    groups = np.repeat(np.arange(20), 10)
    det = AutoencoderDetector(epochs=1, random_state=0, verbose=0).fit(normal_images, groups=groups)
    held = np.unique(det.validation_groups_)
    assert len(held) == 2 and len(det.validation_scores_) == 20
    assert all((det.validation_groups_ == g).sum() == 10 for g in held)


@pytest.fixture(scope="module")
def knock_detector():
    train = [machine_sound(3.0, seed=i)[0] for i in range(24)]
    return small_detector(aggregate="topk").fit(train)


def test_clip_detector_finds_knocks_and_when_they_happen(knock_detector, tmp_path):
    det = knock_detector
    normals = [machine_sound(3.0, seed=100 + i)[0] for i in range(8)]
    knocks = [machine_sound(3.0, anomaly="knock", strength=1.0, seed=200 + i) for i in range(8)]
    scores = det.clip_scores(normals + [k[0] for k in knocks])
    assert evaluate_scores([0] * 8 + [1] * 8, scores, det.threshold_)["auroc"] >= 0.9
    flagged = det.predict(normals + [k[0] for k in knocks]) == -1
    assert flagged[8:].mean() >= 0.75 and flagged[:8].mean() <= 0.5  # threshold from 6 validation clips
    # flagged spans overlap the true knocks
    hits = total = 0
    for y, true_spans in knocks:
        spans = det.flagged_spans(*det.frame_errors(y))
        total += len(true_spans)
        hits += sum(any(a <= e and s <= b for a, b in spans) for s, e in true_spans)
    assert hits >= 0.5 * total
    assert sum(len(det.flagged_spans(*det.frame_errors(y))) for y in normals) <= 8

    det.save(tmp_path / "model")
    again = AudioDetector.load(tmp_path / "model", device="cpu")
    assert np.array_equal(again.clip_scores(normals), det.clip_scores(normals))
    assert again.threshold_ == det.threshold_ and again.frame_threshold_ == det.frame_threshold_
    spec, recon, times = again.reconstruct_spectrogram(normals[0])
    assert spec.shape == recon.shape == (128, len(times)) and times[0] == pytest.approx(2 * 512 / SR)
    images = np.random.default_rng(0).random((40, 4)).astype(np.float32)
    AutoencoderDetector(epochs=3, verbose=0).fit(images).save(tmp_path / "images")
    with pytest.raises(InputError, match="not an audio model"):
        AudioDetector.load(tmp_path / "images")


def test_patch_model_scores_whole_clips():
    features = {"mode": "patches", "n_mels": 32, "patch_frames": 40}
    params = preset_params("homework-spectrogram-conv", epochs=2, batch_size=8, random_state=0, verbose=0)
    det = AudioDetector(detector=AutoencoderDetector(**params), features=features)
    det.fit([machine_sound(1.5, seed=i)[0] for i in range(6)])
    errors, times = det.frame_errors(machine_sound(1.5, seed=50)[0])
    assert errors.shape == (int(1.5 * SR) // 512 + 1, 32) == (len(times), 32) and np.isfinite(errors).all()
    with pytest.raises(InputError, match="shorter than one patch"):
        det.clip_scores([machine_sound(0.5, seed=1)[0]])


def test_bad_parameters_are_refused():
    with pytest.raises(InputError, match="aggregate must be"):
        AudioDetector(aggregate="median").fit([np.zeros(SR)] * 3)
    with pytest.raises(InputError, match="training needs at least 2"):
        small_detector().fit([machine_sound(1.0)[0]])
    with pytest.raises(InputError, match="waveform must be 1-D"):
        small_detector().fit([np.zeros((SR, 2)), np.zeros((SR, 2))])
    image_options = AutoencoderDetector(model="dense_ae", model_options={"score_parts": ["reconstruction",
                                                                                     "latent"]})
    with pytest.raises(InputError, match="do not apply"):
        AudioDetector(detector=image_options).fit([machine_sound(1.0)[0]] * 2)


# ---------------------------------------------------------------------- CLI
def test_cli_fit_evaluate_score_on_a_dcase_folder(tmp_path):
    spans = write_machine(tmp_path / "toy", n_train=10, n_test_normal=4, n_test_anomalous=4, seconds=2.0,
                          anomaly="clicks", strength=1.0)
    runner = CliRunner()
    fit = runner.invoke(app, ["fit", str(tmp_path / "toy"), "--out", str(tmp_path / "model"), "--epochs", "5",
                              "--aggregate", "max", "-q"])
    assert fit.exit_code == 0, fit.output
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["metadata"]["audio"]["aggregate"] == "max"
    assert config["metadata"]["data"]["held_out"] == []  # DCASE test/ has normal clips of its own
    assert config["params"]["model_options"]["hidden"] == [128, 128, 128, 128]  # dcase-baseline

    ev = runner.invoke(app, ["evaluate", str(tmp_path / "model"), str(tmp_path / "toy"), "--out",
                             str(tmp_path / "eval"), "--json"])
    assert ev.exit_code == 0, ev.output
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["n_normal"] == 4 and metrics["n_anomalous"] == 4
    assert set(metrics["per_id"]) == {"00"} and metrics["pauc"] is not None
    html = (tmp_path / "eval" / "report.html").read_text()
    assert "When it sounded wrong" in html and "anomaly_id_00_00000000.wav" in html

    out = tmp_path / "scores.csv"
    sc = runner.invoke(app, ["score", str(tmp_path / "model"), str(tmp_path / "toy" / "test"),
                             "--out", str(out), "--frames"])
    assert sc.exit_code == 0, sc.output
    rows = out.read_text().splitlines()
    assert rows[0] == "part,file,machine_id,label,score,flagged,flagged_spans" and len(rows) == 9
    frames = (tmp_path / "scores.frames.csv").read_text().splitlines()
    assert frames[0] == "file,time_s,error,band_error,flagged" and len(frames) == 8 * 59 + 1
    assert (tmp_path / "scores.timelines.png").stat().st_size > 0
    assert "spans (s)" in sc.stdout and set(spans) >= {"anomaly_id_00_00000000.wav"}


def test_cli_holds_out_normals_when_the_test_part_has_none(tmp_path):
    write_machine(tmp_path / "m", n_train=10, n_test_normal=0, n_test_anomalous=2, seconds=1.0)
    runner = CliRunner()
    res = runner.invoke(app, ["fit", str(tmp_path / "m"), "--out", str(tmp_path / "model"), "--epochs", "2",
                              "-q", "--test-fraction", "0.3", "--split-seed", "1"])
    assert res.exit_code == 0, res.output
    held = json.loads((tmp_path / "model" / "config.json").read_text())["metadata"]["data"]["held_out"]
    assert len(held) == 3 and all(h.startswith("train/normal_") for h in held)
    ev = runner.invoke(app, ["evaluate", str(tmp_path / "model"), str(tmp_path / "m"), "--out",
                             str(tmp_path / "eval")])
    assert ev.exit_code == 0, ev.output
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["n_normal"] == 3
    (tmp_path / "m" / held[0]).unlink()
    ev = runner.invoke(app, ["evaluate", str(tmp_path / "model"), str(tmp_path / "m"), "--out",
                             str(tmp_path / "eval2")])
    assert ev.exit_code == 2 and "held out for testing are missing" in ev.output


def test_cli_bad_audio_files_skipped_or_refused_with_strict(tmp_path):
    write_machine(tmp_path / "m", n_train=4, n_test_normal=1, n_test_anomalous=1, seconds=1.0)
    (tmp_path / "m" / "train" / "normal_id_00_00000099.wav").write_bytes(b"")
    runner = CliRunner()
    strict = runner.invoke(app, ["fit", str(tmp_path / "m"), "--out", str(tmp_path / "a"), "--epochs", "1",
                                 "-q", "--strict"])
    assert strict.exit_code == 2 and "normal_id_00_00000099.wav: empty file" in strict.output
    assert not (tmp_path / "a").exists()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lenient = runner.invoke(app, ["fit", str(tmp_path / "m"), "--out", str(tmp_path / "b"),
                                      "--epochs", "1", "-q"])
    assert lenient.exit_code == 0, lenient.output
    assert any("skipped 1 of 5 audio files" in str(w.message) for w in caught)
    features = runner.invoke(app, ["fit", str(tmp_path / "m"), "--out", str(tmp_path / "c"), "--features",
                                   '{"n_mel": 3}'])
    assert features.exit_code == 2 and "unknown audio feature option" in features.output

    # the test part as users find it: a truncated file, a file that is not audio, another sample
    # rate, 4 channels, silence; evaluate and score skip the unreadable two (or stop with --strict)
    test = tmp_path / "m" / "test"
    data = (test / "normal_id_00_00000000.wav").read_bytes()
    (test / "normal_id_00_00000001.wav").write_bytes(data[: len(data) // 3])
    (test / "anomaly_id_00_00000001.wav").write_text("<html>not audio</html>")
    y, _ = machine_sound(1.0, anomaly="tone", seed=5)
    sf.write(test / "anomaly_id_00_00000002.wav", y[::2], 8000)
    sf.write(test / "anomaly_id_00_00000003.wav", np.stack([y, y, y, y], axis=1), SR)
    sf.write(test / "anomaly_id_00_00000004.wav", np.zeros(SR, np.float32), SR)
    model = str(tmp_path / "b")
    for command, written in ((["evaluate", model, str(tmp_path / "m"), "--out", str(tmp_path / "ev")],
                              tmp_path / "ev" / "metrics.json"),
                             (["score", model, str(test), "--out", str(tmp_path / "s.csv")],
                              tmp_path / "s.csv")):
        res = runner.invoke(app, [*command, "--strict"])
        assert res.exit_code == 2, res.output
        assert "truncated" in res.output or "not a readable" in res.output
        assert not written.exists()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = runner.invoke(app, command)
        assert res.exit_code == 0, res.output
        assert any("skipped 2 of 7 audio files" in str(w.message) for w in caught)
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert metrics["n_normal"] == 1 and metrics["n_anomalous"] == 4  # resampled, channel 0, silent: scored
    assert len((tmp_path / "s.csv").read_text().splitlines()) == 1 + 5


def test_real_recordings_end_to_end(tmp_path):
    """The real DCASE 2020 clips of one machine: 75 normal, 1 anomalous. A share of the normal
    clips is held out as test normals; the anomalous clip should score above most of them."""
    machine = real_data("audio/dcase2020-id00")
    runner = CliRunner()
    res = runner.invoke(app, ["fit", str(machine), "--out", str(tmp_path / "model"), "--epochs", "20", "-q"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["evaluate", str(tmp_path / "model"), str(machine),
                              "--out", str(tmp_path / "eval")])
    assert res.exit_code == 0, res.output
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["n_normal"] == 15 and metrics["n_anomalous"] == 1
    assert metrics["auroc"] >= 0.8
    toy = real_data("audio/dcase2020-toycar-id01")  # another machine: 11 s clips read and scored
    res = runner.invoke(app, ["score", str(tmp_path / "model"), str(toy), "--out", str(tmp_path / "toy.csv")])
    assert res.exit_code == 0, res.output
    assert len((tmp_path / "toy.csv").read_text().splitlines()) == 3
