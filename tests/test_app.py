"""The web app, served for real on 127.0.0.1 and driven through its web API with gradio_client:
the Digit and Sentence APIs, bad input, a fresh clone without a model, 20 concurrent requests,
`course app`'s arguments, the notebook launch, and `course evaluate` with human ratings.

The tiny run of tests/tiny_run.py is what the app serves, so nothing depends on a shipped model.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from course_files import REPO, use_environment
from tiny_run import GROUP, app_environment, trained_tiny_run

pytest.importorskip("gradio", reason="the app needs the [app] extra: pip install -e '.[app]'")
from gradio_client import Client  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402
from PIL import Image  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(GROUP)]
COURSE = Path(sys.executable).parent / "course"
START_GUARD_S = 600  # only a hang guard: a loaded 2-core machine imports TensorFlow and Gradio slowly


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppProcess:
    """`course app` in a subprocess, its output in a log file."""

    def __init__(self, run_dir, env, log: Path, *extra, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        args = [str(COURSE), "app", "--port", str(self.port), *extra]
        if run_dir is not None:
            args += ["--run-dir", str(run_dir)]
        with open(log, "w") as out:
            self.proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent)

    def wait_ready(self):
        deadline = time.monotonic() + START_GUARD_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"course app exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(1)
        raise AssertionError(f"course app did not answer within {START_GUARD_S} s:\n{self.log.read_text()[-3000:]}")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def gallery_pixels(result) -> list[np.ndarray]:
    """A Gallery output of gradio_client (downloaded files) as uint8 grey arrays."""
    return [np.asarray(Image.open(item["image"]).convert("L")) for item in result]


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return trained_tiny_run(tmp_path_factory)


@pytest.fixture(scope="module")
def app(tiny_run, tmp_path_factory):
    run_dir, env = tiny_run
    served = AppProcess(run_dir, env, tmp_path_factory.mktemp("app") / "app.log").wait_ready()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def client(app, tmp_path_factory):
    return Client(app.url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


# ------------------------------------------------------------------ the two web APIs
def test_only_digit_and_generate_are_public(client):
    assert set(client.view_api(return_format="dict", print_info=False)["named_endpoints"]) == {"/digit", "/generate"}


def test_digit_7_gives_five_new_28x28_images(client):
    first = gallery_pixels(client.predict("7", api_name="/digit"))
    assert len(first) == 5
    assert all(img.shape == (28, 28) and img.dtype == np.uint8 for img in first)
    assert all(np.median(img) < 128 for img in first)  # MNIST-like: white ink on black
    assert len({img.tobytes() for img in first}) == 5  # five different images
    again = gallery_pixels(client.predict("7", api_name="/digit"))
    assert not all(np.array_equal(a, b) for a, b in zip(first, again))  # a new click, new digits


def test_generate_same_seed_same_images(client):
    a = gallery_pixels(client.predict("a thick seven", 6, 123, api_name="/generate"))
    b = gallery_pixels(client.predict("a thick seven", 6, 123, api_name="/generate"))
    c = gallery_pixels(client.predict("a thick seven", 6, 124, api_name="/generate"))
    assert len(a) == 6 and all(img.shape == (28, 28) for img in a)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_generate_draws_numbers_of_several_digits(client):
    images = gallery_pixels(client.predict("the number 42", 2, 0, api_name="/generate"))
    assert [img.shape for img in images] == [(28, 56), (28, 56)]


def test_unknown_words_still_draw(client):
    assert len(client.predict("a thin 2 blorptastic", 3, 0, api_name="/generate")) == 3


@pytest.mark.parametrize("args, message", [
    (("", 4, 0), "Type a sentence"),
    (("   ", 4, 0), "Type a sentence"),
    (("?!", 4, 0), "Type a sentence"),
    (("blorp zzyzx", 4, 0), "knows none of the words"),
    (("the number 1234567890", 2, 0), "at most 8"),
    # the slider and the number box check their own range (Gradio's message), the app checks it again
    (("a 7", 0, 0), "from 1 to 16|less than minimum value 1"),
    (("a 7", 17, 0), "from 1 to 16|greater than maximum value 16"),
    (("a 7", 2, -5), "[Ss]eed|less than minimum value 0"),
])
def test_bad_generate_input_is_an_error_not_a_crash(client, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/generate")
    assert len(client.predict("a 1", 1, 0, api_name="/generate")) == 1  # the app still serves


@pytest.mark.parametrize("digit", ["10", "-1", "seven", ""])
def test_bad_digit_is_an_error(client, digit):
    with pytest.raises(AppError):
        client.predict(digit, api_name="/digit")


def test_twenty_concurrent_requests_are_all_answered(app, client, tmp_path):
    """The bounded load test (bench/bench_app.py times it): 20 at once, nothing lost, nothing mixed up."""
    def one(i):
        own = Client(app.url, verbose=False, download_files=str(tmp_path / f"c{i}"))
        return gallery_pixels(own.predict(f"a thin {i % 10}", 1 + i % 3, i, api_name="/generate"))

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(one, range(20)))
    assert [len(a) for a in answers] == [1 + i % 3 for i in range(20)]
    for i in (0, 7, 19):  # each answer is the one its own request asked for
        alone = gallery_pixels(client.predict(f"a thin {i % 10}", 1 + i % 3, i, api_name="/generate"))
        assert all(np.array_equal(x, y) for x, y in zip(answers[i], alone))


def test_the_page_names_the_model_it_serves(app):
    with urllib.request.urlopen(app.url + "config", timeout=30) as response:
        config = response.read().decode()
    assert "quick preset" in config and "digits8x8" in config


# ------------------------------------------------------------------ `course app`
@pytest.fixture
def serve_here(tmp_path, monkeypatch):
    """``serve_here(run_dir)``: the app served on loopback by ``launch()``, what `course app` calls (its arguments
    are tested above), but in this process, which has loaded TensorFlow and Gradio already: a `course app` process
    spends most of its start on them. The working folder is an empty ``tmp_path``, as in a fresh clone. Returns
    the app's URL; the app is closed after the test."""
    from course_lib.app import launch

    use_environment(monkeypatch, app_environment(tmp_path))
    monkeypatch.chdir(tmp_path)
    apps = []

    def serve(run_dir) -> str:
        apps.append(launch(run_dir, port=free_port(), inline=False, block=False, quiet=True))
        return apps[-1].local_url
    yield serve
    for app in apps:
        app.close()


