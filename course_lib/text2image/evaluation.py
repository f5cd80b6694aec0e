"""How well does a text2image run obey its prompts? Week 3's digit classifier judges (``course_lib.metrics``).

Each measure is its own function, so the CLI, the notebook and an app can call them one by one;
``evaluate`` runs them all and returns a JSON-ready dict (``format_table`` prints it).

* ``prompt_accuracy``: the share of digits the classifier reads as the digit each prompt asks for
  (on captions of test digits, in the training phrasings and in held-out ones; each prompt drawn
  with noise of its own);
* ``attribute_control``: with the same noise, does "thick" draw a thicker stroke than "thin",
  and "leaning right" a larger slant than "leaning left"? Also for prompts that name no digit;
* ``digit_free_prompts``: which digits prompts that name none ("a handwritten digit") draw: the
  class histogram and its entropy (1 = all ten equally often);
* ``within_prompt_spread``: how varied the drawings of one prompt are, next to real digits
  (``real_spread``);
* ``number_accuracy``: numbers of several digits, the classifier reading each 28-px slot, and
  whether a number is written in one hand (thickness and slant vary less within a number);
* ``robustness``: accuracy with a typo, an extra unknown word, or noise on the text vector;
* fidelity: SSIM and MSE to the nearest real digit of the same class, the copy check
  (``metrics.fidelity_to_real``), and the Fréchet distance next to its real-versus-real baseline.

The measures take a ``TrainedRun`` (``run.load_run``) and the classifier (``metrics.load_judge``).
"""
from __future__ import annotations

import warnings

import numpy as np

from course_lib.data import BYTE_RANGE, TANH_RANGE, convert_range
from course_lib.metrics import (
    classifier_features,
    fidelity_to_real,
    frechet_classifier_distance,
    load_judge,
    predict_probs,
)
from course_lib.text.captions import DIGIT_WORDS
from course_lib.text2image.dataset import measure_slant, measure_thickness
from course_lib.text2image.model import generate_images
from course_lib.text2image.run import TrainedRun, load_run, prepare_data

# Prompts that name no digit, plain; TrainedRun.generate should draw every digit for them.
NEUTRAL_PROMPTS = ["a handwritten digit", "any digit", "a random number", "something handwritten"]
# (more, less) of an attribute, for each digit written as a word and as a numeral ({d}), and with no digit
ATTRIBUTE_PAIRS = {
    "thickness": [("a thick {d}", "a thin {d}"),
                  ("the digit {d} written in bold strokes", "the digit {d} written in thin strokes")],
    "slant": [("a {d} leaning right", "a {d} leaning left"), ("a {d}, slanted right", "a {d}, slanted left")],
}
DIGIT_FREE_PAIRS = {"thickness": ("a thick digit", "a thin digit"),
                    "slant": ("a digit leaning right", "a digit leaning left")}
# Numbers of 2 to 4 digits, as numerals and in words; evaluate adds random ones
NUMBER_PROMPTS = ["the number 42", "2026", "forty-two", "the number 305", "nineteen eighty-four", "a thick 90",
                  "the number 7, followed by a 1", "6813"]
_ATTRIBUTE_MEASURES = {"thickness": measure_thickness, "slant": measure_slant}
_TYPO = {"handwritten": "handwriten", "thick": "thik", "digit": "digt", "written": "writen", "strokes": "strokse"}


def _encode(run: TrainedRun, prompts) -> np.ndarray:
    with warnings.catch_warnings():  # typos and unknown words are the point of some measures
        warnings.simplefilter("ignore")
        return run.encoder.encode(list(prompts))


def _draw(run: TrainedRun, vectors, n: int, seed: int) -> np.ndarray:
    """(P, n, 28, 28) images in [-1, 1] for caption vectors themselves (e.g. with noise added)."""
    return generate_images(run.generator, vectors, n, seed=seed, latent_dim=run.config.latent_dim)


