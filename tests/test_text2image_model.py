"""course_lib.text2image.model: the networks, Week 6's GAN on caption vectors, checkpoints and distribution.

The GAN-CLS loss itself is tested in test_gan.py, through the d_step and g_step that fit() runs.
"""
import dataclasses
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from course_lib import gan as G
from course_lib import text2image as t2i

pytestmark = pytest.mark.xdist_group("test_text2image_model")

TEXT_DIM = 12
# Without XLA: compiling costs more than these few steps take; the preset's XLA default is tested on its own.
TINY = t2i.Text2ImageConfig.preset("quick", g_filters=16, d_filters=8, d_features=16, batch_size=8, latent_dim=8,
                                   text_proj_dim=8, jit_compile=False)


@pytest.fixture(scope="module")
def gan():
    return t2i.build_text2image_gan(TINY, TEXT_DIM)


def batch(n=8, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, size=(n, 28, 28, 1)).astype(np.float32)
    text = rng.normal(size=(n, TEXT_DIM)).astype(np.float32)
    return images, text


def test_generator_and_discriminator_shapes_and_ranges(gan):
    _, text = batch()
    z = np.random.default_rng(1).normal(size=(8, TINY.latent_dim)).astype(np.float32)
    imgs = gan.generator([z, text], training=False).numpy()
    assert imgs.shape == (8, 28, 28, 1)
    assert imgs.min() >= -1 and imgs.max() <= 1, "generator output should be tanh, in [-1, 1]"
    logits = gan.discriminator([imgs, text], training=False).numpy()
    assert logits.shape == (8, 1)


def test_the_training_model_is_week6s_conditional_gan(gan):
    assert type(gan) is G.GAN and gan.conditional, "text2image trains through Week 6's GAN itself, not a subclass"
    assert gan.mismatch_weight == TINY.mismatch_weight == 0.5
    assert t2i.build_text2image_gan(t2i.Text2ImageConfig.preset("quick", mismatch_weight=0.25, g_filters=16,
                                                                d_filters=8, d_features=16), TEXT_DIM
                                    ).mismatch_weight == 0.25
    # the discriminator is the projection discriminator of course_lib.gan
    assert gan.discriminator.get_layer("match_term").output.shape[1:] == (1,)


def test_changing_the_caption_changes_the_image(gan):
    _, text = batch()
    z = np.zeros((2, TINY.latent_dim), np.float32)
    imgs = gan.generator([z, np.stack([text[0], text[1]])], training=False).numpy()
    assert np.abs(imgs[0] - imgs[1]).mean() > 1e-4


def test_train_step_gives_finite_losses_and_updates_both_networks():
    model = t2i.build_text2image_gan(TINY, TEXT_DIM)
    g_before = [w.numpy().copy() for w in model.generator.trainable_weights]
    d_before = [w.numpy().copy() for w in model.discriminator.trainable_weights]
    logs = model.train_step(batch())
    assert np.isfinite(float(logs["d_loss"])) and np.isfinite(float(logs["g_loss"]))
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(g_before, model.generator.trainable_weights))
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(d_before, model.discriminator.trainable_weights))


def test_caption_dataset_draws_captions_of_the_right_image():
    images = np.repeat(np.arange(4, dtype=np.uint8)[:, None, None] * 60, 28 * 28).reshape(4, 28, 28)
    vecs = np.zeros((4, 3, 2), np.float32)
    vecs[..., 0] = np.arange(4)[:, None]  # every caption of image i has i in its first component
    vecs[..., 1] = np.arange(3)[None, :]
    ds = t2i.caption_dataset(images, vecs, batch_size=4)
    seen = set()
    for _ in range(5):
        for x, t in ds:
            x, t = x.numpy(), t.numpy()
            assert x.min() >= -1 and x.max() <= 1
            np.testing.assert_allclose((x[:, 0, 0, 0] + 1) * 127.5 / 60, t[:, 0], atol=1e-4)
            seen |= set(t[:, 1].tolist())
    assert seen == {0.0, 1.0, 2.0}, "every caption of an image should be used across epochs"
    with pytest.raises(ValueError, match="caption_vectors"):
        t2i.caption_dataset(images, vecs[:3], 2)


def test_generate_images_same_seed_same_images(gan):
    _, text = batch()
    a = t2i.generate_images(gan.generator, text[:2], 3, seed=5)
    b = t2i.generate_images(gan.generator, text[:2], 3, seed=5)
    c = t2i.generate_images(gan.generator, text[:2], 3, seed=6)
    assert a.shape == (2, 3, 28, 28)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_presets_and_overrides():
    assert t2i.Text2ImageConfig.preset("full").name == "full"
    assert t2i.Text2ImageConfig.preset("quick", num_epochs=2).num_epochs == 2
    with pytest.raises(ValueError, match="quick or full"):
        t2i.Text2ImageConfig.preset("huge")


