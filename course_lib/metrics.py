"""Judging generated digits with the Week 3 classifier.

A GAN has no accuracy to report, so we ask a trained digit classifier
(``load_judge()``, i.e. ``course_lib.cnn.load_digit_classifier()``) what it sees:

* **confidence**: the classifier's top probability. Recognisable digits get a high
  one; blobs get a low one.
* **class histogram**: how often each digit is drawn. A healthy generator draws all
  ten about equally often; a *mode-collapsed* one draws a few classes, or one.
* **Fréchet classifier distance** (FCD): the Fréchet distance between Gaussians fitted
  to the classifier's ``features`` layer on real and on generated digits, the idea
  of the FID with our own classifier in place of Inception. Lower is better; it
  sees both quality and variety. Read it next to the FCD between two sets of real
  digits (e.g. test against training digits), which is not 0.

And, without the classifier, **fidelity** in pixels (the measures of the S.C.O.R.P paper):

* ``ssim``: structural similarity of two images (Wang et al., 2004), 1 for the same image;
* ``nearest_real``: the real image of the same class nearest to each generated one (MSE);
* ``fidelity_to_real``: MSE and SSIM to that nearest real digit, next to what real test
  digits score against the training digits, and a **copy check**: the share of samples
  closer to a training image than almost every real test digit is (a generator that
  memorised its training set scores near 1).

Images passed in are GAN outputs in [-1, 1] unless ``value_range=(0, 1)`` is given.
"""
from __future__ import annotations

import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib._files import replaced_atomically
from course_lib._inference import run_model
from course_lib._pretrained import pretrained_path
from course_lib.data import TANH_RANGE, UNIT_RANGE, convert_range, resolve_source

CONFIDENT = 0.9  # the course's threshold for a "recognisable" digit
NUM_CLASSES = 10


def judge_file(source: str) -> Path:
    """Where the judge shipped with the course for ``source`` lives (only "mnist-5k" ships)."""
    return pretrained_path(f"digit_classifier-{source}.keras")


def load_judge(source: str = "auto", *, verbose: bool = True):
    """The Week 3 digit classifier, to judge generated digits, for data ``source``. In order:

    1. the full classifier saved on this machine (``cnn.classifier_path``: Week 3's notebook saves it);
    2. the judge shipped with the course (``judge_file``; the 5,000 bundled digits only), made by
       ``course pretrained judge``: no training at all on a fresh machine;
    3. otherwise ``cnn.load_digit_classifier(source)``: a quick classifier saved earlier, or one
       trained now, with Keras's progress bar. In quick mode that is a small classifier on all training
       digits for a few epochs (about 96 % test accuracy on the bundled digits, in seconds) instead of
       Week 3's even quicker preset, whose 2 epochs on 1,500 digits are too weak to judge with.
    """
    from course_lib.cnn import ClassifierConfig, classifier_path, load_digit_classifier, read_classifier
    from course_lib.runtime import is_quick

    source = resolve_source(source)
    shipped = judge_file(source)
    if not classifier_path(source, quick=False).is_file() and shipped.is_file():
        if verbose:
            print(f"Judge: the digit classifier shipped with the course ({shipped.name})")
        return read_classifier(shipped)
    config = ClassifierConfig.preset("quick", num_epochs=5, train_subset=None) if is_quick() else None
    return load_digit_classifier(source, config=config, verbose=verbose)


def export_judge(source: str = "mnist-5k", path=None) -> Path:
    """Write the judge that ships with the course (``course pretrained judge``): Week 3's full classifier
    for ``source`` (trained now, with a progress bar, unless this machine has one), without its optimizer.

    Returns the file written (``judge_file(source)`` by default).
    """
    import keras

    from course_lib.cnn import ClassifierConfig, classifier_path, read_classifier, train_digit_classifier
    from course_lib.data import load_digits_dataset

    source = resolve_source(source)
    saved = classifier_path(source, quick=False)
    if saved.is_file():
        print(f"Judge: Week 3's full classifier saved on this machine, {saved}")
        net = read_classifier(saved)
    else:
        print(f"Judge: training Week 3's full classifier on {source!r} (early stopping; a progress bar per epoch)")
        net, _ = train_digit_classifier(load_digits_dataset(source), ClassifierConfig.preset("full"), verbose=1)
    slim = keras.models.clone_model(net)  # the same layers and weights, no optimizer state to ship
    slim.set_weights(net.get_weights())
    path = Path(path) if path is not None else judge_file(source)
    with replaced_atomically(path) as tmp:
        slim.save(tmp)
    return path


