"""Text to numbers: tokenizer, offline corpora, Word2Vec, and the sentence encoder of the final project.

* :func:`tokenize` turns raw text into lowercase word and number tokens.
* Corpora ship with gensim's wheel, so everything works offline: :func:`load_lee_corpus` (about 300
  news stories), :func:`load_wiki_corpus` (a shortened English Wikipedia dump), and the human
  judgements in :func:`load_word_pairs` (WordSim-353, SimLex-999).
* :func:`train_word2vec` is gensim's ``Word2Vec`` with defaults that suit a small corpus.
* :class:`SentenceEncoder` turns a sentence into one vector: the (TF-IDF-weighted) mean of its
  word vectors. It saves to and loads from a single ``.npz`` file.
* :func:`build_caption_encoder` is the encoder the final project conditions its generator on.
  Word2Vec cannot learn from a few hundred news stories that "fat" means "thick" or that "7" is
  "seven", so a small hand-made lexicon (:data:`CAPTION_LEXICON`) ties those words together.

The encoder class itself lives in :mod:`course_lib.text_encoder` and is re-exported here.
"""
from __future__ import annotations

import bz2
import re
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np

# ------------------------------------------------------------------ tokenizer
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


# ------------------------------------------------------------------ offline corpora
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


def evaluate_word_pairs(vectors, name: str = "wordsim353") -> dict:
    """Spearman correlation between cosine similarities and human scores, and the OOV share.

    ``vectors`` is a gensim ``KeyedVectors``/``Word2Vec`` or a :class:`SentenceEncoder`. Pairs
    with a word the model does not know are skipped, so always report ``oov_share`` (the
    fraction of pairs skipped) next to the correlation: a high score on 20 % of the pairs says
    little about the other 80 %.
    """
    from scipy.stats import spearmanr

    pairs = load_word_pairs(name)
    known, sims, human = _vocab_lookup(vectors), [], []
    for a, b, score in pairs:
        if a in known and b in known:
            sims.append(_cosine(known[a], known[b]))
            human.append(score)
    rho = float(spearmanr(sims, human).statistic) if len(sims) >= 3 else float("nan")
    return {"dataset": name, "spearman": rho, "pairs": len(pairs), "pairs_used": len(sims),
            "oov_share": 1.0 - len(sims) / len(pairs)}


def _vocab_lookup(vectors) -> "_Lookup":
    if isinstance(vectors, SentenceEncoder):
        return _Lookup(vectors.vectors_, vectors.index_)
    kv = getattr(vectors, "wv", vectors)
    return _Lookup(kv.vectors, kv.key_to_index)


class _Lookup:
    """word -> vector for a gensim model or a SentenceEncoder alike."""

    def __init__(self, matrix, index):
        self.matrix, self.index = matrix, index

    def __contains__(self, word):
        return word in self.index

    def __getitem__(self, word):
        return self.matrix[self.index[word]]


def _cosine(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


# ------------------------------------------------------------------ Word2Vec
def train_word2vec(sentences, *, vector_size: int = 64, window: int = 5, min_count: int = 2,
                   epochs: int = 30, sg: int = 1, negative: int = 10, sample: float = 1e-3,
                   seed: int = 0, workers: int = 1, progress: bool = False, **kwargs):
    """gensim ``Word2Vec`` with defaults for a corpus of a few hundred documents.

    gensim's own defaults (100 dimensions, ``min_count=5``, 5 epochs, CBOW) suit corpora of
    millions of words. On ~60,000 words they barely move the vectors away from their random
    start, and most of the vocabulary is dropped. Here: many more epochs (each word is seen
    more often), ``min_count=2`` (keep rarer words), skip-gram (``sg=1``, better for rare
    words), fewer dimensions (less to learn) and 10 negative samples.

    ``sentences`` are token lists (raw strings are tokenized with :func:`tokenize`).
    ``workers=1`` with a fixed ``seed`` makes runs repeatable on one machine.
    The returned model has ``loss_history``: gensim's training loss for each epoch.
    """
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec

    corpus = [tokenize(s) if isinstance(s, str) else list(s) for s in sentences]
    if not any(corpus):
        raise ValueError("train_word2vec needs a non-empty corpus of token lists")

    class EpochLoss(CallbackAny2Vec):
        """gensim reports a running total; keep each epoch's share (and tick a progress bar)."""

        def __init__(self):
            self.losses, self.total = [], 0.0
            self.bar = None
            if progress:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=epochs, desc="word2vec epochs")

        def on_epoch_end(self, model):
            total = model.get_latest_training_loss()
            self.losses.append(total - self.total)
            self.total = total
            if self.bar is not None:
                self.bar.update(1)

    tracker = EpochLoss()
    model = Word2Vec(corpus, vector_size=vector_size, window=window, min_count=min_count, epochs=epochs,
                     sg=sg, negative=negative, sample=sample, seed=seed, workers=workers,
                     compute_loss=True, callbacks=[tracker], **kwargs)
    if tracker.bar is not None:
        tracker.bar.close()
    model.callbacks = ()  # the tracker is not needed any more (and would not pickle)
    model.loss_history = tracker.losses
    return model


