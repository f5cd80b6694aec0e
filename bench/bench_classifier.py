"""Train the course digit classifier once and print its test accuracy and training time.

    nice python bench/bench_classifier.py                    # full preset, best data on disk
    nice python bench/bench_classifier.py --source mnist-5k  # the 5,000 bundled digits
    python bench/bench_classifier.py --source mnist --save   # full MNIST on a GPU; keep the model

Targets (week 3): >= 97% test accuracy on mnist-5k with augmentation, >= 99.0%
on full MNIST (put mnist.npz into the course data dir first, see course_lib.data).
"""
from __future__ import annotations

import argparse
import time

import course_lib as cl
from course_lib import cnn
from course_lib.data import load_digits_dataset
from reference_epoch import describe, in_reference_epochs, measure_reference_epoch

TARGETS = {"mnist": 0.990, "mnist-5k": 0.97}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="auto", help="auto, mnist, mnist-5k or digits8x8")
    parser.add_argument("--preset", default="full", choices=sorted(cnn.ClassifierConfig.presets))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", action="store_true", help="save it where load_digit_classifier looks")
    args = parser.parse_args(argv)

    cl.quiet_tensorflow()
    report = cl.device_report(verbose=False)
    reference = measure_reference_epoch()
    data = load_digits_dataset(args.source)
    config = cnn.ClassifierConfig.preset(args.preset)
    print(f"preset {args.preset}: {config.summary()}")
    start = time.monotonic()
    net, history = cnn.train_digit_classifier(data, config, seed=args.seed, verbose=2)
    seconds = time.monotonic() - start
    _, acc = net.evaluate(data.x_test, data.y_test, verbose=0)
    epochs = len(history.history["loss"])
    device = ", ".join(report["gpus"]) or f"CPU ({report['cpu_count']} cores)"
    print(f"data        {data.origin}: {len(data.x_train)} train / {len(data.x_test)} test")
    print(f"device      {device}, TensorFlow {report['tensorflow']}, Keras {report['keras']}")
    print(f"epochs      {epochs} run, best {cnn.best_epoch(history)} (early stopping on val loss)")
    print(f"train time  {in_reference_epochs(seconds, reference)} ({seconds / epochs:.1f} s per epoch)")
    print(f"            {describe(reference)}")
    print(f"test acc    {acc:.2%}")
    target = TARGETS.get(data.source)
    if target is not None and args.preset == "full":
        print(f"target      >= {target:.1%}: {'met' if acc >= target else 'NOT met'}")
    if args.save:
        print(f"saved to    {cnn.save_digit_classifier(net, data.source, quick=args.preset == 'quick')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