def _to_unit(images, value_range) -> np.ndarray:
    """Images -> float32 NHWC in [0, 1] (what the classifier takes), with a clear error if off-range."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or len(x) == 0:
        raise ValueError(f"expected a non-empty batch of images (N, H, W[, C]), got shape {np.shape(images)}")
    if tuple(value_range) == TANH_RANGE and x.min() >= 0 and x.max() > 0:
        # a GAN's tanh images always have a dark (negative) background: these look like [0, 1] images
        raise ValueError("images declared in [-1, 1] have no negative values: they look like [0, 1] images, "
                         "so pass value_range=(0, 1) (real_range/fake_range for the FCD)")
    return convert_range(x, value_range, UNIT_RANGE)


def predict_probs(classifier, images, *, value_range=TANH_RANGE, batch_size: int = 256) -> np.ndarray:
    """Class probabilities ``(N, classes)`` from ``classifier`` (which takes [0, 1] images)."""
    x = _to_unit(images, value_range)
    return np.asarray(run_model(classifier, x, batch_size=batch_size), dtype=np.float64)


@dataclass
class DigitJudgement:
    """What the classifier makes of a batch of generated digits."""

    counts: np.ndarray          # how many images per predicted class (all images)
    confident_counts: np.ndarray  # the same, counting only confident predictions
    confident_share: float      # share of images whose top probability exceeds the threshold
    mean_confidence: float      # mean top probability
    classes_present: int        # classes with at least one confident image
    threshold: float

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def class_shares(self) -> np.ndarray:
        return self.counts / max(1, self.n)

    @property
    def largest_class_share(self) -> float:
        """Share of the most frequent class: 0.1 for a perfect balance of ten, 1.0 for total collapse."""
        return float(self.class_shares.max())

    def summary(self) -> str:
        # classes_present counts confident digits only; the most common class counts every digit
        return (f"{self.confident_share:.1%} of {self.n} digits classified with confidence > {self.threshold:g} "
                f"({self.classes_present} of {len(self.counts)} classes among them); mean confidence "
                f"{self.mean_confidence:.2f}; the most common class is {self.largest_class_share:.0%} of all the digits")


def judge_probs(probs, *, threshold: float = CONFIDENT) -> DigitJudgement:
    """Summarise class probabilities ``(N, classes)`` into a ``DigitJudgement``."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or len(p) == 0:
        raise ValueError(f"expected probabilities shaped (N, classes), got {p.shape}")
    if not 0 < threshold < 1:
        raise ValueError(f"threshold should be in (0, 1), got {threshold}")
    top, label = p.max(axis=1), p.argmax(axis=1)
    confident = top > threshold
    k = p.shape[1]
    confident_counts = np.bincount(label[confident], minlength=k)
    return DigitJudgement(counts=np.bincount(label, minlength=k), confident_counts=confident_counts,
                          confident_share=float(confident.mean()), mean_confidence=float(top.mean()),
                          classes_present=int((confident_counts > 0).sum()), threshold=threshold)


def judge_digits(images, classifier, *, threshold: float = CONFIDENT, value_range=TANH_RANGE) -> DigitJudgement:
    """Classify generated digits and summarise: confidence, histogram, classes present."""
    return judge_probs(predict_probs(classifier, images, value_range=value_range), threshold=threshold)


def label_agreement(images, labels, classifier, *, threshold: float = 0.0, value_range=TANH_RANGE) -> float:
    """Share of images that the classifier assigns to the digit they were asked for (a conditional
    GAN's ``labels``), counting only predictions with confidence above ``threshold``."""
    labels = np.asarray(labels).astype(int).ravel()
    probs = predict_probs(classifier, images, value_range=value_range)
    if len(labels) != len(probs):
        raise ValueError(f"got {len(labels)} labels for {len(probs)} images")
    hit = (probs.argmax(axis=1) == labels) & (probs.max(axis=1) > threshold)
    return float(hit.mean())


