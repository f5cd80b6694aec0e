"""Train the final project's text2image GAN and measure how well it obeys its prompts.

    nice python bench/bench_text2image.py --config quick            # about 2-4 minutes on 2 CPU cores
    nice python bench/bench_text2image.py --config full             # the full preset (under 45 minutes)
    python bench/bench_text2image.py --config full --data mnist     # full MNIST on a GPU

Prints the training time and every figure of ``course evaluate`` next to the targets of
issue 6, and writes ``evaluation.json`` and a sample grid (``samples.png``) into the run
directory. A run directory that already holds a finished run is evaluated, not retrained
(``--fresh`` starts over).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import course_lib as cl
from reference_epoch import describe, in_reference_epochs, measure_reference_epoch

# (what, how to read it from the evaluation, target) per preset; issue 6's quality section
TARGETS = {
    "quick": [("prompt accuracy", lambda r: r["prompt_accuracy"], 0.80)],
    "full": [
        ("prompt accuracy", lambda r: r["prompt_accuracy"], 0.95),
        ("worst digit", lambda r: min(r["prompt_accuracy_per_digit"].values()), 0.85),
        ("thickness control", lambda r: r["attribute_control"]["thickness"], 0.85),
        ("slant control", lambda r: r["attribute_control"]["slant"], 0.85),
        ("held-out phrasing", lambda r: r["heldout_accuracy"], 0.90),
    ],
}
TIME_LIMIT_MIN = {"quick": 10, "full": 45}  # on 2 CPU cores with the 5k digits
GPU_FULL_MNIST_TARGET = 0.98
GRID_PROMPTS = ["a thick, slanted seven", "a thin 7 leaning left", "a bold 3", "the digit two, upright",
                "a thin five leaning right", "a heavy 8", "a 0 written in thin strokes", "a 4 leaning left",
                "a 1 that is slanted right", "a chunky nine"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="quick", choices=["quick", "full"])
    parser.add_argument("--data", default="mnist-5k", help="auto, mnist, mnist-5k or digits8x8")
    parser.add_argument("--epochs", type=int, default=None, help="override the preset's epochs")
    parser.add_argument("--run-dir", default=None, help="default: runs/bench_text2image_<config>_<data>")
    parser.add_argument("--fresh", action="store_true", help="start over even if the run directory has a run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    cl.quiet_tensorflow()
    import matplotlib.pyplot as plt

    from course_lib import text2image as t2i
    from course_lib.data import BYTE_RANGE
    from course_lib.plotting import plot_image_rows

    report = cl.device_report(verbose=False)
    reference = measure_reference_epoch()
    run_dir = Path(args.run_dir or f"runs/bench_text2image_{args.config}_{args.data}")
    config = t2i.Text2ImageConfig.preset(args.config, **({"num_epochs": args.epochs} if args.epochs else {}))
    start = time.monotonic()
    t2i.train(run_dir, config, source=args.data, fresh=args.fresh, seed=args.seed, verbose=2)
    seconds = time.monotonic() - start
    result = t2i.evaluate(run_dir, verbose=False)
    result["train_seconds_this_session"] = round(seconds, 1)
    result["device"] = ", ".join(report["gpus"]) or f"CPU ({report['cpu_count']} cores)"
    (run_dir / "evaluation.json").write_text(json.dumps(result, indent=2))
    images = t2i.generate(GRID_PROMPTS, run_dir, n=8, seed=args.seed)
    grid = run_dir / "samples.png"
    plt.close(plot_image_rows(images, GRID_PROMPTS, value_range=BYTE_RANGE, save_to=grid))

    print()
    print(f"run dir     {run_dir}  ({config.name} preset, {config.num_epochs} epochs, data {result['source']})")
    print(f"device      {result['device']}, TensorFlow {report['tensorflow']}, Keras {report['keras']}")
    print(f"train time  {in_reference_epochs(seconds, reference)} this session (0 if the run was already finished)")
    print(f"            {describe(reference)}")
    print(t2i.format_table(result))
    print()
    gpu_full = result["source"] == "mnist" and report["gpus"]
    targets = TARGETS[config.name] if not gpu_full else [("prompt accuracy", TARGETS["full"][0][1],
                                                            GPU_FULL_MNIST_TARGET)]
    for name, read, target in targets:
        value = read(result)
        print(f"target      {name:<18} {value:6.1%}  (>= {target:.0%}) {'met' if value >= target else 'NOT met'}")
    if not gpu_full:
        limit = TIME_LIMIT_MIN[config.name]
        print(f"target      {'training time':<18} {seconds / 60:5.1f} min (< {limit} min on 2 CPU cores, 5k digits)")
    print(f"samples     {grid}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
