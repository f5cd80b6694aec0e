"""Raw text to lowercase word and number tokens: the first step of every text model in the course."""
from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = re.compile(r"['\u2019\u02bc]")
# A token is a run of letters or a run of digits, so "7th" -> "7", "th" and "thick7" -> "thick", "7".
_TOKEN = re.compile(r"[^\W\d_]+|\d+")


def normalize_text(text: str, *, strip_accents: bool = True) -> str:
    """Unicode-normalise and case-fold ``text``: "Ｔhick Café" -> "thick cafe".

    NFKC maps look-alike characters (full-width letters and digits, ligatures) to plain
    ones; case folding is a stronger lowercase ("Straße" -> "strasse"); and stripping
    accents (combining marks) lets "naïve" match "naive".
    """
    if not isinstance(text, str):
        raise TypeError(f"expected text as a str, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text).casefold()
    if strip_accents:
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _APOSTROPHES.sub("", text)  # "don't" -> "dont", one token


def tokenize(text: str, *, strip_accents: bool = True) -> list[str]:
    """Lowercase word and number tokens of ``text``; punctuation, symbols and emoji are dropped.

    >>> tokenize("A THICK, slanted 7!  Café")
    ['a', 'thick', 'slanted', '7', 'cafe']
    """
    return _TOKEN.findall(normalize_text(text, strip_accents=strip_accents))
