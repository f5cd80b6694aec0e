"""Behavioural tests for students' GAN training steps, with messages that say what is wrong.

A training step can look right (finite losses, the right networks move, ``fit()`` runs) and still train
the wrong game: labels swapped, the saturating generator loss, no mismatched-caption term, fakes that do
not come from G. These checks build tiny networks whose every output is deterministic (the generator
ignores its noise, so the step's own random draws do not matter), run the student's step once with plain
SGD, and compare the returned losses and the new weights with one SGD step computed here, independently
of the student's code and of the course's reference. When they differ, the loss is compared with the
usual mistakes to name the one made.

The networks contain :class:`TrainingScale`, which halves its input unless called with
``training=True``, so a step that forgets ``training=True`` is caught as surely as a wrong label.

Assignments call one function per kind of step, passing ``checker.run`` so that the student's code runs
with the course's reference implementations unavailable:

* :func:`check_two_steps` (Week 4: ``discriminator_step`` and ``generator_step`` functions),
* :func:`check_gan_model` (Week 6: a ``keras.Model`` with ``d_step``, ``g_step`` and ``train_step``),
* :func:`check_gan_cls_step` (final project: ``train_step`` with matched, mismatched and generated pairs).
"""
from __future__ import annotations

import numpy as np


def _tf():
    import keras
    import tensorflow as tf

    return keras, tf


def _layers():
    keras, tf = _tf()

    class TrainingScale(keras.layers.Layer):
        """Identity when ``training=True``, half otherwise: makes a forgotten ``training=True`` visible."""

        def call(self, x, training=None):
            return x if training else 0.5 * x

    class NoiseFree(keras.layers.Layer):
        """``h`` unchanged, with ``z`` as an input that does not matter: fakes independent of the noise."""

        def call(self, inputs):
            z, h = inputs
            return h + 0.0 * tf.reduce_sum(z, axis=-1, keepdims=True)

    class LearnedImage(keras.layers.Layer):
        """One trainable image, the same for every noise vector: an unconditional generator with no noise."""

        def build(self, input_shape):
            self.image = self.add_weight(shape=(784,), initializer="random_normal", name="image")

        def call(self, z):
            return tf.zeros_like(z[:, :1]) + self.image

    return TrainingScale, NoiseFree, LearnedImage


TrainingScale = None  # set on first use (keras imported lazily, so importing this module stays cheap)


def tiny_generator(latent_dim: int, text_dim: int | None = None, seed: int = 0):
    """A generator whose fakes depend on its weights (and caption), never on its noise."""
    keras, tf = _tf()
    global TrainingScale
    TrainingScale, NoiseFree, LearnedImage = _layers()
    keras.utils.set_random_seed(seed)
    z = keras.Input((latent_dim,))
    if text_dim is None:
        h = LearnedImage()(z)
        inputs = z
    else:
        t = keras.Input((text_dim,))
        h = NoiseFree()([z, keras.layers.Dense(784)(t)])
        inputs = [z, t]
    h = TrainingScale()(keras.layers.Activation("tanh")(h))
    return keras.Model(inputs, keras.layers.Reshape((28, 28, 1))(h))


def tiny_discriminator(text_dim: int | None = None, seed: int = 1):
    """A small discriminator (logits) that, if conditional, really uses its caption."""
    keras, tf = _tf()
    global TrainingScale
    TrainingScale, _, _ = _layers()
    keras.utils.set_random_seed(seed)
    x = keras.Input((28, 28, 1))
    h = keras.layers.Dense(8)(keras.layers.Flatten()(x))
    inputs = x
    if text_dim is not None:
        t = keras.Input((text_dim,))
        h = keras.layers.Add()([h, keras.layers.Dense(8)(t)])
        inputs = [x, t]
    h = TrainingScale()(keras.layers.LeakyReLU(0.2)(h))
    return keras.Model(inputs, keras.layers.Dense(1)(h))


def _bce(labels_one: bool, logits):
    """Mean binary cross-entropy of logits against all-ones (True) or all-zeros labels."""
    _, tf = _tf()
    logits = tf.convert_to_tensor(logits, tf.float32)
    labels = tf.ones_like(logits) if labels_one else tf.zeros_like(logits)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def _weights(model) -> list[np.ndarray]:
    return [w.numpy().copy() for w in model.trainable_weights]


def _set(model, values) -> None:
    for w, v in zip(model.trainable_weights, values):
        w.assign(v)


def _sgd(model, loss_fn, lr: float) -> list[np.ndarray]:
    """The weights after one plain SGD step on ``loss_fn()`` (the model is left unchanged)."""
    _, tf = _tf()
    before = _weights(model)
    with tf.GradientTape() as tape:
        loss = loss_fn()
    grads = tape.gradient(loss, model.trainable_weights)
    return [b - lr * (g.numpy() if g is not None else 0.0) for b, g in zip(before, grads)]