# ------------------------------------------------------------------ the final project's caption encoder
# Words that mean the same thing in a digit caption. A corpus of news and encyclopaedia text cannot
# teach these ("fat" there is about food, "bold" about courage), so we write them down, as a thesaurus
# would. Every group becomes one "concept" dimension of the encoder (see course_lib.text_encoder).
DIGIT_GROUPS = {str(d): [str(d), w] for d, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])}
DIGIT_GROUPS["0"].append("nought")
STYLE_GROUPS = {
    "thin": ["thin", "thinner", "light", "fine", "delicate", "slim", "slimmer", "skinny", "slender", "narrow",
             "lean", "faint", "wispy", "spindly"],
    "regular": ["regular", "normal", "medium", "ordinary", "average", "moderate", "standard", "typical", "usual"],
    "thick": ["thick", "thicker", "bold", "bolder", "heavy", "heavier", "chunky", "broad", "fat", "fatter", "wide",
              "wider", "hefty", "stout"],
    "left": ["left", "leftward", "leftwards", "backward", "backwards", "backslanted"],
    "upright": ["upright", "straight", "vertical", "erect", "unslanted"],
    "right": ["right", "rightward", "rightwards", "forward", "forwards", "italic", "italics"],
}  # No group for filler words ("digit", "number", "numeral"): a concept they all share would carry no information.
CAPTION_LEXICON = {**DIGIT_GROUPS, **STYLE_GROUPS}


def caption_corpus(n: int = 2000, *, seed: int = 0) -> list[str]:
    """``n`` random captions in the final project's training phrasings (no images needed)."""
    from course_lib import captions as cap

    rng = np.random.default_rng(seed)
    return [cap.caption(int(rng.integers(10)), cap.THICKNESS_WORDS[rng.integers(3)], cap.SLANT_WORDS[rng.integers(3)],
                        rng) for _ in range(n)]


def build_caption_encoder(captions=None, *, quick: bool | None = None, seed: int = 0, lexicon: dict | None = None,
                          workers: int = 1, verbose: bool = False):
    """The sentence encoder the final project conditions its generator on.

    Word2Vec is trained on general English (the Lee news stories, plus the Wikipedia sample in
    full mode) together with the digit captions (``captions``, e.g. the training captions of the
    captioned-digits dataset, or :func:`caption_corpus` when ``None``), and
    :data:`CAPTION_LEXICON` ties synonyms together, so that unseen paraphrases ("a fat 7")
    land near trained ones ("a thick seven"). Quick mode fits in a few seconds on a CPU; full
    mode (with Wikipedia) in one to two minutes. ``lexicon={}`` switches the lexicon off (for
    comparisons); ``workers > 1`` trains faster but no longer repeatably.
    """
    import time

    from course_lib.runtime import is_quick

    quick = is_quick() if quick is None else quick
    start = time.monotonic()
    if captions is None:
        captions = caption_corpus(2000 if quick else 10000, seed=seed)
    elif isinstance(captions, np.ndarray):
        captions = captions.ravel()  # e.g. the dataset's (N, 5) caption array
    tokenized = [tokenize(str(c)) for c in captions]
    if not any(tokenized):
        raise ValueError("build_caption_encoder needs at least one caption (or None for generated ones)")
    tokenized = _sample_captions(tokenized, 3000 if quick else 20000, np.random.default_rng(seed))
    general = load_lee_corpus() + ([] if quick else load_wiki_corpus())
    # concept_weight=2: the lexicon's concept dimensions (digit, thickness, slant) outweigh the
    # Word2Vec part, which mostly encodes the caption's wording, not what it asks for; and
    # concept pooling keeps them the same size however many filler words a caption has.
    encoder = SentenceEncoder(vector_size=64, lexicon=CAPTION_LEXICON if lexicon is None else lexicon,
                              concept_weight=2.0, concept_pooling="concept", epochs=15 if quick else 20,
                              min_count=2, seed=seed, workers=workers)
    encoder.fit(general + tokenized)
    if verbose:
        print(f"caption encoder: {len(encoder.vocab_):,} words, dim {encoder.dim}, "
              f"{len(general)} general documents + {len(tokenized)} captions, {time.monotonic() - start:.1f} s")
    return encoder


def _sample_captions(tokenized: list, limit: int, rng) -> list:
    """At most about ``limit`` captions: thousands of them repeat a few dozen words, and a sample
    teaches those as well and trains faster. Captions are added back until every caption word
    occurs at least twice (``min_count``), so no training caption has an unknown word."""
    if len(tokenized) <= limit:
        return tokenized
    keep = set(rng.choice(len(tokenized), limit, replace=False).tolist())
    seen = Counter(t for i in keep for t in tokenized[i])
    for i, tokens in enumerate(tokenized):
        if i not in keep and any(seen[t] < 2 for t in tokens):
            keep.add(i)
            seen.update(tokens)
    return [tokenized[i] for i in sorted(keep)]


# Re-exported at the bottom because text_encoder uses the tokenizer above.
from course_lib.text_encoder import (  # noqa: E402,F401
    EmptyPromptError,
    EncoderFileError,
    NoKnownWordsError,
    PromptError,
    SentenceEncoder,
    UnknownWordsWarning,
)
