"""Inspection layouts with masks, and image / pixel evaluation of image models on them."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from aedetect import AutoencoderDetector
from aedetect.data.images import ImageFolder
from aedetect.data.inspection import inspection_layout, open_inspection, read_masks
from aedetect.errors import InputError
from aedetect.inspection_evaluation import evaluate_inspection
from tests.conftest import real_data

pytestmark = pytest.mark.filterwarnings("ignore::aedetect.errors.CollapseWarning")


def part(path, defect: bool, seed: int, size: int = 24):
    """A grey part: a textured disc; a defect is a bright square, returned as its mask."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    disc = ((yy - size / 2) ** 2 + (xx - size / 2) ** 2) < (size / 3) ** 2
    img = 60 + 80 * disc + rng.normal(0, 4, (size, size))
    mask = np.zeros((size, size), np.uint8)
    if defect:
        r, c = rng.integers(4, size - 9, 2)
        img[r:r + 5, c:c + 5] = 250
        mask[r:r + 5, c:c + 5] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path)
    return mask


def save_mask(path, mask) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask).save(path)


def mvtec(root, n_train=40, n_test=6):
    for i in range(n_train):
        part(root / "train" / "good" / f"{i:03d}.png", False, i)
    for i in range(n_test):
        part(root / "test" / "good" / f"{i:03d}.png", False, 100 + i)
        save_mask(root / "ground_truth" / "scratch" / f"{i:03d}_mask.png",
                  part(root / "test" / "scratch" / f"{i:03d}.png", True, 200 + i))
    return root


def test_the_three_layouts_pair_images_with_masks(tmp_path):
    data = open_inspection(mvtec(tmp_path / "bottle"))
    assert data.layout == "mvtec-ad" and len(data.train) == 40 and data.has_masks
    assert [m is None for m, d in zip(data.masks, data.test_defects) if d == "good"] == [True] * 6
    assert all(m.name == f"{f.stem}_mask.png" for f, m, d in zip(data.test, data.masks, data.test_defects)
               if d != "good")
    root = tmp_path / "tire"
    for i in range(5):
        part(root / "train" / "good" / "rgb" / f"{i:03d}.png", False, i)
        part(root / "validation" / "good" / "rgb" / f"{i:03d}.png", False, 50 + i)
        mask = part(root / "test" / "cut" / "rgb" / f"{i:03d}.png", True, 60 + i)
        save_mask(root / "test" / "cut" / "gt" / f"{i:03d}.png", mask)
    data = open_inspection(root)
    assert data.layout == "mvtec-3d-rgb" and len(data.validation) == 5 and data.masks[0].parent.name == "gt"
    root = tmp_path / "tiles"
    for i in range(10):
        part(root / "MT_Free" / "Imgs" / f"n{i}.jpg", False, i)
        save_mask(root / "MT_Free" / "Imgs" / f"n{i}.png", np.zeros((24, 24), np.uint8))
    for i in range(3):
        mask = part(root / "MT_Crack" / "Imgs" / f"c{i}.jpg", True, i)
        save_mask(root / "MT_Crack" / "Imgs" / f"c{i}.png", mask)
    data = open_inspection(root, test_fraction=0.2, seed=0)
    assert data.layout == "magnetic-tile" and len(data.train) == 8 and data.test_defects.count("good") == 2
    assert data.test_defects.count("crack") == 3 and all(f.suffix == ".jpg" for f in data.train)
    (root / "MT_Crack" / "Imgs" / "c0.png").unlink()
    with pytest.raises(InputError, match="1 defect image"):
        open_inspection(root)
    assert inspection_layout(tmp_path) is None


def test_masks_are_resized_nearest_and_thresholded(tmp_path):
    mask = np.zeros((10, 20), np.uint8)
    mask[:5, :10] = 200
    save_mask(tmp_path / "m.png", mask)
    got = read_masks([tmp_path / "m.png", None], (5, 10))
    assert got.shape == (2, 5, 10) and got[0, :2, :5].all() and not got[0, 3:, 6:].any() and not got[1].any()


def test_evaluation_finds_the_defects(tmp_path):
    data = open_inspection(mvtec(tmp_path / "part", n_train=120, n_test=8))
    det = AutoencoderDetector(model="conv_ae", model_options={"channels": [8, 16]}, epochs=20,
                              random_state=0, verbose=0)
    det.fit(np.asarray(ImageFolder(data.train, size=(24, 24), color="grey")))
    result = evaluate_inspection(det, data, sigma=1.0, normal_files=data.train[:20])
    assert result["image"]["auroc"] > 0.9 and result["pixel"]["auroc"] > 0.9, result
    assert 0 < result["pixel"]["aupro"] <= 1 and 0 <= result["pixel"]["iou"] <= 1
    assert set(result["per_defect"]) == {"scratch"}


def test_a_slice_of_the_real_tire_set():
    """MVTec 3D-AD tire (reduced copy): the masks pair with the images, and the untrained
    mean-image map's location prior scores as measured (pixel AUROC about 0.96)."""
    import torch

    from aedetect.maps import blur
    from aedetect.metrics import pixel_auroc

    data = open_inspection(real_data("mvtec3d-tire"))
    assert data.layout == "mvtec-3d-rgb" and len(data.train) == 210 and len(data.test) == 112
    train = np.asarray(ImageFolder(data.train[:60], size=(64, 64), color="rgb")).astype(np.float32) / 255
    test = np.asarray(ImageFolder(data.test, size=(64, 64), color="rgb")).astype(np.float32) / 255
    masks = read_masks(data.masks, (64, 64))
    assert 0 < masks.mean() < 0.01
    maps = blur(torch.from_numpy(((test - train.mean(0)) ** 2).mean(-1))[:, None], 2.0)[:, 0].numpy()
    assert pixel_auroc(masks, maps) > 0.9


def test_fit_and_evaluate_an_inspection_folder_from_the_command_line(tmp_path):
    import json

    from typer.testing import CliRunner

    from aedetect.cli.main import app

    root = mvtec(tmp_path / "part", n_train=60, n_test=5)
    run = CliRunner().invoke
    fit = run(app, ["fit", str(root), "--model", "conv_ae", "--epochs", "3", "-q", "--out",
                    str(tmp_path / "m")])
    assert fit.exit_code == 0, fit.output
    ev = run(app, ["evaluate", str(tmp_path / "m"), str(root), "--out", str(tmp_path / "e")])
    assert ev.exit_code == 0, ev.output
    assert "per defect type" in ev.output and "scratch" in ev.output
    metrics = json.loads((tmp_path / "e" / "metrics.json").read_text())
    assert {"auroc", "aupro", "ap"} <= set(metrics["pixel"])
    assert metrics["per_defect"]["scratch"]["images"] == 5
    assert metrics["n_normal"] == 5 and metrics["n_anomalous"] == 5
