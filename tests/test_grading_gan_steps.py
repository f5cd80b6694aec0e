"""The behavioural tests of GAN training steps catch each classic mistake and name it.

Each student step below is written the way a student would; a mutant changes one line. The correct step
must pass and every mutant must fail with a message that names its mistake.
"""
import keras
import pytest
import tensorflow as tf

from course_lib.grading import gan_steps

bce = keras.losses.BinaryCrossentropy(from_logits=True)

WEEK4 = '''
def discriminator_step(G, D, d_opt, real, z):
    fakes = G(z, training=True)
    with tf.GradientTape() as tape:
        real_logits = D(real, training=True)
        fake_logits = D(fakes, training=True)
        d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits), fake_logits)
    grads = tape.gradient(d_loss, D.trainable_weights)
    d_opt.apply_gradients(zip(grads, D.trainable_weights))
    return d_loss


def generator_step(G, D, g_opt, z):
    with tf.GradientTape() as tape:
        fake_logits = D(G(z, training=True), training=True)
        g_loss = bce(tf.ones_like(fake_logits), fake_logits)
    grads = tape.gradient(g_loss, G.trainable_weights)
    g_opt.apply_gradients(zip(grads, G.trainable_weights))
    return g_loss
'''

WEEK6 = '''
def discriminator_loss(real_logits, fake_logits):
    return bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits), fake_logits)


def generator_loss(fake_logits):
    return bce(tf.ones_like(fake_logits), fake_logits)


class DCGAN(keras.Model):
    def __init__(self, generator, discriminator, latent_dim):
        super().__init__()
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    def d_step(self, real):
        fakes = self.generator(tf.random.normal((tf.shape(real)[0], self.latent_dim)), training=True)
        with tf.GradientTape() as tape:
            loss = discriminator_loss(self.discriminator(real, training=True), self.discriminator(fakes, training=True))
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss

    def g_step(self, batch_size):
        z = tf.random.normal((batch_size, self.latent_dim))
        with tf.GradientTape() as tape:
            loss = generator_loss(self.discriminator(self.generator(z, training=True), training=True))
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss

    def train_step(self, data):
        d_loss = self.d_step(data)
        g_loss = self.g_step(tf.shape(data)[0])
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}
'''

FINAL = '''
def discriminator_loss(real_logits, wrong_logits, fake_logits):
    return (bce(tf.ones_like(real_logits), real_logits) + 0.5 * bce(tf.zeros_like(wrong_logits), wrong_logits)
            + 0.5 * bce(tf.zeros_like(fake_logits), fake_logits))


def generator_loss(fake_logits):
    return bce(tf.ones_like(fake_logits), fake_logits)


def train_step(G, D, g_opt, d_opt, images, text, latent_dim):
    n = images.shape[0]
    wrong = tf.roll(text, shift=1, axis=0)
    z = tf.random.normal((n, latent_dim))
    with tf.GradientTape() as tape:
        fake = G([z, text], training=True)
        d_loss = discriminator_loss(D([images, text], training=True), D([images, wrong], training=True),
                                    D([fake, text], training=True))
    d_opt.apply_gradients(zip(tape.gradient(d_loss, D.trainable_weights), D.trainable_weights))
    z = tf.random.normal((n, latent_dim))
    with tf.GradientTape() as tape:
        g_loss = generator_loss(D([G([z, text], training=True), text], training=True))
    g_opt.apply_gradients(zip(tape.gradient(g_loss, G.trainable_weights), G.trainable_weights))
    return float(d_loss), float(g_loss)
'''

G_STEP_FINAL = "g_loss = generator_loss(D([G([z, text], training=True), text], training=True))"


def _student(source: str, *replacements) -> dict:
    for old, new in replacements:
        assert old in source, f"the mutant's line is not in the step: {old}"
        source = source.replace(old, new)
    namespace = {"tf": tf, "keras": keras, "bce": bce}
    exec(source, namespace)  # noqa: S102 - the student's code, as a kernel would run it
    return namespace


def _check(kind: str, ns: dict) -> None:
    if kind == "week4":
        gan_steps.check_two_steps(ns["discriminator_step"], ns["generator_step"])
    elif kind == "week6":
        gan_steps.check_gan_model(ns["DCGAN"])
    else:
        gan_steps.check_gan_cls_step(ns["train_step"])


@pytest.mark.parametrize("kind, source", [("week4", WEEK4), ("week6", WEEK6), ("final", FINAL)])
def test_a_correct_step_passes(kind, source):
    _check(kind, _student(source))