def _generate(run: TrainedRun, prompts, n: int, seed: int):
    """What a user gets for ``prompts``: ``run.generate``, its warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run.generate(prompts, n=n, seed=seed)


def _digits(run: TrainedRun, prompts, n: int, seed: int) -> np.ndarray:
    """(P, n, 28, 28) uint8 drawings of one-digit prompts, as ``run.generate`` draws them."""
    return _generate(run, prompts, n, seed).images[..., :28]


def _digits_own_noise(run: TrainedRun, prompts, n: int, seed: int) -> np.ndarray:
    """Like ``_digits``, but every prompt drawn with noise of its own. With the same ``n`` noise vectors for all
    prompts, one odd vector sways every prompt at once: one quick run's held-out accuracy read 95.7-98.5% over six
    seeds that way, and 96.0-97.1% this way."""
    seeds = np.random.SeedSequence(seed).generate_state(len(prompts))
    return np.stack([_digits(run, [prompt], n, int(s))[0] for prompt, s in zip(prompts, seeds)])


def _predicted_digits(classifier, images, value_range=BYTE_RANGE) -> np.ndarray:
    """The classifier's digit for each of (..., 28, 28) images, shaped (...)."""
    images = np.asarray(images)
    probs = predict_probs(classifier, images.reshape((-1,) + images.shape[-2:]), value_range=value_range)
    return probs.argmax(axis=1).reshape(images.shape[:-2])


def _slots(images: np.ndarray, length: int) -> np.ndarray:
    """(n, 28, 28 * K) drawings -> (n, length, 28, 28): the digit in each 28-px slot."""
    n = len(images)
    return images[:, :, : 28 * length].reshape(n, 28, length, 28).transpose(0, 2, 1, 3)


# ------------------------------------------------------------------ the measures
def evaluation_prompts(data: dict, prompts_per_digit: int = 10, *, seed: int = 0):
    """Captions of test images, ``prompts_per_digit`` per digit: (training-phrasing prompts,
    held-out-phrasing prompts of the same images, their digits)."""
    rng = np.random.default_rng(seed)
    test = data["is_test"]
    prompts, heldout, labels = [], [], []
    for d in range(10):
        idx = rng.choice(np.flatnonzero(test & (data["labels"] == d)), prompts_per_digit, replace=False)
        prompts += [data["captions"][i, rng.integers(data["captions"].shape[1])] for i in idx]
        heldout += [data["heldout_captions"][i, rng.integers(data["heldout_captions"].shape[1])] for i in idx]
        labels += [d] * prompts_per_digit
    return prompts, heldout, np.asarray(labels)


def prompt_accuracy(run: TrainedRun, classifier, prompts, labels, *, n: int = 10, seed: int = 0,
                    vectors=None, images=None) -> np.ndarray:
    """Per prompt, the share of its ``n`` digits that the classifier reads as ``labels``'s digit.

    Each prompt is drawn with noise of its own. ``vectors`` replaces the prompts' own encoding (e.g. with
    noise added; drawn with the same noise for every prompt, so that variants of one prompt compare);
    ``images`` (P, n, 28, 28) uint8 are drawings already made for the prompts.
    """
    if images is None and vectors is not None:
        images = convert_range(_draw(run, vectors, n, seed), TANH_RANGE, BYTE_RANGE)
    elif images is None:
        images = _digits_own_noise(run, prompts, n, seed)
    return (_predicted_digits(classifier, images) == np.asarray(labels)[:, None]).mean(axis=1)


def attribute_control(run: TrainedRun, attribute: str, *, n: int = 10, seed: int = 0) -> float:
    """Share of prompt pairs ("a thick 7" / "a thin 7", same noise) whose first image set measures
    more of ``attribute`` ("thickness" or "slant") than the second."""
    measure = _ATTRIBUTE_MEASURES[attribute]
    pairs = [(more.format(d=word), less.format(d=word)) for d in range(10) for word in (DIGIT_WORDS[d], str(d))
             for more, less in ATTRIBUTE_PAIRS[attribute]]
    images = _digits(run, [p for pair in pairs for p in pair], n, seed)  # one call for all
    more, less = images[0::2], images[1::2]
    amount = [measure(x.reshape((-1,) + x.shape[-2:]), value_range=BYTE_RANGE).reshape(x.shape[:2]).mean(axis=1)
              for x in (more, less)]
    return float(np.mean(amount[0] > amount[1]))


def digit_free_control(run: TrainedRun, attribute: str, *, n: int = 20, seed: int = 0) -> float:
    """For prompts that name no digit ("a thick digit" / "a thin digit"): the share of drawings, the
    same digit and noise on both sides, whose first measures more of ``attribute`` than the second."""
    more, less = DIGIT_FREE_PAIRS[attribute]
    images = _generate(run, [more, less], n, seed).images
    amount = [_ATTRIBUTE_MEASURES[attribute](images[i], value_range=BYTE_RANGE) for i in (0, 1)]
    return float(np.mean(amount[0] > amount[1]))


