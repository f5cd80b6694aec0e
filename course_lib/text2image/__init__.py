"""The final project, text -> image: draw the digit a sentence describes, in the style it describes.

Only what is specific to text lives here; training, checkpoints, resuming, history and sample
grids are Week 6's (``course_lib.gan``), the caption encoder is Week 5's (``course_lib.text``)
and the judging is Week 3's classifier (``course_lib.metrics``).

* ``dataset``: measure each digit's thickness and slant, caption it, save the captioned digits.
* ``model``: ``Text2ImageConfig`` (quick and full presets) and ``build_text2image_gan``, Week 6's
  conditional ``GAN`` on caption vectors (GAN-CLS); ``caption_dataset``, ``generate_images``.
* ``run``: ``train`` a run directory (resumable), ``load_run`` it, ``generate`` from prompts.
* ``evaluation``: one function per measure (prompt accuracy, attribute control, diversity,
  robustness, Fréchet distance) and ``evaluate``, all of them as one table.
"""
from course_lib.text2image.dataset import (
    DATASET_KEYS,
    SLANT_EDGES,
    THICKNESS_EDGES,
    build_captioned_dataset,
    default_dataset_path,
    load_captioned_dataset,
    measure_slant,
    measure_thickness,
    skeletonize,
    slant_word,
    thickness_word,
)
from course_lib.text2image.evaluation import (
    ATTRIBUTE_PAIRS,
    NEUTRAL_PROMPTS,
    attribute_control,
    evaluate,
    evaluation_prompts,
    format_table,
    frechet_distance_to_real,
    neutral_histogram,
    prompt_accuracy,
    real_within_class_spread,
    robustness,
    within_prompt_spread,
)
from course_lib.text2image.model import Text2ImageConfig, build_text2image_gan, caption_dataset, generate_images
from course_lib.text2image.run import (
    DEFAULT_RUN_DIR,
    SAMPLE_PROMPTS,
    NoDigitWarning,
    RunError,
    TrainedRun,
    encode_captions,
    fit_caption_encoder,
    generate,
    load_run,
    prepare_data,
    prompts_without_a_digit,
    train,
)

__all__ = [
    "ATTRIBUTE_PAIRS", "DATASET_KEYS", "NEUTRAL_PROMPTS", "DEFAULT_RUN_DIR", "NoDigitWarning", "RunError", "SAMPLE_PROMPTS", "SLANT_EDGES",
    "THICKNESS_EDGES", "Text2ImageConfig", "TrainedRun", "attribute_control", "build_captioned_dataset",
    "build_text2image_gan", "caption_dataset", "default_dataset_path", "encode_captions", "evaluate",
    "evaluation_prompts", "fit_caption_encoder", "format_table", "frechet_distance_to_real", "generate",
    "generate_images", "load_captioned_dataset", "load_run", "measure_slant", "measure_thickness",
    "neutral_histogram", "prepare_data", "prompt_accuracy", "prompts_without_a_digit", "real_within_class_spread",
    "robustness", "skeletonize", "slant_word", "thickness_word", "train", "within_prompt_spread",
]
