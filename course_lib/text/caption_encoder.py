"""The sentence encoder the final project conditions its generator on, and its lexicon.

Word2Vec cannot learn from a few hundred news stories that "fat" means "thick" or that "7" is
"seven", so a small hand-made lexicon (:data:`CAPTION_LEXICON`) ties those words together.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from course_lib.runtime import is_quick
from course_lib.text.captions import DIGIT_WORDS, caption_corpus
from course_lib.text.corpora import load_lee_corpus, load_wiki_corpus
from course_lib.text.encoder import SentenceEncoder
from course_lib.text.tokenizer import tokenize

# Words that mean the same thing in a digit caption. A corpus of news and encyclopaedia text cannot
# teach these ("fat" there is about food, "bold" about courage), so we write them down, as a thesaurus
# would. Every group becomes one "concept" dimension of the encoder (see course_lib.text.encoder).
DIGIT_GROUPS = {str(d): [str(d), w] for d, w in enumerate(DIGIT_WORDS)}
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
