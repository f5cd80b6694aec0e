"""How well does a text2image run obey its prompts? Measured with Week 3's digit classifier.

* **prompt accuracy**: the classifier reads the generated digit (overall and per digit);
* **attribute control**: with the same noise, does "thick" draw a thicker stroke than "thin",
  and "leaning right" a larger slant than "leaning left"?
* **held-out phrasing**: accuracy on caption templates and synonyms never seen in training;
* **diversity**: the class histogram for neutral prompts, and the spread of samples within a prompt;
* **robustness**: accuracy with a typo, an extra unknown word, or noise on the text vector;
* **Fréchet distance** between real and generated digits in the classifier's feature space.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from course_lib import captions as cap
from course_lib import text2image as t2i
from course_lib import text2image_run as run

NEUTRAL_PROMPTS = ["a handwritten digit", "a digit", "the number, written by hand"]
THICK_PAIRS = [("a thick {d}", "a thin {d}"), ("the digit {d} written in bold strokes", "the digit {d} written in thin strokes")]
SLANT_PAIRS = [("a {d} leaning right", "a {d} leaning left"), ("a {d}, slanted right", "a {d}, slanted left")]
TYPO = {"handwritten": "handwriten", "thick": "thik", "digit": "digt", "written": "writen", "strokes": "strokse"}


def _classifier(source: str):
    from course_lib.cnn import load_digit_classifier

    return load_digit_classifier(source, train_if_missing=True, verbose=False)


def _encode_quietly(encoder, prompts):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return encoder.encode(list(prompts))


def _unit(imgs):
    return ((np.asarray(imgs, np.float32) + 1.0) / 2.0).reshape(-1, 28, 28, 1)


def _predict(classifier, imgs):
    return classifier.predict(_unit(imgs), verbose=0, batch_size=512)


def _accuracy(generator, classifier, vectors, labels, n, seed, latent_dim):
    imgs = t2i.generate_images(generator, vectors, n, seed=seed, latent_dim=latent_dim)
    pred = _predict(classifier, imgs).argmax(1).reshape(len(vectors), n)
    return (pred == np.asarray(labels)[:, None]).mean(axis=1)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (rows are samples)."""
    from scipy import linalg

    mu1, mu2 = a.mean(0), b.mean(0)
    eps = 1e-6 * np.eye(a.shape[1])  # dead ReLU features make covariances singular
    s1, s2 = np.cov(a, rowvar=False) + eps, np.cov(b, rowvar=False) + eps
    covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
    covmean = np.real(covmean)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def evaluate(run_dir=run.DEFAULT_RUN_DIR, *, prompts_per_digit: int = 10, n: int = 10, seed: int = 0,
             loaded=None, classifier=None, verbose: bool = True) -> dict:
    """All the measures above, as a JSON-ready dict."""
    import keras

    generator, encoder, config = loaded or run.load_run(run_dir)
    saved = json.loads((Path(run_dir) / "config.json").read_text())
    classifier = classifier or _classifier(saved["source"])
    data = run.prepare_data(saved["source"], verbose=False)
    test = data["is_test"]
    rng = np.random.default_rng(seed)
    latent = config.latent_dim

    # prompt accuracy, on captions of test images (training templates, unseen images)
    prompts, labels, held = [], [], []
    for d in range(10):
        idx = rng.choice(np.flatnonzero(test & (data["labels"] == d)), prompts_per_digit, replace=False)
        prompts += [data["captions"][i, rng.integers(data["captions"].shape[1])] for i in idx]
        held += [data["heldout_captions"][i, rng.integers(data["heldout_captions"].shape[1])] for i in idx]
        labels += [d] * prompts_per_digit
    labels = np.asarray(labels)
    vecs = _encode_quietly(encoder, prompts)
    acc = _accuracy(generator, classifier, vecs, labels, n, seed, latent)
    per_digit = {str(d): float(acc[labels == d].mean()) for d in range(10)}
    held_acc = _accuracy(generator, classifier, _encode_quietly(encoder, held), labels, n, seed, latent)

    # attribute control: same noise, opposite words; does the measured attribute move the asked way?
    def control(pairs, measure):
        wins = []
        for d in range(10):
            for word in (cap.DIGIT_WORDS[d], str(d)):
                for hi, lo in pairs:
                    v = _encode_quietly(encoder, [hi.format(d=word), lo.format(d=word)])
                    imgs = t2i.generate_images(generator, v, n, seed=seed, latent_dim=latent)
                    wins.append(measure(imgs[0]) > measure(imgs[1]))
        return float(np.mean(wins))

    thickness = control(THICK_PAIRS, lambda x: cap.measure_thickness(_unit(x)))
    slant = control(SLANT_PAIRS, lambda x: cap.measure_slant(_unit(x)))

    # diversity: which digits do neutral prompts give, and how spread are samples of one prompt?
    neutral = t2i.generate_images(generator, _encode_quietly(encoder, NEUTRAL_PROMPTS), 100, seed=seed,
                                  latent_dim=latent)
    hist = np.bincount(_predict(classifier, neutral).argmax(1), minlength=10)
    features = keras.Model(classifier.inputs, classifier.get_layer("features").output)
    same_prompt = t2i.generate_images(generator, vecs[::prompts_per_digit], 20, seed=seed, latent_dim=latent)
    feats = features.predict(_unit(same_prompt), verbose=0).reshape(10, 20, -1)
    spread = float(np.mean([np.linalg.norm(f - f.mean(0), axis=1).mean() for f in feats]))
    real_feats = features.predict(data["images"][test][..., None] / 255.0, verbose=0)
    real_spread = float(np.mean([np.linalg.norm(real_feats[data["labels"][test] == d]
                                                 - real_feats[data["labels"][test] == d].mean(0), axis=1).mean()
                                 for d in range(10)]))

    # robustness
    def typo(p):
        return " ".join(TYPO.get(w, w) for w in p.split(" "))

    typo_prompts = [typo(p) for p in prompts]
    typo_acc = _accuracy(generator, classifier, _encode_quietly(encoder, typo_prompts), labels, n, seed, latent)
    extra_acc = _accuracy(generator, classifier, _encode_quietly(encoder, [p + " blorptastic" for p in prompts]),
                          labels, n, seed, latent)
    noise = rng.normal(size=vecs.shape).astype(np.float32) * 0.1 * np.linalg.norm(vecs, axis=1, keepdims=True)
    noise /= np.sqrt(vecs.shape[1])
    noise_acc = _accuracy(generator, classifier, vecs + noise, labels, n, seed, latent)

    # Fréchet distance in classifier feature space, generated (test captions) vs real test digits
    gen = t2i.generate_images(generator, vecs, n, seed=seed + 1, latent_dim=latent)
    fd = frechet_distance(features.predict(_unit(gen), verbose=0), real_feats)

    result = {
        "run_dir": str(run_dir),
        "source": saved["source"],
        "preset": config.preset,
        "samples_per_prompt": n,
        "prompt_accuracy": float(acc.mean()),
        "prompt_accuracy_per_digit": per_digit,
        "heldout_accuracy": float(held_acc.mean()),
        "attribute_control": {"thickness": thickness, "slant": slant},
        "diversity": {"neutral_prompt_class_histogram": hist.tolist(),
                      "classes_present": int((hist > 0).sum()),
                      "within_prompt_spread": spread, "real_within_class_spread": real_spread},
        "robustness": {"typo": float(typo_acc.mean()), "extra_unknown_word": float(extra_acc.mean()),
                       "text_vector_noise_10pct": float(noise_acc.mean())},
        "frechet_distance_classifier_features": fd,
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