def class_entropy(histogram) -> float:
    """Entropy of a class histogram over its maximum, log(classes): 1 when every class is equally common."""
    p = np.asarray(histogram, dtype=np.float64)
    p = p / max(p.sum(), 1e-12)
    nonzero = p[p > 0]
    return float(-(nonzero * np.log(nonzero)).sum() / np.log(len(p)))


def digit_free_prompts(run: TrainedRun, classifier, prompts=NEUTRAL_PROMPTS, *, n: int = 50, seed: int = 0) -> dict:
    """What prompts that name no digit draw: the classifier's class histogram over all their
    drawings, its entropy (``class_entropy``) and the share of drawings read as the digit chosen."""
    gen = _generate(run, prompts, n, seed)
    read = _predicted_digits(classifier, gen.images[..., :28])
    histogram = np.bincount(read.ravel(), minlength=10)
    return {"prompts": list(prompts), "class_histogram": histogram.tolist(),
            "classes_present": int((histogram > 0).sum()), "entropy": class_entropy(histogram),
            "reads_as_chosen_digit": float((read == gen.digits[..., 0]).mean())}


def _mean_spread(features: np.ndarray) -> float:
    """Mean distance of feature vectors (rows) from their centre."""
    return float(np.linalg.norm(features - features.mean(axis=0), axis=1).mean())


def within_prompt_spread(run: TrainedRun, classifier, prompts, *, n: int = 20, seed: int = 0,
                         images=None) -> float:
    """How varied the digits of one prompt are: the mean spread of their classifier features, over ``prompts``.

    ``images``: drawings already made (P, n, 28, 28) uint8, e.g. of prompts that name no digit.
    """
    if images is None:
        images = _digits(run, prompts, n, seed)
    n = images.shape[1]
    features = classifier_features(classifier, images.reshape((-1,) + images.shape[2:]), value_range=BYTE_RANGE)
    return float(np.mean([_mean_spread(row) for row in features.reshape(len(images), n, -1)]))


def real_spread(classifier, images, labels=None, *, size: int = 20, repeats: int = 20, seed: int = 0,
                value_range=BYTE_RANGE) -> float:
    """The same spread for real digits, in random sets of ``size`` (a prompt's ``n``, since the spread
    of a few points is a little smaller than of many): from one class at a time (``labels``), or
    from all digits (``labels=None``), to compare with prompts that name no digit."""
    rng = np.random.default_rng(seed)
    features = classifier_features(classifier, images, value_range=value_range)
    groups = [np.arange(len(features))] if labels is None else [np.flatnonzero(labels == d) for d in np.unique(labels)]
    return float(np.mean([_mean_spread(features[rng.choice(g, min(size, len(g)), replace=False)])
                          for g in groups for _ in range(repeats)]))


def number_accuracy(run: TrainedRun, classifier, prompts=NUMBER_PROMPTS, *, n: int = 10, seed: int = 0) -> dict:
    """Numbers of several digits: the classifier reads every 28-px slot (accuracy per position, from
    the left, and per number of digits), and thickness and slant are measured in every slot.

    A number written in one hand varies less within a drawing than across drawings: the style
    spread compares the standard deviation over one drawing's slots with the same over slots
    taken from different drawings of the same prompt (the same digits, other noise).
    """
    gen = _generate(run, prompts, n, seed)
    hits, lengths, within, across = [], [], {a: [] for a in _ATTRIBUTE_MEASURES}, {a: [] for a in _ATTRIBUTE_MEASURES}
    rng = np.random.default_rng(seed)
    for i, length in enumerate(gen.lengths):
        slots = _slots(gen.images[i], int(length))  # (n, L, 28, 28)
        hits.append(_predicted_digits(classifier, slots) == gen.digits[i, :, :length])
        lengths.append(int(length))
        if length < 2:
            continue
        for name, measure in _ATTRIBUTE_MEASURES.items():
            values = measure(slots.reshape(-1, 28, 28), value_range=BYTE_RANGE).reshape(n, length)
            shuffled = np.stack([rng.permutation(values[:, k]) for k in range(length)], axis=1)
            within[name].append(values.std(axis=1).mean())
            across[name].append(shuffled.std(axis=1).mean())
    longest = max(lengths)
    per_position = [float(np.mean([h[:, k].mean() for h in hits if h.shape[1] > k])) for k in range(longest)]
    per_length = {str(k): float(np.mean([h.mean() for h, m in zip(hits, lengths) if m == k]))
                  for k in sorted(set(lengths))}
    return {"prompts": list(prompts), "accuracy": float(np.mean([h.mean() for h in hits])),
            "per_position": per_position, "per_length": per_length,
            "style_spread_within_number": {a: float(np.mean(v)) for a, v in within.items()},
            "style_spread_across_numbers": {a: float(np.mean(v)) for a, v in across.items()}}