def _close(a: float, b: float) -> bool:
    return bool(np.isclose(float(a), float(b), rtol=1e-4, atol=1e-5))


def _same(weights, model) -> bool:
    return all(np.allclose(w, m.numpy(), rtol=1e-4, atol=1e-6) for w, m in zip(weights, model.trainable_weights))


def _diagnose(got: float, want: float, variants: dict, what: str, hint: str = "") -> None:
    if _close(got, want):
        return
    for mistake, value in variants.items():
        if _close(got, value):
            raise AssertionError(f"{what} was {float(got):.4f}, the value of {mistake}; the right loss gives "
                                 f"{float(want):.4f} here.")
    raise AssertionError(f"{what} was {float(got):.4f}; the right loss gives {float(want):.4f} here. Check the "
                         "labels (real = 1, fake = 0), that the logits come straight from D (from_logits=True), "
                         f"that the fakes come from G, and that the networks are called with training=True.{hint}")


TRAINING_FALSE = "calling the networks without training=True"


def reference_losses(kind: str = "gan") -> dict:
    """Correct loss functions to stand in for an earlier exercise's (``Checker.stand_in``), by name:
    ``"gan"``: ``discriminator_loss(real_logits, fake_logits)``; ``"gan_cls"``:
    ``discriminator_loss(real_logits, wrong_logits, fake_logits)``; both with ``generator_loss(fake_logits)``."""
    def generator_loss(fake_logits):
        return _bce(True, fake_logits)

    if kind == "gan":
        def discriminator_loss(real_logits, fake_logits):
            return _bce(True, real_logits) + _bce(False, fake_logits)
    elif kind == "gan_cls":
        def discriminator_loss(real_logits, wrong_logits, fake_logits):
            return _bce(True, real_logits) + 0.5 * _bce(False, wrong_logits) + 0.5 * _bce(False, fake_logits)
    else:
        raise ValueError(f"kind should be 'gan' or 'gan_cls', got {kind!r}")
    return {"discriminator_loss": discriminator_loss, "generator_loss": generator_loss}


def discriminator_step_inputs(latent_dim: int = 4, batch: int = 6, seed: int = 0) -> tuple:
    """``(G, D, d_opt, real, z)`` for one call of a Week 4 ``discriminator_step`` (e.g. inside tf.function)."""
    keras, tf = _tf()
    rng = np.random.default_rng(seed)
    real = tf.constant(np.tanh(rng.normal(size=(batch, 28, 28, 1))), tf.float32)
    z = tf.constant(rng.normal(size=(batch, latent_dim)), tf.float32)
    return (tiny_generator(latent_dim, seed=seed), tiny_discriminator(seed=seed + 1), keras.optimizers.SGD(0.1),
            real, z)


# -- Week 4: two functions --------------------------------------------------------------------------------
def check_two_steps(discriminator_step, generator_step, run=None, *, lr: float = 0.5, batch: int = 6,
                    latent_dim: int = 4, seed: int = 0) -> None:
    """``discriminator_step(G, D, d_opt, real, z)`` then ``generator_step(G, D, g_opt, z)``, both returning
    the loss before their update, each moving only its own network."""
    keras, tf = _tf()
    run = run or (lambda f, *a, **k: f(*a, **k))
    rng = np.random.default_rng(seed)
    G, D = tiny_generator(latent_dim, seed=seed), tiny_discriminator(seed=seed + 1)
    real = tf.constant(np.tanh(rng.normal(size=(batch, 28, 28, 1))), tf.float32)
    z = tf.constant(rng.normal(size=(batch, latent_dim)), tf.float32)

    def d_loss(train=True, swap=False):
        fake = G(z, training=train)
        return _bce(not swap, D(real, training=train)) + _bce(swap, D(fake, training=train))

    want_d, g0 = float(d_loss()), _weights(G)
    variants = {"swapped labels (real -> 0, fake -> 1)": float(d_loss(swap=True)),
                TRAINING_FALSE: float(d_loss(train=False)),
                "the real term alone": float(_bce(True, D(real, training=True))),
                "the fake term alone": float(_bce(False, D(G(z, training=True), training=True)))}
    want_d_weights = _sgd(D, d_loss, lr)
    got = run(discriminator_step, G, D, keras.optimizers.SGD(lr), real, z)
    _diagnose(got, want_d, variants, "the discriminator loss")
    if not _same(g0, G):
        raise AssertionError("discriminator_step changed G's weights: apply D's gradient to D's weights only.")
    if not _same(want_d_weights, D):
        raise AssertionError("after discriminator_step, D's weights are not one step of d_opt on the "
                             "discriminator loss: take the gradient of that loss with respect to "
                             "D.trainable_weights and apply it once with d_opt.")

    def g_loss(train=True, saturating=False):
        logits = D(G(z, training=train), training=train)
        return -_bce(False, logits) if saturating else _bce(True, logits)

    want_g, d1 = float(g_loss()), _weights(D)
    variants = {"the saturating loss log(1 - D(G(z))) (use BCE with label 1 instead: it does not vanish "
                "when D wins)": float(g_loss(saturating=True)),
                "the discriminator's label for fakes (0): G must want D to say 'real'": float(_bce(False, D(G(z, training=True), training=True))),
                TRAINING_FALSE: float(g_loss(train=False))}
    want_g_weights = _sgd(G, g_loss, lr)
    got = run(generator_step, G, D, keras.optimizers.SGD(lr), z)
    _diagnose(got, want_g, variants, "the generator loss")
    if not _same(d1, D):
        raise AssertionError("generator_step changed D's weights: apply G's gradient to G's weights only.")
    if not _same(want_g_weights, G):
        raise AssertionError("after generator_step, G's weights are not one step of g_opt on the generator loss: "
                             "compute D(G(z)) inside the tape and apply the gradient to G.trainable_weights.")