def plot_class_histogram(judgement: DigitJudgement, *, ax=None, title: str | None = None, label: str | None = None):
    """Bars of the share of each predicted class; the darker part of a bar is the confident share."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    k, n = len(judgement.counts), max(1, judgement.n)
    classes = np.arange(k)
    ax.bar(classes, judgement.counts / n, color="tab:blue", alpha=0.35, label="all")
    ax.bar(classes, judgement.confident_counts / n, color="tab:blue",
           label=f"confidence > {judgement.threshold:g}")
    ax.axhline(1 / k, color="gray", ls="--", lw=1, label="even share")
    ax.set_xticks(classes)
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("share of generated digits")
    ax.set_title(title or label or f"{judgement.confident_share:.0%} confident, "
                 f"{judgement.classes_present} classes")
    ax.legend(fontsize=7)
    return ax.figure


# ------------------------------------------------------------------ Fréchet distance
def classifier_features(classifier, images, *, layer: str = "features", value_range=TANH_RANGE,
                        batch_size: int = 256) -> np.ndarray:
    """Activations of ``classifier``'s layer named ``layer`` (the Week 3 CNN's last hidden layer)."""
    x = _to_unit(images, value_range)
    return np.asarray(run_model(_feature_extractor(classifier, layer), x, batch_size=batch_size), dtype=np.float64)


_EXTRACTORS = weakref.WeakKeyDictionary()  # classifier -> {layer: model}


def _feature_extractor(classifier, layer: str):
    """The model from ``classifier``'s input to its layer ``layer``, built once per classifier (a new model
    compiles its graph again, which costs more than running it on a few hundred digits)."""
    import keras

    built = _EXTRACTORS.setdefault(classifier, {})
    if layer not in built:
        try:
            feature_layer = classifier.get_layer(layer)
        except ValueError as err:
            names = ", ".join(lyr.name for lyr in classifier.layers)
            raise ValueError(f"the classifier has no layer named {layer!r} (it has: {names})") from err
        built[layer] = keras.Model(classifier.inputs, feature_layer.output)
    return built[layer]


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2):
    ``|mu1 - mu2|^2 + trace(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))``."""
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    s1, s2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (len(mu1), len(mu1)):
        raise ValueError(f"means and covariances do not fit together: {mu1.shape}, {mu2.shape}, "
                         f"{s1.shape}, {s2.shape}")
    with warnings.catch_warnings():
        # dead ReLU features make the covariances singular; the result is still usable (checked below)
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
    if not np.isfinite(covmean).all():
        # a nearly singular product: nudge both covariances, as the FID reference code does
        eps = np.eye(len(mu1)) * 1e-6
        covmean = linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = np.real(covmean)
    return float(max(0.0, np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean)))


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"need at least 2 feature vectors shaped (N, D), got {f.shape}")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_classifier_distance(real_images, fake_images, classifier, *, real_range=UNIT_RANGE, fake_range=TANH_RANGE,
                                layer: str = "features") -> float:
    """FCD between real digits (default [0, 1], as loaded) and generated ones (default [-1, 1]).

    Use the same number of images on both sides (a few thousand for stable numbers);
    compare FCDs only when computed with the same classifier and sample sizes.
    """
    real = classifier_features(classifier, real_images, layer=layer, value_range=real_range)
    fake = classifier_features(classifier, fake_images, layer=layer, value_range=fake_range)
    return frechet_distance(*feature_statistics(real), *feature_statistics(fake))


# ------------------------------------------------------------------ fidelity in pixels
SSIM_SIGMA = 1.5  # Wang et al.'s Gaussian window (11 x 11 after truncation at 3.5 sigma)
_SSIM_K1, _SSIM_K2 = 0.01, 0.03


def _as_unit_stack(images, value_range) -> np.ndarray:
    """(N, H, W[, 1]) images in ``value_range`` -> float64 (N, H, W) in [0, 1]."""
    x = _to_unit(images, value_range)
    if x.shape[-1] != 1:
        raise ValueError(f"expected grey images (one channel), got shape {np.shape(images)}")
    return x[..., 0].astype(np.float64)


def ssim(images_a, images_b, *, value_range=UNIT_RANGE, range_b=None) -> np.ndarray:
    """Structural similarity (Wang et al., 2004) of each pair ``images_a[i]``, ``images_b[i]``: ``(N,)``.

    Local means, variances and covariance under a Gaussian window (sigma 1.5 px) give
    ``(2 mu_a mu_b + C1)(2 cov + C2) / ((mu_a^2 + mu_b^2 + C1)(var_a + var_b + C2))`` at every pixel,
    averaged over the pixels whose window lies inside the image. 1 means the same image; it
    is lower for different shapes even when the ink is similar. Both sets are compared in [0, 1]
    (``value_range`` for ``images_a``, ``range_b`` for ``images_b``, the same by default).
    """
    from scipy.ndimage import gaussian_filter

    a = _as_unit_stack(images_a, value_range)
    b = _as_unit_stack(images_b, value_range if range_b is None else range_b)
    if a.shape != b.shape:
        raise ValueError(f"ssim compares images pair by pair: got {a.shape} and {b.shape}")

    def blur(x):
        return gaussian_filter(x, sigma=(0, SSIM_SIGMA, SSIM_SIGMA), truncate=3.5, mode="reflect")

    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = _SSIM_K1**2, _SSIM_K2**2  # the data range is 1
    local = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    edge = int(3.5 * SSIM_SIGMA + 0.5)  # window half-width: skip the border, where the window leaves the image
    inner = local[:, edge:-edge, edge:-edge] if min(a.shape[1:]) > 2 * edge else local
    return inner.mean(axis=(1, 2))


