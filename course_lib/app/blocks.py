"""The web page: a Gradio Blocks app with three tabs.

* **Digit**: the original Handwritten Digit Generator's flow. Choose 0-9, click "Generate Images",
  see five new images of that digit. Web API ``digit``: a digit as a string in, five images out.
* **Sentence**: any prompt, 1-16 images, a seed (the same seed draws the same images), thickness and
  slant controls that rewrite the prompt, a PNG of the grid to download. Web API ``generate``:
  (prompt, n, seed) in, n images out. Unknown words come back as a warning; an empty prompt, or one
  with no known word, as an error message in the page.
* **Realism**: the S.C.O.R.P paper's human evaluation. One digit at a time, real or generated, is
  judged "real" or "generated" and rated 1-5; the summary shows how often generated digits fooled
  the raters (``course_lib.app.ratings``).

Gradio is imported inside ``build_app``, so ``course_lib.app`` (and ``course evaluate``, which reads
the ratings) works where the ``[app]`` extra is not installed. (No ``from __future__ import annotations``
here: Gradio reads the ``gr.Request`` annotation of a handler to pass it the request.)
"""
import functools
import logging
import tempfile
from pathlib import Path

import numpy as np

from course_lib.app.prompt_style import SLANT_CHOICES, THICKNESS_CHOICES, restyle_prompt
from course_lib.app.ratings import REALISM_SCALE, SHOWN_KINDS, format_realism_summary
from course_lib.app.served_model import DIGIT_CHOICES, DIGIT_TAB_IMAGES, MAX_IMAGES, MAX_SEED, ServedModel

log = logging.getLogger(__name__)

EXAMPLE_PROMPTS = [
    "a thick, slanted seven",
    "a thin 2 leaning left",
    "the digit three, written in bold strokes",
    "a skinny upright 1",
    "an 8 that is slanted right",
    "a handwritten zero",
    "the number 2026",
]
REALISM_LABELS = {1: "1 · obviously fake", 2: "2", 3: "3 · could be either", 4: "4", 5: "5 · looks real"}
RATED_DIGIT_ZOOM = 10  # the digit to rate is sent 280 px wide, nearest-neighbour: real and generated alike
# 28-pixel digits are shown large: blocky pixels, not a blur.
APP_CSS = """
.digits img, .digits canvas { image-rendering: pixelated; }
.rated-digit img { image-rendering: pixelated; max-height: 280px; }
"""
INTRO = """# Handwritten digits from words
The course's text→image GAN draws the digit a sentence describes, in the style it describes.
**Digit** is the classic *Handwritten Digit Generator*; **Sentence** takes any prompt;
**Realism** asks you to tell real digits from generated ones."""


def app_theme():
    """The page's theme: Gradio's default, with fonts the browser already has (nothing is fetched)."""
    import gradio as gr

    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"])


def _for_the_page(fn):
    """Errors become a message in the page (``gr.Error``), never a stack trace: our own errors say what
    to fix; anything unexpected goes to the server's log and the page says so."""
    import gradio as gr

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except ValueError as err:  # ServedModelError, RatingError, PromptError: written for people
            raise gr.Error(str(err), print_exception=False) from None
        except Exception as err:
            log.exception("course app: %s failed", fn.__name__)
            raise gr.Error(f"The server could not do that ({type(err).__name__}); its log has the details.",
                           print_exception=False) from None
    return wrapper


