"""Convolutional digit classifiers: build, count, train, plot, save and reload.

Week 3 builds the course's digit classifier here. Later weeks reload the saved
one with ``load_digit_classifier()`` to judge generated digits, so it is
trained once (full mode) and kept under ``data_dir()/models/``.

* ``build_digit_classifier``: the CNN, conv blocks then dense layers, taking
  [0, 1] images and returning class probabilities (softmax).
* ``make_augmentation``: random rotation, shift and zoom as Keras layers.
* ``layer_table``: output shape, kernel shape, parameters and multiply-
  accumulates (MACs) of every layer, worked out by hand and checked against Keras.
* ``plot_history`` / ``best_epoch``: learning curves, train against validation.
* ``train_digit_classifier``, ``save_digit_classifier``, ``load_digit_classifier``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib._files import replaced_atomically
from course_lib._presets import Presets
from course_lib.data import IMAGE_SHAPE, DigitsData, data_dir, load_digits_dataset, resolve_source
from course_lib.plotting import finish_figure
from course_lib.runtime import is_quick, quiet_tensorflow, set_seed

MODELS_SUBDIR = "models"


class ModelFileError(ValueError):
    """A saved model file exists but cannot be read (corrupt, truncated or the wrong model)."""


# ------------------------------------------------------------------ configuration
@dataclass(frozen=True)
class ClassifierConfig(Presets):
    """Architecture and training settings of the course digit classifier; ``ClassifierConfig.preset("quick")`` etc."""

    filters: tuple = (32, 64)      # one conv block per entry; each block ends in 2x2 max pooling
    convs_per_block: int = 2
    dense_units: int = 128
    dropout: float = 0.4
    augment: bool = True           # random rotation, shift and zoom while training
    num_epochs: int = 40
    batch_size: int = 64
    lr: float = 1e-3
    patience: int = 8              # early stopping on validation loss, best weights restored
    val_fraction: float = 0.1      # held out of the training images for early stopping
    train_subset: int | None = None  # use only this many training images (quick mode)


# Quick trains in seconds on a CPU (CI, grading); full is the classifier later weeks rely on.
ClassifierConfig.presets = {
    "quick": ClassifierConfig(filters=(16, 32), convs_per_block=1, dense_units=64, augment=False,
                              num_epochs=2, patience=2, train_subset=1500),
    "full": ClassifierConfig(),
}


# ------------------------------------------------------------------------ builders
def make_augmentation(rotation_degrees: float = 10.0, shift: float = 0.1, zoom: float = 0.1,
                      *, seed: int | None = None, name: str = "augmentation"):
    """Random rotation (up to +-``rotation_degrees``), shift (fraction of the size) and zoom.

    The layers are active only while training (``training=True``); at inference
    they pass images through unchanged. Empty areas are filled with black (0),
    the background of the digits.
    """
    import keras
    from keras import layers

    if not 0 <= rotation_degrees <= 180:
        raise ValueError(f"rotation_degrees should be in [0, 180], got {rotation_degrees}")
    for label, value in (("shift", shift), ("zoom", zoom)):
        if not 0 <= value < 1:
            raise ValueError(f"{label} should be a fraction in [0, 1), got {value}")
    fill = {"fill_mode": "constant", "fill_value": 0.0}
    return keras.Sequential([
        # Keras measures rotation as a fraction of a full turn.
        layers.RandomRotation(rotation_degrees / 360.0, seed=seed, name="rotate", **fill),
        layers.RandomTranslation(shift, shift, seed=seed, name="shift", **fill),
        layers.RandomZoom(zoom, seed=seed, name="zoom", **fill),
    ], name=name)


def build_digit_classifier(input_shape=IMAGE_SHAPE, num_classes: int = 10, *, filters=(32, 64),
                           convs_per_block: int = 2, dense_units: int = 128, dropout: float = 0.4,
                           augmentation=None, name: str = "digit_classifier"):
    """A Sequential CNN: [conv 3x3 ReLU] x ``convs_per_block`` + 2x2 max pool per entry of
    ``filters``, then flatten, dropout, a ReLU dense layer named ``features`` and a softmax.

    Inputs are images in [0, 1]; outputs are class probabilities. ``augmentation``
    (e.g. ``make_augmentation()``) becomes the first layer, active only in training.
    The model is returned uncompiled.
    """
    import keras
    from keras import layers

    input_shape = tuple(int(s) for s in input_shape)
    if len(input_shape) != 3 or min(input_shape) < 1:
        raise ValueError(f"input_shape should be (height, width, channels), got {input_shape}")
    filters = tuple(filters)
    if not filters or any(int(f) < 1 for f in filters):
        raise ValueError(f"filters should list at least one positive filter count, got {filters}")
    if min(input_shape[:2]) < 2 ** len(filters):
        raise ValueError(f"a {input_shape[0]}x{input_shape[1]} input is too small for "
                         f"{len(filters)} pooling stages: use fewer entries in filters")
    if num_classes < 2:
        raise ValueError(f"num_classes should be at least 2, got {num_classes}")
    if convs_per_block < 1 or dense_units < 1:
        raise ValueError("convs_per_block and dense_units should be at least 1")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout should be in [0, 1), got {dropout}")

    stack = [keras.Input(shape=input_shape, name="image")]
    if augmentation is not None:
        stack.append(augmentation)
    for block, n in enumerate(filters, start=1):
        for i in range(1, convs_per_block + 1):
            stack.append(layers.Conv2D(int(n), 3, padding="same", activation="relu", name=f"conv{block}_{i}"))
        stack.append(layers.MaxPooling2D(2, name=f"pool{block}"))
    stack += [
        layers.Flatten(name="flatten"),
        layers.Dropout(dropout, name="dropout"),
        layers.Dense(dense_units, activation="relu", name="features"),
        layers.Dropout(dropout, name="dropout_features"),
        layers.Dense(num_classes, activation="softmax", name="probs"),
    ]
    return keras.Sequential(stack, name=name)


def compile_classifier(net, lr: float = 1e-3):
    """Adam + sparse categorical cross-entropy on integer labels, reporting accuracy."""
    import keras

    net.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return net


# ------------------------------------------------------------- layer accounting
# Layers that keep the shape and have no weights (normalisation layers are handled on their own).
IDENTITY_LAYERS = {
    "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "Activation", "ReLU",
    "LeakyReLU", "ELU", "Softmax", "Rescaling", "RandomRotation", "RandomTranslation", "RandomZoom",
    "RandomFlip", "RandomContrast", "RandomBrightness",
}


def _window_out(n: int, k: int, stride: int, padding: str, dilation: int = 1) -> int:
    """Output length of a sliding window (convolution or pooling) along one axis."""
    k_eff = dilation * (k - 1) + 1
    if padding == "same":
        return math.ceil(n / stride)
    return (n - k_eff) // stride + 1


def _activation_name(layer) -> str:
    act = getattr(layer, "activation", None)
    if act is not None:
        return getattr(act, "__name__", str(act))
    kind = type(layer).__name__
    return {"ReLU": "relu", "LeakyReLU": "leaky_relu", "Softmax": "softmax", "ELU": "elu"}.get(kind, "")


def _by_hand(layer, shape: tuple):
    """(output shape, kernel shape, params, MACs) from the layer's settings; None if unknown.

    MACs count the multiply-accumulates of the weight products (convolutions and
    dense layers); pooling, activations and normalisation count as 0.
    """
    kind = type(layer).__name__
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return None
    if kind == "Conv2D" and getattr(layer, "groups", 1) == 1:
        (h, w, c), (kh, kw), (sh, sw) = shape, layer.kernel_size, layer.strides
        dh, dw = layer.dilation_rate
        out = (_window_out(h, kh, sh, layer.padding, dh), _window_out(w, kw, sw, layer.padding, dw), layer.filters)
        params = kh * kw * c * layer.filters + (layer.filters if layer.use_bias else 0)
        # every output value is a dot product of a kh x kw x c patch with one kernel
        return out, (kh, kw, c, layer.filters), params, out[0] * out[1] * out[2] * kh * kw * c
    if kind == "Conv2DTranspose" and layer.output_padding is None and tuple(layer.dilation_rate) == (1, 1):
        (h, w, c), (kh, kw), (sh, sw) = shape, layer.kernel_size, layer.strides
        if layer.padding == "same":
            oh, ow = h * sh, w * sw
        else:
            oh, ow = (h - 1) * sh + max(kh, sh), (w - 1) * sw + max(kw, sw)
        params = kh * kw * c * layer.filters + (layer.filters if layer.use_bias else 0)
        # every input value is scattered through a kh x kw x filters kernel
        return (oh, ow, layer.filters), (kh, kw, layer.filters, c), params, h * w * c * kh * kw * layer.filters
    if kind == "Dense":
        n_in = shape[-1]
        params = n_in * layer.units + (layer.units if layer.use_bias else 0)
        return shape[:-1] + (layer.units,), (n_in, layer.units), params, int(np.prod(shape[:-1], dtype=np.int64)) * n_in * layer.units
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        (h, w, c), (ph, pw), (sh, sw) = shape, layer.pool_size, layer.strides
        return (_window_out(h, ph, sh, layer.padding), _window_out(w, pw, sw, layer.padding), c), None, 0, 0
    if kind in ("GlobalAveragePooling2D", "GlobalMaxPooling2D") and not layer.keepdims:
        return (shape[-1],), None, 0, 0
    if kind == "Flatten":
        return (int(np.prod(shape)),), None, 0, 0
    if kind == "UpSampling2D":
        (h, w, c), (sh, sw) = shape, layer.size
        return (h * sh, w * sw, c), None, 0, 0
    if kind == "Reshape":
        target = list(layer.target_shape)
        if -1 in target:
            known = int(np.prod([t for t in target if t != -1]))
            target[target.index(-1)] = int(np.prod(shape)) // known
        return tuple(target), None, 0, 0
    if kind == "BatchNormalization" and layer.axis in (-1, len(shape)):
        # a scale and a shift per channel if enabled, plus the moving mean and variance (not trained)
        return shape, None, shape[-1] * (2 + int(layer.scale) + int(layer.center)), 0
    if kind in IDENTITY_LAYERS:
        return shape, None, 0, 0
    return None


def _flat_layers(model, prefix=""):
    """The layers of a Sequential model in order, nested Sequential models expanded."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Sequential):
            yield from _flat_layers(layer, prefix + layer.name + "/")
        elif not isinstance(layer, keras.layers.InputLayer):
            yield prefix + layer.name, layer