def number_prompts(count: int = 24, *, seed: int = 0) -> list[str]:
    """``NUMBER_PROMPTS`` and random numbers of 2 to 4 digits ("the number 5087", "381"), ``count`` in all."""
    rng = np.random.default_rng(seed)
    extra = []
    while len(NUMBER_PROMPTS) + len(extra) < count:
        digits = "".join(str(d) for d in rng.integers(0, 10, rng.integers(2, 5)))
        extra.append(f"the number {digits}" if len(extra) % 2 else digits)
    return NUMBER_PROMPTS[:count] + extra


def robustness(run: TrainedRun, classifier, prompts, labels, *, n: int = 10, seed: int = 0) -> dict:
    """Prompt accuracy with a typo, with an extra unknown word, and with 10% noise on the text vector."""
    def typo(prompt):
        return " ".join(_TYPO.get(w, w) for w in prompt.split(" "))

    vectors = _encode(run, prompts)
    noise = np.random.default_rng(seed).normal(size=vectors.shape).astype(np.float32)
    noise *= 0.1 * np.linalg.norm(vectors, axis=1, keepdims=True) / np.sqrt(vectors.shape[1])
    # one drawing call for the three variants
    variants = np.concatenate([_encode(run, [typo(p) for p in prompts]),
                               _encode(run, [p + " blorptastic" for p in prompts]), vectors + noise])
    accuracy = prompt_accuracy(run, classifier, list(prompts) * 3, np.tile(labels, 3), n=n, seed=seed,
                               vectors=variants).reshape(3, -1).mean(axis=1)
    return dict(zip(("typo", "extra_unknown_word", "text_vector_noise_10pct"), map(float, accuracy)))


def frechet_distance_to_real(run: TrainedRun, classifier, prompts, real_images, *, n: int = 10, seed: int = 0,
                             real_range=BYTE_RANGE, images=None) -> float:
    """Fréchet distance between real digits and the digits drawn for ``prompts``, in the classifier's features.

    ``images``: drawings already made for the prompts, (P, n, 28, 28) uint8.
    """
    fake = _digits_own_noise(run, prompts, n, seed) if images is None else images
    return frechet_classifier_distance(real_images, fake.reshape((-1,) + fake.shape[2:]), classifier,
                                       real_range=real_range, fake_range=BYTE_RANGE)


