"""The GAN losses, on the discriminator's logits.

One label convention everywhere in the course: **real = 1, fake = 0**. A discriminator
outputs one *logit* per example (no sigmoid): D(x) = sigmoid(logit) is its probability
that x is real. The losses take logits, which is numerically safer than taking the log
of probabilities.
"""
from __future__ import annotations

from keras import ops

REAL_LABEL = 1.0
FAKE_LABEL = 0.0


def bce_with_logits(labels, logits):
    """Binary cross-entropy per example, from logits: shape ``(batch,)``.

    ``-[y log sigmoid(l) + (1 - y) log(1 - sigmoid(l))]`` written as
    ``y softplus(-l) + (1 - y) softplus(l)``, which never takes the log of 0.
    ``labels`` may be a number (broadcast) or an array like ``logits``; axes after
    the first are averaged.
    """
    logits = ops.convert_to_tensor(logits, dtype="float32")
    labels = ops.broadcast_to(ops.cast(labels, logits.dtype), ops.shape(logits))
    per_value = labels * ops.softplus(-logits) + (1.0 - labels) * ops.softplus(logits)
    if len(per_value.shape) == 0:
        raise ValueError("logits should have a batch axis (one logit per example), got a scalar")
    if len(per_value.shape) == 1:
        return per_value
    return ops.mean(ops.reshape(per_value, (ops.shape(per_value)[0], -1)), axis=1)


def discriminator_loss(real_logits, fake_logits, *, real_label: float = REAL_LABEL, per_example: bool = False):
    """The discriminator's loss: BCE(D(x), real) + BCE(D(G(z)), fake).

    Low when D outputs high logits on real examples and low logits on fakes. With
    ``real_label=1`` it equals minus the value function. ``real_label=0.9`` is
    one-sided label smoothing. ``per_example=True`` returns the ``(batch,)`` vector
    (real and fake batches must then have the same size), for distributed training.
    """
    real = bce_with_logits(real_label, real_logits)
    fake = bce_with_logits(FAKE_LABEL, fake_logits)
    if per_example:
        return real + fake
    return ops.mean(real) + ops.mean(fake)


def generator_loss(fake_logits, *, saturating: bool = False, per_example: bool = False):
    """The generator's loss on D's logits for generated examples.

    * non-saturating (default): ``-log D(G(z))`` = BCE(D(G(z)), real): G is trained to
      make D say "real". Strong gradients when D rejects the fakes, i.e. early on.
    * saturating: ``log(1 - D(G(z)))``, the minimax game's own term, minimised by G.
      Its gradient vanishes exactly when D confidently rejects the fakes.
    """
    logits = ops.convert_to_tensor(fake_logits, dtype="float32")
    # log(1 - sigmoid(l)) = -softplus(l)
    per = -bce_with_logits(FAKE_LABEL, logits) if saturating else bce_with_logits(REAL_LABEL, logits)
    return per if per_example else ops.mean(per)


def value_function(real_logits, fake_logits):
    """The minimax value V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))]; D maximises it, G minimises it."""
    return -discriminator_loss(real_logits, fake_logits)
