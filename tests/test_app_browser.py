"""The web app in a real headless browser: Debian's chromium, driven by Playwright.

Playwright starts /usr/bin/chromium (``executable_path``); it never downloads a browser (no
``playwright install``). `.ci/run` installs Debian's chromium when it is missing; elsewhere these
tests are skipped with the command that installs it, unless COURSE_REQUIRE_BROWSER=1 (CI) makes a
missing browser a failure. Every test also checks that the page asked nothing of the internet.
"""
import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("gradio", reason="the app needs the [app] extra: pip install -e '.[app]'")
from test_app import AppProcess  # noqa: E402
from tiny_run import GROUP, trained_tiny_run  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(GROUP)]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
WAIT_MS = 300_000  # a hang guard only: the first drawing on a loaded CPU can take a while


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed: apt-get install chromium"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[dev]'"
    return None


if (missing := _browser_missing()) is not None:
    if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"COURSE_REQUIRE_BROWSER=1 but {missing}")
    pytest.skip(missing, allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return trained_tiny_run(tmp_path_factory)


@pytest.fixture(scope="module")
def app_log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("browser_app")


@pytest.fixture(scope="module")
def served(tiny_run, app_log_dir):
    run_dir, env = tiny_run
    own_run = app_log_dir / "run"  # a copy: the ratings written here stay out of the other tests' run
    shutil.copytree(run_dir, own_run)
    holder = {"app": AppProcess(own_run, env, app_log_dir / "app-1.log").wait_ready(), "run_dir": own_run, "env": env}
    yield holder  # a dict, so the restart test can swap the app
    holder["app"].stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, served, tmp_path):
    context = browser.new_context(viewport={"width": 1200, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
        ("http://127.0.0.1:", "data:", "blob:")) else None)
    page.goto(served["app"].url)
    yield page
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert "Traceback" not in page.content()
    context.close()
    assert outside == [], f"the page reached outside the machine: {outside[:5]}"


def test_digit_tab_choose_7_and_see_five_images(page, tmp_path):
    page.locator("#digit input").click()
    page.get_by_role("option", name="3").click()  # the default is 7: choose another digit, then 7 again
    page.locator("#digit input").click()
    page.get_by_role("option", name="7").click()
    expect(page.locator("#digit input")).to_have_value("7")
    page.get_by_role("button", name="Generate Images").click()
    images = page.locator("#digit-gallery img")
    expect(images).to_have_count(5)
    page.wait_for_function("() => [...document.querySelectorAll('#digit-gallery img')]"
                           ".every(i => i.complete && i.naturalWidth === 28 && i.naturalHeight === 28)")
    page.screenshot(path=str(tmp_path / "digit.png"), full_page=True)


def test_sentence_tab_draws_warns_and_downloads(page, tmp_path):
    page.get_by_role("tab", name="Sentence").click()
    prompt = page.locator("#prompt textarea, #prompt input").first
    prompt.fill("a 2 blorptastic")
    page.get_by_test_id("thick-radio-label").click()  # the style control rewrites the prompt
    expect(prompt).to_have_value("a thick 2 blorptastic")
    expect(page.locator("#download-grid")).to_be_disabled()  # nothing drawn yet, nothing to download
    page.get_by_role("button", name="Draw").click()
    expect(page.locator("#sentence-gallery img")).to_have_count(8)
    expect(page.get_by_text("Unknown word left out: \"blorptastic\"")).to_be_visible()
    expect(page.locator("#download-grid")).to_be_enabled()
    with page.expect_download() as download:
        page.locator("#download-grid").click()
    saved = tmp_path / "grid.png"
    download.value.save_as(saved)
    from PIL import Image

    with Image.open(saved) as grid:  # eight 28-px digits, 4x larger, in one row with 1-px lines between
        assert grid.format == "PNG" and grid.size == (4 * (8 * 29 + 1), 4 * 30)
    page.screenshot(path=str(tmp_path / "sentence.png"), full_page=True)


def test_an_empty_prompt_shows_an_error_message(page, tmp_path):
    page.get_by_role("tab", name="Sentence").click()
    page.locator("#prompt textarea, #prompt input").first.fill("")
    page.get_by_role("button", name="Draw").click()
    expect(page.get_by_text("Type a sentence that describes a digit")).to_be_visible()
    page.screenshot(path=str(tmp_path / "empty.png"), full_page=True)


def _rate_one(page):
    page.get_by_role("tab", name="Realism").click()
    page.wait_for_function("() => { const i = document.querySelector('#rated-digit img');"
                           " return i && i.complete && i.naturalWidth > 0; }")
    page.locator("#verdict").get_by_test_id("generated-radio-label").click()
    page.locator("#realism-score").get_by_test_id("4-radio-label").click()
    page.get_by_role("button", name="Submit rating").click()
    expect(page.locator("#rating-feedback")).to_contain_text("Saved.")


def test_rating_a_digit_changes_the_summary_and_survives_a_restart(page, served, app_log_dir, tmp_path):
    summary = page.locator("#realism-summary")
    page.get_by_role("tab", name="Realism").click()
    expect(summary).to_contain_text("No ratings yet")
    # a submission without an answer is refused with a message, and nothing is stored
    page.get_by_role("button", name="Submit rating").click()
    expect(page.locator("#rating-feedback")).to_contain_text("Say whether you think this digit is real or generated")
    expect(summary).to_contain_text("No ratings yet")
    page.locator("#verdict").get_by_test_id("real-radio-label").click()  # half an answer: still refused
    page.get_by_role("button", name="Submit rating").click()
    expect(page.locator("#rating-feedback")).to_contain_text("Rate how realistic it looks")
    _rate_one(page)
    expect(summary).to_contain_text("1 rating (")
    _rate_one(page)
    expect(summary).to_contain_text("2 ratings (")
    page.screenshot(path=str(tmp_path / "realism.png"), full_page=True)

    served["app"].stop()  # restart the app: the ratings are in the run directory's SQLite file
    served["app"] = AppProcess(served["run_dir"], served["env"], app_log_dir / "app-2.log").wait_ready()
    page.goto(served["app"].url)
    page.get_by_role("tab", name="Realism").click()
    expect(summary).to_contain_text("2 ratings (")
    assert (served["run_dir"] / "ratings.sqlite").is_file()
    page.screenshot(path=str(tmp_path / "after_restart.png"), full_page=True)