def layer_table(model, *, check: bool = True):
    """One row per layer: output shape, kernel shape, activation, parameters and MACs.

    Shapes leave out the batch axis. The numbers are worked out by hand from each
    layer's settings (see the week 3 notes); with ``check`` every row is compared
    with Keras's own shape and ``count_params()``, and a mismatch raises
    ``RuntimeError``. Layer types it has no formula for take Keras's numbers and a
    MAC count of NaN. ``model`` must be a built ``keras.Sequential``.
    """
    import keras
    import pandas as pd

    if not isinstance(model, keras.Sequential):
        raise TypeError(f"layer_table walks a keras.Sequential model, got {type(model).__name__}")
    try:
        shape = tuple(int(s) for s in model.inputs[0].shape[1:])
    except (AttributeError, ValueError, TypeError) as err:
        raise ValueError(
            "the model has no known input shape yet: start it with keras.Input(shape=...) "
            "or call model.build((None, height, width, channels))"
        ) from err
    rows = []
    for name, layer in _flat_layers(model):
        keras_out = tuple(layer.compute_output_shape((None,) + shape)[1:])
        hand = _by_hand(layer, shape)
        if hand is None:
            out, kernel, params, macs = keras_out, None, layer.count_params(), float("nan")
        else:
            out, kernel, params, macs = hand
        if check and (tuple(out) != keras_out or params != layer.count_params()):
            raise RuntimeError(
                f"layer {name}: worked out shape {tuple(out)} and {params} params, but Keras says "
                f"{keras_out} and {layer.count_params()}"
            )
        rows.append({"layer": name, "type": type(layer).__name__, "input_shape": shape,
                     "output_shape": tuple(out), "kernel_shape": kernel,
                     "activation": _activation_name(layer), "params": int(params), "macs": macs})
        shape = tuple(out)
    table = pd.DataFrame(rows)
    if check and table["params"].sum() != model.count_params():
        raise RuntimeError(f"the table adds up to {table['params'].sum()} params, "
                           f"Keras counts {model.count_params()}")
    return table


