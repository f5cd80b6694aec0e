"""How good is the sentence encoder the final project uses? Prints its word-similarity and paraphrase figures.

    nice python bench/bench_text_encoder.py                 # the quick encoder (Lee news + captions)
    nice python bench/bench_text_encoder.py --preset full   # adds the Wikipedia sample (1-2 minutes)

Figures:

* **WordSim-353** (relatedness) and **SimLex-999** (strict similarity): Spearman correlation between
  the encoder's cosine similarities and human scores, on the pairs whose words it knows, with the
  share of pairs it does not know (OOV). Word2Vec on a few hundred thousand words scores far below
  vectors trained on billions of words (about 0.7 on WordSim-353), and the OOV share says how much
  of the test the score covers.
* **Held-out paraphrases**: prompts written only with phrasings the final project keeps out of
  training ("please draw a fat 7", "an image of the numeral seven, leaning forwards") are encoded,
  and we check whether each lands nearest the centroid of training-phrased captions of the right
  digit, thickness and slant. Shown with and without the synonym lexicon, on the same Word2Vec
  settings, to show what the lexicon adds.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from course_lib import text
from course_lib.text import captions as cap
from reference_epoch import describe, in_reference_epochs, measure_reference_epoch


def training_captions(n: int, seed: int):
    rng = np.random.default_rng(seed)
    labels = rng.integers(10, size=n)
    thick = np.asarray(cap.THICKNESS_WORDS)[rng.integers(3, size=n)]
    slant = np.asarray(cap.SLANT_WORDS)[rng.integers(3, size=n)]
    captions = [cap.caption(int(d), t, s, rng) for d, t, s in zip(labels, thick, slant)]
    return captions, {"digit": labels.astype(str), "thickness": thick, "slant": slant}


def heldout_prompts():
    """Every held-out template x held-out synonym x digit form, with the attributes each one names."""
    prompts, truth = [], {"digit": [], "thickness": [], "slant": []}
    for d in range(10):
        for digit in (str(d), cap.DIGIT_WORDS[d]):
            for t, t_words in cap.HELDOUT_SYNONYMS.items():
                if t not in cap.THICKNESS_WORDS:
                    continue
                for s, s_words in cap.HELDOUT_SYNONYMS.items():
                    if s not in cap.SLANT_WORDS:
                        continue
                    for tw in t_words:
                        for sw in s_words:
                            for template, names in [("please draw a {t} {d}", ("digit", "thickness")),
                                                    ("an image of the numeral {d} , {s}", ("digit", "slant")),
                                                    ("someone wrote a {d} with {t} lines , {s}",
                                                     ("digit", "thickness", "slant"))]:
                                prompts.append(template.format(d=digit, t=tw, s=sw))
                                for key, value in (("digit", str(d)), ("thickness", t), ("slant", s)):
                                    truth[key].append(value if key in names else None)
    return prompts, {k: np.asarray(v, dtype=object) for k, v in truth.items()}


def paraphrase_accuracy(encoder, ref_captions, ref_labels, prompts, truth) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # held-out template words such as "image" may be unknown
        ref, vec = encoder.encode(ref_captions), encoder.encode(prompts)
    result = {}
    for key, labels in ref_labels.items():
        classes = np.unique(labels)
        centroids = np.stack([ref[labels == c].mean(0) for c in classes])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        named = np.asarray([t is not None for t in truth[key]])
        predicted = classes[np.argmax(vec[named] @ centroids.T, axis=1)]
        result[key] = float(np.mean(predicted == truth[key][named].astype(str)))
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick", choices=["quick", "full"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-compare", action="store_true", help="skip the encoder without the lexicon")
    args = parser.parse_args(argv)
    quick = args.preset == "quick"
    reference = measure_reference_epoch()

    captions, labels = training_captions(4000, args.seed)
    start = time.monotonic()
    encoder = text.build_caption_encoder(captions, quick=quick, seed=args.seed)
    seconds = time.monotonic() - start
    print(f"encoder     build_caption_encoder(quick={quick}): {len(encoder.vocab_):,} words, dim {encoder.dim}, "
          f"fitted in {in_reference_epochs(seconds, reference)}")
    print(f"            {describe(reference)}")
    for name in ("wordsim353", "simlex999"):
        r = text.evaluate_word_pairs(encoder, name)
        print(f"{name:<11} Spearman {r['spearman']:.3f} on {r['pairs_used']}/{r['pairs']} pairs "
              f"(OOV share {r['oov_share']:.1%})")

    prompts, truth = heldout_prompts()
    rows = [("with lexicon", encoder)]
    if not args.no_compare:
        plain = text.build_caption_encoder(captions, quick=quick, seed=args.seed, lexicon={})
        rows.append(("no lexicon", plain))
    print(f"held-out paraphrases: {len(prompts)} prompts, nearest training-caption centroid is the right ...")
    for name, enc in rows:
        acc = paraphrase_accuracy(enc, captions, labels, prompts, truth)
        print(f"  {name:<13} digit {acc['digit']:.1%}   thickness {acc['thickness']:.1%}   slant {acc['slant']:.1%}")
    pairs = [("fat", "thick"), ("fat", "thin"), ("7", "seven"), ("7", "eight"), ("skinny", "thin"),
             ("erect", "upright")]
    print("cosine      " + "   ".join(f"{a}~{b} {encoder.similarity(a, b):+.2f}" for a, b in pairs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