# ----------------------------------------------------------------- checkpoints
def _captioned(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return t2i.caption_dataset(rng.integers(0, 255, (n, 28, 28)).astype(np.uint8),
                               rng.normal(size=(n, 2, TEXT_DIM)).astype(np.float32), 8)


def test_checkpoint_round_trip_restores_weights_and_optimizer_state(tmp_path):
    a = t2i.build_text2image_gan(TINY, TEXT_DIM)
    G.fit_resumable(a, _captioned(), run_dir=tmp_path, epochs=1, verbose=0)
    b = t2i.build_text2image_gan(TINY, TEXT_DIM)
    assert G.restore_gan(b, tmp_path) == 1
    for x, y in zip(a.generator.weights + a.discriminator.weights, b.generator.weights + b.discriminator.weights):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert int(b.g_optimizer.iterations.numpy()) == int(a.g_optimizer.iterations.numpy()) == 2
    assert t2i.Text2ImageConfig.from_dict(TINY.to_dict()) == TINY


def test_only_the_newest_checkpoints_are_kept(tmp_path):
    G.fit_resumable(t2i.build_text2image_gan(TINY, TEXT_DIM), _captioned(), run_dir=tmp_path, epochs=4, verbose=0)
    assert sorted(p.name for p in (tmp_path / "checkpoints").glob("epoch-*")) == ["epoch-0003", "epoch-0004"]
    assert json.loads((tmp_path / "checkpoints" / "latest.json").read_text())["epoch"] == 4


# ----------------------------------------------------------------- distribution
@pytest.mark.slow
def test_trains_under_mirrored_strategy_on_two_logical_cpus():
    script = textwrap.dedent("""
        import numpy as np, tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from course_lib import text2image as t2i
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        cfg = t2i.Text2ImageConfig.preset("quick", g_filters=16, d_filters=8, d_features=16, batch_size=16,
                                          latent_dim=8, text_proj_dim=8)
        with strategy.scope():
            gan = t2i.build_text2image_gan(cfg, 6)
        before = [w.numpy().copy() for w in gan.generator.trainable_weights]
        rng = np.random.default_rng(0)
        ds = t2i.caption_dataset(rng.integers(0, 255, (64, 28, 28)).astype(np.uint8),
                                 rng.normal(size=(64, 2, 6)).astype(np.float32), 16)
        hist = gan.fit(ds, epochs=2, verbose=0).history
        changed = any(not np.allclose(a, b.numpy()) for a, b in zip(before, gan.generator.trainable_weights))
        print("REPLICAS", strategy.num_replicas_in_sync, "FINITE", all(np.isfinite(hist["d_loss"] + hist["g_loss"])),
              "CHANGED", changed, "XLA", gan.jit_compile)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    # XLA cannot place the variables of two replicas, so a distributed run trains without it
    assert "REPLICAS 2 FINITE True CHANGED True XLA False" in proc.stdout, proc.stdout + proc.stderr[-3000:]


def test_one_device_trains_with_xla_unless_the_config_says_not(gan):
    assert t2i.Text2ImageConfig.preset("quick").jit_compile and t2i.Text2ImageConfig.preset("full").jit_compile
    with_xla = t2i.build_text2image_gan(dataclasses.replace(TINY, jit_compile=True), TEXT_DIM)
    assert with_xla.jit_compile is True  # XLA compiles its training step
    logs = with_xla.fit(_captioned(), epochs=1, verbose=0).history
    assert np.isfinite(logs["d_loss"][-1]) and np.isfinite(logs["g_loss"][-1])
    assert gan.jit_compile is False  # TINY says not


# ----------------------------------------------------------------- mixed precision
def test_mixed_precision_wraps_both_optimizers_in_loss_scaling_and_trains():
    import keras

    gan = t2i.build_text2image_gan(t2i.Text2ImageConfig.preset("quick", mixed_precision=True, **{
        k: getattr(TINY, k) for k in ("g_filters", "d_filters", "d_features", "batch_size", "latent_dim",
                                      "text_proj_dim")}), TEXT_DIM)
    assert keras.mixed_precision.global_policy().name == "float32", "building must not leave the policy changed"
    assert gan.generator.get_layer("project").compute_dtype == "float16"
    assert gan.discriminator.get_layer("conv1").compute_dtype == "float16"
    assert gan.generator.get_layer("image").compute_dtype == "float32", "images stay float32, exactly in [-1, 1]"
    for opt in (gan.d_optimizer, gan.g_optimizer):
        assert isinstance(opt, keras.optimizers.LossScaleOptimizer)
        assert float(opt.scale_loss(1.0)) > 1, "a dynamic loss scale multiplies the loss"
    g_before = [w.numpy().copy() for w in gan.generator.trainable_weights]

    def g_changed():
        return any(not np.allclose(a, b.numpy()) for a, b in zip(g_before, gan.generator.trainable_weights))

    scale = float(gan.g_optimizer.scale_loss(1.0))
    for _ in range(20):  # a step whose float16 gradients overflow is skipped, and the loss scale halved
        logs = gan.train_step(batch())
        assert np.isfinite(float(logs["d_loss"])) and np.isfinite(float(logs["g_loss"]))
        if g_changed():
            break
        assert float(gan.g_optimizer.scale_loss(1.0)) < scale, "a skipped step should lower the loss scale"
        scale = float(gan.g_optimizer.scale_loss(1.0))
    assert g_changed(), "no step updated the generator"
    assert all(w.dtype == "float32" for w in gan.generator.trainable_weights), "weights stay float32"


def test_float32_training_keeps_plain_optimizers(gan):
    import keras

    assert not isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert not isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
