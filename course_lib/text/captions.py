"""The language of digit captions: the words, templates and synonyms they are written with.

A caption names a digit (as a numeral or a word), its stroke thickness (thin, regular, thick)
and its slant (leaning left, upright, leaning right), in many phrasings. Some templates and
synonyms are held out (``HELDOUT_*``): training captions never use them, so a model can be
tested on phrasings it never saw. The final project's captioned digits
(``course_lib.text2image``) are written with these; :func:`caption_corpus` writes random
ones without images, e.g. to train word vectors that know the captions (Week 5).
"""
from __future__ import annotations

import numpy as np

DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
THICKNESS_WORDS = ("thin", "regular", "thick")
SLANT_WORDS = ("left", "upright", "right")

# Words a caption may use for each attribute value. The held-out synonyms never
# appear in training captions; the encoder must map them near their trained synonyms.
SYNONYMS = {
    "thin": ["thin", "light", "fine", "delicate", "slim"],
    "regular": ["regular", "normal", "medium", "ordinary"],
    "thick": ["thick", "bold", "heavy", "chunky", "broad"],
    "left": ["leaning left", "slanted left", "tilted to the left", "sloping left"],
    "upright": ["upright", "straight", "vertical", "standing straight"],
    "right": ["leaning right", "slanted right", "tilted to the right", "sloping right", "italic"],
}
HELDOUT_SYNONYMS = {
    "thin": ["skinny", "slender"],
    "regular": ["average"],
    "thick": ["fat", "wide"],
    "left": ["leaning backwards"],
    "upright": ["erect"],
    "right": ["leaning forwards"],
}

# {d} digit phrase, {t} thickness phrase, {s} slant phrase.
TEMPLATES = [
    "a {t} {d}",
    "a {d}",
    "handwritten {d}",
    "the digit {d}",
    "a {t} {d} , {s}",
    "the number {d} written in {t} strokes",
    "a {d} that is {s}",
    "a {t} handwritten {d} {s}",
    "the digit {d} , written in {t} strokes and {s}",
    "{d} drawn with a {t} pen",
    "a {s} {d}",
    "a {t} , {s} {d}",
]
HELDOUT_TEMPLATES = [
    "someone wrote a {d} with {t} lines , {s}",
    "please draw a {t} {d}",
    "an image of the numeral {d} , {s}",
]


def _fix_articles(text: str) -> str:
    words = text.split(" ")
    for i, w in enumerate(words[:-1]):
        nxt = words[i + 1]
        if w == "a" and nxt[:1] in "aeiou8" and nxt != "one":
            words[i] = "an"
    return " ".join(words)


def caption(label: int, thickness: str, slant: str, rng, *, heldout: bool = False) -> str:
    """One random caption for a digit with the given style words.

    ``heldout=True`` uses only phrasings kept out of training: a held-out template,
    or a training template with a held-out synonym.
    """
    templates = TEMPLATES
    synonyms = SYNONYMS
    if heldout:
        if rng.random() < 0.5:
            templates = HELDOUT_TEMPLATES
        else:
            templates = [t for t in TEMPLATES if "{t}" in t or "{s}" in t]
            synonyms = HELDOUT_SYNONYMS
    template = templates[rng.integers(len(templates))]
    digit = str(label) if rng.random() < 0.5 else DIGIT_WORDS[label]
    t_words, s_words = synonyms[thickness], synonyms[slant]
    text = template.format(d=digit, t=t_words[rng.integers(len(t_words))], s=s_words[rng.integers(len(s_words))])
    return _fix_articles(text).replace(" ,", ",")


def make_captions(labels, thickness_words, slant_words, per_image: int = 5, *, heldout: bool = False,
                  seed: int = 0) -> np.ndarray:
    """``per_image`` captions for every digit: an (N, per_image) array of strings."""
    rng = np.random.default_rng(seed)
    rows = [[caption(int(lab), t, s, rng, heldout=heldout) for _ in range(per_image)]
            for lab, t, s in zip(labels, thickness_words, slant_words)]
    return np.asarray(rows, dtype=str)


def caption_corpus(n: int = 2000, *, seed: int = 0) -> list[str]:
    """``n`` random captions in the training phrasings, for random digits and styles (no images needed)."""
    rng = np.random.default_rng(seed)
    return [caption(int(rng.integers(10)), THICKNESS_WORDS[rng.integers(3)], SLANT_WORDS[rng.integers(3)], rng)
            for _ in range(n)]
