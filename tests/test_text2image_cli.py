"""The final project's command line and run directory: generate, evaluate, resume, bad inputs.

`course generate` and `course evaluate` run as the console script, in a process of their own. The bad inputs and
the other checks of what `course` prints call the same function in this process (`cli.main`, which the console
script calls), which spares each of them a process that imports TensorFlow.
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from course_files import quick_environment
from tiny_run import GROUP, TINY, trained_tiny_run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(GROUP)]
COURSE = Path(sys.executable).parent / "course"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("t2i")
    values = dict(os.environ, **quick_environment(root))  # what the notebook tests and the tiny run get
    values.pop("COURSE_ALLOW_DOWNLOAD", None)
    return root, values


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """The tiny one-epoch run the app tests serve too (tests/tiny_run.py), trained in a subprocess like `course
    train`; the tests here read it and work on copies."""
    return trained_tiny_run(tmp_path_factory)[0]


def course(env, *args, timeout=600):
    return subprocess.run([str(COURSE), *args], env=env[1], capture_output=True, text=True, timeout=timeout)


def test_run_directory_has_what_training_promises(trained_run):
    from course_lib.gan import RUN_FILES, read_history

    # Week 6's run directory, plus what is specific to text
    assert {p.name for p in trained_run.iterdir()} == {*RUN_FILES, "config.json", "encoder.npz"}
    assert [p.name for p in (trained_run / "samples").glob("epoch-*.png")] == ["epoch-001.png"]
    assert (trained_run / "samples" / "samples.gif").is_file()
    assert json.loads((trained_run / "checkpoints" / "latest.json").read_text())["epoch"] == 1
    history = read_history(trained_run)
    assert history["epoch"] == [1] and set(history) == {"epoch", "d_loss", "g_loss", "d_real", "d_fake"}


def test_generate_writes_grid_and_npz_and_is_repeatable(env, trained_run, tmp_path):
    args = ["generate", "a thick seven", "a thin 2", "--run-dir", str(trained_run), "-n", "3", "--seed", "4"]
    first = course(env, *args, "--out", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr[-2000:]
    second = course(env, *args, "--out", str(tmp_path / "b.png"))
    assert second.returncode == 0
    a, b = np.load(tmp_path / "a.npz"), np.load(tmp_path / "b.npz")
    assert a["images"].shape == (2, 3, 28, 28) and a["images"].dtype == np.uint8
    assert list(a["prompts"]) == ["a thick seven", "a thin 2"]
    np.testing.assert_array_equal(a["images"], b["images"])
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"
    # MNIST-like: mostly dark background, white ink
    assert np.median(a["images"]) < 128


def test_unknown_words_are_named_in_a_warning(env, course_here, trained_run, tmp_path):
    proc = course_here(env[1], "generate", "a thick seven blorptastic", "--run-dir", str(trained_run), "-n", "1",
                       "--out", str(tmp_path / "w"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "blorptastic" in proc.stderr


def test_a_prompt_without_a_digit_draws_every_digit_without_a_warning(env, course_here, trained_run, tmp_path):
    proc = course_here(env[1], "generate", "a thick digit", "a Seven", "--run-dir", str(trained_run), "-n", "10",
                       "--out", str(tmp_path / "d"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Warning" not in proc.stderr, proc.stderr[-2000:]
    assert "'a thick digit' names no digit: every digit is drawn" in proc.stdout
    with np.load(tmp_path / "d.npz") as f:
        assert sorted(f["digits"][0, :, 0].tolist()) == list(range(10))
        assert set(f["digits"][1, :, 0].tolist()) == {7}


def test_numbers_are_drawn_left_to_right_in_28px_slots(env, course_here, trained_run, tmp_path):
    proc = course_here(env[1], "generate", "the number 42", "2026", "a thick 7 next to a thin 1", "forty-two",
                       "--run-dir", str(trained_run), "-n", "3", "--out", str(tmp_path / "numbers"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    with np.load(tmp_path / "numbers.npz") as f:
        assert f["images"].shape == (4, 3, 28, 4 * 28)
        np.testing.assert_array_equal(f["lengths"], [2, 4, 2, 2])
        np.testing.assert_array_equal(f["digits"][1, 0], [2, 0, 2, 6])
        assert (f["images"][0, :, :, 56:] == 0).all(), "narrower rows are padded with black on the right"
    assert "'a thick 7 next to a thin 1': 2 digits, 7 ('a thick 7'), 1 ('a thin 1')" in proc.stdout
    assert (tmp_path / "numbers.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("prompt, message", [("123456789012", "12 digits; at most 8"),
                                             ("hundred", "cannot read 'hundred' as a number")])
def test_bad_numbers_fail_clearly(env, course_here, trained_run, tmp_path, prompt, message):
    proc = course_here(env[1], "generate", "a 7", prompt, "--run-dir", str(trained_run), "--out", str(tmp_path / "x"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.npz").exists()


def test_a_number_with_an_unknown_word_draws_and_names_the_word(env, course_here, trained_run, tmp_path):
    proc = course_here(env[1], "generate", "the number 42 in crayon", "the number", "--run-dir", str(trained_run),
                       "-n", "2", "--out", str(tmp_path / "u"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "crayon" in proc.stderr
    with np.load(tmp_path / "u.npz") as f:
        np.testing.assert_array_equal(f["lengths"], [2, 1])  # "the number" alone names no digit: any digit


@pytest.mark.parametrize("prompt, message", [("", "empty"), ("   ", "empty"), ("qwxz blorptastic", "no word the encoder knows")])
def test_bad_prompts_fail_clearly(env, course_here, trained_run, tmp_path, prompt, message):
    proc = course_here(env[1], "generate", prompt, "--run-dir", str(trained_run), "--out", str(tmp_path / "x"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.npz").exists()


def test_generate_without_a_run_says_to_train(env, course_here, tmp_path):
    proc = course_here(env[1], "generate", "a seven", "--run-dir", str(tmp_path / "none"), "--out", str(tmp_path / "x"))
    assert proc.returncode == 2 and "course train" in proc.stderr


def test_generate_rejects_zero_images(env, course_here, trained_run, tmp_path):
    proc = course_here(env[1], "generate", "a seven", "--run-dir", str(trained_run), "-n", "0",
                       "--out", str(tmp_path / "x"))
    assert proc.returncode == 2 and "-n" in proc.stderr


def test_evaluate_prints_a_table_and_writes_json(env, trained_run, tmp_path):
    out = tmp_path / "eval.json"
    proc = course(env, "evaluate", "--run-dir", str(trained_run), "-n", "2", "--json", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    for row in ("prompt accuracy", "slant control", "digit-free prompts: classes", "numbers: accuracy per position",
                "fidelity: SSIM to nearest training digit", "copies of training digits", "real test vs training"):
        assert row in proc.stdout, row
    result = json.loads(out.read_text())
    assert 0 <= result["prompt_accuracy"] <= 1 and 0 <= result["heldout_accuracy"] <= 1
    assert set(result["prompt_accuracy_per_digit"]) == {str(d) for d in range(10)}
    assert set(result["attribute_control"]) == set(result["digit_free_attribute_control"]) == {"thickness", "slant"}
    free = result["digit_free_prompts"]
    assert len(free["class_histogram"]) == 10 and 0 <= free["entropy"] <= 1
    assert set(result["robustness"]) == {"typo", "extra_unknown_word", "text_vector_noise_10pct"}
    assert len(result["numbers"]["per_position"]) == 4 and set(result["numbers"]["per_length"]) == {"2", "3", "4"}
    fidelity = result["fidelity"]
    assert 0 <= fidelity["copy_share"] <= 1 and -1 <= fidelity["ssim_to_nearest_training_digit"] <= 1
    assert fidelity["mse_to_nearest_training_digit"] > 0 and fidelity["real_test_mse_to_nearest_training_digit"] > 0
    assert result["frechet_distance_classifier_features"] >= 0 and result["frechet_distance_real_test_vs_training"] >= 0
    assert result["diversity"]["real_spread_all_digits"] > result["diversity"]["real_within_class_spread"] > 0


def test_accuracy_draws_every_prompt_with_noise_of_its_own(trained_run):
    from course_lib.text2image import evaluation as E
    from course_lib.text2image import load_run

    run = load_run(trained_run)
    prompts = ["a thick 7", "a thick 7", "a thin 2"]
    own = E._digits_own_noise(run, prompts, 3, seed=5)
    shared = E._digits(run, prompts, 3, seed=5)
    np.testing.assert_array_equal(shared[0], shared[1])  # one noise for all: the same prompt, the same drawings
    assert own.shape == (3, 3, 28, 28) and not np.array_equal(own[0], own[1])
    np.testing.assert_array_equal(own, E._digits_own_noise(run, prompts, 3, seed=5))  # the same seed, the same
    # each prompt is drawn as `generate` draws it, with a seed of its own
    seeds = np.random.SeedSequence(5).generate_state(3)
    np.testing.assert_array_equal(own[2], run.generate(["a thin 2"], n=3, seed=int(seeds[2])).images[0, :, :, :28])


def test_corrupt_checkpoint_stops_training_without_losing_the_run(env, course_here, trained_run, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(trained_run, copy)
    (copy / "checkpoints" / "latest.json").write_text("{broken")
    proc = course_here(env[1], "train", "--run-dir", str(copy), "--data", "digits8x8", "--epochs", "2")
    assert proc.returncode == 2, proc.stdout + proc.stderr[-2000:]
    assert "latest.json" in proc.stderr and "--fresh" in proc.stderr
    assert (copy / "encoder.npz").exists() and list((copy / "checkpoints").glob("epoch-*"))


def test_other_networks_are_refused_before_the_run_is_touched(env, course_here, trained_run, tmp_path):
    """`course train --config quick` on the tiny run (other channel counts): a clear error, and the run still loads.
    Without --config, the run goes on with its own settings (the corrupt-checkpoint test above reaches its
    checkpoint that way)."""
    import shutil

    from course_lib import text2image as t2i

    copy = tmp_path / "run"
    shutil.copytree(trained_run, copy)
    saved = (copy / "config.json").read_bytes()
    proc = course_here(env[1], "train", "--run-dir", str(copy), "--data", "digits8x8", "--config", "quick")
    assert proc.returncode == 2, proc.stdout + proc.stderr[-2000:]
    assert "networks differ" in proc.stderr and f"g_filters {TINY['g_filters']} there, 128 here" in proc.stderr
    assert "--fresh" in proc.stderr
    assert (copy / "config.json").read_bytes() == saved, "the refused run's configuration was rewritten"
    assert t2i.saved_config(copy).g_filters == TINY["g_filters"]
    assert t2i.load_run(copy).config.g_filters == TINY["g_filters"]
    assert t2i.saved_config(tmp_path / "nothing here") is None
    # other data: refused the same way
    proc = course_here(env[1], "train", "--run-dir", str(copy), "--data", "mnist-5k")
    assert proc.returncode == 2 and "holds a run on 'digits8x8' data, not 'mnist-5k'" in proc.stderr, proc.stderr[-2000:]
    assert (copy / "config.json").read_bytes() == saved
    # an unreadable configuration: named, and left as it is
    (copy / "config.json").write_text("{broken")
    proc = course_here(env[1], "train", "--run-dir", str(copy), "--data", "digits8x8")
    assert proc.returncode == 2 and "unreadable run configuration" in proc.stderr, proc.stdout + proc.stderr[-2000:]
    assert (copy / "config.json").read_text() == "{broken"


@pytest.mark.timeout(1200)  # hang guard only
def test_a_killed_run_resumes_from_its_last_checkpoint(env, trained_run, tmp_path, monkeypatch):
    run_dir = tmp_path / "killed"
    # the tiny run's caption encoder, handed over: this test is about resuming, and fitting one costs more than
    # the epochs before the kill
    script = f"""
        from course_lib import text2image as t2i
        from course_lib.text import SentenceEncoder
        t2i.train({str(run_dir)!r}, t2i.Text2ImageConfig.preset("quick", num_epochs=200, **{TINY!r}),
                  source="digits8x8", verbose=0, encoder=SentenceEncoder.load({str(trained_run / "encoder.npz")!r}))
    """
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], env=env[1],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pointer = run_dir / "checkpoints" / "latest.json"
    while proc.poll() is None:  # no stopwatch: the test's hang guard catches a run that never checkpoints
        if pointer.exists() and json.loads(pointer.read_text())["epoch"] >= 2:
            break
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    saved = json.loads(pointer.read_text())["epoch"]
    assert saved >= 2, "training should have written checkpoints before it was killed"

    import keras

    from course_lib import text2image as t2i
    from course_lib.gan import read_history

    seen = {}

    class Probe(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["iterations"] = int(self.model.g_optimizer.iterations.numpy())

        def on_epoch_begin(self, epoch, logs=None):
            seen.setdefault("first_epoch", epoch)

    for key in ("COURSE_QUICK", "COURSE_DATA_DIR", "KERAS_HOME", "MPLBACKEND"):
        monkeypatch.setenv(key, env[1][key])
    t2i.train(run_dir, t2i.Text2ImageConfig.preset("quick", num_epochs=saved + 1, **TINY), source="digits8x8",
              verbose=0, callbacks=[Probe()])
    steps_per_epoch = TINY["max_images"] // TINY["batch_size"]
    assert seen["first_epoch"] == saved, "training should carry on from the saved epoch"
    assert seen["iterations"] == saved * steps_per_epoch, "the optimizer state should be restored too"
    history = read_history(run_dir)
    assert history["epoch"] == list(range(1, saved + 2)), "the loss history should continue without gaps or repeats"
    assert json.loads(pointer.read_text())["epoch"] == saved + 1


def test_course_train_goes_down_one_path_to_gan_train_step(tmp_path, monkeypatch, quick_env):
    """`course train` -> text2image.train -> gan.fit_resumable -> GAN.fit -> GAN.train_step, resolving
    the data source once (with downloads allowed, "auto" asks the network once, not at every step)."""
    from dataclasses import replace

    from course_lib import cli, data
    from course_lib import gan as G
    from course_lib import text2image as t2i
    from course_lib.text2image import run

    calls = {"online": 0, "fit_resumable": [], "train_step": 0}
    monkeypatch.setenv("COURSE_ALLOW_DOWNLOAD", "1")

    def offline(*args, **kwargs):
        calls["online"] += 1
        return False

    real_fit, real_step = run.fit_resumable, G.GAN.train_step

    def spy_fit(gan, *args, **kwargs):
        calls["fit_resumable"].append(type(gan))
        return real_fit(gan, *args, **kwargs)

    def spy_step(self, batch):  # runs when fit() traces the step
        calls["train_step"] += 1
        return real_step(self, batch)

    monkeypatch.setattr(data, "is_online", offline)
    monkeypatch.setattr(run, "fit_resumable", spy_fit)
    monkeypatch.setattr(G.GAN, "train_step", spy_step)
    # the path is the subject here, not the preset's size: small networks on 256 images
    monkeypatch.setitem(t2i.Text2ImageConfig.presets, "quick", replace(t2i.Text2ImageConfig.presets["quick"], **TINY))
    run_dir = tmp_path / "run"
    assert cli.main(["train", "--data", "auto", "--epochs", "1", "--run-dir", str(run_dir)]) == 0
    assert calls["online"] == 1, "the data source should be resolved once"
    assert calls["fit_resumable"] == [G.GAN] and calls["train_step"] >= 1
    assert G.read_history(run_dir)["epoch"] == [1]
    assert json.loads((run_dir / "config.json").read_text())["source"] == "mnist-5k"


def test_a_new_run_uses_and_saves_the_encoder_it_is_given_and_an_old_run_keeps_its_own(env, trained_run, tmp_path,
                                                                                        monkeypatch):
    """The walkthrough fits one encoder and hands it to every run it trains, instead of each run fitting its own."""
    from course_lib import text2image as t2i
    from course_lib.text import SentenceEncoder
    from course_lib.text2image import run

    for key in ("COURSE_QUICK", "COURSE_DATA_DIR", "KERAS_HOME", "MPLBACKEND"):
        monkeypatch.setenv(key, env[1][key])

    def must_not_fit(*args, **kwargs):
        raise AssertionError("train fitted an encoder although it was given one")

    monkeypatch.setattr(run, "fit_caption_encoder", must_not_fit)
    given = SentenceEncoder.load(trained_run / "encoder.npz")
    config = t2i.Text2ImageConfig.preset("quick", num_epochs=1, **{**TINY, "max_images": 64})
    t2i.train(tmp_path / "new", config, source="digits8x8", verbose=0, encoder=given)
    saved = SentenceEncoder.load(tmp_path / "new" / "encoder.npz")
    np.testing.assert_array_equal(saved.encode(["a thick 7"]), given.encode(["a thick 7"]))

    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted yet"):  # a bad hand-over fails before any training
        t2i.train(tmp_path / "unfitted", config, source="digits8x8", verbose=0, encoder=SentenceEncoder())
    assert not (tmp_path / "unfitted" / "encoder.npz").exists() and not (tmp_path / "unfitted" / "checkpoints").exists()

    other = SentenceEncoder(vector_size=8, min_count=1, epochs=1).fit([["a", "thin", "one"], ["a", "thick", "seven"]])
    t2i.train(tmp_path / "new", config, source="digits8x8", verbose=0, encoder=other)  # finished: nothing to train
    assert SentenceEncoder.load(tmp_path / "new" / "encoder.npz").vocab_ == given.vocab_, \
        "a run's saved encoder is the one its generator learned from: it must not be replaced"


def test_drawing_uses_the_moving_average_of_the_generators_weights(trained_run):
    from course_lib import text2image as t2i
    from course_lib.gan import restore_gan

    run = t2i.load_run(trained_run)
    assert run.config.generator_ema == 0.99 and run.style_counts.shape == (10, 3, 3)
    raw = t2i.build_text2image_gan(run.config, run.encoder.dim)
    restore_gan(raw, trained_run)  # the last step's weights, as training left them
    drawn = [w.numpy() for w in run.generator.trainable_weights]
    last = [w.numpy() for w in raw.generator.trainable_weights]
    assert any(not np.allclose(a, b) for a, b in zip(drawn, last)), "load_run should draw with the average"
    # a run saved before the average existed still loads, with none
    assert t2i.Text2ImageConfig.from_dict({"name": "quick"}).generator_ema is None


def test_an_exported_run_draws_like_the_run_and_a_corrupt_export_fails_clearly(trained_run, tmp_path):
    """What `course pretrained export RUN_DIR` ships (into a temporary folder here, not the package's)."""
    from course_lib import text2image as t2i

    folder = t2i.export_pretrained(trained_run, tmp_path / "shipped")
    shipped = t2i.load_pretrained(folder)
    assert shipped.pretrained and shipped.config == t2i.load_run(trained_run).config
    ours = t2i.load_run(trained_run).generate(["a thick 7", "the number 42"], n=3, seed=0).images
    theirs = shipped.generate(["a thick 7", "the number 42"], n=3, seed=0).images
    assert theirs.shape == ours.shape
    assert np.abs(theirs.astype(int) - ours.astype(int)).max() <= 3, "float16 weights should draw the same digits"

    (folder / "generator.npz").write_bytes(b"not a zip file")
    with pytest.raises(t2i.RunError, match="unreadable generator weights.*course pretrained export"):
        t2i.load_pretrained(folder)