MUTANTS = [
    ("week4", WEEK4, "swapped labels", [("bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits)",
                                         "bce(tf.zeros_like(real_logits), real_logits) + bce(tf.ones_like(fake_logits)")]),
    ("week4", WEEK4, "saturating", [("g_loss = bce(tf.ones_like(fake_logits), fake_logits)",
                                     "g_loss = -bce(tf.zeros_like(fake_logits), fake_logits)")]),
    ("week4", WEEK4, "changed G's weights", [
        ("fakes = G(z, training=True)\n    with tf.GradientTape() as tape:",
         "with tf.GradientTape() as tape:\n        fakes = G(z, training=True)"),
        ("grads = tape.gradient(d_loss, D.trainable_weights)\n    d_opt.apply_gradients(zip(grads, D.trainable_weights))",
         "ws = D.trainable_weights + G.trainable_weights\n    d_opt.apply_gradients(zip(tape.gradient(d_loss, ws), ws))")]),
    ("week4", WEEK4, "changed D's weights", [
        ("grads = tape.gradient(g_loss, G.trainable_weights)\n    g_opt.apply_gradients(zip(grads, G.trainable_weights))",
         "ws = G.trainable_weights + D.trainable_weights\n    g_opt.apply_gradients(zip(tape.gradient(g_loss, ws), ws))")]),
    ("week4", WEEK4, "training=True", [("training=True", "training=False")]),
    ("week4", WEEK4, "fakes come from G", [("fakes = G(z, training=True)", "fakes = tf.random.uniform(tf.shape(real), -1, 1)")]),
    ("week6", WEEK6, "swapped labels", [("return bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits)",
                                         "return bce(tf.zeros_like(real_logits), real_logits) + bce(tf.ones_like(fake_logits)")]),
    ("week6", WEEK6, "saturating", [("return bce(tf.ones_like(fake_logits), fake_logits)",
                                     "return -bce(tf.zeros_like(fake_logits), fake_logits)")]),
    ("week6", WEEK6, "changed the discriminator", [("weights = self.generator.trainable_weights",
                                                    "weights = self.generator.trainable_weights + self.discriminator.trainable_weights")]),
    ("week6", WEEK6, "once each", [("d_loss = self.d_step(data)", "d_loss = 0.0")]),
    ("week6", WEEK6, "training=True", [("training=True", "training=False")]),
    ("final", FINAL, "without the mismatched-caption term", [("0.5 * bce(tf.zeros_like(wrong_logits), wrong_logits)\n", "0.0\n")]),
    ("final", FINAL, "own caption", [("wrong = tf.roll(text, shift=1, axis=0)", "wrong = text")]),
    ("final", FINAL, "swapped labels", [("bce(tf.ones_like(real_logits), real_logits) + 0.5 * bce(tf.zeros_like(wrong_logits)",
                                         "bce(tf.zeros_like(real_logits), real_logits) + 0.5 * bce(tf.ones_like(wrong_logits)"),
                                        ("+ 0.5 * bce(tf.zeros_like(fake_logits), fake_logits))",
                                         "+ 0.5 * bce(tf.ones_like(fake_logits), fake_logits))")]),
    ("final", FINAL, "real and generated images swapped", [
        ("D([images, text], training=True), D([images, wrong], training=True),\n                                    D([fake, text], training=True)",
         "D([fake, text], training=True), D([images, wrong], training=True),\n                                    D([images, text], training=True)")]),
    ("final", FINAL, "saturating", [(G_STEP_FINAL, "g_loss = -bce(tf.zeros((n, 1)), D([G([z, text], training=True), text], training=True))")]),
    ("final", FINAL, "minus the discriminator's loss", [(G_STEP_FINAL, "g_loss = -discriminator_loss(D([images, text], training=True), "
                                                         "D([images, wrong], training=True), D([G([z, text], training=True), text], training=True))")]),
    ("final", FINAL, "G also moved by the discriminator's loss", [
        ("d_opt.apply_gradients(zip(tape.gradient(d_loss, D.trainable_weights), D.trainable_weights))",
         "ws = D.trainable_weights + G.trainable_weights\n    d_opt.apply_gradients(zip(tape.gradient(d_loss, ws), ws))")]),
    ("final", FINAL, "D must move only in the discriminator update", [
        ("g_opt.apply_gradients(zip(tape.gradient(g_loss, G.trainable_weights), G.trainable_weights))",
         "ws = G.trainable_weights + D.trainable_weights\n    g_opt.apply_gradients(zip(tape.gradient(g_loss, ws), ws))")]),
    ("final", FINAL, "empty caption", [(G_STEP_FINAL, "g_loss = generator_loss(D([G([z, tf.zeros_like(text)], training=True), text], training=True))")]),
    ("final", FINAL, "training=True", [("training=True", "training=False")]),
    ("final", FINAL, "fakes come from G", [("fake = G([z, text], training=True)", "fake = tf.random.uniform(tf.shape(images), -1, 1)")]),
]


@pytest.mark.parametrize("kind, source, words, replacements", MUTANTS, ids=[f"{m[0]}-{m[2]}" for m in MUTANTS])
def test_each_classic_mistake_is_caught_and_named(kind, source, words, replacements):
    with pytest.raises(AssertionError) as caught:
        _check(kind, _student(source, *replacements))
    assert words in str(caught.value), str(caught.value)


def test_the_students_code_runs_through_the_given_runner():
    calls = []

    def run(function, *args, **kwargs):
        calls.append(getattr(function, "__name__", str(function)))
        return function(*args, **kwargs)

    gan_steps.check_gan_cls_step(_student(FINAL)["train_step"], run)
    assert calls == ["train_step"]
