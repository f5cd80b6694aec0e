"""The sentence encoder: a sentence becomes the weighted mean of its word vectors.

Import it from :mod:`course_lib.text`. The pieces:

* **word vectors** from Word2Vec, scaled to length 1;
* an optional **lexicon**, groups of words that mean the same thing here (``{"7": ["7", "seven"],
  "thick": ["thick", "bold", "fat", ...]}``). Each member's vector is pulled halfway (``tie``) to
  its group's mean direction, and gets one extra "concept" dimension per group, set to
  ``concept_weight`` for its own group. Synonyms then share a direction no corpus had to teach,
  and different groups ("seven" and "eight", "thick" and "thin") stay apart even though they
  appear in the same contexts;
* **sentence vectors**: the mean of the known words' vectors, each weighted by its IDF (rare words
  such as "seven" count more than "a"; synonyms in a lexicon group share one weight) or equally,
  then scaled to length 1. With
  ``concept_pooling="concept"`` the concept dimensions are averaged over the words that carry a
  concept only, so filler words ("someone wrote ... with ... lines") no longer water down what a
  prompt asks for, however it is worded.

Unknown words are ignored with an :class:`UnknownWordsWarning` that lists them. A prompt that
is empty or has no known word raises a :class:`PromptError` (a ``ValueError``). ``save`` writes
one ``.npz`` (vocabulary, vectors, IDF weights, settings; no pickled objects) and ``load``
checks it, naming the file in an :class:`EncoderFileError` if it is corrupt or truncated.
"""
from __future__ import annotations

import json
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from course_lib._files import replaced_atomically
from course_lib.text.tokenizer import tokenize
from course_lib.text.word2vec import train_word2vec

_FILE_FORMAT = "course_lib.SentenceEncoder/1"


class PromptError(ValueError):
    """A prompt the encoder cannot turn into a vector."""


class EmptyPromptError(PromptError):
    """The prompt has no word at all (empty, blank, or only punctuation)."""


class NoKnownWordsError(PromptError):
    """None of the prompt's words is in the encoder's vocabulary."""


class UnknownWordsWarning(UserWarning):
    """Some words were not in the vocabulary and were left out of the sentence vector."""


class EncoderFileError(ValueError):
    """A saved encoder file is corrupt, truncated, or not an encoder file."""


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} characters)"


def _word_list(words, limit: int = 20) -> str:
    shown = ", ".join(repr(w) for w in words[:limit])
    return shown + (f" and {len(words) - limit} more" if len(words) > limit else "")


