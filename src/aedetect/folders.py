"""Model folders: ``config.json`` (parameters, network and score configs, what fit learned,
metadata) and ``model.safetensors`` (tensors). Nothing is pickled; configs are validated against
the model registry when read. :func:`aedetect.load` opens any model folder as the detector it holds.

Format 2 keeps the score head's statistics under ``score.*``; format 1 (before the score parts
became modules) kept them among the network's buffers and is still read.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from aedetect.errors import InputError, ModelFolderError

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
FORMAT = "aedetect-model"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)


def write_folder(path: str | Path, config: dict, tensors: dict) -> Path:
    """Write ``config`` and ``tensors`` as a model folder at ``path``: to a temporary folder,
    renamed when complete; an existing model folder there is replaced."""
    from safetensors.torch import save_file

    from aedetect.files import default_mode

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} is a file, not a folder: choose another path for the model folder")
    if path.exists() and not (path / CONFIG_FILE).exists() and any(path.iterdir()):
        raise InputError(f"{path} exists and is not an aedetect model folder: choose another path")
    config = {"format": FORMAT, "format_version": FORMAT_VERSION, **config}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    os.chmod(tmp, default_mode(directory=True))
    try:
        (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2))
        save_file(tensors, str(tmp / WEIGHTS_FILE))
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old)
        else:
            tmp.rename(path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return path


def read_config(path: str | Path) -> dict:
    """The checked ``config.json`` of a model folder."""
    path = Path(path)
    if not (path / CONFIG_FILE).is_file():
        raise ModelFolderError(f"{path}: not an aedetect model folder (no {CONFIG_FILE}); "
                               "make one with `aedetect fit` or a detector's save()")
    try:
        config = json.loads((path / CONFIG_FILE).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ModelFolderError(f"{path}: incomplete or damaged model folder ({err})") from err
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFolderError(f"{path / CONFIG_FILE}: not an aedetect model config")
    if config.get("format_version") not in READABLE_VERSIONS:
        raise ModelFolderError(f"{path}: model format version {config.get('format_version')}; "
                               f"this aedetect reads versions {', '.join(map(str, READABLE_VERSIONS))}")
    return config


def read_tensors(path: str | Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(Path(path) / WEIGHTS_FILE))


def folder_kind(path: str | Path) -> str:
    """"audio", "table" or "array" (images, vectors): what the model folder at ``path`` holds."""
    metadata = read_config(path).get("metadata", {})
    return next((kind for kind in ("audio", "table") if isinstance(metadata.get(kind), dict)), "array")


def is_audio_model(path: str | Path) -> bool:
    """Whether ``path`` is a model folder holding an audio model (from its config, nothing else)."""
    try:
        return folder_kind(path) == "audio"
    except ModelFolderError:
        return False
