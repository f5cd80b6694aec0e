"""course_lib.cnn: builder, augmentation, layer accounting, learning curves, the saved classifier."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

from course_lib import cnn  # noqa: E402
from course_lib.data import DigitsData  # noqa: E402

TINY = cnn.ClassifierConfig(filters=(4,), convs_per_block=1, dense_units=8, augment=False,
                            num_epochs=1, patience=1, train_subset=200, batch_size=50)


def tiny_digits(n_train=200, n_test=50, seed=0):
    """Random 28x28 'digits' with labels 0-9: enough to exercise training, not to learn."""
    rng = np.random.default_rng(seed)
    x = rng.random((n_train + n_test, 28, 28, 1), dtype=np.float32)
    y = np.arange(n_train + n_test) % 10
    return DigitsData(x[:n_train], y[:n_train], x[n_train:], y[n_train:], "mnist-5k", "random test digits")


# ------------------------------------------------------------------------ builder
def test_classifier_outputs_probabilities_for_every_class():
    net = cnn.build_digit_classifier(filters=(8, 16), convs_per_block=1, dense_units=16)
    assert net.output_shape == (None, 10)
    p = net.predict(np.zeros((3, 28, 28, 1), np.float32), verbose=0)
    assert p.shape == (3, 10)
    assert np.allclose(p.sum(axis=1), 1, atol=1e-5) and (p >= 0).all()
    assert net.get_layer("features").units == 16


def test_classifier_builder_follows_its_settings():
    net = cnn.build_digit_classifier((32, 32, 3), 5, filters=(4, 8, 12), convs_per_block=2)
    convs = [l for l in net.layers if isinstance(l, layers.Conv2D)]
    assert [c.filters for c in convs] == [4, 4, 8, 8, 12, 12]
    assert net.get_layer("pool3").output.shape[1:] == (4, 4, 12)
    assert net.output_shape == (None, 5)


@pytest.mark.parametrize("kwargs, message", [
    ({"input_shape": (28, 28)}, "height, width, channels"),
    ({"input_shape": (4, 4, 1), "filters": (8, 8, 8)}, "too small"),
    ({"filters": ()}, "at least one"),
    ({"dropout": 1.0}, "dropout"),
    ({"num_classes": 1}, "num_classes"),
])
def test_classifier_builder_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cnn.build_digit_classifier(**kwargs)


# ------------------------------------------------------------------- augmentation
def test_augmentation_changes_images_only_while_training():
    aug = cnn.make_augmentation(15, 0.1, 0.1, seed=1)
    assert [type(l).__name__ for l in aug.layers] == ["RandomRotation", "RandomTranslation", "RandomZoom"]
    x = np.zeros((4, 28, 28, 1), np.float32)
    x[:, 8:20, 12:16] = 1.0  # a bar: any rotation, shift or zoom moves it
    assert np.allclose(aug(x, training=False), x)
    out = np.asarray(aug(x, training=True))
    assert out.shape == x.shape
    assert np.abs(out - x).max() > 0.5
    assert out.min() >= -1e-5 and out.max() <= 1 + 1e-5, "the black fill should keep pixels in [0, 1]"


@pytest.mark.parametrize("args", [(-1, 0.1, 0.1), (200, 0.1, 0.1), (10, 1.0, 0.1), (10, 0.1, -0.2)])
def test_augmentation_rejects_bad_ranges(args):
    with pytest.raises(ValueError):
        cnn.make_augmentation(*args)


# -------------------------------------------------------------- layer accounting
def test_layer_table_counts_the_classifier_by_hand():
    net = cnn.build_digit_classifier(filters=(32, 64), convs_per_block=2, dense_units=128,
                                     augmentation=cnn.make_augmentation())
    table = cnn.layer_table(net).set_index("layer")
    assert table["params"].sum() == net.count_params()
    row = table.loc["conv1_1"]
    assert row.output_shape == (28, 28, 32) and row.kernel_shape == (3, 3, 1, 32)
    assert row.params == 3 * 3 * 1 * 32 + 32 and row.macs == 28 * 28 * 32 * 3 * 3 * 1
    row = table.loc["conv2_2"]
    assert row.input_shape == (14, 14, 64) and row.macs == 14 * 14 * 64 * 3 * 3 * 64
    assert table.loc["pool2", "output_shape"] == (7, 7, 64) and table.loc["pool2", "macs"] == 0
    assert table.loc["features", "macs"] == 7 * 7 * 64 * 128
    assert table.loc["probs", "activation"] == "softmax" and table.loc["conv1_1", "activation"] == "relu"
    assert table.loc["augmentation/zoom", "params"] == 0
    for name, layer in ((n, net.get_layer(n)) for n in ("conv1_2", "features", "probs")):
        assert table.loc[name, "params"] == layer.count_params()


def test_layer_table_handles_strides_padding_and_generator_layers():
    net = keras.Sequential([
        keras.Input((100,)),
        layers.Dense(7 * 7 * 16, use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Reshape((7, 7, 16)),
        layers.Conv2DTranspose(8, 5, strides=2, padding="same"),
        layers.UpSampling2D(),
        layers.Conv2D(4, 5, strides=2, padding="valid", activation="tanh"),
        layers.Conv2DTranspose(2, 3, strides=2, padding="valid"),
        layers.GlobalAveragePooling2D(),
    ])
    table = cnn.layer_table(net)
    assert table["params"].sum() == net.count_params()
    shapes = list(table["output_shape"])
    assert shapes[0] == (784,) and shapes[4] == (14, 14, 8) and shapes[5] == (28, 28, 8)
    assert shapes[6] == (12, 12, 4) and shapes[7] == (25, 25, 2) and shapes[8] == (2,)
    assert table.loc[4, "kernel_shape"] == (5, 5, 8, 16)
    assert table.loc[4, "macs"] == 7 * 7 * 16 * 5 * 5 * 8  # every input pixel meets the whole kernel
    assert table.loc[6, "macs"] == 12 * 12 * 4 * 5 * 5 * 8
    assert table.loc[0, "macs"] == 100 * 784 and table.loc[1, "params"] == 4 * 784


def test_layer_table_falls_back_to_keras_for_layers_it_cannot_count():
    net = keras.Sequential([keras.Input((10, 10, 1)), layers.ZeroPadding2D(2), layers.Conv2D(3, 3),
                            layers.PReLU(), layers.BatchNormalization(center=False)])
    table = cnn.layer_table(net)
    assert table.loc[0, "output_shape"] == (14, 14, 1) and np.isnan(table.loc[0, "macs"])
    assert table.loc[1, "output_shape"] == (12, 12, 3) and table.loc[1, "macs"] == 12 * 12 * 3 * 9
    assert table.loc[2, "params"] == 12 * 12 * 3 and np.isnan(table.loc[2, "macs"])  # PReLU: one slope per value
    assert table.loc[3, "params"] == 3 * 3  # scale, moving mean and variance per channel; no shift


def test_layer_table_reports_a_disagreement_with_keras(monkeypatch):
    net = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3)])
    monkeypatch.setattr(cnn, "_by_hand", lambda layer, shape: ((8, 8, 2), None, 20, 0))
    with pytest.raises(RuntimeError, match="Keras says"):
        cnn.layer_table(net)


def test_layer_table_needs_a_built_sequential_model():
    with pytest.raises(ValueError, match="keras.Input"):
        cnn.layer_table(keras.Sequential([layers.Dense(3)]))
    inputs = keras.Input((4,))
    with pytest.raises(TypeError, match="Sequential"):
        cnn.layer_table(keras.Model(inputs, layers.Dense(2)(inputs)))


# ------------------------------------------------------------------- learning curves
HISTORY = {"loss": [1.0, 0.6, 0.4, 0.3], "accuracy": [0.5, 0.7, 0.8, 0.9],
           "val_loss": [1.1, 0.7, 0.8, 0.9], "val_accuracy": [0.4, 0.6, 0.65, 0.62]}


def test_best_epoch_counts_from_one():
    assert cnn.best_epoch(HISTORY) == 2
    assert cnn.best_epoch(HISTORY, "val_accuracy") == 3
    with pytest.raises(ValueError, match="validation data"):
        cnn.best_epoch({"loss": [1.0, 0.5]})


def test_plot_history_draws_training_and_validation_curves():
    fig = cnn.plot_history(HISTORY, title="test")
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_title() == "loss" and acc_ax.get_title() == "accuracy"
    lines = {l.get_label(): l for l in loss_ax.get_lines()}
    assert list(lines["training"].get_ydata()) == HISTORY["loss"]
    assert list(lines["validation"].get_ydata()) == HISTORY["val_loss"]
    assert list(lines["training"].get_xdata()) == [1, 2, 3, 4]
    assert "best epoch (2)" in lines


def test_plot_history_rejects_empty_or_unknown_metrics():
    with pytest.raises(ValueError, match="loss"):
        cnn.plot_history({})
    with pytest.raises(ValueError, match="auc"):
        cnn.plot_history(HISTORY, metrics=["loss", "auc"])


# ------------------------------------------------------------ the saved classifier
def test_classifier_path_lives_in_the_course_data_dir(quick_env, tmp_path):
    path = cnn.classifier_path("mnist-5k", quick=False)
    assert path.parent == tmp_path / "course_data" / "models" and path.suffix == ".keras"
    assert cnn.classifier_path("mnist-5k", quick=True) != path
    assert cnn.classifier_path("auto") == cnn.classifier_path("mnist-5k")  # offline default
    with pytest.raises(ValueError, match="unknown source"):
        cnn.classifier_path("cifar")


def test_training_saving_and_loading_round_trip(quick_env, monkeypatch, capsys):
    data = tiny_digits()
    net, history = cnn.train_digit_classifier(data, TINY, verbose=0)
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(history.history)
    path = cnn.save_digit_classifier(net, "mnist-5k", quick=False)
    assert path.is_file() and not list(path.parent.glob("*.part*"))
    loaded = cnn.load_digit_classifier("mnist-5k", train_if_missing=False)
    x = data.x_test[:5]
    assert np.allclose(loaded.predict(x, verbose=0), net.predict(x, verbose=0), atol=1e-6)


def test_load_trains_and_saves_when_missing_then_reuses(quick_env, monkeypatch, capsys):
    monkeypatch.setattr(cnn, "load_digits_dataset", lambda source, verbose=True: tiny_digits())
    net = cnn.load_digit_classifier("mnist-5k", config=TINY)
    assert net.output_shape == (None, 10)
    saved = cnn.classifier_path("mnist-5k")
    assert saved.is_file() and saved.name.endswith("-quick.keras"), "quick mode must not overwrite the full model"
    capsys.readouterr()
    monkeypatch.setattr(cnn, "train_digit_classifier", lambda *a, **k: pytest.fail("retrained a saved model"))
    cnn.load_digit_classifier("mnist-5k")
    assert "loaded" in capsys.readouterr().out


def test_missing_classifier_without_training_is_a_clear_error(quick_env):
    with pytest.raises(FileNotFoundError, match="02_cnn_classifier"):
        cnn.load_digit_classifier("mnist-5k", train_if_missing=False)


def test_corrupt_or_truncated_model_file_is_a_clear_error(quick_env):
    path = cnn.classifier_path("mnist-5k", quick=False)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a keras file")
    with pytest.raises(cnn.ModelFileError, match="delete it"):
        cnn.load_digit_classifier("mnist-5k", train_if_missing=False)
    net = cnn.build_digit_classifier(filters=(4,), convs_per_block=1, dense_units=8)
    cnn.save_digit_classifier(net, "mnist-5k", quick=False)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # an interrupted copy or download
    with pytest.raises(cnn.ModelFileError, match="truncated"):
        cnn.load_digit_classifier("mnist-5k")


def test_a_model_of_the_wrong_shape_is_rejected(quick_env):
    other = cnn.build_digit_classifier((32, 32, 3), 10, filters=(4,), convs_per_block=1, dense_units=8)
    path = cnn.save_digit_classifier(other, "mnist-5k", quick=False)
    with pytest.raises(cnn.ModelFileError, match="expected a classifier"):
        cnn.read_classifier(path)