# -- Week 6: a keras.Model with d_step, g_step and train_step ---------------------------------------------
def check_gan_model(model_class, run=None, *, lr: float = 0.5, batch: int = 6, latent_dim: int = 4,
                    seed: int = 0) -> None:
    """``model_class(generator, discriminator, latent_dim)``, compiled with two optimizers: ``d_step(real)``
    moves D only, ``g_step(batch_size)`` moves G only (non-saturating loss), ``train_step`` does both."""
    keras, tf = _tf()
    run = run or (lambda f, *a, **k: f(*a, **k))
    rng = np.random.default_rng(seed)
    G, D = tiny_generator(latent_dim, seed=seed), tiny_discriminator(seed=seed + 1)
    real = tf.constant(np.tanh(rng.normal(size=(batch, 28, 28, 1))), tf.float32)
    z = tf.zeros((batch, latent_dim))  # the generator ignores it: any noise gives the same fakes
    gan = run(model_class, G, D, latent_dim)
    run(gan.compile, d_optimizer=keras.optimizers.SGD(lr), g_optimizer=keras.optimizers.SGD(lr))

    def d_loss(train=True, swap=False):
        return _bce(not swap, D(real, training=train)) + _bce(swap, D(G(z, training=train), training=train))

    want, g0 = float(d_loss()), _weights(G)
    variants = {"swapped labels (real -> 0, fake -> 1)": float(d_loss(swap=True)),
                TRAINING_FALSE: float(d_loss(train=False))}
    want_d = _sgd(D, d_loss, lr)
    _diagnose(run(gan.d_step, real), want, variants, "d_step's loss")
    if not _same(g0, G):
        raise AssertionError("d_step changed the generator: apply D's gradient to self.discriminator only.")
    if not _same(want_d, D):
        raise AssertionError("after d_step, D's weights are not one step of d_optimizer on the discriminator "
                             "loss of real and generated images.")

    def g_loss(train=True, saturating=False):
        logits = D(G(z, training=train), training=train)
        return -_bce(False, logits) if saturating else _bce(True, logits)

    want, d1 = float(g_loss()), _weights(D)
    variants = {"the saturating loss log(1 - D(G(z))) (use the non-saturating one: BCE with label 1)":
                float(g_loss(saturating=True)), TRAINING_FALSE: float(g_loss(train=False))}
    want_g = _sgd(G, g_loss, lr)
    _diagnose(run(gan.g_step, batch), want, variants, "g_step's loss")
    if not _same(d1, D):
        raise AssertionError("g_step changed the discriminator: apply G's gradient to self.generator only.")
    if not _same(want_g, G):
        raise AssertionError("after g_step, G's weights are not one step of g_optimizer on the generator loss.")

    want_d = _sgd(D, d_loss, lr)  # train_step: one d_step, then one g_step against the updated D
    _set(D, want_d)
    want_g = _sgd(G, g_loss, lr)
    _set(D, d1)
    logs = run(gan.train_step, real)
    if not {"d_loss", "g_loss"} <= set(logs):
        raise AssertionError(f"train_step should return d_loss and g_loss, got {sorted(logs)}")
    if not (_same(want_d, D) and _same(want_g, G)):
        raise AssertionError("train_step should call d_step on the batch and then g_step with its batch size, "
                             "once each.")


