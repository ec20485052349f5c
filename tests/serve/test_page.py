"""The page at / in headless Chromium (the system's ``chromium``, driven by Playwright): type a text
or drop a file, see the output, and the attention drawn in a canvas."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from tests.serve.conftest import live_server, predictor_of

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium); the page test needs a browser")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def drop_file(page, selector: str, path: Path, mime: str) -> None:
    """Drop ``path`` on the element at ``selector``, as a person dragging the file onto it would."""
    page.evaluate("""([selector, name, mime, data]) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, { type: mime }));
        const zone = document.querySelector(selector);
        zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }""", [selector, path.name, mime, base64.b64encode(path.read_bytes()).decode()])


def coloured_pixels(page, selector: str) -> int:
    """How many pixels of the canvas at ``selector`` are painted (not transparent)."""
    return page.evaluate("""(selector) => {
        const canvas = document.querySelector(selector);
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) painted += data[i] > 0 ? 1 : 0;
        return painted;
    }""", selector)


def test_typed_text_shows_the_output_and_draws_attention(browser, text_run):
    predictor = predictor_of(text_run)
    (expected,) = predictor.predict([{"source": "s1 s2 s3"}], beam=None, n_best=1)
    with live_server(predictor) as url:
        page = browser.new_page()
        page.goto(url + "/")
        page.fill("#input-source", "s1 s2 s3")
        page.press("#input-source", "Enter")
        page.wait_for_selector("#outputs li", timeout=15000)
        assert page.inner_text("#outputs li .text") == expected["text"]
        canvas = 'canvas[data-stream="source"][data-drawn="true"]'
        page.wait_for_selector(canvas, timeout=5000)
        width, height = page.evaluate(f"[document.querySelector('{canvas}').width, "
                                      f"document.querySelector('{canvas}').height]")
        rows = len(expected["attention"]["source"]["target_labels"])
        assert height >= 18 * rows and width > 3
        assert coloured_pixels(page, canvas) > 3 * 18 * rows  # the heat map's cells, at least
        page.fill("#input-source", "s1")
        page.fill("#beam", "0")
        page.click("#decode")
        page.wait_for_selector("#error:not([hidden])", timeout=15000)
        assert "beam must be a whole number" in page.inner_text("#error")
        page.close()


def test_dropped_image_shows_its_caption_and_attention(browser, image_run, test_image, tmp_path):
    predictor = predictor_of(image_run)
    (expected,) = predictor.run.predict([str(test_image)], search=predictor.run.search())
    with live_server(predictor) as url:
        page = browser.new_page(viewport={"width": 900, "height": 900})
        page.goto(url + "/")
        page.wait_for_selector("#drop-source")
        drop_file(page, "#drop-source", test_image, "image/png")
        page.wait_for_selector('canvas[data-stream="source"][data-drawn="true"]', timeout=15000)
        assert page.inner_text("#outputs li .text") == (expected.text or "(empty)")
        assert page.evaluate("document.querySelector('#drop-source img.preview') !== null")
        assert coloured_pixels(page, 'canvas[data-stream="source"]') > 0
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        assert (tmp_path / "page.png").stat().st_size > 1000
        page.close()
