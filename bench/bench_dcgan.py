"""Train the Week 6 DCGAN and judge its digits with the Week 3 classifier.

    nice python bench/bench_dcgan.py                              # full preset, best data on disk
    nice python bench/bench_dcgan.py --source mnist-5k --epochs 10 # a shorter run
    python bench/bench_dcgan.py --source mnist --run-dir runs/bench_dcgan   # on a GPU; resumable

Prints the share of generated digits that the classifier labels with confidence
above 0.9, the number of classes among them, the share of the most common class,
and the Frechet classifier distance (FCD) to the test digits.
Target (issue 4, full mode): >= 80% confident and all 10 classes present.
Training resumes from --run-dir if it holds a checkpoint (pass --fresh to restart).
"""
from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

import course_lib as cl
from reference_epoch import describe, in_reference_epochs, measure_reference_epoch

TARGET_SHARE, TARGET_CLASSES = 0.80, 10


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="auto", help="auto, mnist, mnist-5k or digits8x8")
    parser.add_argument("--preset", default="full", choices=["quick", "full"])
    parser.add_argument("--epochs", type=int, default=None, help="override the preset's num_epochs")
    parser.add_argument("--train-subset", type=int, default=None, help="train on this many images only")
    parser.add_argument("--samples", type=int, default=2000, help="generated digits to judge")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr-d", type=float, default=None)
    parser.add_argument("--lr-g", type=float, default=None)
    parser.add_argument("--real-label", type=float, default=None, help="0.9 for label smoothing")
    parser.add_argument("--instance-noise", type=float, default=None)
    parser.add_argument("--d-dropout", type=float, default=None)
    parser.add_argument("--g-filters", type=int, nargs="+", default=None, help="e.g. 256 128")
    parser.add_argument("--augment-shift", type=int, default=None, help="shift D's inputs by up to N pixels")
    parser.add_argument("--minibatch-std", action="store_true", help="add a minibatch-std channel to D")
    parser.add_argument("--run-dir", default=None, help="checkpoints here, resumed if present (default: a temp dir)")
    parser.add_argument("--fresh", action="store_true", help="ignore checkpoints in --run-dir")
    args = parser.parse_args(argv)

    cl.quiet_tensorflow()
    from course_lib import gan as G
    from course_lib import metrics as M
    from course_lib.cnn import load_digit_classifier
    from course_lib.data import load_digits_dataset

    report = cl.device_report(verbose=False)
    reference = measure_reference_epoch()
    cl.set_seed(args.seed)
    data = load_digits_dataset(args.source)
    overrides = {"num_epochs": args.epochs, "train_subset": args.train_subset, "lr_d": args.lr_d,
                 "lr_g": args.lr_g, "real_label": args.real_label, "instance_noise": args.instance_noise,
                 "d_dropout": args.d_dropout, "g_filters": tuple(args.g_filters) if args.g_filters else None,
                 "minibatch_std": args.minibatch_std or None, "augment_shift": args.augment_shift}
    config = G.DCGANConfig.preset(args.preset, **{k: v for k, v in overrides.items() if v is not None})
    print(f"preset {args.preset}: {config.summary()}")
    x = G.training_images(data.x_train, config, seed=args.seed)
    gan = G.build_dcgan(config)
    run_dir = args.run_dir or tempfile.mkdtemp(prefix="bench_dcgan_")
    start = time.monotonic()
    history = G.fit_resumable(gan, x, run_dir=run_dir, epochs=config.num_epochs, batch_size=config.batch_size,
                               fresh=args.fresh, verbose=2)
    seconds = time.monotonic() - start

    classifier = load_digit_classifier(data.source)
    fake = gan.generate(n=args.samples, seed=args.seed + 1)
    judgement = M.judge_digits(fake, classifier)
    real = data.x_test[: min(len(data.x_test), args.samples)]
    fcd = M.frechet_classifier_distance(real, fake[: len(real)], classifier)
    real_judgement = M.judge_digits(real, classifier, value_range=(0, 1))
    steps = len(x) // config.batch_size + (len(x) % config.batch_size > 0)
    device = ", ".join(report["gpus"]) or f"CPU ({report['cpu_count']} cores)"
    epochs_run = len(history.history.get("d_loss", []))
    print(f"data          {data.origin}: {len(x)} training images")
    print(f"device        {device}, TensorFlow {report['tensorflow']}, Keras {report['keras']}")
    print(f"run dir       {run_dir}")
    print(f"train time    {in_reference_epochs(seconds, reference)} this session; {epochs_run} epochs of {steps} "
          "steps in the run")
    print(f"              {describe(reference)}")
    print(f"last epoch    d_loss {history.history['d_loss'][-1]:.3f}, g_loss {history.history['g_loss'][-1]:.3f}")
    print(f"generated     {judgement.summary()}")
    print(f"per class     {judgement.counts.tolist()}")
    print(f"real (test)   {real_judgement.summary()}")
    print(f"FCD           {fcd:.2f} to {len(real)} test digits (real vs real split: see notebook 03)")
    met = judgement.confident_share >= TARGET_SHARE and judgement.classes_present >= TARGET_CLASSES
    print(f"target        >= {TARGET_SHARE:.0%} confident and all {TARGET_CLASSES} classes (full mode): "
          f"{'met' if met else 'NOT met'}"
          + ("" if args.preset == "full" and args.epochs is None else " (shortened or quick run)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
