"""course_lib.metrics: judging generated digits with a classifier."""
import numpy as np
import pytest

from course_lib import metrics as M

pytestmark = pytest.mark.xdist_group("test_metrics")


def _probs(labels, confidence, k=10):
    """One row per label: `confidence` on the label, the rest spread evenly."""
    p = np.full((len(labels), k), (1 - confidence) / (k - 1))
    p[np.arange(len(labels)), labels] = confidence
    return p


def test_judge_probs_counts_confidence_and_classes():
    labels = np.array([0, 0, 1, 2, 3, 3, 3, 9])
    conf = np.array([0.99, 0.95, 0.5, 0.97, 0.92, 0.3, 0.91, 0.6])
    p = np.vstack([_probs([lab], c) for lab, c in zip(labels, conf)])
    j = M.judge_probs(p)
    np.testing.assert_array_equal(j.counts, np.bincount(labels, minlength=10))
    np.testing.assert_array_equal(j.confident_counts, [2, 0, 1, 2, 0, 0, 0, 0, 0, 0])
    assert j.confident_share == pytest.approx(5 / 8)
    assert j.mean_confidence == pytest.approx(conf.mean())
    assert j.classes_present == 3
    assert j.largest_class_share == pytest.approx(3 / 8)
    assert "of 8 digits" in j.summary() and "3 of 10 classes" in j.summary()


def test_collapse_and_balance_are_told_apart():
    collapsed = M.judge_probs(_probs(np.full(100, 7), 0.99))
    balanced = M.judge_probs(_probs(np.arange(100) % 10, 0.99))
    assert collapsed.classes_present == 1 and collapsed.largest_class_share == 1.0
    assert balanced.classes_present == 10 and balanced.largest_class_share == pytest.approx(0.1)


def test_threshold_is_strict_and_validated():
    j = M.judge_probs(_probs([1, 2], 0.9), threshold=0.9)
    assert j.confident_share == 0.0, "'confidence above 0.9' excludes exactly 0.9"
    with pytest.raises(ValueError, match="threshold"):
        M.judge_probs(_probs([1], 0.9), threshold=1.5)
    with pytest.raises(ValueError, match="probabilities"):
        M.judge_probs(np.ones(10))


def test_frechet_distance_closed_forms():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 5))
    cov = a @ a.T + np.eye(5)
    mu = rng.normal(size=5)
    assert M.frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-6)
    assert M.frechet_distance(mu, cov, mu + 2.0, cov) == pytest.approx(4.0 * 5, rel=1e-5)
    # diagonal covariances: sum of (sqrt(a) - sqrt(b))^2
    d1, d2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    expected = np.sum((np.sqrt(d1) - np.sqrt(d2)) ** 2)
    assert M.frechet_distance(np.zeros(3), np.diag(d1), np.zeros(3), np.diag(d2)) == pytest.approx(expected)
    with pytest.raises(ValueError, match="do not fit"):
        M.frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))


@pytest.fixture(scope="module")
def tiny_classifier():
    """An untrained stand-in with the Week 3 classifier's interface: [0, 1] images in, a
    `features` layer, softmax out. Its first pixel decides its answer, so results are known."""
    import keras

    net = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(4, activation="relu", name="features"),
        keras.layers.Dense(10, activation="softmax", name="probs"),
    ])
    w1 = np.zeros((784, 4), np.float32)
    w1[0, 0] = 1.0  # feature 0 = the first pixel
    net.get_layer("features").set_weights([w1, np.zeros(4, np.float32)])
    w2 = np.zeros((4, 10), np.float32)
    w2[0, 3] = 50.0  # a bright first pixel means "3", confidently
    net.get_layer("probs").set_weights([w2, np.zeros(10, np.float32)])
    return net


def test_judge_digits_converts_gan_range(tiny_classifier):
    images = -np.ones((6, 28, 28, 1), np.float32)  # black in GAN range
    images[:4, 0, 0, 0] = 1.0                       # four have a white first pixel
    j = M.judge_digits(images, tiny_classifier)
    assert j.counts[3] == 4 and j.confident_counts[3] == 4
    assert j.confident_share == pytest.approx(4 / 6)
    # the same images in [0, 1]
    j01 = M.judge_digits((images + 1) / 2, tiny_classifier, value_range=(0, 1))
    np.testing.assert_array_equal(j01.counts, j.counts)
    with pytest.raises(ValueError, match=r"should be in \[-1, 1\]"):
        M.judge_digits(images * 255, tiny_classifier)
    with pytest.raises(ValueError, match="look like \\[0, 1\\] images"):
        M.judge_digits((images + 1) / 2, tiny_classifier)


def test_label_agreement(tiny_classifier):
    images = -np.ones((4, 28, 28, 1), np.float32)
    images[:2, 0, 0, 0] = 1.0  # classified as 3 with confidence
    assert M.label_agreement(images, [3, 3, 3, 3], tiny_classifier) == pytest.approx(0.5)
    assert M.label_agreement(images, [3, 0, 3, 0], tiny_classifier, threshold=0.9) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="labels"):
        M.label_agreement(images, [3], tiny_classifier)


