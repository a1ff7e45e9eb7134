"""aedetect: anomaly detection with autoencoders.

Train an autoencoder on normal data only, score new data by how badly it is
reconstructed, and flag what lies above a threshold chosen on held-out normal
data. The detector users hold is :class:`AutoencoderDetector`.
"""

from aedetect.errors import InputError, ModelFolderError, TrainingError

__version__ = "0.1.0"
__all__ = ["AutoencoderDetector", "InputError", "ModelFolderError", "TrainingError", "__version__"]


def __getattr__(name: str):
    # The detector imports torch; load it on first use so that `import aedetect`
    # (and the CLI's --help) stays fast.
    if name == "AutoencoderDetector":
        from aedetect.detector import AutoencoderDetector

        return AutoencoderDetector
    raise AttributeError(f"module 'aedetect' has no attribute {name!r}")
