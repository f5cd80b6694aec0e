"""The Sentence tab's style controls: rewrite a prompt's thickness and slant words, in place.

The web API draws from the prompt alone, so the thickness and slant controls do not travel
beside it: they edit the prompt the user sees ("a seven" + thick + leaning right ->
"a thick seven, leaning right"). A style word already in the prompt is replaced where it stands,
one that is not there is added, and "any" takes it out. The words are the caption language's
(``course_lib.text``), so everything the controls write is a phrasing the model was trained on.
"""
from __future__ import annotations

import re

from course_lib.text import DIGIT_GROUPS, STYLE_GROUPS

ANY_STYLE = "any"
THICKNESS_CHOICES = (ANY_STYLE, "thin", "regular", "thick")
SLANT_CHOICES = (ANY_STYLE, "leaning left", "upright", "leaning right")

_THICKNESS = re.compile(r"\b(?:%s)\b" % "|".join(
    sorted({w for g in ("thin", "regular", "thick") for w in STYLE_GROUPS[g]}, key=len, reverse=True)), re.I)
# "left" and "right" are style words only after a verb ("the right way up" is not a slant); a bare
# "slanted" is one too.
_SLANT_VERB = r"(?:leaning|leans|slanted|slanting|slants|tilted|tilting|tilts|sloping|slopes)"
_DIRECTION = r"(?:to\s+the\s+)?(?:left|right|leftwards?|rightwards?|backwards?|forwards?)"
_STANDALONE_SLANT = sorted({w for g in ("left", "upright", "right") for w in STYLE_GROUPS[g]}
                           - {"left", "right", "leftward", "leftwards", "rightward", "rightwards", "backward",
                              "backwards", "forward", "forwards"}, key=len, reverse=True)
_SLANT = re.compile(r"\b(?:%s(?:\s+%s)?|standing\s+straight|%s)\b" % (_SLANT_VERB, _DIRECTION, "|".join(_STANDALONE_SLANT)),
                    re.I)
_DIGIT_NOUN = re.compile(r"\b(?:handwritten\s+)?(?:\d+|%s|digit|number|numeral)\b" % "|".join(
    sorted({w for words in DIGIT_GROUPS.values() for w in words if not w.isdigit()}, key=len, reverse=True)), re.I)
_ARTICLE = re.compile(r"\b(a|an)(\s+)(\w+)", re.I)


def _articles(text: str) -> str:
    """"a" or "an" by the next word's sound, as the captions write them ("an 8", "a one", "an upright 1")."""
    def fix(m):
        word = m.group(3).lower()
        an = word[:1] in "aeiou8" and not word.startswith(("one", "uni", "use"))
        wanted = "an" if an else "a"
        if m.group(1)[:1].isupper():
            wanted = wanted.capitalize()
        return wanted + m.group(2) + m.group(3)
    return _ARTICLE.sub(fix, text)


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+,", ",", text)
    text = re.sub(r",(\s*,)+", ",", text)
    text = re.sub(r"\b(a|an|the)\s*,\s*", r"\1 ", text, flags=re.I)  # "a thick, slanted 7" without "thick"
    text = re.sub(r"\b(?:written\s+)?in\s+strokes\b", "", text, flags=re.I)  # "written in {thick} strokes"
    text = re.sub(r"(?:,?\s+(?:that\s+is|and))+\s*$", "", text.strip(), flags=re.I)  # "a 9 that is {slanted}"
    text = re.sub(r"\s+", " ", text).strip(" ,")
    return _articles(text)


def _set_words(text: str, pattern: re.Pattern, choice: str, insert) -> str:
    """Replace the first match of ``pattern`` with ``choice`` and drop the others; with no match, ``insert`` it."""
    matches = list(pattern.finditer(text))
    if choice == ANY_STYLE:
        return pattern.sub("", text)
    if not matches:
        return insert(text, choice)
    first = matches[0]
    rest = pattern.sub("", text[first.end():])
    return text[:first.start()] + choice + rest


def _before_digit(text: str, word: str) -> str:
    m = _DIGIT_NOUN.search(text)
    return f"{word} {text}" if m is None else f"{text[:m.start()]}{word} {text[m.start():]}"


def restyle_prompt(prompt: str, thickness: str | None = None, slant: str | None = None) -> str:
    """``prompt`` with its thickness and/or slant set to a choice (``None`` leaves that style alone).

    >>> restyle_prompt("a seven", thickness="thick", slant="leaning right")
    'a thick seven, leaning right'
    >>> restyle_prompt("a bold 8 that is slanted left", thickness="thin", slant="any")
    'a thin 8'
    """
    if thickness is not None and thickness not in THICKNESS_CHOICES:
        raise ValueError(f"thickness must be one of {THICKNESS_CHOICES}, not {thickness!r}")
    if slant is not None and slant not in SLANT_CHOICES:
        raise ValueError(f"slant must be one of {SLANT_CHOICES}, not {slant!r}")
    text = str(prompt or "").strip()
    if not text:
        return text
    if thickness is not None:
        text = _set_words(text, _THICKNESS, thickness, _before_digit)
    if slant is not None:
        text = _set_words(text, _SLANT, slant, lambda t, s: f"{t.rstrip(' ,')}, {s}")
    return _tidy(text)
