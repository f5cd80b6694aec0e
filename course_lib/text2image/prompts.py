"""How a prompt becomes digits to draw: one digit, a number of several digits, or none named.

The GAN draws one 28x28 digit per caption vector. ``plan_prompt`` reads a prompt and says which
digits to draw, left to right, and which words describe each one:

* **one digit** ("a thick, slanted seven"): the prompt is drawn as it is;
* **a number** ("the number 42", "2026", "forty-two", "two thousand and twenty-six"): one slot per
  digit, each read with the prompt's other words ("the number 4", "the number 2"), so a style the
  prompt asks for applies to every digit;
* **several digits described one by one** ("a thick 7 next to a thin 1"): the prompt is split at
  connecting words (``next to``, ``followed by``, ``then``, ``and``, ``beside``, commas), and each
  digit keeps the words of its own part; parts that name no digit ("..., leaning right") apply to all;
* **no digit** ("a handwritten digit", "a thick digit", "the number"): one slot whose digit is
  chosen at random for every sample (``TrainedRun.generate`` spreads them over all ten), read with
  the prompt's words, so "a thick digit" draws thick digits of every kind.

Numbers are limited to ``MAX_DIGITS`` digits; a longer one is a ``NumberTooLongError``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from course_lib.text import DIGIT_WORDS, STYLE_GROUPS, EmptyPromptError, PromptError, normalize_text, tokenize

MAX_DIGITS = 8  # a row of 8 slots is 224 px wide: enough for a date or a year, still legible in a grid

_UNITS = {w: d for d, w in enumerate(DIGIT_WORDS)} | {"nought": 0}
_TEENS = {w: 10 + i for i, w in enumerate(["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
                                          "sixteen", "seventeen", "eighteen", "nineteen"])}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy",
                                               "eighty", "ninety"])}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TEENS) | frozenset(_TENS) | frozenset(_SCALES)
# Words (and punctuation) that join the parts of a prompt describing digits one by one.
_CONNECTORS = {("next", "to"), ("followed", "by"), ("and", "then"), ("then",), ("and",), ("beside",), ("plus",),
               (",",), (";",), ("+",), ("&",)}
_PUNCTUATION = {",", ";", "+", "&"}


# Words that set an attribute; a caption without any leaves it open (TrainedRun.generate then picks one).
_THICKNESS_SETTERS = frozenset(w for g in ("thin", "regular", "thick") for w in STYLE_GROUPS[g])
_SLANT_SETTERS = frozenset(w for g in ("left", "upright", "right") for w in STYLE_GROUPS[g]) | {
    "slanted", "slanting", "slant", "leaning", "tilted", "sloping"}  # a direction left unsaid is still a slant


def open_attributes(caption: str) -> tuple[str, ...]:
    """The style attributes a caption leaves open: ("thickness", "slant"), one of them, or none.

    >>> open_attributes("a thick 7"), open_attributes("a 7, slanted"), open_attributes("a thin 7 leaning left")
    (('slant',), ('thickness',), ())
    """
    words = set(tokenize(caption))
    return tuple(name for name, setters in (("thickness", _THICKNESS_SETTERS), ("slant", _SLANT_SETTERS))
                 if not words & setters)


class NumberTooLongError(PromptError):
    """A prompt asks for more digits than ``MAX_DIGITS``."""


class NumberWordsError(PromptError):
    """Number words that do not make a number ("forty hundred seven")."""


@dataclass(frozen=True)
class DigitSlot:
    """One 28-px slot of a drawing: its digit (``None``: chosen at random per sample) and the caption
    the encoder reads for it."""

    digit: int | None
    caption: str


@dataclass(frozen=True)
class PromptPlan:
    """What ``plan_prompt`` makes of a prompt: its slots, left to right."""

    prompt: str
    slots: tuple[DigitSlot, ...]

    @property
    def length(self) -> int:
        """Number of digits drawn side by side."""
        return len(self.slots)

    @property
    def names_a_digit(self) -> bool:
        """False for a prompt that names no digit: its digit is chosen at random per sample."""
        return self.slots[0].digit is not None

    @property
    def digits(self) -> tuple:
        return tuple(s.digit for s in self.slots)


# ------------------------------------------------------------------ reading numbers
def _tokens(prompt: str) -> list[str]:
    """Lowercase words, numerals and the punctuation that separates parts of a prompt."""
    return re.findall(r"[^\W\d_]+|\d+|[,;+&]", normalize_text(prompt))


def words_to_digits(words) -> str:
    """Number words -> the number's digits as a string: ["forty", "two"] -> "42".

    Reads cardinal numbers ("two thousand and twenty six" -> "2026") and, when the words do not make
    one, numbers said in groups, as years and codes are ("twenty twenty six", "nineteen eighty four",
    "four two" -> "2026", "1984", "42"). Raises ``NumberWordsError`` for words that make neither.
    """
    words = [w for w in words if w != "and"]
    if not words or any(w not in NUMBER_WORDS for w in words):
        raise NumberWordsError(f"{' '.join(words)!r} is not a number in words")
    cardinal = _cardinal(words)
    if cardinal is not None:
        return str(cardinal)
    groups = _groups(words)
    if groups is None:
        raise NumberWordsError(f"cannot read {' '.join(words)!r} as a number: write it with numerals, e.g. \"the number 42\"")
    return "".join(groups)


def _cardinal(words) -> int | None:
    """Standard English cardinal ("three hundred and five"), or None when the words break its grammar."""
    total, current, last, last_scale = 0, 0, None, None  # last: the kind of the previous word
    for w in words:
        if w in _UNITS or w in _TEENS:
            if last in ("unit", "teen") or (w in _TEENS and last == "tens"):
                return None
            current += _UNITS.get(w, _TEENS.get(w))
            last = "teen" if w in _TEENS else "unit"
        elif w in _TENS:
            if last in ("unit", "teen", "tens") or current % 100:
                return None
            current += _TENS[w]
            last = "tens"
        elif w == "hundred":
            if not 0 < current < 100 or last == "hundred":  # "nineteen hundred" is 1900
                return None
            current *= 100
            last = "hundred"
        else:  # thousand, million: each smaller than the one before ("two million three thousand")
            scale = _SCALES[w]
            if current == 0 or (last_scale is not None and scale >= last_scale):
                return None
            total += current * scale
            current, last, last_scale = 0, "scale", scale
    return total + current


def _groups(words) -> list[str] | None:
    """Numbers said in groups of one or two digits: "twenty twenty six" -> ["20", "26"]."""
    groups, i = [], 0
    while i < len(words):
        w = words[i]
        if w in _TENS and i + 1 < len(words) and words[i + 1] in _UNITS and words[i + 1] not in ("zero", "nought"):
            groups.append(str(_TENS[w] + _UNITS[words[i + 1]]))
            i += 2
        elif w in _UNITS or w in _TEENS or w in _TENS:
            groups.append(str(_UNITS.get(w, _TEENS.get(w, _TENS.get(w)))))
            i += 1
        else:
            return None
    return groups


def _mentions(tokens: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, digits) of every numeral and every run of number words, in order."""
    found, i = [], 0
    while i < len(tokens):
        if tokens[i].isdigit():
            found.append((i, i + 1, tokens[i]))
            i += 1
        elif tokens[i] in NUMBER_WORDS:
            j = i + 1
            # "and" belongs to a number only after a scale word: "one hundred and five"
            while j < len(tokens) and (tokens[j] in NUMBER_WORDS or (
                    tokens[j] == "and" and tokens[j - 1] in _SCALES and j + 1 < len(tokens)
                    and tokens[j + 1] in NUMBER_WORDS)):
                j += 1
            found.append((i, j, words_to_digits(tokens[i:j])))
            i = j
        else:
            i += 1
    return found


