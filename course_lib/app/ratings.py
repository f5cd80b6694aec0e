"""Human realism ratings (the S.C.O.R.P paper's human evaluation), kept in SQLite in the run directory.

A rater sees one digit, real or generated, says which they think it is and rates its realism from
1 (obviously fake) to 5 (indistinguishable from a real one). Every rating is one row of
``ratings.sqlite``. SQLite keeps them across restarts, and its write-ahead log with one
transaction per rating keeps them whole when several raters (threads or processes) submit at once.

From the ratings, ``summarize_ratings`` computes how often generated digits fooled raters, per digit,
and the mean realism of real against generated digits; ``course evaluate`` prints it
(``realism_summary``) when a run has ratings.
"""
from __future__ import annotations

import math
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

RATINGS_FILE = "ratings.sqlite"
SHOWN_KINDS = ("real", "generated")  # what the rater saw, and the two answers they can give
REALISM_SCALE = (1, 2, 3, 4, 5)
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS ratings (
    id        INTEGER PRIMARY KEY,
    item_id   TEXT    NOT NULL UNIQUE,  -- one rating per digit shown: a double click cannot count twice
    shown     TEXT    NOT NULL CHECK (shown IN ('real', 'generated')),
    digit     INTEGER NOT NULL CHECK (digit BETWEEN 0 AND 9),
    verdict   TEXT    NOT NULL CHECK (verdict IN ('real', 'generated')),
    realism   INTEGER NOT NULL CHECK (realism BETWEEN 1 AND 5),
    prompt    TEXT    NOT NULL DEFAULT '',  -- the caption a generated digit was drawn from
    epoch     INTEGER,                      -- the checkpoint that drew it
    rater     TEXT    NOT NULL DEFAULT '',  -- the browser session, not a person's name
    rated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
"""


class RatingError(ValueError):
    """A rating that cannot be stored: bad input, a digit rated twice, or an unusable ratings file."""


@dataclass(frozen=True)
class Rating:
    """One answer: what was shown (``shown``: "real" or "generated", and its ``digit``) and what the rater said."""

    item_id: str
    shown: str
    digit: int
    verdict: str
    realism: int
    prompt: str = ""
    epoch: int | None = None
    rater: str = ""


def check_rating(rating: Rating) -> Rating:
    """``rating`` with its values checked and normalised; a ``RatingError`` says what is wrong."""
    if not isinstance(rating.item_id, str) or not rating.item_id.strip():
        raise RatingError("the rating names no digit that was shown (no item_id)")
    for field in ("shown", "verdict"):
        value = getattr(rating, field)
        if value not in SHOWN_KINDS:
            raise RatingError(f"{field} must be 'real' or 'generated', not {value!r}")
    digit, realism = _whole_number(rating.digit, "digit"), _whole_number(rating.realism, "realism")
    if not 0 <= digit <= 9:
        raise RatingError(f"digit must be 0-9, not {digit}")
    if realism not in REALISM_SCALE:
        raise RatingError(f"realism must be a whole number from 1 to 5, not {rating.realism!r}")
    return Rating(rating.item_id.strip(), rating.shown, digit, rating.verdict, realism, str(rating.prompt or ""),
                  None if rating.epoch is None else int(rating.epoch), str(rating.rater or ""))


def _whole_number(value, name: str) -> int:
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number != int(number):
        raise RatingError(f"{name} must be a whole number, not {value!r}")
    return int(number)


class RatingsStore:
    """The ratings of one run: ``add`` a ``Rating``, ``count`` them, ``summary`` of all of them.

    Every call opens its own connection, so one store serves every thread of a web server.
    """

    def __init__(self, path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as conn:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > _SCHEMA_VERSION:
                    raise RatingError(f"{self.path} was written by a newer course version (schema {version})")
                conn.execute("PRAGMA journal_mode=WAL")  # raters read while another writes
                with conn:
                    conn.executescript(_SCHEMA)
                    conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
                columns = {row[1] for row in conn.execute("PRAGMA table_info(ratings)")}
        except sqlite3.DatabaseError as err:
            raise RatingError(f"{self.path} is not a usable ratings database ({err}); move it away to start "
                              "a new one") from err
        except OSError as err:
            raise RatingError(f"cannot keep ratings in {self.path}: {err}") from err
        missing = {"item_id", "shown", "digit", "verdict", "realism"} - columns
        if missing:
            raise RatingError(f"{self.path} has a 'ratings' table without the columns {sorted(missing)}")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30)  # waits for another writer instead of failing
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    def add(self, rating: Rating) -> None:
        """Store one rating (checked first); a digit already rated raises ``RatingError``."""
        r = check_rating(rating)
        try:
            with closing(self._connect()) as conn, conn:
                conn.execute("INSERT INTO ratings (item_id, shown, digit, verdict, realism, prompt, epoch, rater) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             (r.item_id, r.shown, r.digit, r.verdict, r.realism, r.prompt, r.epoch, r.rater))
        except sqlite3.IntegrityError as err:
            if "UNIQUE" in str(err):
                raise RatingError("this digit has been rated already") from None
            raise RatingError(f"rating refused by the database: {err}") from err
        except sqlite3.DatabaseError as err:
            raise RatingError(f"could not save the rating in {self.path}: {err}") from err

    def count(self) -> int:
        with closing(self._connect()) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM ratings").fetchone()[0])

    def rows(self) -> list[Rating]:
        """Every rating, oldest first."""
        with closing(self._connect()) as conn:
            found = conn.execute("SELECT item_id, shown, digit, verdict, realism, prompt, epoch, rater "
                                 "FROM ratings ORDER BY id").fetchall()
        return [Rating(*row) for row in found]

    def summary(self) -> dict:
        return summarize_ratings(self.rows())


def _mean(values) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def summarize_ratings(ratings) -> dict:
    """The human figures, JSON-ready: counts, how often generated digits fooled raters (overall and per
    digit), how often real digits were taken for real, and the mean realism of each kind (``None`` where
    no rating exists yet)."""
    ratings = list(ratings)
    by_kind = {kind: [r for r in ratings if r.shown == kind] for kind in SHOWN_KINDS}
    generated, real = by_kind["generated"], by_kind["real"]
    per_digit = {}
    for d in range(10):
        gen_d = [r for r in generated if r.digit == d]
        real_d = [r for r in real if r.digit == d]
        per_digit[str(d)] = {
            "generated_rated": len(gen_d),
            "fooled_rate": _mean(r.verdict == "real" for r in gen_d),
            "real_rated": len(real_d),
            "real_judged_real": _mean(r.verdict == "real" for r in real_d),
        }
    correct = [r.verdict == r.shown for r in ratings]
    return {
        "ratings": len(ratings),
        "raters": len({r.rater for r in ratings if r.rater}),
        "generated_rated": len(generated),
        "real_rated": len(real),
        "fooled_rate": _mean(r.verdict == "real" for r in generated),
        "real_judged_real": _mean(r.verdict == "real" for r in real),
        "rater_accuracy": _mean(correct),
        "mean_realism": {kind: _mean(r.realism for r in by_kind[kind]) for kind in SHOWN_KINDS},
        "per_digit": per_digit,
        "epochs": sorted({r.epoch for r in generated if r.epoch is not None}),
    }


def realism_summary(run_dir) -> dict | None:
    """The human figures of a run directory's ratings, or ``None`` when nobody has rated a digit yet."""
    path = Path(run_dir) / RATINGS_FILE
    if not path.exists():
        return None
    store = RatingsStore(path)
    return store.summary() if store.count() else None


def _percent(value) -> str:
    return "–" if value is None else f"{value:.0%}"


def _score(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def format_realism_summary(s: dict) -> str:
    """The human figures as a Markdown table (it reads as plain text too)."""
    if not s["ratings"]:
        return "No ratings yet: rate a digit to start the table."
    lines = [
        f"**{s['ratings']} rating{'s' * (s['ratings'] != 1)}** "
        f"({s['generated_rated']} generated, {s['real_rated']} real digits"
        + (f"; {s['raters']} rater session{'s' * (s['raters'] != 1)}" if s["raters"] else "") + ").",
        f"Generated digits fooled raters **{_percent(s['fooled_rate'])}** of the time; real digits were taken "
        f"for real {_percent(s['real_judged_real'])} of the time. Mean realism (1-5): real "
        f"**{_score(s['mean_realism']['real'])}**, generated **{_score(s['mean_realism']['generated'])}**.",
        "",
        "| digit | generated rated | fooled raters | real rated | real taken for real |",
        "|---|---|---|---|---|",
    ]
    for d, row in s["per_digit"].items():
        lines.append(f"| {d} | {row['generated_rated']} | {_percent(row['fooled_rate'])} | {row['real_rated']} | "
                     f"{_percent(row['real_judged_real'])} |")
    return "\n".join(lines)
