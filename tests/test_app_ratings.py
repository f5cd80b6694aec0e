"""The web app's parts that need no server: the ratings store (every bad input, restarts, concurrent
raters, a broken file), the summary's arithmetic, and the style controls that rewrite a prompt."""
import multiprocessing
import sqlite3
import threading

import pytest

from course_lib.app import (
    RATINGS_FILE,
    Rating,
    RatingError,
    RatingsStore,
    format_realism_summary,
    realism_summary,
    restyle_prompt,
    summarize_ratings,
)


def rating(i, shown="generated", digit=7, verdict="real", realism=4, **kw):
    return Rating(f"item-{i}", shown, digit, verdict, realism, **kw)


@pytest.fixture
def store(tmp_path):
    return RatingsStore(tmp_path / "run" / RATINGS_FILE)


def test_ratings_survive_a_restart(tmp_path):
    path = tmp_path / "run" / RATINGS_FILE
    RatingsStore(path).add(rating(1, prompt="a thin 7", epoch=3, rater="session-a"))
    again = RatingsStore(path)  # a new store on the same file: the app restarted
    assert again.count() == 1
    assert again.rows() == [Rating("item-1", "generated", 7, "real", 4, "a thin 7", 3, "session-a")]


@pytest.mark.parametrize("field, value", [
    ("shown", "fake"), ("shown", None), ("verdict", "Real"), ("verdict", ""),
    ("digit", -1), ("digit", 10), ("digit", "seven"), ("digit", 2.5), ("digit", None), ("digit", True),
    ("realism", 0), ("realism", 6), ("realism", 3.5), ("realism", "five"), ("realism", None), ("realism", float("nan")),
    ("item_id", ""), ("item_id", "   "), ("item_id", None),
])
def test_each_bad_input_is_refused_and_nothing_is_stored(store, field, value):
    good = rating(1)
    store.add(good)
    bad = Rating(**{**good.__dict__, "item_id": "item-2", field: value})
    with pytest.raises(RatingError, match=field if field != "item_id" else "item_id"):
        store.add(bad)
    assert store.rows() == [good]


def test_numbers_from_a_web_form_are_accepted(store):
    store.add(rating(1, digit="3", realism="5"))
    store.add(rating(2, digit=4.0, realism=2.0))
    assert [(r.digit, r.realism) for r in store.rows()] == [(3, 5), (4, 2)]


def test_a_digit_cannot_be_rated_twice(store):
    store.add(rating(1))
    with pytest.raises(RatingError, match="rated already"):
        store.add(rating(1, verdict="generated"))
    assert store.count() == 1 and store.rows()[0].verdict == "real"


def test_a_file_that_is_not_a_database_is_named_and_left_alone(tmp_path):
    path = tmp_path / RATINGS_FILE
    path.write_bytes(b"these are not ratings" * 100)
    with pytest.raises(RatingError, match="not a usable ratings database"):
        RatingsStore(path)
    assert path.read_bytes() == b"these are not ratings" * 100


def test_a_newer_schema_or_a_foreign_table_is_refused(tmp_path):
    newer = tmp_path / "newer.sqlite"
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(RatingError, match="newer course version"):
        RatingsStore(newer)
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE ratings (id INTEGER PRIMARY KEY, score REAL)")
    with pytest.raises(RatingError, match="without the columns"):
        RatingsStore(foreign)


def test_a_folder_that_cannot_be_created_is_a_clear_error(tmp_path):
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(RatingError, match="cannot keep ratings"):
        RatingsStore(tmp_path / "a_file" / RATINGS_FILE)


def _add_many(path, worker, count):
    store = RatingsStore(path)
    for i in range(count):
        store.add(rating(f"{worker}-{i}", digit=i % 10, realism=1 + i % 5))


def test_concurrent_raters_lose_nothing(tmp_path):
    path = tmp_path / RATINGS_FILE
    RatingsStore(path)
    threads = [threading.Thread(target=_add_many, args=(path, f"t{w}", 25)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    procs = [multiprocessing.get_context("fork").Process(target=_add_many, args=(path, f"p{w}", 25))
             for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    rows = RatingsStore(path).rows()
    assert len(rows) == 9 * 25 and len({r.item_id for r in rows}) == 9 * 25


def test_summary_arithmetic():
    ratings = [
        rating(1, "generated", 7, "real", 4), rating(2, "generated", 7, "generated", 2),
        rating(3, "generated", 7, "real", 5), rating(4, "generated", 1, "generated", 1),
        rating(5, "real", 7, "real", 5, rater="a"), rating(6, "real", 3, "generated", 3, rater="b"),
    ]
    s = summarize_ratings(ratings)
    assert (s["ratings"], s["generated_rated"], s["real_rated"], s["raters"]) == (6, 4, 2, 2)
    assert s["fooled_rate"] == pytest.approx(2 / 4)
    assert s["real_judged_real"] == pytest.approx(1 / 2)
    assert s["rater_accuracy"] == pytest.approx(3 / 6)  # items 2, 4 and 5 were judged right
    assert s["mean_realism"] == {"real": pytest.approx(4.0), "generated": pytest.approx(3.0)}
    assert s["per_digit"]["7"] == {"generated_rated": 3, "fooled_rate": pytest.approx(2 / 3), "real_rated": 1,
                                   "real_judged_real": 1.0}
    assert s["per_digit"]["1"]["fooled_rate"] == 0.0
    assert s["per_digit"]["5"] == {"generated_rated": 0, "fooled_rate": None, "real_rated": 0, "real_judged_real": None}
    table = format_realism_summary(s)
    assert "6 ratings" in table and "fooled raters **50%**" in table and "| 7 | 3 | 67% | 1 | 100% |" in table


def test_realism_summary_only_when_someone_rated(tmp_path):
    assert realism_summary(tmp_path) is None  # no file
    RatingsStore(tmp_path / RATINGS_FILE)
    assert realism_summary(tmp_path) is None  # a file, no ratings
    RatingsStore(tmp_path / RATINGS_FILE).add(rating(1))
    assert realism_summary(tmp_path)["ratings"] == 1
    assert format_realism_summary(summarize_ratings([])).startswith("No ratings yet")


@pytest.mark.parametrize("prompt, thickness, slant, expected", [
    ("a seven", "thick", "leaning right", "a thick seven, leaning right"),
    ("a bold 8 that is slanted left", "thin", "any", "a thin 8"),
    ("an eight", "thin", None, "a thin eight"),
    ("a thin eight", "regular", None, "a regular eight"),
    ("a 1", None, "upright", "a 1, upright"),
    ("an upright 1", None, "any", "a 1"),
    ("a thick, slanted seven", "any", None, "a slanted seven"),
    ("the digit 3, written in thick strokes and leaning left", "thin", "leaning right",
     "the digit 3, written in thin strokes and leaning right"),
    ("the digit 3, written in thick strokes and leaning left", "any", "any", "the digit 3"),
    ("a fat two tilted to the left", "thin", "leaning right", "a thin two leaning right"),
    ("a handwritten digit", "thick", None, "a thick handwritten digit"),
    ("the number 42", "thick", "leaning left", "the thick number 42, leaning left"),
    ("  ", "thick", "upright", ""),
])
def test_style_controls_rewrite_the_prompt(prompt, thickness, slant, expected):
    assert restyle_prompt(prompt, thickness=thickness, slant=slant) == expected


def test_style_controls_refuse_unknown_choices():
    with pytest.raises(ValueError, match="thickness must be one of"):
        restyle_prompt("a 7", thickness="heavy")
    with pytest.raises(ValueError, match="slant must be one of"):
        restyle_prompt("a 7", slant="left")
