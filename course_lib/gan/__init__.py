"""GANs, Weeks 4 and 6, and the machinery the final project trains through.

* ``losses``: ``bce_with_logits``, ``discriminator_loss``, ``generator_loss`` (non-saturating by
  default) and ``value_function``, with one label convention: real = 1, fake = 0.
* ``networks``: the MLP GAN of Week 4, the DCGAN of Week 6 and a conditional DCGAN whose
  condition can be any vector (a one-hot class, a caption vector).
* ``model``: ``GAN``, a ``keras.Model`` whose ``train_step`` plays one round of the game;
  ``sample_noise``; ``random_shift`` (differentiable augmentation for D).
* ``dcgan``: ``DCGANConfig`` with its quick and full presets, and ``build_dcgan``.
* ``training``: one run directory per run, with checkpoints, resuming, ``history.csv``,
  sample grids, a GIF and the loss plot (``fit_resumable``, ``SampleGrid``).

Everything is importable from ``course_lib.gan``::

    from course_lib import gan as G
    gan = G.build_dcgan(G.DCGANConfig.preset("quick"))
    G.fit_resumable(gan, x, run_dir="runs/dcgan", epochs=8, batch_size=64)
"""
from course_lib.gan._checkpoint import CheckpointError
from course_lib.gan.dcgan import DCGANConfig, build_dcgan, training_images
from course_lib.gan.losses import (
    FAKE_LABEL,
    REAL_LABEL,
    bce_with_logits,
    discriminator_loss,
    generator_loss,
    value_function,
)
from course_lib.gan.model import GAN, random_shift, sample_noise
from course_lib.gan.networks import (
    MinibatchStdDev,
    build_conditional_discriminator,
    build_conditional_generator,
    build_dcgan_discriminator,
    build_dcgan_generator,
    build_mlp_discriminator,
    build_mlp_generator,
)
from course_lib.gan.training import (
    RUN_FILES,
    AnnealInstanceNoise,
    SampleGrid,
    clear_run,
    fit_resumable,
    plot_gan_losses,
    read_history,
    restore_gan,
)

__all__ = [
    "AnnealInstanceNoise", "CheckpointError", "DCGANConfig", "FAKE_LABEL", "GAN", "MinibatchStdDev", "REAL_LABEL",
    "RUN_FILES",
    "SampleGrid", "bce_with_logits", "build_conditional_discriminator", "build_conditional_generator",
    "build_dcgan", "build_dcgan_discriminator", "build_dcgan_generator", "build_mlp_discriminator",
    "build_mlp_generator", "clear_run", "discriminator_loss", "fit_resumable", "generator_loss",
    "plot_gan_losses", "random_shift", "read_history", "restore_gan", "sample_noise", "training_images",
    "value_function",
]