# ------------------------------------------------------------------ learning curves
def _history_dict(history) -> dict:
    hist = getattr(history, "history", history)
    if not isinstance(hist, dict) or not hist.get("loss"):
        raise ValueError("expected a Keras History (or its .history dict) with a non-empty 'loss' list")
    return {k: list(map(float, v)) for k, v in hist.items()}


def best_epoch(history, monitor: str = "val_loss") -> int:
    """The epoch (counting from 1) with the lowest ``monitor`` value (highest for accuracy)."""
    hist = _history_dict(history)
    if monitor not in hist:
        raise ValueError(f"{monitor!r} is not in the history (found {', '.join(hist)}): "
                         "did you pass validation data to fit()?")
    values = np.asarray(hist[monitor])
    best = np.nanargmax(values) if "acc" in monitor else np.nanargmin(values)
    return int(best) + 1


def plot_history(history, *, metrics=None, title: str | None = None, mark_best: bool = True,
                 save_to=None):
    """Learning curves: one panel per metric (loss first), training against validation.

    ``history`` is a Keras ``History`` or its ``.history`` dict. With validation
    data and ``mark_best``, a dashed line marks the epoch of lowest validation loss.
    Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    hist = _history_dict(history)
    if metrics is None:
        metrics = [k for k in hist if not k.startswith("val_") and k != "learning_rate"]
        metrics = sorted(metrics, key=lambda k: k != "loss")
    missing = [m for m in metrics if m not in hist]
    if missing:
        raise ValueError(f"not in the history: {', '.join(missing)} (found {', '.join(hist)})")
    epochs = np.arange(1, len(hist["loss"]) + 1)
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.3), squeeze=False)
    best = best_epoch(hist) if mark_best and "val_loss" in hist else None
    for ax, metric in zip(axes.flat, metrics):
        ax.plot(epochs, hist[metric], "o-", ms=3, label="training")
        if f"val_{metric}" in hist:
            ax.plot(epochs, hist[f"val_{metric}"], "o-", ms=3, label="validation")
        if best is not None:
            ax.axvline(best, color="gray", ls="--", lw=1, label=f"best epoch ({best})")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return finish_figure(fig, title=title, save_to=save_to)


# ------------------------------------------------------------ the course classifier
def train_digit_classifier(data: DigitsData | None = None, config: ClassifierConfig | None = None,
                           *, seed: int = 0, verbose="auto"):
    """Build and train the digit classifier; return ``(net, history)``.

    ``config`` defaults to the preset of the run mode. A stratified
    ``config.val_fraction`` of the training images is held out for early stopping
    on validation loss (best weights restored); the learning rate halves when the
    validation loss stalls. Keras's progress bar shows the epochs.
    """
    import keras
    from sklearn.model_selection import train_test_split

    quiet_tensorflow()
    config = config or ClassifierConfig.preset()
    data = data if data is not None else load_digits_dataset()
    set_seed(seed)
    x, y = data.x_train, data.y_train
    if config.train_subset is not None and config.train_subset < len(x):
        x, _, y, _ = train_test_split(x, y, train_size=config.train_subset, stratify=y, random_state=seed)
    x_tr, x_val, y_tr, y_val = train_test_split(x, y, test_size=config.val_fraction, stratify=y,
                                                random_state=seed)
    augmentation = make_augmentation(seed=seed) if config.augment else None
    net = build_digit_classifier(x.shape[1:], int(y.max()) + 1, filters=config.filters,
                                 convs_per_block=config.convs_per_block, dense_units=config.dense_units,
                                 dropout=config.dropout, augmentation=augmentation)
    compile_classifier(net, config.lr)
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=max(1, config.patience // 3)),
    ]
    history = net.fit(x_tr, y_tr, validation_data=(x_val, y_val), epochs=config.num_epochs,
                      batch_size=config.batch_size, callbacks=callbacks, verbose=verbose)
    return net, history


def classifier_path(source: str = "auto", *, quick: bool | None = None) -> Path:
    """Where the trained classifier for a data source lives: ``data_dir()/models/``.

    Quick-mode classifiers (a few seconds of training) get their own ``-quick``
    file, so they never stand in for the full one.
    """
    source = resolve_source(source)
    quick = is_quick() if quick is None else quick
    suffix = "-quick" if quick else ""
    return data_dir() / MODELS_SUBDIR / f"digit_classifier-{source}{suffix}.keras"


def save_digit_classifier(net, source: str = "auto", *, quick: bool | None = None) -> Path:
    """Save ``net`` to ``classifier_path(source)``, atomically (no half-written file on a crash)."""
    path = classifier_path(source, quick=quick)
    with replaced_atomically(path) as tmp:
        net.save(tmp)
    return path


def read_classifier(path, input_shape=IMAGE_SHAPE, num_classes: int = 10):
    """Load a saved classifier; raise ``ModelFileError`` if it is unreadable or the wrong model."""
    import keras

    path = Path(path)
    quiet_tensorflow()
    try:
        net = keras.models.load_model(path)
    except Exception as err:  # noqa: BLE001 - zip, h5 and config errors all mean the same here
        raise ModelFileError(
            f"{path}: not a readable Keras model ({type(err).__name__}: {err}). It may be truncated "
            "by an interrupted save: delete it and it will be trained again."
        ) from err
    want_in, want_out = (None,) + tuple(input_shape), (None, num_classes)
    if tuple(net.input_shape) != want_in or tuple(net.output_shape) != want_out:
        raise ModelFileError(
            f"{path}: expected a classifier from {want_in} images to {want_out} probabilities, "
            f"found {tuple(net.input_shape)} -> {tuple(net.output_shape)}. Delete it to train a new one."
        )
    return net


def load_digit_classifier(source: str = "auto", *, train_if_missing: bool = True,
                          config: ClassifierConfig | None = None, verbose: bool = True):
    """The course digit classifier for ``source``: loaded from disk, or trained and saved.

    In quick mode the full classifier is used if it is on disk, else a quick one.
    With ``train_if_missing=False`` a missing file raises ``FileNotFoundError``.
    A corrupt file raises ``ModelFileError`` (delete it to retrain).
    """
    source = resolve_source(source)
    candidates = [classifier_path(source, quick=False)]
    if is_quick():
        candidates.append(classifier_path(source, quick=True))
    for path in candidates:
        if path.is_file():
            net = read_classifier(path)
            if verbose:
                print(f"Digit classifier: loaded {path}")
            return net
    if not train_if_missing:
        raise FileNotFoundError(
            f"no trained digit classifier at {candidates[-1]}: run week3_cnn/02_cnn_classifier.ipynb "
            "or call load_digit_classifier(train_if_missing=True)"
        )
    config = config or ClassifierConfig.preset()
    if verbose:
        print(f"Digit classifier: none saved for {source!r}; training one "
              f"({'quick' if is_quick() else 'full'} preset, up to {config.num_epochs} epochs)")
    data = load_digits_dataset(source, verbose=verbose)
    start = time.monotonic()
    net, _ = train_digit_classifier(data, config, verbose="auto" if verbose else 0)
    path = save_digit_classifier(net, source)
    if verbose:
        _, acc = net.evaluate(data.x_test, data.y_test, verbose=0)
        print(f"Digit classifier: test accuracy {acc:.2%} after {time.monotonic() - start:.0f} s; "
              f"saved to {path}")
    return net
