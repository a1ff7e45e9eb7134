import gzip
import struct

import numpy as np
import pytest
from PIL import Image

from aedetect.data.arrays import load_array_file
from aedetect.data.datasets import open_dataset
from aedetect.data.idx import read_idx
from aedetect.data.images import ImageFolder
from aedetect.data.splits import one_class_split, train_validation_split
from aedetect.errors import InputError


def write_idx(path, array: np.ndarray, code: int = 0x08) -> None:
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(">u1").tobytes())


@pytest.fixture
def mnist_like(tmp_path):
    rng = np.random.default_rng(0)
    parts = {"train": 40, "t10k": 20}
    for part, n in parts.items():
        write_idx(tmp_path / f"{part}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 6, 5)))
        write_idx(tmp_path / f"{part}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return tmp_path


def test_idx_round_trip_and_mnist_layout(mnist_like):
    ds = open_dataset(mnist_like)
    assert ds.layout == "idx" and ds.name == "mnist"
    assert ds.X_train.shape == (40, 6, 5) and ds.X_train.dtype == np.uint8
    assert ds.X_test.shape == (20, 6, 5)
    assert list(ds.y_test[:12]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert ds.resolve_classes("3,1") == [1, 3]


def test_fashion_mnist_is_named_by_its_folder(mnist_like, tmp_path):
    fashion = tmp_path / "fashion-mnist"
    fashion.mkdir()
    for f in mnist_like.glob("*.gz"):
        (fashion / f.name).write_bytes(f.read_bytes())
    ds = open_dataset(fashion)
    assert ds.name == "fashion-mnist" and ds.class_names[9] == "Ankle boot"
    assert ds.resolve_classes("Trouser") == [1]


def test_truncated_idx_is_refused(tmp_path):
    write_idx(tmp_path / "x.gz", np.zeros((4, 3), dtype=np.uint8))
    data = gzip.decompress((tmp_path / "x.gz").read_bytes())
    (tmp_path / "short").write_bytes(data[:-2])
    with pytest.raises(InputError, match="truncated"):
        read_idx(tmp_path / "short")
    (tmp_path / "junk").write_bytes(b"hello world")
    with pytest.raises(InputError, match="not an IDX file"):
        read_idx(tmp_path / "junk")


def make_class_folders(root, classes=("airplanes", "cars", "faces"), n=6, size=(20, 30)):
    rng = np.random.default_rng(0)
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(n):
            pixels = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            img = Image.fromarray(pixels)
            if i == 0:
                img = img.convert("L")  # a grey image among RGB ones gets converted
            img.save(root / name / f"image_{i:04d}.{'png' if c % 2 else 'jpg'}")
    (root / classes[0] / "notes.txt").write_text("not an image")
    return root


def test_class_folders_are_read_lazily_resized_and_converted(tmp_path):
    root = make_class_folders(tmp_path / "101_ObjectCategories")
    ds = open_dataset(tmp_path, image_size=(16, 16))  # the parent folder is recognised too
    assert ds.layout == "class-folders" and ds.class_names == ["airplanes", "cars", "faces"]
    assert isinstance(ds.X_train, ImageFolder)
    assert ds.X_train.shape == (18, 16, 16, 3)
    batch = ds.X_train[np.array([0, 7, 17])]
    assert batch.shape == (3, 16, 16, 3) and batch.dtype == np.uint8
    assert ds.files_train[0].parent == root / "airplanes"
    assert ds.resolve_classes("airplanes") == [0]
    with pytest.raises(InputError, match="no class 'boats'.*airplanes, cars, faces"):
        ds.resolve_classes("boats")
    grey = open_dataset(tmp_path, color="grey")  # default size: the first image's, 20x30
    assert grey.X_train.shape == (18, 20, 30)


def test_train_test_folders_keep_the_official_split(tmp_path):
    make_class_folders(tmp_path / "train", classes=("cat", "dog"), n=4, size=(8, 8))
    make_class_folders(tmp_path / "test", classes=("cat", "dog"), n=2, size=(8, 8))
    ds = open_dataset(tmp_path)
    assert ds.layout == "train-test-folders"
    assert ds.X_train.shape == (8, 8, 8, 3) and ds.X_test.shape == (4, 8, 8, 3)
    assert list(ds.y_test) == [0, 0, 1, 1]


def test_arrays_files(tmp_path):
    X = np.random.default_rng(0).random((10, 4))
    np.save(tmp_path / "x.npy", X)
    ds = open_dataset(tmp_path / "x.npy")
    assert ds.y_train is None and ds.X_train.shape == (10, 4)
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(10) % 2, class_names=np.array(["ok", "bad"]))
    ds = open_dataset(tmp_path / "d.npz")
    assert ds.class_names == ["ok", "bad"] and ds.resolve_classes("ok") == [0]
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="unpickling"):
        load_array_file(tmp_path / "obj.npy")


def test_wrong_or_empty_paths_get_clear_errors(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        open_dataset(tmp_path / "missing")
    with pytest.raises(InputError, match="no data recognised"):
        open_dataset(tmp_path)
    (tmp_path / "a.csv").write_text("1,2")
    with pytest.raises(InputError, match=r"expected a folder, a \.npy"):
        open_dataset(tmp_path / "a.csv")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    with pytest.warns(UserWarning, match="skipped 1 of 1"), pytest.raises(InputError, match="none of"):
        open_dataset(tmp_path)


def test_train_validation_split_is_seeded_and_disjoint():
    a = train_validation_split(100, 0.1, 3)
    b = train_validation_split(100, 0.1, 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert len(a[1]) == 10 and not set(a[0]) & set(a[1]) and len(a[0]) + len(a[1]) == 100
    with pytest.raises(InputError, match="validation_fraction"):
        train_validation_split(100, 0.0, 0)


def test_one_class_split_official_and_held_out():
    labels = np.repeat(np.arange(4), 25)
    official = one_class_split(labels, [1], test_labels=np.array([0, 1, 2, 1]))
    assert official.official_test and list(official.y_test) == [1, 0, 1, 0]
    assert set(labels[official.train]) == {1}
    held = one_class_split(labels, [1], test_fraction=0.2, seed=0)
    assert not held.official_test and len(held.test) == 20
    assert np.bincount(labels[held.test]).tolist() == [5, 5, 5, 5]  # stratified
    assert not set(held.train) & set(held.test) and set(labels[held.train]) == {1}
    assert list(held.y_test) == list((labels[held.test] != 1).astype(int))
    with pytest.raises(InputError, match="no training samples"):
        one_class_split(labels, [7])


def make_uncurated_folder(root):
    """A class folder as users find them: every image mode, and broken files."""
    rng = np.random.default_rng(0)
    good, bad = root / "good", root / "bad"
    good.mkdir(parents=True)
    bad.mkdir()
    rgb = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(good / "a_rgb.jpg")
    Image.fromarray(rgb[..., 0]).save(good / "b_grey.png")
    Image.fromarray(np.dstack([rgb, np.full((20, 24), 128, np.uint8)])).save(good / "c_rgba.png")
    Image.fromarray(rgb[..., 1].astype(np.uint16) * 257).save(good / "d_16bit.png")
    Image.fromarray(rgb).convert("P").save(good / "e_palette.gif")
    (bad / "empty.jpg").write_bytes(b"")
    (bad / "text.png").write_text("not an image at all")
    Image.new("L", (8000, 7000)).save(bad / "bomb.png")  # 56 million pixels, over MAX_PIXELS
    Image.fromarray(rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)).save(bad / "truncated.jpg")
    data = (bad / "truncated.jpg").read_bytes()
    (bad / "truncated.jpg").write_bytes(data[: len(data) // 2])
    return root


def test_uncurated_images_are_converted_or_skipped_with_a_count(tmp_path):
    root = make_uncurated_folder(tmp_path / "parts")
    with pytest.warns(UserWarning, match=r"skipped 3 of 9 image files .*--strict"):
        ds = open_dataset(root, image_size=(16, 16), color="rgb")
    assert ds.class_names == ["bad", "good"] and len(ds.X_train) == 6
    good = ds.X_train[np.flatnonzero(ds.y_train == 1)]
    assert good.shape == (5, 16, 16, 3) and good.dtype == np.uint8
    sixteen = good[3]  # the 16-bit image is scaled to 8 bits, not clipped to white
    assert 40 < sixteen.mean() < 215
    with pytest.raises(InputError, match="truncated.jpg: cannot decode"):
        ds.X_train[np.flatnonzero(ds.y_train == 0)]  # a truncated file fails when read, by name
    with pytest.raises(InputError, match="(empty|bomb|text).*--strict"):
        open_dataset(root, strict=True)


def test_a_class_missing_for_evaluation_is_explained(tmp_path):
    from aedetect.data.model_data import evaluation_part

    make_class_folders(tmp_path / "only", classes=("ok",), n=4, size=(8, 8))
    ds = open_dataset(tmp_path / "only")
    with pytest.raises(InputError, match="only normal samples"):
        evaluation_part(ds, [0], {"test_fraction": 0.5, "split_seed": 0, "n_samples": 4})


def test_large_npy_files_are_read_row_by_row(tmp_path, monkeypatch):
    import aedetect.data.arrays as arrays
    from aedetect import AutoencoderDetector
    from aedetect.data.arrays import NpyRows

    X = np.random.default_rng(0).integers(0, 256, (300, 6, 5), dtype=np.uint8)
    np.save(tmp_path / "x.npy", X)
    rows = NpyRows(tmp_path / "x.npy")
    assert rows.shape == X.shape and rows.dtype == X.dtype and len(rows) == 300
    assert np.array_equal(rows[17:40], X[17:40]) and np.array_equal(rows[[5, 2, 299]], X[[5, 2, 299]])
    assert np.array_equal(np.asarray(rows), X) and np.array_equal(rows[-1], X[-1])
    monkeypatch.setattr(arrays, "LAZY_BYTES", 1000)
    assert isinstance(load_array_file(tmp_path / "x.npy")["X"], NpyRows)
    det = AutoencoderDetector(epochs=1, batch_size=32, verbose=0, random_state=0).fit(X)
    streamed = np.concatenate([e for _, e in det.iter_anomaly_score(rows)])
    assert np.array_equal(streamed, det.reconstruction_error(X))
    assert [i for i, _ in det.iter_anomaly_score(rows, 10, 200)][0] == 10
    data = (tmp_path / "x.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        load_array_file(tmp_path / "cut.npy")
