"""Model folders written before the score parts became modules (format 1, commit b0e21f5, by
tests/fixtures/make_format1_models.py) load and score as they did."""

from __future__ import annotations

import numpy as np
import pytest

import aedetect
from aedetect.audio_detector import AudioDetector
from aedetect.detector import AutoencoderDetector
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "format1"


def test_a_format1_image_model_with_every_score_part_scores_as_before(tmp_path):
    det = aedetect.load(FIXTURES / "image-parts", device="cpu")
    assert isinstance(det, AutoencoderDetector)
    probe = np.load(FIXTURES / "image-parts" / "probe.npz")
    assert det.score_head_.parts == ("reconstruction", "latent", "transform", "transform_distance",
                                     "transform_dirichlet", "transform_knn")
    # in validation standard deviations; the transform cross-entropy is now averaged in float64 (its
    # spread can be a few float32 steps), which moves these parts by up to ~1e-4
    np.testing.assert_allclose(det.anomaly_score(probe["X"]), probe["scores"], rtol=1e-6, atol=2e-4)
    np.testing.assert_allclose(det.score_parts(probe["X"]), probe["parts"], rtol=1e-6, atol=2e-4)
    np.testing.assert_array_equal(det.predict(probe["X"]), np.where(probe["scores"] > det.threshold_, -1, 1))
    again = AutoencoderDetector.load(det.save(tmp_path / "m"), device="cpu")  # written as format 2
    np.testing.assert_array_equal(again.anomaly_score(probe["X"]), det.anomaly_score(probe["X"]))


def test_a_format1_adversarial_model_scores_as_before():
    det = aedetect.load(FIXTURES / "dense-aae", device="cpu")
    probe = np.load(FIXTURES / "dense-aae" / "probe.npz")
    np.testing.assert_allclose(det.anomaly_score(probe["X"]), probe["scores"], rtol=1e-6)
    np.testing.assert_allclose(det.reconstruction_error(probe["X"]), probe["scores"], rtol=1e-6)


def test_a_format1_audio_model_loads_as_an_audio_detector():
    det = aedetect.load(FIXTURES / "audio", device="cpu")
    assert isinstance(det, AudioDetector)
    probe = np.load(FIXTURES / "audio" / "probe.npz")
    np.testing.assert_allclose(det.clip_scores(list(probe["clips"])), probe["scores"], rtol=1e-5)


def test_load_refuses_a_folder_that_is_not_a_model(tmp_path):
    with pytest.raises(aedetect.ModelFolderError, match="not an aedetect model folder"):
        aedetect.load(tmp_path)
