"""Word vectors: gensim's Word2Vec with defaults for a small corpus, and how to evaluate them."""
from __future__ import annotations

import numpy as np

from course_lib.text.corpora import load_word_pairs
from course_lib.text.tokenizer import tokenize


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
    if hasattr(vectors, "index_"):  # a fitted SentenceEncoder
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