# ------------------------------------------------------------------ all of them
def evaluate(run_dir=None, *, prompts_per_digit: int = 10, n: int = 10, seed: int = 0,
             loaded: TrainedRun | None = None, classifier=None, verbose: bool = True, progress: bool = False) -> dict:
    """Every measure above on a trained run, as a JSON-ready dict (printed as a table with ``verbose``).

    ``run_dir=None`` evaluates what ``load_run()`` loads (the default run, else the pretrained model);
    ``progress`` shows a progress bar over the measures.
    """
    from tqdm.auto import tqdm

    run = loaded or load_run(run_dir)
    classifier = classifier or load_judge(run.source, verbose=verbose)
    data = prepare_data(run.source, verbose=False)
    test, train = data["is_test"], ~data["is_test"]
    prompts, heldout, labels = evaluation_prompts(data, prompts_per_digit, seed=seed)
    steps = tqdm(total=9, desc="evaluate", disable=not progress, leave=False)

    def step(name):
        steps.set_postfix_str(name)
        steps.update()

    images = _digits_own_noise(run, prompts, n, seed)  # drawn once: accuracy, fidelity, Fréchet distance
    accuracy = prompt_accuracy(run, classifier, prompts, labels, images=images)
    step("prompt accuracy")
    heldout_accuracy = prompt_accuracy(run, classifier, heldout, labels, n=n, seed=seed)
    step("held-out phrasings")
    control = {a: attribute_control(run, a, n=n, seed=seed) for a in ATTRIBUTE_PAIRS}
    control_free = {a: digit_free_control(run, a, n=2 * n, seed=seed) for a in DIGIT_FREE_PAIRS}
    step("attribute control")
    free = digit_free_prompts(run, classifier, n=5 * n, seed=seed)
    spread_n = 2 * n
    free_images = _generate(run, NEUTRAL_PROMPTS, spread_n, seed).images[..., :28]
    digit_prompts = [f"a {DIGIT_WORDS[d] if d % 2 else d}" for d in range(10)]
    diversity = {
        "digit_free_spread": within_prompt_spread(run, classifier, NEUTRAL_PROMPTS, images=free_images),
        "real_spread_all_digits": real_spread(classifier, data["images"][test], size=spread_n, seed=seed),
        "within_prompt_spread": within_prompt_spread(run, classifier, digit_prompts, n=spread_n, seed=seed),
        "real_within_class_spread": real_spread(classifier, data["images"][test], data["labels"][test],
                                                size=spread_n, seed=seed),
        "spread_prompts": digit_prompts,
    }
    step("diversity")
    numbers = number_accuracy(run, classifier, number_prompts(seed=seed), n=n, seed=seed)
    step("numbers")
    robust = robustness(run, classifier, prompts, labels, n=n, seed=seed)
    step("robustness")
    fidelity = fidelity_to_real(images.reshape(-1, 28, 28), np.repeat(labels, n), data["images"][train],
                                data["labels"][train], data["images"][test], data["labels"][test],
                                value_range=BYTE_RANGE, real_range=BYTE_RANGE)
    step("fidelity")
    # Fréchet distances to the training digits: the drawings, and real test digits as the baseline (same size)
    pick = np.random.default_rng(seed).permutation(np.flatnonzero(test))[: images.shape[0] * n]
    fcd = frechet_distance_to_real(run, classifier, prompts, data["images"][train], images=images)
    fcd_real = frechet_classifier_distance(data["images"][train], data["images"][pick], classifier,
                                           real_range=BYTE_RANGE, fake_range=BYTE_RANGE)
    step("Fréchet distance")
    steps.close()
    result = {
        "run_dir": str(run.run_dir),
        "pretrained": run.pretrained,
        "source": run.source,
        "preset": run.config.name,
        "samples_per_prompt": n,
        "prompt_accuracy": float(accuracy.mean()),
        "prompt_accuracy_per_digit": {str(d): float(accuracy[labels == d].mean()) for d in range(10)},
        "heldout_accuracy": float(heldout_accuracy.mean()),
        "heldout_accuracy_per_digit": {str(d): float(heldout_accuracy[labels == d].mean()) for d in range(10)},
        "attribute_control": control,
        "digit_free_attribute_control": control_free,
        "digit_free_prompts": free,
        "diversity": diversity,
        "numbers": numbers,
        "robustness": robust,
        "fidelity": fidelity,
        "frechet_distance_classifier_features": fcd,
        "frechet_distance_real_test_vs_training": fcd_real,
        "frechet_sample_size": int(images.shape[0] * n),
    }
    if verbose:
        print(format_table(result))
    return result


