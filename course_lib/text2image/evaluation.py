"""How well does a text2image run obey its prompts? Week 3's digit classifier judges (``course_lib.metrics``).

Each measure is its own function, so the CLI, the notebook and an app can call them one by one;
``evaluate`` runs them all and returns a JSON-ready dict.

* ``prompt_accuracy``: the share of digits the classifier reads as the digit each prompt asks for;
* ``attribute_control``: with the same noise, does "thick" draw a thicker stroke than "thin",
  and "leaning right" a larger slant than "leaning left"?
* held-out phrasing: ``prompt_accuracy`` on caption templates and synonyms never seen in training;
* ``neutral_histogram`` and ``within_prompt_spread``: diversity;
* ``robustness``: accuracy with a typo, an extra unknown word, or noise on the text vector;
* ``frechet_distance_to_real``: real against generated digits, in the classifier's features.

The measures take a ``TrainedRun`` (``run.load_run``) and the classifier (``metrics.load_judge``).
"""
from __future__ import annotations

import warnings

import numpy as np

from course_lib.data import BYTE_RANGE, TANH_RANGE
from course_lib.metrics import classifier_features, frechet_classifier_distance, load_judge, predict_probs
from course_lib.text.captions import DIGIT_WORDS
from course_lib.text2image.dataset import measure_slant, measure_thickness
from course_lib.text2image.model import generate_images
from course_lib.text2image.run import DEFAULT_RUN_DIR, TrainedRun, load_run, prepare_data

NEUTRAL_PROMPTS = ["a handwritten digit", "a digit", "the number, written by hand"]
# (more, less) of an attribute, for each digit written as a word and as a numeral
ATTRIBUTE_PAIRS = {
    "thickness": [("a thick {d}", "a thin {d}"),
                  ("the digit {d} written in bold strokes", "the digit {d} written in thin strokes")],
    "slant": [("a {d} leaning right", "a {d} leaning left"), ("a {d}, slanted right", "a {d}, slanted left")],
}
_ATTRIBUTE_MEASURES = {"thickness": measure_thickness, "slant": measure_slant}
_TYPO = {"handwritten": "handwriten", "thick": "thik", "digit": "digt", "written": "writen", "strokes": "strokse"}


def _encode(run: TrainedRun, prompts) -> np.ndarray:
    with warnings.catch_warnings():  # typos and unknown words are the point of some measures
        warnings.simplefilter("ignore")
        return run.encoder.encode(list(prompts))


def _draw(run: TrainedRun, vectors, n: int, seed: int) -> np.ndarray:
    """(P, n, 28, 28) images in [-1, 1], the same noise for every vector."""
    return generate_images(run.generator, vectors, n, seed=seed, latent_dim=run.config.latent_dim)


def _predicted_digits(classifier, images) -> np.ndarray:
    """The classifier's digit for each of (P, n, 28, 28) generated images, shaped (P, n)."""
    probs = predict_probs(classifier, images.reshape((-1,) + images.shape[2:]), value_range=TANH_RANGE)
    return probs.argmax(axis=1).reshape(images.shape[:2])


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
                    vectors=None) -> np.ndarray:
    """Per prompt, the share of its ``n`` digits that the classifier reads as ``labels``'s digit.

    ``vectors`` replaces the prompts' own encoding (e.g. with noise added).
    """
    vectors = _encode(run, prompts) if vectors is None else vectors
    return (_predicted_digits(classifier, _draw(run, vectors, n, seed)) == np.asarray(labels)[:, None]).mean(axis=1)


def attribute_control(run: TrainedRun, attribute: str, *, n: int = 10, seed: int = 0) -> float:
    """Share of prompt pairs ("a thick 7" / "a thin 7", same noise) whose first image set measures
    more of ``attribute`` ("thickness" or "slant") than the second."""
    measure = _ATTRIBUTE_MEASURES[attribute]
    wins = []
    for d in range(10):
        for word in (DIGIT_WORDS[d], str(d)):
            for more, less in ATTRIBUTE_PAIRS[attribute]:
                images = _draw(run, _encode(run, [more.format(d=word), less.format(d=word)]), n, seed)
                wins.append(measure(images[0], value_range=TANH_RANGE) > measure(images[1], value_range=TANH_RANGE))
    return float(np.mean(wins))


def neutral_histogram(run: TrainedRun, classifier, *, n: int = 100, seed: int = 0) -> np.ndarray:
    """How many of the digits drawn for prompts that name no digit the classifier reads as each digit."""
    digits = _predicted_digits(classifier, _draw(run, _encode(run, NEUTRAL_PROMPTS), n, seed))
    return np.bincount(digits.ravel(), minlength=10)


def _mean_spread(features: np.ndarray) -> float:
    """Mean distance of feature vectors (rows) from their centre."""
    return float(np.linalg.norm(features - features.mean(axis=0), axis=1).mean())


def within_prompt_spread(run: TrainedRun, classifier, prompts, *, n: int = 20, seed: int = 0) -> float:
    """How varied the digits of one prompt are: the mean spread of their classifier features, over ``prompts``."""
    images = _draw(run, _encode(run, prompts), n, seed)
    features = classifier_features(classifier, images.reshape((-1,) + images.shape[2:]), value_range=TANH_RANGE)
    return float(np.mean([_mean_spread(row) for row in features.reshape(len(images), n, -1)]))


