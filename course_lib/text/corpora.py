"""Offline corpora: text and human word-similarity judgements that ship inside gensim's wheel.

:func:`load_lee_corpus` (about 300 news stories), :func:`load_wiki_corpus` (a shortened English
Wikipedia dump) and :func:`load_word_pairs` (WordSim-353, SimLex-999). Nothing is downloaded.
"""
from __future__ import annotations

import bz2
from pathlib import Path

from course_lib.text.tokenizer import normalize_text, tokenize

GENSIM_DATA_FILES = {
    "lee_background": "lee_background.cor",
    "lee_test": "lee.cor",
    "wiki": "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
    "wordsim353": "wordsim353.tsv",
    "simlex999": "simlex999.txt",
    "analogies": "questions-words.txt",
}


def gensim_data_path(name: str) -> Path:
    """Path of a file that ships with gensim's wheel (``gensim/test/test_data``), by key or file name."""
    from gensim.test.utils import datapath

    path = Path(datapath(GENSIM_DATA_FILES.get(name, name)))
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found. It ships with gensim's wheel; reinstall gensim "
                                f"(known names: {', '.join(GENSIM_DATA_FILES)})")
    return path


def load_lee_corpus(part: str = "background") -> list[list[str]]:
    """The Lee news corpus as token lists, one per story: ``"background"`` (300) or ``"test"`` (50)."""
    if part not in ("background", "test"):
        raise ValueError(f"part must be 'background' or 'test', not {part!r}")
    raw = gensim_data_path(f"lee_{part}").read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # lee.cor is Latin-1 ("£" is byte 0xA3)
        text = raw.decode("latin-1")
    return [tokens for line in text.splitlines() if (tokens := tokenize(line))]


def load_wiki_corpus(max_docs: int | None = None, *, min_tokens: int = 50,
                     chunk_tokens: int = 1000) -> list[list[str]]:
    """Articles of gensim's shortened English Wikipedia dump, as token lists.

    Wiki markup is stripped with gensim's ``filter_wiki``; stubs shorter than ``min_tokens``
    are skipped. Articles are cut into pieces of ``chunk_tokens``, because gensim's Word2Vec
    silently truncates any sentence longer than 10,000 tokens.
    """
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    docs = []
    with bz2.open(gensim_data_path("wiki")) as fh:
        for _title, text, _page_id in extract_pages(fh, filter_namespaces=("0",)):
            tokens = tokenize(filter_wiki(text))
            if len(tokens) < min_tokens:
                continue
            docs += [tokens[i:i + chunk_tokens] for i in range(0, len(tokens), chunk_tokens)]
            if max_docs is not None and len(docs) >= max_docs:
                return docs[:max_docs]
    return docs


def load_word_pairs(name: str = "wordsim353") -> list[tuple[str, str, float]]:
    """Word pairs with the mean human similarity score: ``"wordsim353"`` (0-10) or ``"simlex999"`` (0-10).

    WordSim-353 scores *relatedness* (cup-coffee is high); SimLex-999 scores strict *similarity*
    (cup-coffee is low), which is harder for Word2Vec.
    """
    if name not in ("wordsim353", "simlex999"):
        raise ValueError(f"name must be 'wordsim353' or 'simlex999', not {name!r}")
    pairs = []
    with gensim_data_path(name).open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            a, b, score = line.rstrip("\n").split("\t")[:3]
            pairs.append((normalize_text(a), normalize_text(b), float(score)))
    return pairs
