"""Train the final project's text2image GAN and measure how well it obeys its prompts.

    python bench/bench_text2image.py --config quick            # a few minutes on 2 CPU cores
    python bench/bench_text2image.py --config full             # the full preset (target: 3 reference epochs)
    python bench/bench_text2image.py --pretrained              # the model shipped with the course, no training
    python bench/bench_text2image.py --config full --data mnist     # full MNIST on a GPU

Measures the reference epoch first (``bench/reference_epoch.py``), trains, measures it again (the training
time is read against the mean of the two: a shared machine's speed drifts while a run lasts), runs every measure of
``course evaluate`` and prints each figure next to its target (issues 6 and 14), the training time in
seconds and reference epochs. Writes ``evaluation.json`` and a sample grid (``samples.png``, with a row
of numbers) into the run directory. A run directory that already holds a finished run is evaluated,
not retrained (``--fresh`` starts over); its training time is then read from ``bench.json``.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import course_lib as cl
from reference_epoch import around_a_run, describe, in_reference_epochs, measure_reference_epoch, over_a_run

# (what, how to read it from the evaluation, target); quality targets of issue 14, item 5 and of issue 6
QUALITY = {
    "quick": [("held-out phrasing accuracy", lambda r: r["heldout_accuracy"], 0.97)],
    "full": [("prompt accuracy", lambda r: r["prompt_accuracy"], 0.99),
             ("held-out phrasing accuracy", lambda r: r["heldout_accuracy"], 0.99),
             ("worst digit", lambda r: min(r["prompt_accuracy_per_digit"].values()), 0.95),
             ("worst digit, held-out", lambda r: min(r["heldout_accuracy_per_digit"].values()), 0.95)],
}
COMMON = [
    ("thickness control", lambda r: r["attribute_control"]["thickness"], 0.85),
    ("slant control", lambda r: r["attribute_control"]["slant"], 0.85),
    ("digit-free: class entropy / max", lambda r: r["digit_free_prompts"]["entropy"], 0.90),
    ("digit-free: spread / real", lambda r: r["diversity"]["digit_free_spread"] / r["diversity"]["real_spread_all_digits"],
     0.90),
    ("digit prompt: spread / real", lambda r: r["diversity"]["within_prompt_spread"]
     / r["diversity"]["real_within_class_spread"], 0.90),
    ("digit-free: thickness control", lambda r: r["digit_free_attribute_control"]["thickness"], 0.85),
    ("digit-free: slant control", lambda r: r["digit_free_attribute_control"]["slant"], 0.85),
    ("numbers: worst position", lambda r: min(r["numbers"]["per_position"]), 0.95),
]
TRAIN_LIMIT_REFERENCE_EPOCHS = {"full": 3.0}
GPU_FULL_MNIST_TARGET = 0.98
GRID_PROMPTS = ["a thick, slanted seven", "a thin 7 leaning left", "a bold 3", "the digit two, upright",
                "a thin five leaning right", "a heavy 8", "a 0 written in thin strokes", "a 4 leaning left",
                "a 1 that is slanted right", "a chunky nine", "a handwritten digit", "a thick digit",
                "the number 42", "2026", "a thick 7 next to a thin 1"]


def _line(name, value, target, fmt="{:6.1%}", at_least=True):
    met = value >= target if at_least else value <= target
    sign = ">=" if at_least else "<="
    return f"target      {name:<32} {fmt.format(value)}  ({sign} {fmt.format(target).strip()}) " \
           f"{'met' if met else 'NOT met'}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="quick", choices=["quick", "full"])
    parser.add_argument("--data", default="mnist-5k", help="auto, mnist, mnist-5k or digits8x8")
    parser.add_argument("--epochs", type=int, default=None, help="override the preset's epochs")
    parser.add_argument("--run-dir", default=None, help="default: runs/bench_text2image_<config>_<data>")
    parser.add_argument("--fresh", action="store_true", help="start over even if the run directory has a run")
    parser.add_argument("--pretrained", action="store_true", help="evaluate the shipped model, train nothing")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    cl.quiet_tensorflow()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_lib import text2image as t2i

    report = cl.device_report(verbose=False)
    reference = measure_reference_epoch()
    print(describe(reference))
    if args.pretrained:
        run = t2i.load_pretrained()
        run_dir, seconds, config = run.run_dir, None, run.config
        out_dir = Path("runs/bench_text2image_pretrained")
    else:
        run_dir = Path(args.run_dir or f"runs/bench_text2image_{args.config}_{args.data}")
        config = t2i.Text2ImageConfig.preset(args.config, **({"num_epochs": args.epochs} if args.epochs else {}))
        pointer, timing = run_dir / "checkpoints" / "latest.json", run_dir / "bench.json"
        before = 0 if args.fresh or not pointer.exists() else json.loads(pointer.read_text())["epoch"]
        start = time.monotonic()
        t2i.train(run_dir, config, source=args.data, fresh=args.fresh, seed=args.seed, verbose=2)
        seconds, train_reference = time.monotonic() - start, reference
        if before == 0:  # trained from scratch in this session: keep the time for later evaluations
            # measured again after training, as one reading before a 20-minute run can be off by a third
            train_reference = around_a_run(reference, measure_reference_epoch())
            timing.write_text(json.dumps({"train_seconds": seconds, "reference": train_reference}, indent=2))
        elif timing.exists() and before >= config.num_epochs:  # finished earlier: its own time and machine speed
            saved = json.loads(timing.read_text())
            seconds, train_reference = saved["train_seconds"], saved["reference"]
        else:  # resumed half-way, or timed by nobody: no comparable training time
            seconds = None
        run = t2i.load_run(run_dir)
        out_dir = run_dir
    start = time.monotonic()
    result = t2i.evaluate(loaded=run, verbose=False, progress=True, seed=args.seed)
    eval_seconds = time.monotonic() - start
    result["device"] = ", ".join(report["gpus"]) or f"CPU ({report['cpu_count']} cores)"
    result["reference_epoch"] = reference
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "evaluation.json").write_text(json.dumps(result, indent=2))
    drawn = run.generate(GRID_PROMPTS, n=8, seed=args.seed)
    grid = out_dir / "samples.png"
    plt.close(t2i.plot_generation(drawn, save_to=grid))

    print()
    print(f"model       {run.describe()}, {config.num_epochs} epochs")
    print(f"device      {result['device']}, TensorFlow {report['tensorflow']}, Keras {report['keras']}")
    if seconds is not None and "after_s" in train_reference:
        print(f"train time  {over_a_run(seconds, train_reference['before_s'], train_reference['after_s'])}")
    elif seconds is not None:  # a bench.json written before the second measurement
        print(f"train time  {in_reference_epochs(seconds, train_reference)} (measured when it trained: "
              f"{describe(train_reference)})")
    print(f"evaluate    {in_reference_epochs(eval_seconds, reference)}")
    print(t2i.format_table(result))
    print()
    gpu_full = result["source"] == "mnist" and report["gpus"]
    quality = QUALITY[config.name] if not gpu_full else [("prompt accuracy", QUALITY["full"][0][1],
                                                          GPU_FULL_MNIST_TARGET)]
    for name, read, target in quality + COMMON:
        print(_line(name, read(result), target))
    style = result["numbers"]
    for attribute in ("thickness", "slant"):
        within, across = style["style_spread_within_number"][attribute], style["style_spread_across_numbers"][attribute]
        print(f"target      {'numbers: ' + attribute + ' spread':<32} {within:6.3f} within a number < {across:.3f} "
              f"across numbers: {'met' if within < across else 'NOT met'}")
    limit = TRAIN_LIMIT_REFERENCE_EPOCHS.get(config.name)
    if seconds is not None and limit and not gpu_full:
        print(_line("training time (reference epochs)", seconds / train_reference["reference_epoch_s"], limit,
                    fmt="{:6.2f}", at_least=False))
    print(f"samples     {grid}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