def _split_parts(tokens: list[str], mentions) -> list[tuple[int, int]]:
    """(start, end) of the parts of a prompt, split at connectors outside numbers."""
    inside = {k for start, end, _ in mentions for k in range(start, end)}
    parts, start, i = [], 0, 0
    while i < len(tokens):
        width = next((len(c) for c in sorted(_CONNECTORS, key=len, reverse=True)
                      if tuple(tokens[i:i + len(c)]) == c and i not in inside), 0)
        if width:
            parts.append((start, i))
            i += width
            start = i
        else:
            i += 1
    parts.append((start, len(tokens)))
    return [(a, b) for a, b in parts if b > a]


# ------------------------------------------------------------------ the plan
def plan_prompt(prompt: str) -> PromptPlan:
    """Which digits ``prompt`` asks for, left to right, and the caption of each (see the module docstring).

    Raises ``EmptyPromptError`` for a prompt without words, ``NumberTooLongError`` for a number of more
    than ``MAX_DIGITS`` digits and ``NumberWordsError`` for number words that make no number.
    """
    if not isinstance(prompt, str):
        raise TypeError(f"a prompt is a str, not {type(prompt).__name__}")
    tokens = _tokens(prompt)
    if not [t for t in tokens if t not in _PUNCTUATION]:
        raise EmptyPromptError(f"the prompt {prompt!r} has no words: describe a digit, e.g. \"a thick, slanted seven\"")
    mentions = _mentions(tokens)
    count = sum(len(digits) for _, _, digits in mentions)
    if count > MAX_DIGITS:
        raise NumberTooLongError(f"the prompt {prompt!r} asks for {count} digits; at most {MAX_DIGITS} fit in one "
                                 "drawing (one 28-px slot each): split it into several prompts")
    if count == 0:
        return PromptPlan(prompt, (DigitSlot(None, prompt),))
    if count == 1:
        return PromptPlan(prompt, (DigitSlot(int(mentions[0][2]), prompt),))
    parts = _split_parts(tokens, mentions)
    # parts that name no digit ("..., leaning right") describe every digit
    shared_words = [t for a, b in parts if not any(a <= m[0] < b for m in mentions) for t in tokens[a:b]
                    if t not in _PUNCTUATION]
    slots = []
    for a, b in parts:
        here = [m for m in mentions if a <= m[0] < b]
        for start, end, digits in here:
            # the part's words, this number's place marked, other numbers and punctuation left out
            words = []
            for k in range(a, b):
                if k == start:
                    words.append(None)
                elif not any(s <= k < e for s, e, _ in here) and tokens[k] not in _PUNCTUATION:
                    words.append(tokens[k])
            for d in digits:
                caption = [d if w is None else w for w in words] + shared_words
                slots.append(DigitSlot(int(d), " ".join(caption)))
    return PromptPlan(prompt, tuple(slots))


__all__ = ["DigitSlot", "MAX_DIGITS", "NUMBER_WORDS", "NumberTooLongError", "NumberWordsError", "PromptPlan",
           "open_attributes", "plan_prompt", "words_to_digits"]
