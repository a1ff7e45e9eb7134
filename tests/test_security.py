"""Nothing untrusted runs: no pickle in loading paths, no eval/exec, model configs validated."""

import json
import re

import pytest
import torch

from aedetect import AutoencoderDetector
from aedetect.errors import InputError, ModelFolderError
from aedetect.models import build_model
from tests.conftest import ROOT, blobs

# The one reader of pickled files: CIFAR-10's python batches, through an unpickler that only
# rebuilds numpy arrays and plain values (tested in test_protocols.py).
PICKLE_ALLOWED = {"src/aedetect/data/cifar.py"}
PATTERNS = {
    "pickle": re.compile(r"\b(import|from) (pickle|dill|joblib|cloudpickle)\b|\bpickle\.\w"),
    "torch.load without weights_only=True": re.compile(r"torch\.load\((?![^)]*weights_only=True)"),
    "eval/exec": re.compile(r"(?<![.\w])(eval|exec)\("),
    "np.load with allow_pickle=True": re.compile(r"allow_pickle\s*=\s*True"),
}


def test_package_has_no_unsafe_loading():
    found = []
    for path in sorted((ROOT / "src" / "aedetect").rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        text = path.read_text()
        for what, pattern in PATTERNS.items():
            if what == "pickle" and rel in PICKLE_ALLOWED:
                continue
            found += [f"{rel}: {what}" for _ in pattern.finditer(text)]
    assert found == []


@pytest.mark.filterwarnings("ignore::aedetect.errors.CollapseWarning")
def test_model_config_from_a_file_is_validated(tmp_path):
    AutoencoderDetector(epochs=1, verbose=0, random_state=0).fit(blobs(30)).save(tmp_path / "m")
    config_path = tmp_path / "m" / "config.json"
    original = json.loads(config_path.read_text())
    cases = {
        "unknown model": lambda c: c["model"].update(name="os.system"),
        "unknown option": lambda c: c["model"]["config"].update(__class__="x"),
        "huge layer": lambda c: c["model"]["config"].update(hidden=[10**9]),
        "not a number": lambda c: c["model"]["config"].update(latent="32; rm -rf /"),
        "unknown parameter": lambda c: c["params"].update(callback="x"),
    }
    for name, change in cases.items():
        config = json.loads(json.dumps(original))
        change(config)
        config_path.write_text(json.dumps(config))
        with pytest.raises(ModelFolderError):
            AutoencoderDetector.load(tmp_path / "m")
        print(name, "refused")


def test_sizes_are_bounded():
    with pytest.raises(InputError, match="whole numbers"):
        build_model("dense_ae", (10,), {"hidden": [2.5]})
    with pytest.raises(InputError, match="too large"):
        build_model("dense_ae", (100000, 100000))
    with pytest.raises(InputError, match="layers"):
        build_model("dense_ae", (10,), {"hidden": [4] * 100})
    model = build_model("dense_ae", (10,), {"hidden": [4], "latent": 2})
    assert model(torch.zeros(1, 10)).shape == (1, 10)
