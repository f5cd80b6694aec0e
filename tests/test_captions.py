"""Captions: their wording (course_lib.text.captions), the style measurements and the dataset file
(course_lib.text2image.dataset)."""
import numpy as np
import pytest

from course_lib import text as T
from course_lib import text2image as T2I
from course_lib.data import BYTE_RANGE


def stroke(thickness: int, lean: float = 0.0) -> np.ndarray:
    """A vertical bar 18 rows tall, `thickness` pixels wide, shifted `lean` pixels right per row going up."""
    img = np.zeros((28, 28), np.float32)
    for row in range(5, 23):
        centre = 14 + lean * (14 - row)
        left = int(round(centre - thickness / 2))
        img[row, left:left + thickness] = 1.0
    return img


def test_skeleton_of_a_thick_bar_is_one_pixel_wide():
    skel = T2I.skeletonize(stroke(5)[None] > 0.5)[0]
    assert skel.sum() >= 10
    assert (skel.sum(axis=1) <= 2).all(), "thinning should leave a line about one pixel wide"


def test_thickness_grows_with_stroke_width():
    widths = T2I.measure_thickness(np.stack([stroke(w) for w in (1, 3, 5)]))
    assert widths[0] < widths[1] < widths[2]
    assert abs(widths[2] - 5) < 1.5


def test_slant_sign_and_order():
    slants = T2I.measure_slant(np.stack([stroke(2, -0.4), stroke(2, 0.0), stroke(2, 0.4)]))
    assert slants[0] < -0.2 and abs(slants[1]) < 0.05 and slants[2] > 0.2
    assert list(T2I.slant_word(slants)) == ["left", "upright", "right"]


def test_measures_take_the_range_they_are_told_and_nhwc():
    x = np.stack([stroke(3), stroke(4)])
    a = T2I.measure_thickness(x)
    b = T2I.measure_thickness((x * 255).astype(np.uint8)[..., None], value_range=BYTE_RANGE)
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(T2I.measure_slant(x * 2 - 1, value_range=(-1, 1)), T2I.measure_slant(x), atol=1e-6)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):  # 0-255 images are not guessed to be 0-255
        T2I.measure_thickness((x * 255).astype(np.uint8))
    with pytest.raises(ValueError, match="shaped"):
        T2I.measure_slant(np.zeros((2, 3, 4, 5, 6)))


def test_captions_tell_the_truth_and_use_real_words():
    rng = np.random.default_rng(0)
    for _ in range(200):
        label = int(rng.integers(10))
        text = T.caption(label, "thick", "left", rng)
        words = text.replace(",", " ").split()
        assert str(label) in words or T.DIGIT_WORDS[label] in words
        for wrong in ("thin", "upright", "right", "light"):
            assert f" {wrong} " not in f" {text} ", f"{text!r} describes a style the digit does not have"
        assert " an one" not in text and "a eight" not in text


def test_heldout_phrasings_never_appear_in_training_captions():
    labels = np.repeat(np.arange(10), 30)
    t = np.resize(T.THICKNESS_WORDS, 300)
    s = np.resize(T.SLANT_WORDS, 301)[1:]
    train = " | ".join(T.make_captions(labels, t, s, 5).ravel())
    held = T.make_captions(labels, t, s, 2, heldout=True).ravel()
    for word in sum(T.HELDOUT_SYNONYMS.values(), []):
        assert word not in train
    stems = [tpl.split("{")[0].strip() for tpl in T.HELDOUT_TEMPLATES]
    assert all(stem not in train for stem in stems if stem)
    assert any(any(w in h for w in sum(T.HELDOUT_SYNONYMS.values(), [])) for h in held)


def test_build_and_load_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    path = T2I.build_captioned_dataset("digits8x8", tmp_path / "cap.npz", captions_per_image=3, verbose=False)
    with np.load(path) as f:  # students load it with plain numpy.load
        assert f["images"].dtype == np.uint8 and f["images"].shape == (1797, 28, 28)
        assert f["captions"].shape == (1797, 3)
    d = T2I.load_captioned_dataset(path)
    assert set(T2I.DATASET_KEYS) <= set(d)
    assert set(np.unique(d["thickness_words"])) <= set(T.THICKNESS_WORDS)
    assert not list(tmp_path.glob("*.partial*")), "no half-written file should be left behind"


def test_truncated_or_foreign_files_give_clear_errors(tmp_path):
    path = T2I.build_captioned_dataset("digits8x8", tmp_path / "cap.npz", captions_per_image=1, verbose=False)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(ValueError, match="truncated"):
        T2I.load_captioned_dataset(path)
    other = tmp_path / "other.npz"
    np.savez(other, images=np.zeros((2, 28, 28)))
    with pytest.raises(ValueError, match="missing"):
        T2I.load_captioned_dataset(other)
    with pytest.raises(FileNotFoundError, match="course data build"):
        T2I.load_captioned_dataset(tmp_path / "nope.npz")
    with pytest.raises(ValueError, match="at least 1"):
        T2I.build_captioned_dataset("digits8x8", tmp_path / "x.npz", captions_per_image=0, verbose=False)