def test_without_a_model_the_page_says_how_to_train_one(serve_here, tmp_path):
    url = serve_here(tmp_path / "no_run_here")
    with urllib.request.urlopen(url + "config", timeout=30) as response:
        assert "course train --config quick" in response.read().decode()
    with pytest.raises(AppError, match="course train --config quick"):
        Client(url, verbose=False).predict("7", api_name="/digit")


def test_without_run_dir_it_serves_the_default_run_or_the_shipped_model(serve_here):
    """A fresh clone: no runs/text2image (the app runs in an empty folder). With the pretrained model that ships
    with the course it draws; without one, the page says how to train."""
    from course_lib.text2image import RunError, load_pretrained

    try:
        load_pretrained()
        shipped = True
    except RunError:
        shipped = False
    url = serve_here(None)
    with urllib.request.urlopen(url + "config", timeout=30) as response:
        page = response.read().decode()
    if shipped:
        assert "pretrained model shipped with the course" in page and "runs/pretrained_text2image" in page
        assert len(Client(url, verbose=False).predict("7", api_name="/digit")) == 5
    else:
        assert "No trained model in `runs/text2image`" in page and "course train --config quick" in page


def test_launch_without_gradio_names_the_extra(monkeypatch):
    from course_lib.app import launch

    monkeypatch.setitem(sys.modules, "gradio", None)  # as if the [app] extra were not installed
    with pytest.raises(RuntimeError, match=r"pip install -e \"\.\[app\]\""):
        launch("runs/none", inline=False, block=False)


def test_course_app_binds_loopback_by_default(app):
    if shutil.which("ss") is None:
        pytest.skip("ss (iproute2) is not installed")
    listening = subprocess.run(["ss", "-ltn"], capture_output=True, text=True, check=True).stdout
    assert f"127.0.0.1:{app.port} " in listening and f"0.0.0.0:{app.port} " not in listening