def format_table(r: dict) -> str:
    """A readable table of an evaluation result."""
    d, f, num, free = r["diversity"], r["fidelity"], r["numbers"], r["digit_free_prompts"]
    rows = [
        ("prompt accuracy", f"{r['prompt_accuracy']:.1%}"),
        ("  worst digit", "{} ({:.1%})".format(*min(r["prompt_accuracy_per_digit"].items(), key=lambda kv: kv[1]))),
        ("held-out templates/synonyms", f"{r['heldout_accuracy']:.1%}"),
        ("  worst digit", "{} ({:.1%})".format(*min(r["heldout_accuracy_per_digit"].items(), key=lambda kv: kv[1]))),
        ("thickness control", f"{r['attribute_control']['thickness']:.1%}"),
        ("slant control", f"{r['attribute_control']['slant']:.1%}"),
        ("digit-free prompts: classes", f"{free['classes_present']}/10, entropy {free['entropy']:.2f} of max  "
                                        f"{free['class_histogram']}"),
        ("digit-free: thickness / slant control", f"{r['digit_free_attribute_control']['thickness']:.1%} / "
                                                  f"{r['digit_free_attribute_control']['slant']:.1%}"),
        ("digit-free: spread within a prompt", f"{d['digit_free_spread']:.2f} (real digits, all classes: "
                                               f"{d['real_spread_all_digits']:.2f}; "
                                               f"ratio {d['digit_free_spread'] / d['real_spread_all_digits']:.2f})"),
        ("spread within a digit's prompt", f"{d['within_prompt_spread']:.2f} (real digits of one class: "
                                           f"{d['real_within_class_spread']:.2f}; "
                                           f"ratio {d['within_prompt_spread'] / d['real_within_class_spread']:.2f})"),
        ("numbers: accuracy per position", "  ".join(f"{k + 1}: {a:.1%}" for k, a in enumerate(num["per_position"]))),
        ("numbers: thickness spread", f"{num['style_spread_within_number']['thickness']:.2f} px within a number, "
                                      f"{num['style_spread_across_numbers']['thickness']:.2f} across numbers"),
        ("numbers: slant spread", f"{num['style_spread_within_number']['slant']:.3f} within a number, "
                                  f"{num['style_spread_across_numbers']['slant']:.3f} across numbers"),
        ("robustness: typo", f"{r['robustness']['typo']:.1%}"),
        ("robustness: extra unknown word", f"{r['robustness']['extra_unknown_word']:.1%}"),
        ("robustness: 10% text noise", f"{r['robustness']['text_vector_noise_10pct']:.1%}"),
        ("fidelity: MSE to nearest training digit", f"{f['mse_to_nearest_training_digit']:.4f} (real test digits: "
                                                    f"{f['real_test_mse_to_nearest_training_digit']:.4f})"),
        ("fidelity: SSIM to nearest training digit", f"{f['ssim_to_nearest_training_digit']:.3f} (real test digits: "
                                                     f"{f['real_test_ssim_to_nearest_training_digit']:.3f})"),
        ("copies of training digits", f"{f['copy_share']:.1%} of samples closer than {1 - f['copy_quantile']:.0%} "
                                      f"of real test digits are (real test digits: {f['copy_quantile']:.0%})"),
        ("Fréchet distance (classifier features)", f"{r['frechet_distance_classifier_features']:.2f} (real test vs "
                                                   f"training digits: {r['frechet_distance_real_test_vs_training']:.2f}"
                                                   f"; {r['frechet_sample_size']} images each)"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines.append("per digit: " + "  ".join(f"{d}:{a:.0%}" for d, a in r["prompt_accuracy_per_digit"].items()))
    return "\n".join(lines)


# ------------------------------------------------------------------ the models that ship with the course
def check_pretrained(*, n: int = 10, seed: int = 0) -> dict:
    """Load each shipped model and measure it (``course pretrained check``): the judge's accuracy on
    the bundled test digits, and the text2image model's prompt accuracy on held-out phrasings of
    test captions, as read by that judge. Returns ``{model: one line}`` and the numbers."""
    from course_lib.cnn import read_classifier
    from course_lib.metrics import judge_file
    from course_lib.text2image.run import load_pretrained

    data = prepare_data("mnist-5k", verbose=False)
    test = data["is_test"]
    judge_path = judge_file("mnist-5k")
    judge = read_classifier(judge_path)
    judged = _predicted_digits(judge, data["images"][test], value_range=BYTE_RANGE)
    judge_accuracy = float((judged == data["labels"][test]).mean())
    run = load_pretrained()
    _, heldout, labels = evaluation_prompts(data, 10, seed=seed)
    accuracy = prompt_accuracy(run, judge, heldout, labels, n=n, seed=seed)
    size = sum(p.stat().st_size for p in run.run_dir.iterdir()) / 1e6
    return {
        "judge": f"{judge_path.name}, {judge_path.stat().st_size / 1e6:.1f} MB: {judge_accuracy:.1%} of the "
                 f"{int(test.sum())} test digits",
        "text2image": f"{run.run_dir.name}, {size:.1f} MB ({run.config.name} preset): {accuracy.mean():.1%} prompt "
                      f"accuracy on held-out phrasings (worst digit {min(accuracy[labels == d].mean() for d in range(10)):.1%})",
        "judge_accuracy": judge_accuracy,
        "text2image_heldout_accuracy": float(accuracy.mean()),
    }
