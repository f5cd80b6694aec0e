"""Prompts that name no digit, learned in training instead of chosen when drawing: measured side by side.

    python bench/bench_digit_free.py                                  # trains the quick preset (minutes on 2 cores)
    python bench/bench_digit_free.py --baseline runs/text2image       # and measures a run trained as usual

The option measured here is caption dropout of the digit: a share of the training captions (15% by default) has
its digit replaced by the word "digit" ("a thick digit, leaning left"), so the generator sees such captions with
every class and can learn to draw all of them for one. The course keeps choosing the digit when drawing
(``run.generate``; final_text2image/README.md has that comparison). For this run, and for the baseline run if
given, it prints: the class entropy and the spread of the drawings of digit-free prompts drawn *as written* (their
own caption vector) and *as the course draws them* (the digit chosen), and prompt accuracy on training and held-out
phrasings, each next to its target. Training time is printed in seconds and in reference epochs.
"""
from __future__ import annotations

import argparse
import re
import time
import warnings
from pathlib import Path

import numpy as np

from reference_epoch import describe, measure_reference_epoch, over_a_run

PROMPTS = ["a handwritten digit", "any digit", "a random number", "something handwritten", "a thick digit",
           "a thin digit leaning right"]


def drop_digits(captions: np.ndarray, labels: np.ndarray, share: float, seed: int = 0) -> np.ndarray:
    """``captions`` (N, K) with ``share`` of them, at random, saying "digit" where they named their digit."""
    from course_lib.text import DIGIT_WORDS

    rng = np.random.default_rng(seed)
    out = captions.astype(object)
    for i, j in zip(*np.nonzero(rng.random(captions.shape) < share)):
        d = int(labels[i])
        text = re.sub(rf"\bthe (digit|number|numeral) ({d}|{DIGIT_WORDS[d]})\b", "a digit", str(captions[i, j]), count=1)
        text = re.sub(rf"\b({d}|{DIGIT_WORDS[d]})\b", "digit", text, count=1)
        out[i, j] = re.sub(r"\ban digit\b", "a digit", text)
    return out.astype(str)


def measure(run, judge, data, n: int = 50, seed: int = 0) -> dict:
    from course_lib import text2image as t2i
    from course_lib.data import BYTE_RANGE, TANH_RANGE, convert_range
    from course_lib.metrics import predict_probs

    test = data["is_test"]
    real = t2i.real_spread(judge, data["images"][test], size=20, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        written = convert_range(t2i.generate_images(run.generator, run.encoder.encode(PROMPTS), n, seed=seed,
                                                    latent_dim=run.config.latent_dim), TANH_RANGE, BYTE_RANGE)
        chosen = run.generate(PROMPTS, n=n, seed=seed).images[..., :28]
    result = {}
    for way, images in (("as written", written), ("digit chosen", chosen)):
        read = predict_probs(judge, images.reshape(-1, 28, 28), value_range=BYTE_RANGE).argmax(axis=1)
        histogram = np.bincount(read, minlength=10)
        result[way] = {"entropy": t2i.class_entropy(histogram), "histogram": histogram.tolist(),
                       "spread": t2i.within_prompt_spread(run, judge, PROMPTS, images=images[:, :20]) / real}
    prompts, heldout, labels = t2i.evaluation_prompts(data, 10, seed=seed)
    result["prompt_accuracy"] = float(t2i.prompt_accuracy(run, judge, prompts, labels, n=10, seed=seed).mean())
    result["heldout_accuracy"] = float(t2i.prompt_accuracy(run, judge, heldout, labels, n=10, seed=seed).mean())
    return result


def report(name: str, result: dict) -> None:
    print(f"\n{name}")
    for way in ("as written", "digit chosen"):
        r = result[way]
        print(f"  digit-free prompts, {way:<12}: class entropy / max {r['entropy']:.2f} (target >= 0.90), "
              f"spread / real {r['spread']:.2f} (target >= 0.90); classes read {r['histogram']}")
    print(f"  prompt accuracy {result['prompt_accuracy']:.1%}, held-out phrasings {result['heldout_accuracy']:.1%} "
          "(quick target >= 97%)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", default="runs/bench_digit_free")
    parser.add_argument("--share", type=float, default=0.15, help="share of training captions without their digit")
    parser.add_argument("--config", default="quick", choices=["quick", "full"])
    parser.add_argument("--baseline", help="a run trained as usual, measured the same way")
    args = parser.parse_args(argv)
    if not 0 < args.share < 1:
        parser.error(f"--share must be between 0 and 1, not {args.share}")

    from course_lib import text2image as t2i
    from course_lib.metrics import load_judge
    from course_lib.text2image import run as t2i_run

    if args.baseline and not (Path(args.baseline) / "config.json").is_file():
        parser.error(f"--baseline {args.baseline}: no trained run there")
    reference = measure_reference_epoch()
    print(describe(reference), flush=True)
    prepare = t2i_run.prepare_data

    def with_dropped_digits(source, verbose=True):
        data = dict(prepare(source, verbose=verbose))
        data["captions"] = drop_digits(data["captions"], data["labels"], args.share)
        return data

    t2i_run.prepare_data = with_dropped_digits  # what train() reads; measuring reads the captions as they are
    start = time.monotonic()
    try:
        t2i.train(args.run_dir, t2i.Text2ImageConfig.preset(args.config), source="auto", fresh=True)
    finally:
        t2i_run.prepare_data = prepare
    took = time.monotonic() - start
    after = measure_reference_epoch()
    print(f"\ntraining with {args.share:.0%} of captions digit-free: "
          f"{over_a_run(took, reference['reference_epoch_s'], after['reference_epoch_s'])}")
    run = t2i.load_run(args.run_dir)
    judge = load_judge(run.source, verbose=False)
    data = prepare(run.source, verbose=False)
    report(f"{args.run_dir} ({args.share:.0%} digit-free captions)", measure(run, judge, data))
    if args.baseline:
        report(f"{args.baseline} (trained as usual)", measure(t2i.load_run(args.baseline), judge, data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