def nearest_real(images, labels, real_images, real_labels, *, value_range=TANH_RANGE, real_range=UNIT_RANGE):
    """For each image, the real image of the same class with the smallest mean squared pixel difference.

    Returns ``(index into real_images, MSE)``, each ``(N,)``; pixels compared in [0, 1].
    """
    x = _as_unit_stack(images, value_range).reshape(len(images), -1)
    r = _as_unit_stack(real_images, real_range).reshape(len(real_images), -1)
    labels, real_labels = np.asarray(labels).ravel(), np.asarray(real_labels).ravel()
    if len(labels) != len(x) or len(real_labels) != len(r):
        raise ValueError(f"got {len(labels)} labels for {len(x)} images and {len(real_labels)} for "
                         f"{len(r)} real images")
    index, mse = np.zeros(len(x), np.int64), np.zeros(len(x))
    for c in np.unique(labels):
        mine, theirs = np.flatnonzero(labels == c), np.flatnonzero(real_labels == c)
        if len(theirs) == 0:
            raise ValueError(f"no real image of class {c} to compare with")
        # |x - r|^2 = |x|^2 + |r|^2 - 2 x.r, for every pair at once
        d = (x[mine] ** 2).sum(1)[:, None] + (r[theirs] ** 2).sum(1)[None, :] - 2 * x[mine] @ r[theirs].T
        best = d.argmin(axis=1)
        index[mine], mse[mine] = theirs[best], np.maximum(d[np.arange(len(mine)), best], 0) / x.shape[1]
    return index, mse


def fidelity_to_real(images, labels, train_images, train_labels, test_images, test_labels, *,
                     value_range=TANH_RANGE, real_range=UNIT_RANGE, copy_quantile: float = 0.01) -> dict:
    """How close generated digits are to real ones of their class, and whether they are copies.

    For every generated digit (its class: ``labels``, the digit it was asked for), its nearest
    training digit of the same class (``nearest_real``) gives an MSE and an SSIM. Real test digits
    get the same against the training digits: what a new, real digit scores. The copy check counts
    the generated digits closer to their nearest training digit than the ``copy_quantile`` closest
    real test digits are (real test digits: ``copy_quantile`` by construction; a copier: near 1).
    """
    if not 0 < copy_quantile < 1:
        raise ValueError(f"copy_quantile should be in (0, 1), got {copy_quantile}")
    index, mse = nearest_real(images, labels, train_images, train_labels, value_range=value_range,
                              real_range=real_range)
    real_index, real_mse = nearest_real(test_images, test_labels, train_images, train_labels,
                                        value_range=real_range, real_range=real_range)
    train = np.asarray(train_images)
    threshold = float(np.quantile(real_mse, copy_quantile))
    return {
        "mse_to_nearest_training_digit": float(mse.mean()),
        "ssim_to_nearest_training_digit": float(ssim(images, train[index], value_range=value_range,
                                                     range_b=real_range).mean()),
        "real_test_mse_to_nearest_training_digit": float(real_mse.mean()),
        "real_test_ssim_to_nearest_training_digit": float(ssim(test_images, train[real_index],
                                                               value_range=real_range).mean()),
        "copy_threshold_mse": threshold,
        "copy_quantile": copy_quantile,
        "copy_share": float((mse < threshold).mean()),
    }


__all__ = [
    "CONFIDENT", "SSIM_SIGMA", "export_judge", "judge_file", "load_judge", "fidelity_to_real", "nearest_real", "ssim",
    "DigitJudgement", "classifier_features", "feature_statistics", "frechet_classifier_distance",
    "frechet_distance", "judge_digits", "judge_probs", "label_agreement", "plot_class_histogram", "predict_probs",
]
