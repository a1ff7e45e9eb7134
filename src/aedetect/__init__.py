"""aedetect: anomaly detection with autoencoders.

Train an autoencoder on normal data only, score new data by how badly it is
reconstructed, and flag what lies above a threshold chosen on held-out normal
data. The detectors users hold are :class:`AutoencoderDetector` (images, vectors) and
:class:`~aedetect.audio_detector.AudioDetector` (machine sounds); :func:`load` opens any
model folder; :mod:`aedetect.evaluation` measures a detector on labelled test data.
"""

from aedetect.errors import InputError, ModelFolderError, TrainingError

__version__ = "0.1.0"
__all__ = ["AudioDetector", "AutoencoderDetector", "InputError", "ModelFolderError", "TrainingError",
           "__version__", "load"]


def load(path, device: str = "auto"):
    """The detector in the model folder at ``path``, whatever its kind (see :func:`aedetect.loading.load`)."""
    from aedetect.loading import load as load_folder

    return load_folder(path, device=device)


def __getattr__(name: str):
    # The detectors import torch; load them on first use so that `import aedetect`
    # (and the CLI's --help) stays fast.
    if name == "AutoencoderDetector":
        from aedetect.detector import AutoencoderDetector

        return AutoencoderDetector
    if name == "AudioDetector":
        from aedetect.audio_detector import AudioDetector

        return AudioDetector
    raise AttributeError(f"module 'aedetect' has no attribute {name!r}")