# -- Final project: GAN-CLS ---------------------------------------------------------------------------------
def check_gan_cls_step(train_step, run=None, *, lr: float = 0.5, batch: int = 6, latent_dim: int = 3,
                       text_dim: int = 5, seed: int = 0) -> None:
    """``train_step(G, D, g_opt, d_opt, images, text, latent_dim) -> (d_loss, g_loss)``: one D update on
    real pairs (-> 1), mismatched pairs ``tf.roll(text, 1, axis=0)`` and generated pairs (-> 0, half weight
    each), then one G update against the updated D."""
    keras, tf = _tf()
    run = run or (lambda f, *a, **k: f(*a, **k))
    rng = np.random.default_rng(seed)
    G, D = tiny_generator(latent_dim, text_dim, seed=seed), tiny_discriminator(text_dim, seed=seed + 1)
    images = tf.constant(np.tanh(rng.normal(size=(batch, 28, 28, 1))), tf.float32)
    text = tf.constant(rng.normal(size=(batch, text_dim)) * 2, tf.float32)
    z = tf.zeros((batch, latent_dim))
    wrong, empty = tf.roll(text, 1, axis=0), tf.zeros_like(text)

    def d_loss(train=True, mismatched=wrong, fake_text=text, w=0.5, swap=False, swap_pairs=False):
        fake = G([z, fake_text], training=train)
        real_pair, fake_pair = (fake, images) if swap_pairs else (images, fake)
        terms = [_bce(not swap, D([real_pair, text], training=train)),
                 _bce(swap, D([images, mismatched], training=train)), _bce(swap, D([fake_pair, text], training=train))]
        return terms[0] + (w * terms[1] if w else 0.0) + (0.5 if w else 1.0) * terms[2]

    want_d, g0, d0 = float(d_loss()), _weights(G), _weights(D)
    d_variants = {
        "a loss without the mismatched-caption term": float(d_loss(w=0)),
        "a loss without the mismatched-caption term (and half weight on the generated pairs)":
            float(d_loss() - 0.5 * _bce(False, D([images, wrong], training=True))),
        "a 'mismatched' term that uses each image's own caption (roll the captions: tf.roll(text, 1, axis=0))":
            float(d_loss(mismatched=text)),
        "swapped labels (real pairs -> 0, mismatched and generated -> 1)": float(d_loss(swap=True)),
        "real and generated images swapped": float(d_loss(swap_pairs=True)),
        "fakes drawn from an empty caption (G must see the batch's captions)": float(d_loss(fake_text=empty)),
        TRAINING_FALSE: float(d_loss(train=False)),
    }
    want_d_weights = _sgd(D, d_loss, lr)
    _set(D, want_d_weights)

    def g_loss(train=True, fake_text=text, saturating=False):
        logits = D([G([z, fake_text], training=train), text], training=train)
        return -_bce(False, logits) if saturating else _bce(True, logits)

    def g_loss_after_d(d_weights):
        saved = _weights(D)
        _set(D, d_weights)
        value = float(g_loss())
        _set(D, saved)
        return value

    want_g = float(g_loss())
    g_variants = {
        "the saturating loss log(1 - D(G(z))) (use BCE with label 1: it does not vanish when D wins)":
            float(g_loss(saturating=True)),
        "fakes drawn from an empty caption (G must see the batch's captions)": float(g_loss(fake_text=empty)),
        "minus the discriminator's loss (G should make D call its pairs real, not undo D's whole loss)":
            -float(d_loss()),
        TRAINING_FALSE: float(g_loss(train=False)),
    }
    want_g_weights = _sgd(G, g_loss, lr)
    _set(D, d0)
    _set(G, _sgd(G, d_loss, lr))  # the common slip: one tape, and D's loss applied to G as well
    g_variants["G also moved by the discriminator's loss in D's update (apply D's gradient to "
               "D.trainable_weights only)"] = float(g_loss_after_d(want_d_weights))
    _set(G, g0)  # back to the start: the student's step begins where the expected one did
    result = run(train_step, G, D, keras.optimizers.SGD(lr), keras.optimizers.SGD(lr), images, text, latent_dim)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise AssertionError(f"train_step should return (d_loss, g_loss), got {type(result).__name__}")
    got_d, got_g = result
    if not all(isinstance(v, float) for v in result):
        raise AssertionError("return the two losses as Python floats: float(d_loss), float(g_loss)")
    _diagnose(got_d, want_d, d_variants, "the discriminator loss")
    if not _same(want_d_weights, D):
        raise AssertionError("D's weights after the step are not one step of d_opt on the discriminator loss "
                             "alone: D must move only in the discriminator update (not in the generator's).")
    _diagnose(got_g, want_g, g_variants, "the generator loss")
    if not _same(want_g_weights, G):
        raise AssertionError("G's weights after the step are not one step of g_opt on the generator loss: G "
                             "must move only in its own update (not in D's), by the gradient of "
                             "BCE(D([G([z, text]), text]), 1) taken after D's update.")
