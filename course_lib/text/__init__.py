"""Text to numbers, Week 5: tokenizer, offline corpora, Word2Vec, sentence vectors, caption language.

* ``tokenizer``: ``tokenize`` turns raw text into lowercase word and number tokens.
* ``corpora``: text that ships with gensim's wheel, so everything works offline:
  ``load_lee_corpus`` (about 300 news stories), ``load_wiki_corpus`` (a shortened English
  Wikipedia dump) and the human judgements of ``load_word_pairs`` (WordSim-353, SimLex-999).
* ``word2vec``: ``train_word2vec``, gensim's ``Word2Vec`` with defaults that suit a small corpus,
  and ``evaluate_word_pairs``.
* ``encoder``: ``SentenceEncoder`` turns a sentence into one vector, the (TF-IDF-weighted) mean of
  its word vectors, optionally bound by a lexicon of synonyms; one ``.npz`` file saves it.
* ``captions``: the language of digit captions (words, templates, synonyms, held-out phrasings).
* ``caption_encoder``: ``build_caption_encoder``, the encoder the final project conditions its
  generator on, with its lexicon ``CAPTION_LEXICON``.
"""
from course_lib.text.caption_encoder import CAPTION_LEXICON, DIGIT_GROUPS, STYLE_GROUPS, build_caption_encoder
from course_lib.text.captions import (
    DIGIT_WORDS,
    HELDOUT_SYNONYMS,
    HELDOUT_TEMPLATES,
    SLANT_WORDS,
    SYNONYMS,
    TEMPLATES,
    THICKNESS_WORDS,
    caption,
    caption_corpus,
    make_captions,
)
from course_lib.text.corpora import (
    GENSIM_DATA_FILES,
    gensim_data_path,
    load_lee_corpus,
    load_wiki_corpus,
    load_word_pairs,
)
from course_lib.text.encoder import (
    EmptyPromptError,
    EncoderFileError,
    NoKnownWordsError,
    PromptError,
    SentenceEncoder,
    UnknownWordsWarning,
    check_lexicon,
)
from course_lib.text.tokenizer import normalize_text, tokenize
from course_lib.text.word2vec import evaluate_word_pairs, train_word2vec

__all__ = [
    "CAPTION_LEXICON", "DIGIT_GROUPS", "DIGIT_WORDS", "EmptyPromptError", "EncoderFileError", "GENSIM_DATA_FILES",
    "HELDOUT_SYNONYMS", "HELDOUT_TEMPLATES", "NoKnownWordsError", "PromptError", "SLANT_WORDS", "STYLE_GROUPS",
    "SYNONYMS", "SentenceEncoder", "TEMPLATES", "THICKNESS_WORDS", "UnknownWordsWarning", "build_caption_encoder",
    "caption", "caption_corpus", "check_lexicon", "evaluate_word_pairs", "gensim_data_path", "load_lee_corpus",
    "load_wiki_corpus", "load_word_pairs", "make_captions", "normalize_text", "tokenize", "train_word2vec",
]