@pytest.mark.parametrize("port", ["0", "70000"])
def test_course_app_refuses_a_bad_port(port, tmp_path):
    proc = subprocess.run([str(COURSE), "app", "--port", port], env=app_environment(tmp_path), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 2 and "--port must be from 1 to 65535" in proc.stderr


def test_course_app_on_a_busy_port_says_so(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run([str(COURSE), "app", "--port", str(port), "--run-dir", str(tmp_path)],
                              env=app_environment(tmp_path), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2
    assert f"127.0.0.1:{port}" in proc.stderr and "--port" in proc.stderr and "Traceback" not in proc.stderr
    assert "another program is using the port" in proc.stderr


def test_course_app_on_an_address_of_another_machine_says_so(tmp_path):
    proc = subprocess.run([str(COURSE), "app", "--host", "192.0.2.1", "--port", "7861"],  # TEST-NET-1: nobody's
                          env=app_environment(tmp_path), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2
    assert "192.0.2.1:7861" in proc.stderr and "--host" in proc.stderr and "Traceback" not in proc.stderr


# ------------------------------------------------------------------ in a notebook
def walkthrough_app_cell() -> str:
    """The final walkthrough's last code cell, the one that launches the app (read, not copied)."""
    import nbformat

    nb = nbformat.read(REPO / "final_text2image" / "01_text2image_walkthrough.ipynb", as_version=4)
    cell = [c for c in nb.cells if c.cell_type == "code"][-1].source
    assert "launch(RUN_DIR, inline=True" in cell, "the walkthrough's last cell should launch the app"
    return cell


@pytest.mark.notebook
def test_a_notebook_cell_launches_the_app_inline_and_returns(tiny_run, tmp_path):
    """What the final walkthrough's last cell does: the app shows inside the output, the cell returns,
    and running the cell again replaces the app instead of failing on a busy port."""
    import nbformat
    from nbclient import NotebookClient

    run_dir, env = tiny_run
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"RUN_DIR = {str(run_dir)!r}"),
                                         nbformat.v4.new_code_cell(walkthrough_app_cell()),
                                         nbformat.v4.new_code_cell(walkthrough_app_cell()),
                                         nbformat.v4.new_code_cell("print(app.local_url)")])
    old = dict(os.environ)
    os.environ.update(env)
    try:
        client = NotebookClient(nb, timeout=START_GUARD_S, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}})
        with client.setup_kernel():
            for i, cell in enumerate(nb.cells):
                client.execute_cell(cell, i)
            url = nb.cells[3].outputs[0]["text"].strip()
            frames = [o for c in nb.cells[1:3] for o in c.outputs if "text/html" in o.get("data", {})]
            assert len(frames) == 2 and all("<iframe" in f["data"]["text/html"] for f in frames)
            assert url.startswith("http://127.0.0.1:") and url.rstrip("/") in frames[1]["data"]["text/html"]
            with urllib.request.urlopen(url, timeout=30) as response:
                assert response.status == 200
            assert len(Client(url, verbose=False).predict("3", api_name="/digit")) == 5
    finally:
        os.environ.clear()
        os.environ.update(old)


# ------------------------------------------------------------------ `course evaluate` with human ratings
def test_course_evaluate_adds_the_human_figures(tiny_run, tmp_path, course_here):
    from course_lib.app import RATINGS_FILE, Rating, RatingsStore

    run_dir, env = tiny_run
    rated = tmp_path / "rated_run"
    shutil.copytree(run_dir, rated)
    store = RatingsStore(rated / RATINGS_FILE)
    for i, (shown, digit, verdict, realism) in enumerate([("generated", 7, "real", 4), ("generated", 7, "generated", 2),
                                                          ("real", 3, "real", 5)]):
        store.add(Rating(f"i{i}", shown, digit, verdict, realism))
    out = tmp_path / "evaluation.json"
    proc = course_here(env, "evaluate", "--run-dir", str(rated), "-n", "2", "--json", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Human realism ratings" in proc.stdout and "fooled raters **50%**" in proc.stdout
    human = json.loads(out.read_text())["human_realism"]
    assert human["ratings"] == 3 and human["per_digit"]["7"]["fooled_rate"] == 0.5
    assert human["mean_realism"] == {"real": 5.0, "generated": 3.0}
    # and without ratings, no human section
    plain = course_here(env, "evaluate", "--run-dir", str(run_dir), "-n", "2", "--json", str(tmp_path / "plain.json"))
    assert plain.returncode == 0 and "human_realism" not in json.loads((tmp_path / "plain.json").read_text())
    assert "Human realism ratings" not in plain.stdout
