"""Inspection layouts with masks, and image / pixel evaluation of image models on them."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from aedetect import AutoencoderDetector
from aedetect.data.images import ImageFolder
from aedetect.data.inspection import check_masks, inspection_layout, open_inspection, read_masks
from aedetect.errors import InputError
from aedetect.inspection_evaluation import evaluate_inspection
from tests.conftest import real_data, render_in_browser

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


def hand_built(root, n_train=30, n_test=4, mask_value=1):
    """good/, test/good/, test/dent/ and masks/dent/ with 0/1 masks named as their images."""
    for i in range(n_train):
        part(root / "good" / f"g{i}.png", False, i)
    for i in range(n_test):
        part(root / "test" / "good" / f"t{i}.png", False, 100 + i)
        mask = part(root / "test" / "dent" / f"d{i}.png", True, 200 + i)
        save_mask(root / "masks" / "dent" / f"d{i}.png", (mask > 0).astype(np.uint8) * mask_value)
    return root


def test_a_hand_built_folder_and_its_mask_problems(tmp_path):
    root = hand_built(tmp_path / "parts")
    data = open_inspection(root)
    assert data.layout == "folder" and len(data.train) == 30 and data.has_masks
    assert data.test_defects.count("dent") == 4 and data.test_defects.count("good") == 4
    masks = read_masks(data.masks, (24, 24))
    assert masks[data.test_defects.index("dent")].sum() == 25  # a 0/1 mask: the 5x5 square
    save_mask(root / "masks" / "good" / "t0.png", np.full((24, 24), 255, np.uint8))
    save_mask(root / "masks" / "good" / "t1.png", np.zeros((24, 24), np.uint8))  # empty: no warning
    with pytest.warns(UserWarning, match="1 good test image"):
        data = open_inspection(root)
    assert all(m is None for m, d in zip(data.masks, data.test_defects) if d == "good")
    (root / "masks" / "good" / "t0.png").unlink()
    (root / "masks" / "dent" / "d2.png").unlink()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the empty good mask stays quiet
        assert not open_inspection(root, masks="ignore").has_masks
    with pytest.raises(InputError, match=r"1 defect image\(s\) have no mask \(first: \['test/dent/d2.png'\]\)"
                       r".*--image-level"):
        open_inspection(root)
    with pytest.raises(InputError, match="no normal training images in good/"):
        for f in (root / "good").iterdir():
            f.unlink()
        open_inspection(root)


def test_mask_sizes_and_grey_levels_are_warned_about_once(tmp_path):
    images, masks = [], []
    for i in range(3):
        part(tmp_path / f"i{i}.png", True, i)
        mask = np.zeros((12, 12), np.uint8)  # half the image's size
        mask[2:6, 2:6] = 255
        mask[0, 0] = 90 * (i > 0)  # two masks with a grey level
        save_mask(tmp_path / f"m{i}.png", mask)
        images.append(tmp_path / f"i{i}.png")
        masks.append(tmp_path / f"m{i}.png")
    with pytest.warns(UserWarning) as caught:
        check_masks(masks, images)
    got = read_masks(masks, (24, 24))
    messages = [str(w.message) for w in caught]
    assert any("3 mask(s) have another size" in m for m in messages)
    assert any("2 mask(s) hold values other than 0" in m for m in messages)
    assert got[0, 4:12, 4:12].all() and not got[0, 0, 0] and not got[1, 0, 0]  # 90 < 255 / 2
    (tmp_path / "bad.png").write_bytes(b"not a png")
    for check in (lambda: read_masks([tmp_path / "bad.png"], (24, 24)),
                  lambda: check_masks([tmp_path / "bad.png"], images[:1])):
        with pytest.raises(InputError, match="bad.png: not a readable mask"):
            check()


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
    mean-image map's location prior scores as measured (pixel AUROC about 0.96), and nearest-patch
    maps clear it."""
    import torch

    from aedetect.maps import blur
    from aedetect.metrics import aupro, pixel_auroc
    from aedetect.patch_memory import PatchMemory

    data = open_inspection(real_data("mvtec3d-tire"))
    assert data.layout == "mvtec-3d-rgb" and len(data.train) == 210 and len(data.test) == 112
    train = np.asarray(ImageFolder(data.train[:60], size=(64, 64), color="rgb")).astype(np.float32) / 255
    test = np.asarray(ImageFolder(data.test, size=(64, 64), color="rgb")).astype(np.float32) / 255
    masks = read_masks(data.masks, (64, 64))
    assert 0 < masks.mean() < 0.01
    maps = blur(torch.from_numpy(((test - train.mean(0)) ** 2).mean(-1))[:, None], 2.0)[:, 0].numpy()
    assert pixel_auroc(masks, maps) > 0.9
    # nearest-patch maps of the same 60 images clear that floor (measured 0.968 / 0.895 against 0.961 / 0.865)
    memory = PatchMemory((3, 64, 64))
    memory.remember(torch.from_numpy(train).permute(0, 3, 1, 2))
    near = memory(torch.from_numpy(test).permute(0, 3, 1, 2), 2.0).numpy()
    assert pixel_auroc(masks, near) > pixel_auroc(masks, maps) and aupro(masks, near) > aupro(masks, maps)