def build_app(model: ServedModel | str | Path | None = None):
    """The Gradio Blocks app for ``model`` (a ``ServedModel``, or a run directory; ``None``: the default run)."""
    import gradio as gr

    served = model if isinstance(model, ServedModel) else ServedModel(model)
    downloads = Path(tempfile.mkdtemp(prefix="course-app-"))

    @_for_the_page
    def digit(digit: str) -> list[np.ndarray]:
        """Five new images of one digit ("0" to "9")."""
        return list(served.digit_images(digit))

    @_for_the_page
    def generate(prompt: str, n: int, seed: int) -> list[np.ndarray]:
        """``n`` images for ``prompt``; the same seed draws the same images."""
        images, notes = served.draw(prompt, n, seed)
        for note in notes:
            gr.Warning(note, duration=20)
        return list(images)

    @_for_the_page
    def grid_png(gallery):
        """The drawn images as one PNG sheet, for the download button (enabled once there is a sheet)."""
        if not gallery:
            return gr.DownloadButton(value=None, interactive=False)
        from PIL import Image

        images = [np.asarray(Image.open(item[0] if isinstance(item, (tuple, list)) else item).convert("L"))
                  for item in gallery]
        path = downloads / f"digits-{len(images)}-{abs(hash(tuple(img.tobytes() for img in images))):x}.png"
        return gr.DownloadButton(value=str(served.save_grid(images, path)), interactive=True)

    def _next_item():
        try:
            item = served.realism_item()
        except ValueError as err:
            return None, None, f"Nothing to rate: {err}"
        big = item.image.repeat(RATED_DIGIT_ZOOM, axis=0).repeat(RATED_DIGIT_ZOOM, axis=1)
        return big, item, "Is this digit **real** or **generated**? How realistic does it look?"

    @_for_the_page
    def page_load():
        image, item, prompt = _next_item()
        return served.describe(), image, item, prompt, format_realism_summary(served.ratings_summary())

    @_for_the_page
    def rate(item, verdict, realism, request: gr.Request):
        # A refused rating is a warning, not gr.Error: an error would lay its overlay over the answer
        # buttons (this event's outputs) until the next event, so the rater could not fix the answer.
        problem = ("Say whether you think this digit is real or generated." if verdict is None else
                   "Rate how realistic it looks, from 1 to 5." if realism is None else None)
        if problem is None:
            try:
                served.rate(item, verdict, realism, rater=getattr(request, "session_hash", "") or "")
            except ValueError as err:  # RatingError, ServedModelError: written for people
                problem = str(err)
        if problem is not None:
            gr.Warning(problem)
            return (f"**Not saved:** {problem}",) + tuple(gr.skip() for _ in range(6))
        truth = "real" if item.shown == "real" else f"generated from \"{item.prompt}\""
        said = "right" if verdict == item.shown else "fooled" if item.shown == "generated" else "wrong"
        feedback = f"Saved. That {item.digit} was {truth}: you were **{said}**."
        image, new_item, prompt = _next_item()
        summary = format_realism_summary(served.ratings_summary())
        return feedback, image, new_item, prompt, summary, None, None

    with gr.Blocks(title="Handwritten digits from words", analytics_enabled=False) as demo:
        gr.Markdown(INTRO)
        status = gr.Markdown(served.describe())
        with gr.Tabs():
            with gr.Tab("Digit", id="digit"):
                with gr.Row(equal_height=True):
                    chosen = gr.Dropdown(list(DIGIT_CHOICES), value="7", label="Digit", scale=1, elem_id="digit")
                    digit_button = gr.Button("Generate Images", variant="primary", scale=1)
                digit_gallery = gr.Gallery(label=f"{DIGIT_TAB_IMAGES} generated images", columns=DIGIT_TAB_IMAGES,
                                           format="png", object_fit="contain", height=220, elem_classes="digits",
                                           elem_id="digit-gallery")
                digit_button.click(digit, chosen, digit_gallery, api_name="digit")

            with gr.Tab("Sentence", id="sentence"):
                with gr.Row(equal_height=True):
                    prompt = gr.Textbox(value=EXAMPLE_PROMPTS[0], label="Prompt", max_lines=1, elem_id="prompt",
                                        placeholder="describe a digit, e.g. \"a thin 4 leaning left\"", scale=4)
                    draw_button = gr.Button("Draw", variant="primary", scale=1)
                gr.Examples(EXAMPLE_PROMPTS, inputs=prompt, label="Examples")
                with gr.Row():
                    thickness = gr.Radio(list(THICKNESS_CHOICES), value=None, label="Thickness",
                                         info="rewrites the prompt")
                    slant = gr.Radio(list(SLANT_CHOICES), value=None, label="Slant", info="rewrites the prompt")
                with gr.Row():
                    count = gr.Slider(1, MAX_IMAGES, value=8, step=1, label="Number of images")
                    seed = gr.Number(0, label="Seed (same seed, same images)", precision=0, minimum=0,
                                     maximum=MAX_SEED)
                sentence_gallery = gr.Gallery(label="Generated images", columns=8, height=250, format="png",
                                              object_fit="contain", elem_classes="digits", elem_id="sentence-gallery")
                download = gr.DownloadButton("Download the grid (PNG)", value=None, size="sm", interactive=False,
                                             elem_id="download-grid")
                thickness.input(lambda p, t: restyle_prompt(p, thickness=t), [prompt, thickness], prompt,
                                api_visibility="private", queue=False)
                slant.input(lambda p, s: restyle_prompt(p, slant=s), [prompt, slant], prompt,
                            api_visibility="private", queue=False)
                drawn = gr.on([draw_button.click, prompt.submit], generate, [prompt, count, seed], sentence_gallery,
                              api_name="generate")
                drawn.success(grid_png, sentence_gallery, download, api_visibility="private")

            with gr.Tab("Realism", id="realism"):
                gr.Markdown("Half of these digits are real MNIST digits, half are drawn by the model from a real "
                            "digit's caption. Your answers are kept in the run's ratings database; "
                            "`course evaluate` reports them next to the machine measures.")
                item = gr.State(None)
                with gr.Row():
                    rated_image = gr.Image(label="Digit", show_label=False, image_mode="L", format="png", height=280, width=280,
                                           interactive=False, elem_classes="rated-digit", buttons=[],
                                           elem_id="rated-digit")
                    with gr.Column():
                        question = gr.Markdown()
                        verdict = gr.Radio(list(SHOWN_KINDS), label="I think this digit is", elem_id="verdict")
                        realism = gr.Radio([(REALISM_LABELS[v], v) for v in REALISM_SCALE], label="Realism",
                                           elem_id="realism-score")
                        rate_button = gr.Button("Submit rating", variant="primary")
                        feedback = gr.Markdown(elem_id="rating-feedback")
                summary = gr.Markdown(elem_id="realism-summary")
                rate_button.click(rate, [item, verdict, realism],
                                  [feedback, rated_image, item, question, summary, verdict, realism],
                                  api_visibility="private")

        demo.load(page_load, None, [status, rated_image, item, question, summary], api_visibility="private")
    return demo