class SentenceEncoder:
    """Fit on a corpus, then ``encode(list_of_sentences)`` -> ``float32`` array ``(n, dim)``.

    Settings (scikit-learn style: ``__init__`` only stores them):

    * ``vector_size``, ``min_count``, ``window``, ``epochs``, ``sg``, ``negative``, ``seed``,
      ``workers``: passed to :func:`course_lib.text.train_word2vec`;
    * ``weighting``: ``"tfidf"`` (IDF-weighted mean) or ``"mean"`` (plain mean);
    * ``lexicon``: ``{group: [words]}`` or ``None``; ``tie`` (0-1) and ``concept_weight`` say how
      strongly it binds a group together (see the module docstring);
    * ``normalize``: scale every sentence vector to length 1;
    * ``concept_pooling``: ``"all"`` (concept dimensions averaged over every word, like the rest)
      or ``"concept"`` (over the words that belong to a lexicon group only).

    Learned attributes: ``vocab_`` (list of words), ``index_`` (word -> row), ``vectors_``
    (``(V, dim)`` float32) and ``idf_`` (``(V,)`` float32).
    """

    def __init__(self, vector_size: int = 64, *, weighting: str = "tfidf", lexicon: dict | None = None,
                 tie: float = 0.5, concept_weight: float = 1.0, normalize: bool = True, min_count: int = 2,
                 window: int = 5, epochs: int = 30, sg: int = 1, negative: int = 10, seed: int = 0,
                 workers: int = 1, concept_pooling: str = "all"):
        self.vector_size = vector_size
        self.weighting = weighting
        self.lexicon = lexicon
        self.tie = tie
        self.concept_weight = concept_weight
        self.normalize = normalize
        self.min_count = min_count
        self.window = window
        self.epochs = epochs
        self.sg = sg
        self.negative = negative
        self.seed = seed
        self.workers = workers
        self.concept_pooling = concept_pooling

    # -------------------------------------------------------------- fitting
    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in ("vector_size", "weighting", "lexicon", "tie", "concept_weight",
                                              "normalize", "min_count", "window", "epochs", "sg", "negative",
                                              "seed", "workers", "concept_pooling")}

    def _check_params(self) -> None:
        if self.weighting not in ("tfidf", "mean"):
            raise ValueError(f"weighting must be 'tfidf' or 'mean', not {self.weighting!r}")
        if self.concept_pooling not in ("all", "concept"):
            raise ValueError(f"concept_pooling must be 'all' or 'concept', not {self.concept_pooling!r}")
        if not 0.0 <= self.tie <= 1.0:
            raise ValueError(f"tie must be between 0 and 1, got {self.tie}")
        if self.lexicon is not None:
            check_lexicon(self.lexicon)

    def fit(self, corpus, word_vectors=None) -> "SentenceEncoder":
        """Learn word vectors and IDF weights from ``corpus`` (strings or token lists).

        Pass ``word_vectors`` (a trained gensim ``Word2Vec`` or ``KeyedVectors``) to reuse them
        instead of training; the corpus then only provides the IDF weights.
        """
        self._check_params()
        docs = [tokenize(d) if isinstance(d, str) else [str(t) for t in d] for d in corpus]
        docs = [d for d in docs if d]
        if not docs:
            raise ValueError("SentenceEncoder.fit needs a corpus with at least one non-empty document")
        if word_vectors is None:
            word_vectors = train_word2vec(docs, vector_size=self.vector_size, window=self.window,
                                          min_count=self.min_count, epochs=self.epochs, sg=self.sg,
                                          negative=self.negative, seed=self.seed, workers=self.workers)
        kv = getattr(word_vectors, "wv", word_vectors)
        vocab = list(kv.index_to_key)
        unit = kv.vectors.astype(np.float64)
        unit /= np.linalg.norm(unit, axis=1, keepdims=True) + 1e-12
        if self.lexicon:
            vocab, unit = _apply_lexicon(vocab, unit, self.lexicon, self.tie, self.concept_weight)
        self.vocab_ = vocab
        self.index_ = {w: i for i, w in enumerate(vocab)}
        self.vectors_ = unit.astype(np.float32)
        self.idf_ = _idf(docs, self.index_, self.lexicon)
        return self

    @property
    def dim(self) -> int:
        self._check_fitted()
        return int(self.vectors_.shape[1])

    def _check_fitted(self) -> None:
        if not hasattr(self, "vectors_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this SentenceEncoder is not fitted yet: "
                                 "call fit(corpus) or SentenceEncoder.load(path)")

    # -------------------------------------------------------------- encoding
    def split_known(self, sentence: str) -> tuple[list[str], list[str]]:
        """The sentence's tokens, split into (known, unknown) to this encoder."""
        self._check_fitted()
        tokens = tokenize(sentence)
        return [t for t in tokens if t in self.index_], [t for t in tokens if t not in self.index_]

    def encode(self, sentences) -> np.ndarray:
        """``float32`` array ``(len(sentences), dim)``: one vector per sentence.

        Unknown words are left out, and one :class:`UnknownWordsWarning` lists them. A sentence
        that is empty, or has no known word, raises :class:`EmptyPromptError` or
        :class:`NoKnownWordsError` (both ``ValueError``), naming which sentence it was.
        """
        self._check_fitted()
        if isinstance(sentences, (str, bytes)):
            raise TypeError("encode() takes a list of sentences; wrap a single prompt in a list: encode([prompt])")
        sentences = list(sentences)
        out = np.zeros((len(sentences), self.dim), np.float32)
        unknown: dict[str, None] = {}  # an ordered set
        for i, sentence in enumerate(sentences):
            if not isinstance(sentence, str):
                raise TypeError(f"sentence {i} is a {type(sentence).__name__}, not a str")
            tokens = tokenize(sentence)
            if not tokens:
                raise EmptyPromptError(f"prompt {i} ({_short(sentence)!r}) has no words: it needs at least "
                                       "one word or number")
            ids = [self.index_[t] for t in tokens if t in self.index_]
            unknown.update(dict.fromkeys(t for t in tokens if t not in self.index_))
            if not ids:
                missing = list(dict.fromkeys(tokens))
                raise NoKnownWordsError(f"prompt {i} ({_short(sentence)!r}) has no word the encoder knows "
                                        f"(unknown: {_word_list(missing, 10)}); the vocabulary has "
                                        f"{len(self.vocab_):,} words, e.g. {_word_list(self._example_words()[:8])}")
            out[i] = self._mean_vector(np.asarray(ids))
        if unknown:
            words = list(unknown)
            warnings.warn(UnknownWordsWarning(f"{len(words)} unknown word(s) ignored: {_word_list(words)}"),
                          stacklevel=2)
        return out

    def _example_words(self) -> list[str]:
        # The lexicon's words say most about what a prompt should contain; words before numerals.
        if self.lexicon:
            return sorted((words[0] for words in self.lexicon.values()), key=str.isdigit)
        return self.vocab_

    def _mean_vector(self, ids: np.ndarray) -> np.ndarray:
        # Count each distinct word once, so a 100,000-word prompt costs no more memory than its vocabulary.
        rows, counts = np.unique(ids, return_counts=True)
        weights = counts * (self.idf_[rows] if self.weighting == "tfidf" else 1.0)
        vectors = self.vectors_[rows].astype(np.float64)
        vec = (weights[:, None] * vectors).sum(0) / weights.sum()
        if self.lexicon and self.concept_pooling == "concept":
            k = len(self.lexicon)  # the concept dimensions are the last k columns
            carries = vectors[:, -k:].any(axis=1)
            if carries.any():
                vec[-k:] = (weights[carries, None] * vectors[carries, -k:]).sum(0) / weights[carries].sum()
        if self.normalize:
            vec /= np.linalg.norm(vec) + 1e-12
        return vec

    # -------------------------------------------------------------- looking at words
    def word_vector(self, word: str) -> np.ndarray:
        self._check_fitted()
        if word not in self.index_:
            raise KeyError(f"{word!r} is not in the encoder's vocabulary")
        return self.vectors_[self.index_[word]]

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words' vectors."""
        va, vb = self.word_vector(a), self.word_vector(b)
        return float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb) + 1e-12))

    def most_similar(self, word_or_vector, topn: int = 5, among=None) -> list[tuple[str, float]]:
        """The ``topn`` words with the most similar vectors (optionally only words in ``among``)."""
        self._check_fitted()
        query = self.word_vector(word_or_vector) if isinstance(word_or_vector, str) else np.asarray(word_or_vector)
        candidates = [w for w in (among if among is not None else self.vocab_)
                      if w in self.index_ and w != word_or_vector]
        matrix = self.vectors_[[self.index_[w] for w in candidates]]
        sims = matrix @ query / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(query) + 1e-12)
        order = np.argsort(-sims, kind="stable")[:topn]
        return [(candidates[j], float(sims[j])) for j in order]

    # -------------------------------------------------------------- one file
    def save(self, path) -> Path:
        """Write the encoder to one ``.npz`` file (written to a temporary name first, then renamed)."""
        self._check_fitted()
        path = Path(path)
        with replaced_atomically(path) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(
                fh, format=np.asarray(_FILE_FORMAT), params=np.asarray(json.dumps(self.get_params())),
                vocab=np.frombuffer("\n".join(self.vocab_).encode("utf-8"), dtype=np.uint8),
                vectors=self.vectors_, idf=self.idf_)
        return path

    @classmethod
    def load(cls, path) -> "SentenceEncoder":
        """Read a file written by :meth:`save`; a damaged file raises :class:`EncoderFileError`."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no saved sentence encoder here")
        hint = "save the encoder again (or delete the file to refit it)"
        try:
            with np.load(path, allow_pickle=False) as f:
                missing = [k for k in ("format", "params", "vocab", "vectors", "idf") if k not in f.files]
                if missing:
                    raise EncoderFileError(f"{path}: not a sentence-encoder file (missing {', '.join(missing)})")
                fmt, params = str(f["format"]), json.loads(str(f["params"]))
                vocab = bytes(f["vocab"]).decode("utf-8").split("\n")
                vectors, idf = f["vectors"], f["idf"]
        except EncoderFileError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError, UnicodeDecodeError) as err:
            raise EncoderFileError(f"{path}: unreadable or truncated encoder file ({type(err).__name__}: {err}); "
                                   f"{hint}") from err
        if fmt != _FILE_FORMAT:
            raise EncoderFileError(f"{path}: format {fmt!r}, expected {_FILE_FORMAT!r}")
        if (vectors.ndim != 2 or vectors.shape[0] != len(vocab) or idf.shape != (len(vocab),)
                or len(set(vocab)) != len(vocab)):
            raise EncoderFileError(f"{path}: vocabulary ({len(vocab)}), vectors {vectors.shape} and IDF weights "
                                   f"{idf.shape} disagree; {hint}")
        if not (np.isfinite(vectors).all() and np.isfinite(idf).all()):
            raise EncoderFileError(f"{path}: the vectors hold NaN or infinity; {hint}")
        try:
            encoder = cls(**params)
        except TypeError as err:
            raise EncoderFileError(f"{path}: settings this version does not understand ({err})") from err
        encoder.vocab_, encoder.index_ = vocab, {w: i for i, w in enumerate(vocab)}
        encoder.vectors_, encoder.idf_ = vectors.astype(np.float32), idf.astype(np.float32)
        return encoder

    def __repr__(self) -> str:
        state = f"{len(self.vocab_):,} words, dim {self.dim}" if hasattr(self, "vectors_") else "not fitted"
        return f"SentenceEncoder({state}, weighting={self.weighting!r}, lexicon={'yes' if self.lexicon else 'no'})"


# ------------------------------------------------------------------ helpers
def check_lexicon(lexicon: dict) -> None:
    """A lexicon maps group names to lists of single, normalised words, each in one group only."""
    seen = {}
    for group, words in lexicon.items():
        if isinstance(words, str) or not words:
            raise ValueError(f"lexicon group {group!r} should be a non-empty list of words")
        for w in words:
            if tokenize(w) != [w]:
                raise ValueError(f"lexicon word {w!r} (group {group!r}) is not one lowercase token: "
                                 f"tokenize gives {tokenize(w)}")
            if w in seen and seen[w] != group:
                raise ValueError(f"lexicon word {w!r} is in two groups: {seen[w]!r} and {group!r}")
            seen[w] = group


def _apply_lexicon(vocab: list, unit: np.ndarray, lexicon: dict, tie: float, concept_weight: float):
    """Pull each group's words towards the group's mean direction and add one concept dimension per group."""
    vocab = list(vocab)
    index = {w: i for i, w in enumerate(vocab)}
    centres = {}
    for group, words in lexicon.items():
        rows = [index[w] for w in words if w in index]
        centre = unit[rows].mean(0) if rows else np.zeros(unit.shape[1])
        centres[group] = centre / (np.linalg.norm(centre) + 1e-12)
    new_words = [w for words in lexicon.values() for w in words if w not in index]
    vectors = np.vstack([unit, np.zeros((len(new_words), unit.shape[1]))])
    vocab += new_words
    index.update({w: len(index) + k for k, w in enumerate(new_words)})
    concepts = np.zeros((len(vocab), len(lexicon)))
    for g, (group, words) in enumerate(lexicon.items()):
        for w in words:
            i = index[w]
            mixed = (1 - tie) * vectors[i] + tie * centres[group] if i < len(unit) else centres[group]
            vectors[i] = mixed / (np.linalg.norm(mixed) + 1e-12)
            concepts[i, g] = concept_weight
    return vocab, np.hstack([vectors, concepts])


def _idf(docs: list[list[str]], index: dict, lexicon: dict | None = None) -> np.ndarray:
    """Smoothed inverse document frequency, as scikit-learn's TfidfVectorizer: ln((1+N)/(1+df)) + 1.

    The words of a lexicon group count as one word (df: documents with any of them), so a synonym
    the corpus rarely uses ("skinny") weighs no more in a sentence than a common one ("thin").
    """
    group_of = {w: g for g, words in (lexicon or {}).items() for w in words}
    df = np.zeros(len(index))
    group_df = dict.fromkeys(lexicon or {}, 0)
    for doc in docs:
        words = set(doc)
        rows = [index[t] for t in words if t in index]
        df[rows] += 1
        for g in {group_of[t] for t in words if t in group_of}:
            group_df[g] += 1
    for g, words in (lexicon or {}).items():
        df[[index[w] for w in words if w in index]] = group_df[g]
    return (np.log((1 + len(docs)) / (1 + df)) + 1).astype(np.float32)
