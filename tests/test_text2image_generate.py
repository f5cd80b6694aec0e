"""TrainedRun.generate: single digits, numbers of several digits, prompts that name no digit, bad prompts.

An untrained tiny generator and a small encoder fitted in a second: what is tested is how prompts
become slots, noise and images, not what a trained model draws (test_pretrained.py does that).
"""
import warnings
from pathlib import Path

import numpy as np
import pytest

from course_lib import text2image as t2i
from course_lib.text import CAPTION_LEXICON, NoKnownWordsError, SentenceEncoder, UnknownWordsWarning, caption_corpus

pytestmark = pytest.mark.xdist_group("test_text2image_generate")

TINY = t2i.Text2ImageConfig.preset("quick", g_filters=16, d_filters=8, d_features=16, latent_dim=8, text_proj_dim=8)


@pytest.fixture(scope="module")
def run():
    encoder = SentenceEncoder(vector_size=8, lexicon=CAPTION_LEXICON, concept_weight=2.0, concept_pooling="concept",
                              min_count=1, epochs=2).fit(caption_corpus(300) + ["something handwritten at random, any digit"])
    generator = t2i.build_text2image_generator(TINY, encoder.dim)
    return t2i.TrainedRun(generator, encoder, TINY, "mnist-5k", Path("tiny"))


def draw(run, prompts, n=5, seed=0):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning unless a test expects one
        return run.generate(prompts, n=n, seed=seed)


def test_rows_are_padded_to_the_longest_number(run):
    gen = draw(run, ["a 7", "the number 42", "2026", "a handwritten digit"])
    assert gen.images.shape == (4, 5, 28, 4 * 28) and gen.images.dtype == np.uint8
    np.testing.assert_array_equal(gen.lengths, [1, 2, 4, 1])
    assert gen.digits.shape == (4, 5, 4)
    np.testing.assert_array_equal(gen.digits[1, 0], [4, 2, -1, -1])
    np.testing.assert_array_equal(gen.digits[2, 3], [2, 0, 2, 6])
    assert (gen.images[0, :, :, 28:] == 0).all() and (gen.images[1, :, :, 56:] == 0).all(), "black padding"
    assert gen.images[2].std() > 0
    assert gen.drawings(1).shape == (5, 28, 56) and gen.drawings(2).shape == (5, 28, 112)
    assert [p.length for p in gen.plans] == [1, 2, 4, 1]


def test_the_digits_of_one_drawing_share_their_noise(run):
    gen = draw(run, ["77", "7"], n=4)
    first, second = gen.drawings(0)[:, :, :28], gen.drawings(0)[:, :, 28:]
    np.testing.assert_array_equal(first, second)  # the same caption and the same noise: the same 7
    assert not np.array_equal(first[0], first[1]), "different drawings have different noise"
    np.testing.assert_array_equal(first, gen.drawings(1)), "a row's noise is the same for every prompt"


def test_a_prompt_without_a_digit_draws_every_digit_with_its_words(run):
    gen = draw(run, ["a thick digit", "a thin digit"], n=20, seed=3)
    chosen = gen.digits[0, :, 0]
    assert sorted(chosen.tolist()) == sorted(list(range(10)) * 2), "every digit, equally often"
    np.testing.assert_array_equal(gen.digits[1, :, 0], chosen), "paired prompts get the same digits"
    assert not gen.plans[0].names_a_digit
    # each drawing is the prompt with its chosen digit, drawn with that drawing's noise
    single = draw(run, [f"a thick digit {chosen[j]}" for j in range(3)], n=20, seed=3)
    for j in range(3):
        np.testing.assert_array_equal(gen.images[0, j], single.images[j, j])


def test_same_seed_same_drawings(run):
    a, b = draw(run, ["the number 42", "any digit"], seed=5), draw(run, ["the number 42", "any digit"], seed=5)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.digits, b.digits)
    assert not np.array_equal(a.images, draw(run, ["the number 42", "any digit"], seed=6).images)


def test_unknown_words_are_named_once_and_per_prompt(run):
    with pytest.warns(UnknownWordsWarning, match="crayon") as caught:
        gen = run.generate(["the number 42 in crayon", "a thin 7"], n=2)
    assert len(caught) == 1
    assert gen.unknown_words == [["crayon"], []]


@pytest.mark.parametrize("prompts, error, message", [
    (["the number 123456789012"], t2i.NumberTooLongError, "at most"),
    (["a 7", ""], ValueError, "no words"),
    (["qwxz blorptastic"], NoKnownWordsError, "no word the encoder knows"),
    (["hundred"], t2i.NumberWordsError, "hundred"),
    ([], ValueError, "no prompts"),
])
def test_bad_prompts_raise_clear_errors(run, prompts, error, message):
    with pytest.raises(error, match=message):
        run.generate(prompts, n=2)


def test_bad_arguments(run):
    with pytest.raises(TypeError, match="list of prompts"):
        run.generate("a 7")
    with pytest.raises(ValueError, match="positive"):
        run.generate(["a 7"], n=0)


def test_npz_and_picture(run, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    gen = draw(run, ["a thick 7 next to a thin 1", "a 3"], n=3)
    path = gen.save_npz(tmp_path / "out.npz")
    with np.load(path) as f:
        assert f["images"].shape == (2, 3, 28, 56) and list(f["prompts"]) == ["a thick 7 next to a thin 1", "a 3"]
        np.testing.assert_array_equal(f["lengths"], [2, 1])
        np.testing.assert_array_equal(f["digits"][0, 0], [7, 1])
    fig = t2i.plot_generation(gen, save_to=tmp_path / "out.png")
    assert len(fig.axes) == 2 and "(2 digits)" in fig.axes[0].get_ylabel()
    assert (tmp_path / "out.png").read_bytes()[:4] == b"\x89PNG"


def test_open_styles_are_drawn_from_the_real_digits_styles(run):
    from dataclasses import replace

    counts = np.zeros((10, 3, 3), np.int64)
    counts[:, 2, 2] = 1      # every digit: thick, leaning right ...
    counts[1] = 0
    counts[1, 0, 1] = 1      # ... except the 1s: thin and upright
    styled = replace(run, style_counts=counts)
    gen = draw(styled, ["a 7", "a 1", "a thin 7", "the number 71", "a handwritten digit"], n=3)
    by_caption = draw(run, ["a 7 thick leaning right", "a 1 thin upright", "a thin 7 leaning right"], n=3)
    np.testing.assert_array_equal(gen.drawings(0), by_caption.drawings(0))
    np.testing.assert_array_equal(gen.drawings(1), by_caption.drawings(1))
    np.testing.assert_array_equal(gen.drawings(2), by_caption.drawings(2)), "a thickness asked for is kept"
    # a number shares one style, drawn from its digits' styles together (here: 7 thick-right, 1 thin-upright)
    assert {s.caption for s in gen.plans[3].slots} == {"the number 7", "the number 1"}
    unstyled = draw(run, ["the number 71"], n=3)
    assert not np.array_equal(gen.drawings(3), unstyled.drawings(0)), "the number got style words"
    same = draw(styled, ["a 7"], n=3, seed=0)
    np.testing.assert_array_equal(same.images[0], gen.images[0][..., :28])
    off = styled.generate(["a 7"], n=3, open_style=False)
    np.testing.assert_array_equal(off.drawings(0), draw(run, ["a 7"], n=3).drawings(0))
