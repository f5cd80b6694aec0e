"""The web app (final project): the text2image model for everyone, in a browser (Gradio).

* ``served_model``: ``ServedModel``, a run directory as the app serves it: which run, what a request may
  ask for, the warnings a prompt earns, the realism items (a real test digit or a generated one).
* ``prompt_style``: ``restyle_prompt``, the thickness and slant controls, which rewrite the prompt.
* ``ratings``: human realism ratings in SQLite in the run directory (``RatingsStore``) and their
  summary (``summarize_ratings``, ``realism_summary``, which ``course evaluate`` prints).
* ``blocks``: ``build_app``, the Gradio Blocks page with its three tabs (Digit, Sentence, Realism)
  and its two web APIs, ``digit`` and ``generate``.
* ``launching``: ``launch``, serving it: ``course app``, ``make app``, or inline in a notebook.

Gradio (the ``[app]`` extra) is imported only when an app is built, so the ratings and the rest of
this package work without it.
"""
from course_lib.app.blocks import APP_CSS, EXAMPLE_PROMPTS, INTRO, RATED_DIGIT_ZOOM, REALISM_LABELS, app_theme, build_app
from course_lib.app.launching import CONCURRENCY, DEFAULT_HOST, DEFAULT_PORT, QUEUE_SIZE, launch
from course_lib.app.prompt_style import ANY_STYLE, SLANT_CHOICES, THICKNESS_CHOICES, restyle_prompt
from course_lib.app.ratings import (
    RATINGS_FILE,
    REALISM_SCALE,
    SHOWN_KINDS,
    Rating,
    RatingError,
    RatingsStore,
    check_rating,
    format_realism_summary,
    realism_summary,
    summarize_ratings,
)
from course_lib.app.served_model import (
    DIGIT_CHOICES,
    DIGIT_TAB_IMAGES,
    MAX_IMAGES,
    MAX_SEED,
    PRETRAINED_RATINGS_DIR,
    TRAIN_HINT,
    RealismItem,
    ServedModel,
    ServedModelError,
    ratings_dir,
)

__all__ = [
    "ANY_STYLE", "APP_CSS", "CONCURRENCY", "DEFAULT_HOST", "DEFAULT_PORT", "DIGIT_CHOICES", "DIGIT_TAB_IMAGES",
    "EXAMPLE_PROMPTS", "INTRO", "MAX_IMAGES", "MAX_SEED", "PRETRAINED_RATINGS_DIR", "QUEUE_SIZE", "RATED_DIGIT_ZOOM",
    "RATINGS_FILE", "REALISM_LABELS",
    "REALISM_SCALE", "SHOWN_KINDS", "SLANT_CHOICES", "THICKNESS_CHOICES", "TRAIN_HINT", "Rating", "RatingError",
    "RatingsStore", "RealismItem", "ServedModel", "ServedModelError", "app_theme", "build_app", "check_rating",
    "format_realism_summary", "launch", "ratings_dir", "realism_summary", "restyle_prompt", "summarize_ratings",
]
