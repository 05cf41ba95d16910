"""The page at `/` in a real headless browser (Debian's chromium driven by Playwright), JavaScript off."""

from __future__ import annotations

from pathlib import Path

import pytest

from imdb_assets_tests.browser import CHROMIUM, CHROMIUM_ARGS
from imdb_assets_tests.serving_fixtures import running_server



@pytest.fixture(scope="module")
def server(built_home: Path, tmp_path_factory: pytest.TempPathFactory):
    with running_server(built_home, tmp_path_factory.mktemp("page-logs")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (CI installs it in .ci/run)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def page(browser):
    # No JavaScript at all: the page must work as a plain HTML form.
    context = browser.new_context(java_script_enabled=False, viewport={"width": 900, "height": 900})
    yield context.new_page()
    context.close()


def test_fill_the_form_submit_and_read_the_answer(page, server, tmp_path: Path):
    page.goto(server.base_url + "/")
    with server.client() as client:
        known_genres = client.get("/model").json()["known_genres"]
        expected = client.post("/predict", json={"title": "The Haunting of Hill Manor", "genres": ["Horror", "Mystery"]}).json()
    boxes = page.locator("input[name=genres]")
    assert boxes.count() == len(known_genres)
    assert [boxes.nth(i).get_attribute("value") for i in range(boxes.count())] == known_genres

    page.fill("#title", "The Haunting of Hill Manor")
    page.check("input[name=genres][value=Horror]")
    page.check("input[name=genres][value=Mystery]")
    page.click("#submit")
    page.wait_for_selector("#answer")

    assert page.locator("#probability").inner_text() == f"{expected['probability']:.1%}"
    verdict = page.locator("#verdict")
    assert verdict.get_attribute("data-label") == str(expected["label"])
    assert verdict.inner_text() == ("Yes: you will probably enjoy it" if expected["label"] else "Probably not your thing")
    assert expected["model_version"] in page.locator("#answer").inner_text()
    # The form keeps what was asked, so the next question starts from it.
    assert page.input_value("#title") == "The Haunting of Hill Manor"
    assert page.is_checked("input[name=genres][value=Horror]") and not page.is_checked("input[name=genres][value=Comedy]")
    page.screenshot(path=str(tmp_path / "answer.png"), full_page=True)
    assert (tmp_path / "answer.png").stat().st_size > 10_000


def test_a_blank_title_is_explained_on_the_page(page, server):
    page.goto(server.base_url + "/")
    page.fill("#title", "   ")  # passes the browser's `required` check; the server refuses it
    page.check("input[name=genres][value=Comedy]")
    page.click("#submit")
    page.wait_for_selector("#problem")
    assert page.locator("#problem").inner_text() == "title: must not be blank"
    assert page.locator("#answer").count() == 0
    assert page.is_checked("input[name=genres][value=Comedy]")


def test_api_docs_render_without_the_internet(browser, server):
    # Swagger UI comes from a Python package, not a CDN: with every other host unreachable it still renders.
    context = browser.new_context()
    try:
        docs = context.new_page()
        outside: list[str] = []
        docs.on("request", lambda request: None if request.url.startswith(server.base_url) else outside.append(request.url))
        docs.goto(server.base_url + "/docs")
        docs.wait_for_selector("text=/predict", timeout=30_000)
        assert docs.locator(".opblock-summary-path").all_inner_texts() == ["/predict", "/health", "/model"]
        assert outside == []
    finally:
        context.close()