def test_frechet_classifier_distance(tiny_classifier):
    rng = np.random.default_rng(0)
    real = rng.uniform(0, 1, (64, 28, 28, 1)).astype(np.float32)
    same = real * 2 - 1
    assert M.frechet_classifier_distance(real, same, tiny_classifier) == pytest.approx(0.0, abs=1e-6)
    shifted = np.clip(same + 0.5, -1, 1)
    assert M.frechet_classifier_distance(real, shifted, tiny_classifier) > 0.01
    feats = M.classifier_features(tiny_classifier, real, value_range=(0, 1))
    assert feats.shape == (64, 4)
    with pytest.raises(ValueError, match="no layer named"):
        M.classifier_features(tiny_classifier, real, layer="penultimate", value_range=(0, 1))


def test_plot_class_histogram():
    import matplotlib

    matplotlib.use("Agg")
    fig = M.plot_class_histogram(M.judge_probs(_probs(np.arange(20) % 10, 0.95)))
    assert len(fig.axes[0].patches) == 20  # all and confident bars


# ----------------------------------------------------------------- fidelity in pixels
def _blobs(n=12, seed=0):
    """Smooth random grey images in [0, 1], (n, 28, 28, 1)."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    x = gaussian_filter(rng.uniform(size=(n, 28, 28)), sigma=(0, 2, 2))
    x = (x - x.min()) / (x.max() - x.min())
    return x[..., None].astype(np.float32)


def test_ssim_is_one_for_the_same_image_and_falls_with_noise():
    x = _blobs()
    np.testing.assert_allclose(M.ssim(x, x), 1.0, atol=1e-9)
    rng = np.random.default_rng(1)
    light = np.clip(x + rng.normal(0, 0.05, x.shape), 0, 1)
    heavy = np.clip(x + rng.normal(0, 0.3, x.shape), 0, 1)
    s_light, s_heavy = M.ssim(x, light), M.ssim(x, heavy)
    assert (s_light < 1).all() and (s_heavy < s_light).all()
    np.testing.assert_allclose(M.ssim(light, x), s_light, rtol=1e-9)  # symmetric
    # the same images in the GAN's range give the same SSIM when told so
    np.testing.assert_allclose(M.ssim(x * 2 - 1, light, value_range=(-1, 1), range_b=(0, 1)), s_light, rtol=1e-6)
    with pytest.raises(ValueError, match="pair by pair"):
        M.ssim(x, x[:3])


def test_ssim_of_constant_images_matches_the_closed_form():
    a, b = np.full((1, 28, 28), 0.2), np.full((1, 28, 28), 0.6)
    c1 = 0.01 ** 2  # no variance anywhere: only the luminance term is left
    expected = (2 * 0.2 * 0.6 + c1) / (0.2 ** 2 + 0.6 ** 2 + c1)
    assert M.ssim(a, b)[0] == pytest.approx(expected, rel=1e-6)


def test_nearest_real_finds_the_closest_image_of_the_same_class():
    real = _blobs(10, seed=2)
    labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    queries = np.clip(real[[1, 4, 8]] + 0.01, 0, 1) * 2 - 1  # near images 1, 4, 8, in the GAN's range
    index, mse = M.nearest_real(queries, [0, 1, 2], real, labels)
    np.testing.assert_array_equal(index, [1, 4, 8])
    assert (mse < 2e-4).all()
    # asked for another class, the nearest image must come from that class
    index, _ = M.nearest_real(queries[:1], [2], real, labels)
    assert labels[index[0]] == 2
    with pytest.raises(ValueError, match="no real image of class 7"):
        M.nearest_real(queries[:1], [7], real, labels)
    with pytest.raises(ValueError, match="labels"):
        M.nearest_real(queries, [0], real, labels)


def test_fidelity_flags_copies_and_not_new_images():
    train, test = _blobs(40, seed=3), _blobs(20, seed=4)
    y_train, y_test = np.arange(40) % 2, np.arange(20) % 2
    copies = M.fidelity_to_real(train[:10] * 2 - 1, y_train[:10], train, y_train, test, y_test)
    assert copies["copy_share"] == 1.0 and copies["ssim_to_nearest_training_digit"] == pytest.approx(1.0)
    assert copies["mse_to_nearest_training_digit"] == pytest.approx(0.0, abs=1e-9)
    new = M.fidelity_to_real(_blobs(10, seed=5) * 2 - 1, np.arange(10) % 2, train, y_train, test, y_test)
    assert new["copy_share"] == 0.0 and new["ssim_to_nearest_training_digit"] < 0.99
    # the baseline: real test digits against the training digits, the same numbers either way
    assert new["real_test_mse_to_nearest_training_digit"] == copies["real_test_mse_to_nearest_training_digit"] > 0
    with pytest.raises(ValueError, match="copy_quantile"):
        M.fidelity_to_real(train[:2], [0, 1], train, y_train, test, y_test, copy_quantile=1.5)