def test_fit_and_evaluate_an_inspection_folder_from_the_command_line(tmp_path):
    import json

    from typer.testing import CliRunner

    from aedetect.cli.main import app

    root = mvtec(tmp_path / "part", n_train=60, n_test=5)
    run = CliRunner().invoke
    fit = run(app, ["fit", str(root), "--model", "conv_ae", "--epochs", "3", "-q", "--model-options",
                    '{"patch_memory": 30}', "--out", str(tmp_path / "m")])  # nearest-patch maps
    assert fit.exit_code == 0, fit.output
    ev = run(app, ["evaluate", str(tmp_path / "m"), str(root), "--out", str(tmp_path / "e")])
    assert ev.exit_code == 0, ev.output
    assert "per defect type" in ev.output and "scratch" in ev.output
    metrics = json.loads((tmp_path / "e" / "metrics.json").read_text())
    assert {"auroc", "aupro", "ap"} <= set(metrics["pixel"])
    assert metrics["per_defect"]["scratch"]["images"] == 5
    assert metrics["n_normal"] == 5 and metrics["n_anomalous"] == 5
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    stored = config["metadata"]["maps"]  # set on the held-out training images at fit
    assert stored["images"] == 6 and metrics["pixel"]["map_threshold"] == stored["threshold"]
    assert stored["kind"] == metrics["map"]["kind"] == "nearest"  # the kind the model's maps suit
    assert 0 <= metrics["pixel"]["iou"] <= 1
    html = (tmp_path / "e" / "report.html").read_text()
    assert "<h2>Where the defects are</h2>" in html and "Worst misses" in html
    assert "Per-region overlap" in html
    images, text, requests, dialogs, scripts = render_in_browser(tmp_path / "e" / "report.html",
                                                                 tmp_path / "shot.png")
    assert len(images) >= 12 and all(done and width > 0 for done, width in images)
    assert "Best hits" in text and "scratch" in text
    assert [u for u in requests if not u.startswith(("file://", "data:"))] == [] and scripts == 0
    sc = run(app, ["score", str(tmp_path / "m"), str(root / "test" / "scratch"), "--out",
                   str(tmp_path / "s.csv"), "--maps", str(tmp_path / "maps")])
    assert sc.exit_code == 0, sc.output
    table = np.genfromtxt(tmp_path / "s.csv", delimiter=",", names=True, dtype=None, encoding="utf-8")
    assert table.dtype.names[-1] == "map_max" and (table["map_max"] > 0).all()
    written = sorted(p.name for p in (tmp_path / "maps").iterdir())
    assert len(written) == 15 and written[:3] == ["train-00000-000.heat.png", "train-00000-000.mask.png",
                                                  "train-00000-000.overlay.png"]
    mask = np.asarray(Image.open(tmp_path / "maps" / "train-00000-000.mask.png"))
    assert mask.shape == (24, 24) and set(np.unique(mask)) <= {0, 255}
    assert np.asarray(Image.open(tmp_path / "maps" / "train-00000-000.overlay.png")).shape == (24, 24, 3)
    again = run(app, ["score", str(tmp_path / "m"), str(root / "test" / "scratch"), "--out",
                      str(tmp_path / "s2.csv"), "--maps", str(tmp_path / "maps")])
    assert again.exit_code == 2 and "not an empty folder" in again.output
    assert not (tmp_path / "s2.csv").exists()


def test_the_inspection_benchmark_runs_the_floor_and_a_model_on_the_same_images(tmp_path):
    import json

    from typer.testing import CliRunner

    from aedetect.cli.main import app

    mvtec(tmp_path / "data" / "mvtec-screw", n_train=40, n_test=4)
    res = CliRunner().invoke(app, ["benchmark", "inspection", "--data", str(tmp_path / "data"), "--classes",
                                   "screw", "--models", "mean-image,ae-ssim", "--seeds", "2", "--epochs", "2",
                                   "--image-size", "24", "-q", "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    found = json.loads((tmp_path / "b" / "results.json").read_text())
    rows = found["rows"]
    assert [(r["config"], r["seed"]) for r in rows] == [("mean-image", 0), ("ae-ssim", 0), ("ae-ssim", 1)]
    assert all(r["test_images"] == 8 and 0 <= r["image_auroc"] <= 1 and 0 <= r["aupro"] <= 1 for r in rows)
    floor = found["summary"]["screw"]["mean-image"]
    assert floor["seeds"] == 1 and floor["pixel_auroc"]["mean"] > 0.8  # bright squares on a dark part
    assert "| ae-ssim | 2 |" in (tmp_path / "b" / "results.md").read_text()
    bad = CliRunner().invoke(app, ["benchmark", "inspection", "--data", str(tmp_path / "data"), "--classes",
                                   "tire", "--out", str(tmp_path / "c")])
    assert bad.exit_code == 2 and "mvtec3d-tire: not found" in bad.output


def test_the_localisation_rule_ranks_on_tire_and_tile_and_needs_to_beat_the_floor():
    from aedetect.benchmarking.inspection import choose

    def cell(v):
        return {"mean": v, "sd": 0.0}

    def config(image, pixel, pro):
        return {"image_auroc": cell(image), "pixel_auroc": cell(pixel), "aupro": cell(pro)}

    summary = {s: {"mean-image": config(0.5, 0.9, 0.8), "ae-l2": config(0.6, 0.8, 0.5),
                   "ae-ssim": config(0.7, 0.95, 0.85), "dae-anomaly": config(0.65, 0.97, 0.9)}
               for s in ("tire", "magnetic-tile")}
    summary["screw"] = {"ae-l2": config(0.99, 0.99, 0.99)}  # never looked at
    chosen, ranks = choose(summary)
    assert chosen == "dae-anomaly" and ranks["dae-anomaly"] == pytest.approx(4 / 3)  # 2, 1, 1 on each set
    for s in ("tire", "magnetic-tile"):
        summary[s]["mean-image"] = config(0.9, 0.99, 0.99)  # a floor nothing beats
    assert choose(summary)[0] is None