def real_within_class_spread(classifier, images, labels, *, value_range=BYTE_RANGE) -> float:
    """The same spread for real digits of one class, averaged over the classes: what to compare with."""
    features = classifier_features(classifier, images, value_range=value_range)
    return float(np.mean([_mean_spread(features[labels == d]) for d in np.unique(labels)]))


def robustness(run: TrainedRun, classifier, prompts, labels, *, n: int = 10, seed: int = 0) -> dict:
    """Prompt accuracy with a typo, with an extra unknown word, and with 10% noise on the text vector."""
    def typo(prompt):
        return " ".join(_TYPO.get(w, w) for w in prompt.split(" "))

    vectors = _encode(run, prompts)
    noise = np.random.default_rng(seed).normal(size=vectors.shape).astype(np.float32)
    noise *= 0.1 * np.linalg.norm(vectors, axis=1, keepdims=True) / np.sqrt(vectors.shape[1])
    return {
        "typo": float(prompt_accuracy(run, classifier, [typo(p) for p in prompts], labels, n=n, seed=seed).mean()),
        "extra_unknown_word": float(prompt_accuracy(run, classifier, [p + " blorptastic" for p in prompts], labels,
                                                    n=n, seed=seed).mean()),
        "text_vector_noise_10pct": float(prompt_accuracy(run, classifier, prompts, labels, n=n, seed=seed,
                                                         vectors=vectors + noise).mean()),
    }


def frechet_distance_to_real(run: TrainedRun, classifier, prompts, real_images, *, n: int = 10, seed: int = 0,
                             real_range=BYTE_RANGE) -> float:
    """Fréchet distance between real digits and the digits drawn for ``prompts``, in the classifier's features."""
    fake = _draw(run, _encode(run, prompts), n, seed)
    return frechet_classifier_distance(real_images, fake.reshape((-1,) + fake.shape[2:]), classifier,
                                       real_range=real_range, fake_range=TANH_RANGE)


# ------------------------------------------------------------------ all of them
def evaluate(run_dir=DEFAULT_RUN_DIR, *, prompts_per_digit: int = 10, n: int = 10, seed: int = 0,
             loaded: TrainedRun | None = None, classifier=None, verbose: bool = True) -> dict:
    """Every measure above on a trained run, as a JSON-ready dict (printed as a table with ``verbose``)."""
    run = loaded or load_run(run_dir)
    classifier = classifier or load_judge(run.source, verbose=False)
    data = prepare_data(run.source, verbose=False)
    test = data["is_test"]
    prompts, heldout, labels = evaluation_prompts(data, prompts_per_digit, seed=seed)
    accuracy = prompt_accuracy(run, classifier, prompts, labels, n=n, seed=seed)
    histogram = neutral_histogram(run, classifier, seed=seed)
    result = {
        "run_dir": str(run.run_dir),
        "source": run.source,
        "preset": run.config.name,
        "samples_per_prompt": n,
        "prompt_accuracy": float(accuracy.mean()),
        "prompt_accuracy_per_digit": {str(d): float(accuracy[labels == d].mean()) for d in range(10)},
        "heldout_accuracy": float(prompt_accuracy(run, classifier, heldout, labels, n=n, seed=seed).mean()),
        "attribute_control": {a: attribute_control(run, a, n=n, seed=seed) for a in ATTRIBUTE_PAIRS},
        "diversity": {"neutral_prompt_class_histogram": histogram.tolist(),
                      "classes_present": int((histogram > 0).sum()),
                      "within_prompt_spread": within_prompt_spread(run, classifier, prompts[::prompts_per_digit],
                                                                   seed=seed),
                      "real_within_class_spread": real_within_class_spread(classifier, data["images"][test],
                                                                           data["labels"][test])},
        "robustness": robustness(run, classifier, prompts, labels, n=n, seed=seed),
        "frechet_distance_classifier_features": frechet_distance_to_real(run, classifier, prompts,
                                                                         data["images"][test], n=n, seed=seed + 1),
    }
    if verbose:
        print(format_table(result))
    return result


def format_table(r: dict) -> str:
    """A readable table of an evaluation result."""
    rows = [
        ("prompt accuracy", f"{r['prompt_accuracy']:.1%}"),
        ("  worst digit", "{} ({:.1%})".format(*min(r["prompt_accuracy_per_digit"].items(), key=lambda kv: kv[1]))),
        ("held-out templates/synonyms", f"{r['heldout_accuracy']:.1%}"),
        ("thickness control", f"{r['attribute_control']['thickness']:.1%}"),
        ("slant control", f"{r['attribute_control']['slant']:.1%}"),
        ("classes from neutral prompts", f"{r['diversity']['classes_present']}/10  "
                                          f"{r['diversity']['neutral_prompt_class_histogram']}"),
        ("within-prompt spread", f"{r['diversity']['within_prompt_spread']:.2f} "
                                 f"(real digits of one class: {r['diversity']['real_within_class_spread']:.2f})"),
        ("robustness: typo", f"{r['robustness']['typo']:.1%}"),
        ("robustness: extra unknown word", f"{r['robustness']['extra_unknown_word']:.1%}"),
        ("robustness: 10% text noise", f"{r['robustness']['text_vector_noise_10pct']:.1%}"),
        ("Fréchet distance (classifier features)", f"{r['frechet_distance_classifier_features']:.2f}"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines.append("per digit: " + "  ".join(f"{d}:{a:.0%}" for d, a in r["prompt_accuracy_per_digit"].items()))
    return "\n".join(lines)
