"""Time one text2image training step with and without XLA, in milliseconds and in reference epochs.

    python bench/bench_train_step.py                   # the quick preset, batch 32
    python bench/bench_train_step.py --config full --steps 20 --rounds 2

Builds the preset's GAN four times, without XLA, with, with, without (so that neither comes first
only: the first model of a process trained slower here), runs ``fit`` on the same synthetic images and
caption vectors, and prints each model's first call (tracing, and compiling with XLA) and the median of
several timed rounds of ``--steps`` steps, next to the reference epoch measured just before.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from reference_epoch import describe, measure_reference_epoch

TEXT_DIM = 100  # the size of the quick sentence encoder's vectors; the step's cost hardly depends on it


def time_steps(config, *, steps: int, rounds: int) -> tuple[float, float]:
    """(seconds of the first fit() of ``steps`` steps, median seconds per step over ``rounds`` later fits)."""
    from course_lib import text2image as t2i

    rng = np.random.default_rng(0)
    n = config.batch_size * steps
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    vectors = rng.standard_normal((n, 2, TEXT_DIM)).astype(np.float32)
    dataset = t2i.caption_dataset(images, vectors, config.batch_size).cache()
    gan = t2i.build_text2image_gan(config, TEXT_DIM)
    start = time.perf_counter()
    gan.fit(dataset, epochs=1, verbose=0)
    first = time.perf_counter() - start
    per_step = []
    for _ in range(rounds):
        start = time.perf_counter()
        gan.fit(dataset, epochs=1, verbose=0)
        per_step.append((time.perf_counter() - start) / steps)
    return first, statistics.median(per_step)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="quick", choices=("quick", "full"))
    parser.add_argument("--steps", type=int, default=40, help="steps per timed round (default 40)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the median is printed (default 3)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.rounds < 1:
        parser.error("--steps and --rounds must be at least 1")

    import course_lib as cl
    from course_lib import text2image as t2i

    cl.quiet_tensorflow()
    measured = measure_reference_epoch()
    print(describe(measured), flush=True)
    results = {True: [], False: []}
    for jit in (False, True, True, False):
        config = t2i.Text2ImageConfig.preset(args.config, jit_compile=jit)
        results[jit].append(time_steps(config, steps=args.steps, rounds=args.rounds))
    reference = measured["reference_epoch_s"]
    steps_per_epoch = 60_000 / t2i.Text2ImageConfig.preset(args.config).batch_size
    print(f"{args.config} preset, batch {t2i.Text2ImageConfig.preset(args.config).batch_size}, "
          f"median of {args.rounds} rounds of {args.steps} steps:")
    best = {}
    for jit, runs in results.items():
        best[jit] = min(step for _, step in runs)
        print(f"  {'XLA    ' if jit else 'no XLA '} {best[jit] * 1000:6.1f} ms per step, the faster of two models "
              f"(a 60,000-image epoch: {best[jit] * steps_per_epoch / reference:.2f} reference epochs); "
              f"each: {', '.join(f'{step * 1000:.1f} ms' for _, step in runs)}; "
              f"first calls {', '.join(f'{first:.1f} s' for first, _ in runs)}")
    print(f"  XLA takes {best[True] / best[False]:.2f} of the time per step")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
