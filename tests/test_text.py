"""course_lib.text: tokenizer, corpora, Word2Vec, the sentence encoder and the caption encoder.

Training results vary across platforms, so these tests check behaviour (neighbours, ranks,
shapes, norms, errors), never exact trained values.
"""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from course_lib import text as T
from course_lib.text import check_lexicon

pytestmark = pytest.mark.xdist_group("test_text")

ANIMALS = ["cat", "dog", "cow", "horse", "sheep"]
VEHICLES = ["car", "bus", "truck", "train", "bike"]


def toy_corpus(n=400, seed=0):
    """Animals eat and sleep; vehicles drive and park: two clusters Word2Vec must find."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        if rng.random() < 0.5:
            out.append(["the", rng.choice(ANIMALS), rng.choice(["eats", "sleeps", "runs"]),
                        rng.choice(["grass", "hay", "food"]), "today"])
        else:
            out.append(["the", rng.choice(VEHICLES), rng.choice(["drives", "parks", "stops"]),
                        rng.choice(["road", "street", "garage"]), "today"])
    return [[str(w) for w in s] for s in out]


@pytest.fixture(scope="module")
def toy_w2v():
    return T.train_word2vec(toy_corpus(), vector_size=16, epochs=20, min_count=1, sample=0)


@pytest.fixture(scope="module")
def toy_encoder(toy_w2v):
    return T.SentenceEncoder().fit(toy_corpus(), word_vectors=toy_w2v)


@pytest.fixture(scope="module")
def caption_encoder():
    return T.build_caption_encoder(quick=True)


# ------------------------------------------------------------------ tokenizer
def test_tokenize_lowercases_and_drops_punctuation():
    assert T.tokenize("A THICK, slanted 7!") == ["a", "thick", "slanted", "7"]
    assert T.tokenize("don't  stop\n\tnow...") == ["dont", "stop", "now"]


def test_tokenize_splits_numbers_from_letters():
    assert T.tokenize("thick7 and 7th, 2024") == ["thick", "7", "and", "7", "th", "2024"]


def test_tokenize_non_ascii():
    assert T.tokenize("Café NAÏVE Straße") == ["cafe", "naive", "strasse"]
    assert T.tokenize("ａ ｔｈｉｃｋ ７") == ["a", "thick", "7"], "full-width characters should become plain ones"
    assert T.tokenize("привет мир") == ["привет", "мир"], "other alphabets are words too"
    assert T.tokenize("🙂 ✍️ → ★") == [], "emoji and symbols are not words"


def test_tokenize_empty_and_wrong_type():
    assert T.tokenize("") == [] and T.tokenize("  ,.;  ") == []
    with pytest.raises(TypeError, match="str"):
        T.tokenize(None)


# ------------------------------------------------------------------ corpora
def test_lee_corpus_offline():
    docs = T.load_lee_corpus()
    assert len(docs) == 300
    assert all(isinstance(w, str) and w == w.lower() for w in docs[0])
    assert 50_000 < sum(map(len, docs)) < 80_000
    assert len(T.load_lee_corpus("test")) == 50
    with pytest.raises(ValueError, match="background"):
        T.load_lee_corpus("train")


def test_wiki_corpus_chunks_articles():
    docs = T.load_wiki_corpus(max_docs=6, chunk_tokens=500)
    assert len(docs) == 6
    assert all(1 <= len(d) <= 500 for d in docs)
    assert "anarchism" in {w for d in docs for w in d}, "the dump starts with the article on anarchism"


def test_word_pairs_and_missing_file():
    ws, sl = T.load_word_pairs("wordsim353"), T.load_word_pairs("simlex999")
    assert len(ws) == 353 and len(sl) == 999
    assert all(0 <= s <= 10 for _, _, s in ws + sl)
    assert ("tiger", "cat", 7.35) in ws
    with pytest.raises(ValueError):
        T.load_word_pairs("men")
    with pytest.raises(FileNotFoundError, match="no_such_file.txt"):
        T.gensim_data_path("no_such_file.txt")


def test_evaluate_word_pairs_reports_oov_share():
    from gensim.models import KeyedVectors

    kv = KeyedVectors(4)
    words = ["tiger", "cat", "love", "sex", "money", "cash"]
    kv.add_vectors(words, np.random.default_rng(0).normal(size=(len(words), 4)))
    result = T.evaluate_word_pairs(kv, "wordsim353")
    used = sum(a in words and b in words for a, b, _ in T.load_word_pairs("wordsim353"))
    assert result["pairs_used"] == used and used >= 3
    assert result["oov_share"] == pytest.approx(1 - used / 353)
    assert -1 <= result["spearman"] <= 1


# ------------------------------------------------------------------ Word2Vec
def test_train_word2vec_finds_the_two_clusters(toy_w2v):
    for word, group in [("cat", ANIMALS), ("car", VEHICLES)]:
        top = [w for w, _ in toy_w2v.wv.most_similar(word, topn=20) if w in ANIMALS + VEHICLES][:4]
        assert set(top) <= set(group), f"{word}'s nearest nouns should be {group}, got {top}"
    assert len(toy_w2v.loss_history) == 20
    assert all(np.isfinite(toy_w2v.loss_history))


def test_train_word2vec_is_repeatable_and_tokenizes_strings():
    texts = [" ".join(s) for s in toy_corpus(100)]
    a = T.train_word2vec(texts, vector_size=8, epochs=2)
    b = T.train_word2vec(texts, vector_size=8, epochs=2)
    assert "cat" in a.wv and "the cat" not in a.wv, "strings should be tokenized, not used as words"
    np.testing.assert_array_equal(a.wv["cat"], b.wv["cat"])
    with pytest.raises(ValueError, match="non-empty"):
        T.train_word2vec([[], []])


# ------------------------------------------------------------------ SentenceEncoder
def test_encode_shapes_dtype_norms(toy_encoder):
    out = toy_encoder.encode(["the cat eats grass", "the bus parks", "dog"])
    assert out.shape == (3, toy_encoder.dim) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert toy_encoder.encode([]).shape == (0, toy_encoder.dim)


def test_sentence_similarity_follows_meaning(toy_encoder):
    cat, dog, car = toy_encoder.encode(["the cat eats hay", "the dog eats food", "the car drives road"])
    assert cat @ dog > cat @ car


def test_unknown_words_are_ignored_with_a_warning(toy_encoder):
    with pytest.warns(T.UnknownWordsWarning, match="'zebra'.*'quokka'"):
        with_unknown = toy_encoder.encode(["the zebra cat quokka eats"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # known words only: no warning at all
        clean = toy_encoder.encode(["the cat eats"])
    np.testing.assert_allclose(with_unknown, clean, atol=1e-6)
    assert toy_encoder.split_known("the zebra cat") == (["the", "cat"], ["zebra"])


def test_warning_lists_many_unknown_words_briefly(toy_encoder):
    letters = "abcdefghijklmnopqrstuvwxyz"
    prompt = "cat " + " ".join(f"zz{a}{b}" for a in letters for b in letters[:20])[: 500 * 5]
    with pytest.warns(T.UnknownWordsWarning) as record:
        toy_encoder.encode([prompt])
    message = str(record[0].message)
    assert "and 480 more" in message and len(message) < 1000


@pytest.mark.parametrize("prompt", ["", "   ", "?!,.", "🙂🙂"])
def test_empty_prompt_is_a_clear_error(toy_encoder, prompt):
    with pytest.raises(T.EmptyPromptError, match="prompt 1") as info:
        toy_encoder.encode(["the cat", prompt])
    assert isinstance(info.value, ValueError)


def test_prompt_without_known_words_is_a_clear_error(toy_encoder):
    with pytest.raises(T.NoKnownWordsError, match="'zebra', 'quokka'") as info:
        toy_encoder.encode(["zebra quokka"])
    assert isinstance(info.value, ValueError)


def test_encode_wants_a_list_of_strings(toy_encoder):
    with pytest.raises(TypeError, match=r"encode\(\[prompt\]\)"):
        toy_encoder.encode("the cat")
    with pytest.raises(TypeError, match="sentence 1"):
        toy_encoder.encode(["the cat", None])


def test_non_ascii_prompts(toy_encoder):
    a = toy_encoder.encode(["THE CÄT EATS"])
    b = toy_encoder.encode(["the cat eats"])
    np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.warns(T.UnknownWordsWarning, match="кошка"):
        toy_encoder.encode(["the кошка eats"])


def test_very_long_prompt(toy_encoder):
    long = "the cat eats hay, " * 50_000
    out = toy_encoder.encode([long])
    np.testing.assert_allclose(out, toy_encoder.encode(["the cat eats hay"]), atol=1e-5)
    with pytest.raises(T.NoKnownWordsError) as info:
        toy_encoder.encode(["zebra " * 100_000])
    assert len(str(info.value)) < 500, "the error should not repeat a huge prompt"


def test_weighting_and_single_words(toy_w2v):
    corpus = toy_corpus()
    mean = T.SentenceEncoder(weighting="mean").fit(corpus, word_vectors=toy_w2v)
    tfidf = T.SentenceEncoder(weighting="tfidf").fit(corpus, word_vectors=toy_w2v)
    assert tfidf.idf_[tfidf.index_["cat"]] > tfidf.idf_[tfidf.index_["the"]], "rare words get larger IDF weights"
    v = mean.encode(["cat"])[0]
    np.testing.assert_allclose(v, mean.word_vector("cat") / np.linalg.norm(mean.word_vector("cat")), atol=1e-6)
    a, b = mean.encode(["the the the cat"])[0], tfidf.encode(["the the the cat"])[0]
    cat = mean.word_vector("cat")
    assert b @ cat > a @ cat, "TF-IDF weighting should lean towards the rare word"
    with pytest.raises(ValueError, match="weighting"):
        T.SentenceEncoder(weighting="max").fit(corpus, word_vectors=toy_w2v)


def test_not_fitted_and_empty_corpus():
    with pytest.raises(NotFittedError):
        T.SentenceEncoder().encode(["cat"])
    with pytest.raises(ValueError, match="at least one"):
        T.SentenceEncoder().fit(["", "  !"])


def test_lexicon_is_checked():
    with pytest.raises(ValueError, match="two groups"):
        check_lexicon({"a": ["big", "large"], "b": ["large"]})
    with pytest.raises(ValueError, match="one lowercase token"):
        check_lexicon({"left": ["leaning left"]})


def test_lexicon_ties_words_no_corpus_relates(toy_w2v):
    lexicon = {"feline": ["cat", "kitty"], "canine": ["dog", "puppy"]}
    enc = T.SentenceEncoder(lexicon=lexicon).fit(toy_corpus(), word_vectors=toy_w2v)
    assert enc.dim == toy_w2v.wv.vector_size + 2
    assert "kitty" in enc.index_, "lexicon words missing from the corpus still get a vector"
    assert enc.most_similar("kitty", topn=1)[0][0] == "cat"
    assert enc.similarity("kitty", "cat") > enc.similarity("kitty", "dog")


def test_lexicon_synonyms_share_one_idf_weight(toy_w2v):
    # "kitty" never occurs in the corpus and "cat" often; as one group they weigh the same
    lexicon = {"feline": ["cat", "kitty"], "canine": ["dog", "puppy"]}
    enc = T.SentenceEncoder(lexicon=lexicon).fit(toy_corpus(), word_vectors=toy_w2v)
    idf = {w: enc.idf_[enc.index_[w]] for w in ("cat", "kitty", "dog", "puppy", "the")}
    assert idf["kitty"] == idf["cat"] and idf["puppy"] == idf["dog"]
    assert idf["the"] < idf["cat"], "words outside the lexicon keep their own IDF"
    plain = T.SentenceEncoder().fit(toy_corpus(), word_vectors=toy_w2v)
    assert plain.idf_[plain.index_["cat"]] == pytest.approx(idf["cat"]), "df of the group = df of 'cat' here"


@pytest.mark.parametrize("pooling, same", [("concept", True), ("all", False)])
def test_concept_pooling_ignores_filler_words(toy_w2v, pooling, same):
    lexicon = {"feline": ["cat", "kitty"], "canine": ["dog", "puppy"]}
    enc = T.SentenceEncoder(lexicon=lexicon, normalize=False, concept_weight=2.0,
                            concept_pooling=pooling).fit(toy_corpus(), word_vectors=toy_w2v)
    short, long = enc.encode(["the cat", "the cat eats food on the road today"])
    assert np.allclose(short[-2:], long[-2:]) == same
    if same:  # the concept block holds exactly what the prompt asks for
        np.testing.assert_allclose(long[-2:], [2.0, 0.0])
        mixed = enc.encode(["the kitty and the dog"])[0]
        assert 0.5 < mixed[-2] < 1.5 and mixed[-1] == pytest.approx(2.0 - mixed[-2]), "shared, IDF-weighted"
    with pytest.raises(ValueError, match="concept_pooling"):
        T.SentenceEncoder(lexicon=lexicon, concept_pooling="max").fit(toy_corpus(), word_vectors=toy_w2v)


# ------------------------------------------------------------------ one file
def test_save_load_round_trip(toy_w2v, tmp_path):
    corpus = toy_corpus() + [["the", "кот", "eats"], ["the", "кот", "sleeps"]]
    w2v = T.train_word2vec(corpus, vector_size=8, epochs=2, min_count=1)
    enc = T.SentenceEncoder(lexicon={"feline": ["cat", "кот"]}).fit(corpus, word_vectors=w2v)
    path = enc.save(tmp_path / "enc.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enc.npz"], "one file, no leftovers"
    with np.load(path, allow_pickle=False) as f:  # plain arrays only, no pickled objects
        assert set(f.files) == {"format", "params", "vocab", "vectors", "idf"}
    back = T.SentenceEncoder.load(path)
    assert back.vocab_ == enc.vocab_ and "кот" in back.index_
    prompts = ["the КОТ eats", "the car parks"]
    np.testing.assert_array_equal(back.encode(prompts), enc.encode(prompts))
    assert back.get_params() == enc.get_params()


@pytest.fixture
def saved(toy_encoder, tmp_path):
    return toy_encoder.save(tmp_path / "encoder.npz")


def test_truncated_file_names_the_file(saved):
    saved.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    with pytest.raises(T.EncoderFileError, match="encoder.npz.*truncated"):
        T.SentenceEncoder.load(saved)


def test_corrupt_bytes_names_the_file(saved):
    data = bytearray(saved.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)
    saved.write_bytes(bytes(data))
    with pytest.raises(T.EncoderFileError, match="encoder.npz"):
        T.SentenceEncoder.load(saved)


@pytest.mark.parametrize("content", [b"", b"not an encoder at all\n"])
def test_garbage_file_names_the_file(saved, content):
    saved.write_bytes(content)
    with pytest.raises(T.EncoderFileError, match="encoder.npz"):
        T.SentenceEncoder.load(saved)


def test_other_npz_and_inconsistent_file(saved, tmp_path):
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(T.EncoderFileError, match="other.npz.*missing"):
        T.SentenceEncoder.load(other)
    with np.load(saved) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["idf"] = arrays["idf"][:-1]
    np.savez(saved, **arrays)
    with pytest.raises(T.EncoderFileError, match="disagree"):
        T.SentenceEncoder.load(saved)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        T.SentenceEncoder.load(tmp_path / "nothing.npz")


# ------------------------------------------------------------------ the caption encoder
def test_lexicon_covers_every_caption_style_word():
    group_of = {w: g for g, words in T.CAPTION_LEXICON.items() for w in words}
    for attribute in T.SYNONYMS:
        for phrase in T.SYNONYMS[attribute] + T.HELDOUT_SYNONYMS[attribute]:
            groups = {group_of[w] for w in T.tokenize(phrase) if w in group_of}
            assert groups == {attribute}, f"{phrase!r} should tie to {attribute!r}, got {groups}"
    for d, word in enumerate(T.DIGIT_WORDS):
        assert group_of[word] == group_of[str(d)] == str(d)


def test_caption_encoder_ties_synonyms(caption_encoder):
    enc = caption_encoder
    for word, synonym, other in [("fat", "thick", "thin"), ("skinny", "thin", "thick"),
                                 ("erect", "upright", "left"), ("backwards", "left", "right"),
                                 ("forwards", "right", "left")]:
        assert enc.similarity(word, synonym) > enc.similarity(word, other), (word, synonym, other)
    for unrelated in ["government", "police", "fire", "seven"]:
        assert enc.similarity("fat", "thick") > enc.similarity("fat", unrelated)


def test_numerals_and_digit_words_are_nearest(caption_encoder):
    digit_words = [w for d in range(10) for w in (str(d), T.DIGIT_WORDS[d])]
    for d, word in enumerate(T.DIGIT_WORDS):
        assert caption_encoder.most_similar(str(d), 1, among=digit_words)[0][0] == word
        assert caption_encoder.most_similar(word, 1, among=digit_words)[0][0] == str(d)


def test_caption_encoder_embeds_unseen_paraphrases(caption_encoder):
    fat7, thick7, thin7, thick1 = caption_encoder.encode(
        ["a fat 7, leaning forwards", "a thick seven leaning right", "a thin seven leaning right",
         "a thick one leaning right"])
    assert fat7 @ thick7 > fat7 @ thin7
    assert fat7 @ thick7 > fat7 @ thick1


def test_caption_encoder_knows_every_training_caption(caption_encoder, tmp_path):
    captions = T.caption_corpus(300, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vectors = caption_encoder.encode(captions)
    assert vectors.shape == (300, caption_encoder.dim) and np.isfinite(vectors).all()
    back = T.SentenceEncoder.load(caption_encoder.save(tmp_path / "captions.npz"))
    np.testing.assert_array_equal(back.encode(captions[:5]), vectors[:5])


def test_caption_sample_keeps_rare_caption_words():
    from course_lib.text.caption_encoder import _sample_captions

    tokenized = [["a", "thick", "seven"]] * 500 + [["a", "chubby", "seven"], ["a", "chubby", "one"]]
    sample = _sample_captions(tokenized, 50, np.random.default_rng(0))
    assert 50 <= len(sample) <= 52
    assert sum(t.count("chubby") for t in sample) == 2, "a word in two captions must survive min_count=2"
