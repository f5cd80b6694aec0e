"""The final project, text -> image: draw the digit a sentence describes, in the style it describes.

Only what is specific to text lives here; training, checkpoints, resuming, history and sample
grids are Week 6's (``course_lib.gan``), the caption encoder is Week 5's (``course_lib.text``)
and the judging is Week 3's classifier (``course_lib.metrics``).

* ``dataset``: measure each digit's thickness and slant, caption it, save the captioned digits.
* ``model``: ``Text2ImageConfig`` (quick and full presets) and ``build_text2image_gan``, Week 6's
  conditional ``GAN`` on caption vectors (GAN-CLS); ``caption_dataset``, ``generate_images``.
* ``prompts``: ``plan_prompt`` reads a prompt as one digit, a number of several digits
  ("the number 42", "forty-two") or none named (any digit is drawn).
* ``run``: ``train`` a run directory (resumable), ``load_run`` it (or the pretrained model that
  ships with the course, ``load_pretrained``) and ``TrainedRun.generate`` drawings from prompts.
* ``evaluation``: one function per measure (prompt accuracy, attribute control, digit-free prompts,
  diversity, numbers, robustness, fidelity, Fréchet distance) and ``evaluate``, all of them as one table.
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
    DIGIT_FREE_PAIRS,
    NEUTRAL_PROMPTS,
    NUMBER_PROMPTS,
    attribute_control,
    check_pretrained,
    class_entropy,
    digit_free_control,
    digit_free_prompts,
    evaluate,
    evaluation_prompts,
    format_table,
    frechet_distance_to_real,
    number_accuracy,
    number_prompts,
    prompt_accuracy,
    real_spread,
    robustness,
    within_prompt_spread,
)
from course_lib.text2image._plotting import plot_generation
from course_lib.text2image.model import (
    Text2ImageConfig,
    build_text2image_gan,
    build_text2image_generator,
    caption_dataset,
    generate_images,
)
from course_lib.text2image.prompts import (
    MAX_DIGITS,
    NUMBER_WORDS,
    DigitSlot,
    NumberTooLongError,
    NumberWordsError,
    PromptPlan,
    open_attributes,
    plan_prompt,
    words_to_digits,
)
from course_lib.text2image.run import (
    DEFAULT_RUN_DIR,
    PRETRAINED_TEXT2IMAGE,
    SAMPLE_PROMPTS,
    Generation,
    RunError,
    TrainedRun,
    encode_captions,
    export_pretrained,
    fit_caption_encoder,
    generate,
    has_run,
    load_pretrained,
    load_run,
    prepare_data,
    saved_config,
    style_counts,
    train,
)

__all__ = [
    "ATTRIBUTE_PAIRS", "DATASET_KEYS", "DEFAULT_RUN_DIR", "DIGIT_FREE_PAIRS", "DigitSlot", "Generation", "MAX_DIGITS",
    "NEUTRAL_PROMPTS", "NUMBER_PROMPTS", "NUMBER_WORDS", "NumberTooLongError", "NumberWordsError",
    "PRETRAINED_TEXT2IMAGE", "PromptPlan", "RunError", "SAMPLE_PROMPTS", "SLANT_EDGES", "THICKNESS_EDGES",
    "Text2ImageConfig", "TrainedRun", "attribute_control", "build_captioned_dataset", "build_text2image_gan",
    "build_text2image_generator", "caption_dataset", "check_pretrained", "class_entropy", "default_dataset_path", "digit_free_control",
    "digit_free_prompts", "encode_captions", "evaluate", "evaluation_prompts", "export_pretrained",
    "fit_caption_encoder", "format_table", "frechet_distance_to_real", "generate", "generate_images", "has_run",
    "load_captioned_dataset", "load_pretrained", "load_run", "measure_slant", "measure_thickness",
    "number_accuracy", "number_prompts", "open_attributes", "plan_prompt", "plot_generation", "prepare_data", "prompt_accuracy", "real_spread",
    "robustness", "saved_config", "skeletonize", "slant_word", "style_counts", "thickness_word", "train", "within_prompt_spread",
    "words_to_digits",
]
