"""course_lib.gan: losses, builders, the GAN model (GAN-CLS included), checkpoints and resuming."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course_lib import gan as G  # noqa: E402
from course_lib.gan import CheckpointError  # noqa: E402
from course_lib.plotting import tile_images, write_gif  # noqa: E402

SMALL = (8, 8, 1)


def _sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, np.float64)))


# ============================================================================ losses
def test_label_convention_real_is_one_fake_is_zero():
    confident_right = G.discriminator_loss([[8.0], [6.0]], [[-8.0], [-6.0]])
    confident_wrong = G.discriminator_loss([[-8.0], [-6.0]], [[8.0], [6.0]])
    assert float(confident_right) < 0.01 < 10 < float(confident_wrong)
    assert G.REAL_LABEL == 1.0 and G.FAKE_LABEL == 0.0
    # the generator wins (low loss) when D calls its images real
    assert float(G.generator_loss([[8.0]])) < 0.01 < 5 < float(G.generator_loss([[-8.0]]))


def test_losses_match_keras_and_the_formulas():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(16, 1)) * 3, rng.normal(size=(16, 1)) * 3
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    d = float(G.discriminator_loss(real, fake))
    assert d == pytest.approx(float(bce(np.ones_like(real), real)) + float(bce(np.zeros_like(fake), fake)), rel=1e-5)
    p_real, p_fake = _sigmoid(real), _sigmoid(fake)
    by_hand = -np.mean(np.log(p_real)) - np.mean(np.log(1 - p_fake))
    assert d == pytest.approx(by_hand, rel=1e-5)
    assert float(G.value_function(real, fake)) == pytest.approx(-by_hand, rel=1e-5)
    assert float(G.generator_loss(fake)) == pytest.approx(-np.mean(np.log(p_fake)), rel=1e-5)
    assert float(G.generator_loss(fake, saturating=True)) == pytest.approx(np.mean(np.log(1 - p_fake)), rel=1e-5)
    smoothed = float(G.discriminator_loss(real, fake, real_label=0.9))
    expected = -np.mean(0.9 * np.log(p_real) + 0.1 * np.log(1 - p_real)) - np.mean(np.log(1 - p_fake))
    assert smoothed == pytest.approx(expected, rel=1e-5)


def test_losses_are_finite_for_extreme_logits_and_per_example_shapes():
    huge = np.array([[1e4], [-1e4]], np.float32)
    assert np.isfinite(float(G.discriminator_loss(huge, huge)))
    assert np.isfinite(float(G.generator_loss(huge, saturating=True)))
    per = G.discriminator_loss(np.zeros((5, 1)), np.zeros((5, 1)), per_example=True)
    assert tuple(per.shape) == (5,)
    np.testing.assert_allclose(np.asarray(per), 2 * np.log(2), rtol=1e-6)
    # spatial logits (e.g. a patch discriminator) are averaged per example
    assert tuple(G.bce_with_logits(1.0, np.zeros((3, 4, 4, 1))).shape) == (3,)
    with pytest.raises(ValueError, match="batch axis"):
        G.bce_with_logits(1.0, 0.0)


def test_saturating_loss_gradient_vanishes_when_d_rejects_fakes():
    import tensorflow as tf

    logits = tf.constant([[-6.0]])  # D(G(z)) ~ 0.0025: D confidently rejects the fake
    grads = []
    for saturating in (True, False):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            loss = G.generator_loss(logits, saturating=saturating)
        grads.append(abs(float(tape.gradient(loss, logits)[0, 0])))
    assert grads[0] < 0.01 < 0.9 < grads[1]


# ============================================================================ builders
def test_mlp_builders_layer_types_shapes_and_ranges():
    g, d = G.build_mlp_generator(), G.build_mlp_discriminator()
    dense = [layer.units for layer in g.layers if isinstance(layer, keras.layers.Dense)]
    assert dense == [256, 512, 1024, 784]
    assert g.input_shape == (None, 100) and g.output_shape == (None, 28, 28, 1)
    assert sum(isinstance(layer, keras.layers.LeakyReLU) for layer in g.layers) == 3
    assert [layer.units for layer in d.layers if isinstance(layer, keras.layers.Dense)] == [1024, 512, 256, 1]
    assert sum(isinstance(layer, keras.layers.Dropout) for layer in d.layers) == 3
    images = g(G.sample_noise(8, 100) * 20)
    assert np.abs(np.asarray(images)).max() <= 1.0, "generator output should be in [-1, 1] (tanh)"
    assert d(images).shape == (8, 1)


def test_dcgan_builders():
    g = G.build_dcgan_generator(16, (32, 16))
    d = G.build_dcgan_discriminator(filters=(8, 16))
    types = [type(layer).__name__ for layer in g.layers]
    assert types.count("Conv2DTranspose") == 2 and types.count("BatchNormalization") == 2 and "ReLU" in types
    assert g.output_shape == (None, 28, 28, 1)
    assert [layer.strides for layer in d.layers if isinstance(layer, keras.layers.Conv2D)] == [(2, 2), (2, 2)]
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in d.layers)
    assert any(isinstance(layer, keras.layers.LeakyReLU) for layer in d.layers)
    images = np.asarray(g(G.sample_noise(4, 16), training=False))
    assert images.min() >= -1 and images.max() <= 1
    assert d.output_shape == (None, 1)
    with_std = G.build_dcgan_discriminator(filters=(8, 16), minibatch_std=True)
    assert with_std.get_layer("minibatch_std").output.shape[-1] == 9
    assert G.build_dcgan_generator(8, (8, 4, 2), image_shape=(32, 32, 3)).output_shape == (None, 32, 32, 3)
    with pytest.raises(ValueError, match="doublings"):
        G.build_dcgan_generator(8, (8, 4, 2))  # 28 is not divisible by 8
    with pytest.raises(ValueError, match="latent_dim"):
        G.build_dcgan_generator(0)


def test_dcgan_refine_block_and_hidden_dense_layer():
    plain = G.build_dcgan_generator(16, (32, 16), kernel_size=5)
    refined = G.build_dcgan_generator(16, (32, 16), kernel_size=5, refine=True)
    block = refined.get_layer("refine")
    assert block.strides == (1, 1) and block.kernel_size == (5, 5) and block.output.shape[1:] == (7, 7, 32)
    assert refined.count_params() > plain.count_params() and refined.output_shape == (None, 28, 28, 1)
    d = G.build_dcgan_discriminator(filters=(8, 16), dense_units=24)
    assert d.get_layer("hidden").units == 24 and d.output_shape == (None, 1)
    assert "hidden" not in [layer.name for layer in G.build_dcgan_discriminator(filters=(8, 16)).layers]
    with pytest.raises(ValueError, match="dense_units"):
        G.build_dcgan_discriminator(filters=(8, 16), dense_units=-1)


@pytest.mark.parametrize("cond_dim", [1, 10, 300])
def test_conditional_builders_take_any_condition_size(cond_dim):
    g = G.build_conditional_generator(12, cond_dim, filters=(16, 8))
    d = G.build_conditional_discriminator(cond_dim, filters=(8, 16))
    z, cond = G.sample_noise(3, 12), np.random.default_rng(0).normal(size=(3, cond_dim)).astype("float32")
    images = np.asarray(g([z, cond], training=False))
    assert images.shape == (3, 28, 28, 1) and np.abs(images).max() <= 1
    assert d([images, cond], training=False).shape == (3, 1)
    assert [t.name for t in g.inputs] == ["z", "cond"] and [t.name for t in d.inputs] == ["image", "cond"]
    # the condition reaches the output: another condition, another image
    other = np.asarray(g([z, cond + 3.0], training=False))
    assert np.abs(other - images).max() > 1e-4
    # G sees the condition again at every position of its first feature map
    assert g.get_layer("cond_tiled").output.shape[1:3] == g.get_layer("reshape").output.shape[1:3]
    # D's logit is an image term plus the agreement <phi(image), psi(cond)>
    assert d.get_layer("match_term").output.shape[1:] == (1,)


# ============================================================================ the GAN model
def _tiny_gan(**kwargs):
    g = G.build_mlp_generator(4, (16,), image_shape=SMALL)
    d = G.build_mlp_discriminator(SMALL, (16,), dropout=0.0)
    gan = G.GAN(g, d, **kwargs)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


def _real(n=32, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + SMALL).astype("float32")


def _snapshot(model):
    return [w.numpy().copy() for w in model.trainable_weights]


def _changed(before, model):
    return any(not np.array_equal(a, b.numpy()) for a, b in zip(before, model.trainable_weights))


def test_d_step_changes_only_d_and_g_step_only_g():
    gan = _tiny_gan()
    g0, d0 = _snapshot(gan.generator), _snapshot(gan.discriminator)
    loss, d_real, d_fake = gan.d_step(_real())
    assert np.isfinite(float(loss)) and 0 <= float(d_real) <= 1 and 0 <= float(d_fake) <= 1
    assert _changed(d0, gan.discriminator), "the discriminator step should update D"
    assert not _changed(g0, gan.generator), "the discriminator step must not update G"
    d1 = _snapshot(gan.discriminator)
    assert np.isfinite(float(gan.g_step(32)))
    assert _changed(g0, gan.generator), "the generator step should update G"
    assert not _changed(d1, gan.discriminator), "the generator step must not update D"


def test_discriminator_learns_real_from_fake_on_a_fixed_batch():
    gan = _tiny_gan()
    real = _real()
    first = float(gan.d_step(real)[0])
    for _ in range(30):
        last = float(gan.d_step(real)[0])
    assert last < first


def test_fit_reports_finite_losses_and_tricks_are_accepted():
    gan = _tiny_gan(real_label=0.9, instance_noise=0.1)
    hist = gan.fit(_real(64), batch_size=16, epochs=2, verbose=0).history
    assert set(hist) >= {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v).all() for v in hist.values())
    assert gan.generate(n=5).shape == (5,) + SMALL
    # integer labels in a (x, y) dataset are ignored by an unconditional GAN
    gan.fit(_real(32), np.arange(32), batch_size=16, epochs=1, verbose=0)


def test_conditional_gan_trains_and_generates():
    g = G.build_conditional_generator(8, 3, cond_proj_dim=4, filters=(8, 4))
    d = G.build_conditional_discriminator(3, features=8, cond_hidden=4, filters=(4, 8))
    gan = G.GAN(g, d)
    gan.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    cond = np.eye(3, dtype="float32")[np.arange(16) % 3]
    hist = gan.fit(images, cond, batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(hist["d_loss"][0])
    assert gan.generate(cond=cond[:4]).shape == (4, 28, 28, 1)
    with pytest.raises(ValueError, match="condition"):
        gan.generate(n=4)


def test_gan_rejects_bad_configurations():
    g = G.build_mlp_generator(4, (8,), image_shape=SMALL)
    with pytest.raises(ValueError, match="expects"):
        G.GAN(g, G.build_mlp_discriminator((4, 4, 1), (8,)))
    with pytest.raises(ValueError, match="inputs"):
        G.GAN(g, G.build_conditional_discriminator(2))
    with pytest.raises(ValueError, match="real_label"):
        G.GAN(g, G.build_mlp_discriminator(SMALL, (8,)), real_label=0.0)
    gan = G.GAN(g, G.build_mlp_discriminator(SMALL, (8,)))
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="own optimizers"):
        gan.compile(shared, shared)


# ============================================================================ GAN-CLS, through the steps fit() runs
COND_DIM = 3


def _cls_gan(mismatch_weight=0.5, real_label=1.0):
    """A conditional GAN whose logits can be worked out by hand: G draws one fixed image whatever z and the
    condition (its kernel is zero, so its output is tanh(bias)); D is one Dense layer on [image, condition]."""
    z, cond = keras.Input((4,), name="z"), keras.Input((COND_DIM,), name="cond")
    pixels = keras.layers.Dense(int(np.prod(SMALL)), activation="tanh", kernel_initializer="zeros",
                                bias_initializer=keras.initializers.RandomNormal(seed=1))
    g = keras.Model([z, cond], keras.layers.Reshape(SMALL)(pixels(keras.layers.Concatenate()([z, cond]))))
    image, d_cond = keras.Input(SMALL, name="image"), keras.Input((COND_DIM,), name="cond")
    joint = keras.layers.Concatenate()([keras.layers.Flatten()(image), d_cond])
    d = keras.Model([image, d_cond], keras.layers.Dense(1, kernel_initializer=keras.initializers.RandomNormal(
        stddev=2.0, seed=2))(joint))
    gan = G.GAN(g, d, mismatch_weight=mismatch_weight, real_label=real_label)
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    return gan


def _cls_batch(n=6, seed=0):
    """Real images and conditions as tensors, as fit() hands them to train_step."""
    rng = np.random.default_rng(seed)
    return (keras.ops.convert_to_tensor(rng.uniform(-1, 1, (n,) + SMALL).astype("float32")),
            keras.ops.convert_to_tensor(rng.normal(size=(n, COND_DIM)).astype("float32")))


def _softplus(x):
    return np.logaddexp(0.0, np.asarray(x, np.float64))


def _logits(gan, images, cond):
    return np.asarray(gan.discriminator([np.asarray(images), np.asarray(cond)], training=True), np.float64)[:, 0]


def _drawn(gan, cond):
    """The one image G draws (for any z), once per condition."""
    return np.asarray(gan.generator([np.zeros((len(cond), 4), "float32"), np.asarray(cond)]))


def _expected_d_loss(gan, images, cond, w, real_label=1.0):
    """GAN-CLS by hand: BCE(D(x, c), real) + (1 - w) BCE(D(G(z, c), c), 0) + w BCE(D(x, c'), 0), c' = the
    previous example's condition. BCE(l, y) = y softplus(-l) + (1 - y) softplus(l)."""
    fake = _drawn(gan, cond)
    real_l, fake_l = _logits(gan, images, cond), _logits(gan, fake, cond)
    wrong_l = _logits(gan, images, np.roll(np.asarray(cond), 1, axis=0))
    real_term = real_label * _softplus(-real_l) + (1 - real_label) * _softplus(real_l)
    return np.mean(real_term + (1 - w) * _softplus(fake_l) + w * _softplus(wrong_l))


@pytest.mark.parametrize("w", [0.0, 0.5, 0.8])
def test_gan_cls_d_loss_is_real_1_fake_0_and_mismatched_0(w):
    gan = _cls_gan(mismatch_weight=w)
    images, cond = _cls_batch()
    expected = _expected_d_loss(gan, images, cond, w)
    p_real = np.mean(1 / (1 + np.exp(-_logits(gan, images, cond))))
    loss, d_real, _ = gan.d_step(images, cond)
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    assert float(d_real) == pytest.approx(p_real, rel=1e-5), "d_real is D's mean probability on matched real pairs"


def test_gan_cls_mismatched_pairs_use_another_examples_condition():
    images, cond = _cls_batch()
    gan = _cls_gan(mismatch_weight=0.5)
    loss = float(gan.d_step(images, cond)[0])
    # the same formula with the image's own condition in the "mismatched" term gives another number
    fresh = _cls_gan(mismatch_weight=0.5)
    fake = _drawn(fresh, cond)
    own = np.mean(_softplus(-_logits(fresh, images, cond)) + 0.5 * _softplus(_logits(fresh, fake, cond))
                  + 0.5 * _softplus(_logits(fresh, images, cond)))
    assert loss != pytest.approx(own, rel=1e-3)
    assert loss == pytest.approx(_expected_d_loss(fresh, images, cond, 0.5), rel=1e-5)


def test_gan_cls_label_smoothing_applies_to_the_real_pair_only():
    gan = _cls_gan(real_label=0.9)
    images, cond = _cls_batch()
    expected = _expected_d_loss(gan, images, cond, 0.5, real_label=0.9)
    assert float(gan.d_step(images, cond)[0]) == pytest.approx(expected, rel=1e-5)


def test_gan_cls_g_loss_asks_d_to_call_generated_pairs_real():
    gan = _cls_gan()
    images, cond = _cls_batch()
    fake = _drawn(gan, cond)
    expected = np.mean(_softplus(-_logits(gan, fake, cond)))  # BCE(D(G(z, c), c), 1)
    assert float(gan.g_step(len(cond), cond)) == pytest.approx(expected, rel=1e-5)


def test_train_step_reports_the_gan_cls_losses_it_minimises():
    gan = _cls_gan()
    images, cond = _cls_batch()
    expected_d = _expected_d_loss(gan, images, cond, 0.5)
    d_before = _snapshot(gan.discriminator)
    logs = gan.train_step((images, cond))
    assert float(logs["d_loss"]) == pytest.approx(expected_d, rel=1e-5)
    assert _changed(d_before, gan.discriminator) and np.isfinite(float(logs["g_loss"]))


def test_unconditional_gan_has_no_mismatch_term():
    gan = _tiny_gan()
    assert gan.mismatch_weight == 0.0 and not gan.conditional


MIRRORED = textwrap.dedent("""
    import numpy as np, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from course_lib import gan as G

    x = np.random.default_rng(0).uniform(-1, 1, (16, 4, 4, 1)).astype("float32")
    weights = []
    for strategy in (tf.distribute.get_strategy(), tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])):
        keras.utils.set_random_seed(0)
        with strategy.scope():
            g = G.build_mlp_generator(4, (8,), image_shape=(4, 4, 1))
            # G's output ignores z, so D's first step is the same whatever noise each device draws
            g.get_layer("dense_1").kernel.assign(np.zeros((4, 8), "float32"))
            d = G.build_mlp_discriminator((4, 4, 1), (8,), dropout=0.0)
            gan = G.GAN(g, d)
            gan.compile(keras.optimizers.SGD(0.5), keras.optimizers.SGD(0.5))
        before = [w.numpy().copy() for w in d.weights]
        hist = gan.fit(x, batch_size=16, epochs=1, shuffle=False, verbose=0).history
        assert np.isfinite(hist["d_loss"][0]) and np.isfinite(hist["g_loss"][0])
        weights.append([w.numpy() for w in d.weights])
        step = max(np.abs(a - b).max() for a, b in zip(before, weights[-1]))
        print(strategy.num_replicas_in_sync, "replicas, D moved by", step, "d_loss", hist["d_loss"][0])
    diff = max(np.abs(a - b).max() for a, b in zip(*weights))
    print("difference", diff)
    assert diff < 1e-5, f"one device and two devices disagree by {diff}"

    # the conditional GAN (GAN-CLS mismatch term included) trains under the strategy too
    with strategy.scope():
        cgan = G.GAN(G.build_conditional_generator(4, 3, cond_proj_dim=4, filters=(4, 2)),
                     G.build_conditional_discriminator(3, features=4, cond_hidden=4, filters=(2, 4)))
        cgan.compile()
    images = np.random.default_rng(1).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    cond = np.eye(3, dtype="float32")[np.arange(8) % 3]
    chist = cgan.fit(images, cond, batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(chist["d_loss"][0]) and np.isfinite(chist["g_loss"][0])
    print("conditional under", strategy.num_replicas_in_sync, "replicas: ok")
""")


def test_gan_under_mirrored_strategy_matches_one_device():
    proc = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "2 replicas" in proc.stdout and "conditional under 2 replicas: ok" in proc.stdout


# ============================================================================ callbacks
def test_sample_grid_pngs_and_gif(tmp_path):
    from PIL import Image

    gan = _tiny_gan()
    grid = G.SampleGrid(tmp_path / "samples", n=6, ncols=3, scale=1)
    gan.fit(_real(32), batch_size=16, epochs=3, verbose=0, callbacks=[grid])
    pngs = sorted((tmp_path / "samples").glob("epoch-*.png"))
    assert [p.name for p in pngs] == ["epoch-001.png", "epoch-002.png", "epoch-003.png"]
    assert Image.open(pngs[0]).size == (3 * 9 + 1, 2 * 9 + 1)
    gif = Image.open(grid.gif_path)
    assert gif.n_frames == 3
    # the same latent vectors each epoch: the frames differ only because G learned
    assert len(grid.frames) == 3 and not np.array_equal(grid.frames[0][1], grid.frames[2][1])


def test_conditional_sample_grid_draws_one_labelled_row_per_condition(tmp_path):
    g = G.build_conditional_generator(4, 3, cond_proj_dim=4, filters=(4, 2))
    d = G.build_conditional_discriminator(3, features=4, cond_hidden=4, filters=(2, 4))
    gan = G.GAN(g, d)
    gan.compile()
    cond = np.eye(3, dtype="float32")
    grid = G.SampleGrid(tmp_path / "samples", cond=cond, ncols=5, row_labels=["zero", "one", "two"])
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    gan.fit(images, cond[np.arange(8) % 3], batch_size=8, epochs=1, verbose=0, callbacks=[grid])
    drawn = grid.frames[0][1].reshape(3, 5, 28, 28)
    assert (tmp_path / "samples" / "epoch-001.png").is_file() and grid.gif_path.is_file()
    # the same noise in every row: rows differ by their condition only, columns by their noise
    again = gan.generate(np.tile(G.sample_noise(5, 4, 0), (3, 1)), np.repeat(cond, 5, axis=0))
    np.testing.assert_allclose(drawn, again.reshape(3, 5, 28, 28), atol=1e-6)
    with pytest.raises(ValueError, match="row labels"):
        G.SampleGrid(tmp_path, cond=cond, row_labels=["zero"])


def test_fresh_deletes_what_the_run_wrote_and_nothing_else(tmp_path):
    gan = _tiny_gan()
    G.fit_resumable(gan, _real(32), run_dir=tmp_path, epochs=2, batch_size=16, verbose=0,
                    callbacks=[G.SampleGrid(tmp_path / "samples", n=4)])
    (tmp_path / "notes.txt").write_text("mine")
    assert {p.name for p in tmp_path.iterdir()} == {*G.RUN_FILES, "notes.txt"}
    history = G.fit_resumable(_tiny_gan(), _real(32), run_dir=tmp_path, epochs=1, batch_size=16, verbose=0,
                              fresh=True)
    assert history.history["epoch"] == [1], "a fresh run starts at epoch 1"
    assert not (tmp_path / "samples").exists(), "samples of the old run would end up in the new run's GIF"
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_tile_images_and_write_gif_errors(tmp_path):
    sheet = tile_images(-np.ones((5, 2, 2, 1)), ncols=2, pad=1)
    assert sheet.shape == (3 * 3 + 1, 2 * 3 + 1) and sheet.dtype == np.uint8
    assert sheet[1, 1] == 0, "-1 (a GAN's black) should map to pixel value 0"
    with pytest.raises(ValueError, match="no frames"):
        write_gif([], tmp_path / "x.gif")
    with pytest.raises(ValueError, match="grey images"):
        tile_images(np.zeros((2, 3)))


def test_anneal_instance_noise():
    gan = _tiny_gan(instance_noise=0.2)
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(float(self.model.instance_noise.numpy()))

    gan.fit(_real(16), batch_size=16, epochs=3, verbose=0, callbacks=[G.AnnealInstanceNoise(2), Record()])
    np.testing.assert_allclose(seen, [0.2, 0.1, 0.0], atol=1e-6)


# ============================================================================ checkpoints and resuming
TRAIN_SCRIPT = textwrap.dedent("""
    import sys, time
    import keras, numpy as np
    from course_lib import gan as G

    class Slow(keras.callbacks.Callback):  # keeps the run going long enough to be killed mid-way
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.01)

    keras.utils.set_random_seed(0)
    g = G.build_mlp_generator(4, (16,), image_shape=(8, 8, 1))
    d = G.build_mlp_discriminator((8, 8, 1), (16,), dropout=0.0)
    gan = G.GAN(g, d)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    x = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    G.fit_resumable(gan, x, run_dir=sys.argv[1], epochs=500, batch_size=16, verbose=0, callbacks=[Slow()])
""")
STEPS_PER_EPOCH = 4  # 64 images in batches of 16


def _resume_models():
    keras.utils.set_random_seed(1)  # other initial weights: they must be replaced by the checkpoint's
    g = G.build_mlp_generator(4, (16,), image_shape=(8, 8, 1))
    d = G.build_mlp_discriminator((8, 8, 1), (16,), dropout=0.0)
    gan = G.GAN(g, d)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


def test_a_resumed_run_keeps_its_state_but_trains_at_the_rate_it_is_given(tmp_path):
    x = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    G.fit_resumable(_resume_models(), x, run_dir=tmp_path, epochs=1, batch_size=16, verbose=0)
    gan = _resume_models()
    gan.compile(keras.optimizers.Adam(5e-4), keras.optimizers.Adam(2e-4))
    assert G.restore_gan(gan, tmp_path) == 1
    assert int(gan.g_optimizer.iterations.numpy()) == STEPS_PER_EPOCH, "the optimizer's state comes back"
    assert float(gan.d_optimizer.learning_rate.numpy()) == pytest.approx(5e-4)
    assert float(gan.g_optimizer.learning_rate.numpy()) == pytest.approx(2e-4)


@pytest.mark.timeout(1200)  # hang guard only
def test_killed_run_resumes_from_its_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    pointer = run_dir / "checkpoints" / "latest.json"
    proc = subprocess.Popen([sys.executable, "-c", TRAIN_SCRIPT, str(run_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # No stopwatch: a run that never checkpoints finishes its 500 epochs (or dies) and fails below;
        # a real hang is caught by the hang guard on this test.
        while not pointer.exists():
            assert proc.poll() is None, ("the training run ended before its first checkpoint:\n"
                                         + proc.stderr.read())
            time.sleep(0.05)
        time.sleep(0.3)  # let it get into the next epoch
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, "the run should have been killed, not finished"

    info = json.loads(pointer.read_text())
    saved_epoch = info["epoch"]
    assert 1 <= saved_epoch < 500
    assert info["step"] == saved_epoch * STEPS_PER_EPOCH

    gan = _resume_models()
    assert G.restore_gan(gan, run_dir) == saved_epoch
    assert int(gan.g_optimizer.iterations.numpy()) == saved_epoch * STEPS_PER_EPOCH
    assert int(gan.d_optimizer.iterations.numpy()) == saved_epoch * STEPS_PER_EPOCH
    # the restored weights are those in the checkpoint file
    reference = G.build_mlp_generator(4, (16,), image_shape=(8, 8, 1))
    reference.load_weights(run_dir / "checkpoints" / info["folder"] / "generator.weights.h5")
    for a, b in zip(reference.weights, gan.generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())

    # carry on for one more epoch: it starts at the saved epoch and step, and the log is continuous
    gan = _resume_models()
    x = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    history = G.fit_resumable(gan, x, run_dir=run_dir, epochs=saved_epoch + 1, batch_size=16, verbose=0)
    assert int(gan.g_optimizer.iterations.numpy()) == (saved_epoch + 1) * STEPS_PER_EPOCH
    assert history.history["epoch"] == list(range(1, saved_epoch + 2)), "one row per epoch, numbered from 1"
    assert (run_dir / "losses.png").is_file()
    assert json.loads(pointer.read_text())["epoch"] == saved_epoch + 1
    # a finished run returns at once, without training
    again = G.fit_resumable(_resume_models(), x, run_dir=run_dir, epochs=saved_epoch + 1, batch_size=16, verbose=0)
    assert len(again.history["d_loss"]) == saved_epoch + 1


def _one_epoch_run(run_dir):
    gan = _tiny_gan()
    G.fit_resumable(gan, _real(32), run_dir=run_dir, epochs=1, batch_size=16, verbose=0)
    return gan


def test_corrupt_pointer_gives_clear_error_and_keeps_the_run(tmp_path):
    _one_epoch_run(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    (tmp_path / "checkpoints" / "latest.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="latest.json"):
        G.fit_resumable(_tiny_gan(), _real(32), run_dir=tmp_path, epochs=2, batch_size=16, verbose=0)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_corrupt_weights_give_clear_error_and_keep_the_run(tmp_path):
    _one_epoch_run(tmp_path)
    weights = next((tmp_path / "checkpoints").glob("epoch-*/generator.weights.h5"))
    weights.write_bytes(weights.read_bytes()[:100])  # truncated, as by a full disk
    with pytest.raises(CheckpointError, match="cannot restore") as err:
        G.restore_gan(_tiny_gan(), tmp_path)
    assert "fresh=True" in str(err.value)
    assert weights.exists() and (tmp_path / "history.csv").exists()
    # starting over is explicit
    history = G.fit_resumable(_tiny_gan(), _real(32), run_dir=tmp_path, epochs=1, batch_size=16, verbose=0,
                               fresh=True)
    assert len(history.history["d_loss"]) == 1


def test_plot_gan_losses(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    fig = G.plot_gan_losses({"d_loss": [1.3, 1.2], "g_loss": [0.8, 0.9], "d_real": [0.6, 0.6],
                              "d_fake": [0.4, 0.4]}, save_to=tmp_path / "l.png")
    assert len(fig.axes) == 2 and (tmp_path / "l.png").is_file()
    with pytest.raises(ValueError, match="d_loss"):
        G.plot_gan_losses({"loss": [1.0]})


# ============================================================================ config and augmentation
def test_presets_and_build_dcgan(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "1")
    quick = G.DCGANConfig.preset(num_epochs=2)
    assert quick.num_epochs == 2 and quick.g_filters == G.DCGANConfig.presets["quick"].g_filters
    assert G.DCGANConfig.preset("full").num_epochs == G.DCGANConfig.presets["full"].num_epochs
    with pytest.raises(ValueError, match="quick or full"):
        G.DCGANConfig.preset("huge")
    gan = G.build_dcgan(quick)
    assert gan.generator.output_shape == (None, 28, 28, 1) and gan.latent_dim == quick.latent_dim
    x = G.training_images(np.random.default_rng(0).uniform(0, 1, (10, 28, 28, 1)), quick)
    assert x.min() >= -1 and x.max() <= 1 and x.min() < 0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        G.training_images(np.full((2, 28, 28, 1), 255.0))
    # the full preset's architecture options reach the built networks
    full = G.build_dcgan(G.DCGANConfig.preset("full", g_filters=(16, 8), d_filters=(8, 16), d_dense=12))
    assert full.generator.get_layer("refine").kernel_size == (5, 5)
    assert full.discriminator.get_layer("hidden").units == 12


def test_random_shift_moves_images_and_passes_gradients():
    import tensorflow as tf

    x = tf.constant(np.arange(2 * 6 * 6, dtype="float32").reshape(2, 6, 6, 1))
    assert G.random_shift(x, 0) is x
    shifted = G.random_shift(x, 2).numpy()
    assert shifted.shape == (2, 6, 6, 1)
    # every shifted pixel is either an original pixel of the same image or the fill value -1
    for i in range(2):
        assert set(shifted[i].ravel()) <= set(x.numpy()[i].ravel()) | {-1.0}
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(G.random_shift(x, 1))
    grad = tape.gradient(total, x).numpy()
    assert set(np.unique(grad)) <= {0.0, 1.0} and grad.sum() > 0
