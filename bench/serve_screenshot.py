"""A screenshot of the page of ``multis2s serve`` after a file was dropped on it (docs/serve.png).

    python bench/serve_screenshot.py RUN_DIR FILE [--out docs/serve.png] [--width 1000]

Serves RUN_DIR on a free loopback port, opens ``/`` in the system's headless Chromium (Playwright),
drops FILE on the run's input, waits for the output and the attention picture, and saves the page.
"""

from __future__ import annotations

import argparse
import mimetypes
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.serve.conftest import live_server, predictor_of  # noqa: E402
from tests.serve.test_page import drop_file  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("file", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/serve.png"))
    parser.add_argument("--width", type=int, default=1000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    predictor = predictor_of(args.run_dir)
    stream = predictor.run.streams.names[0]
    with live_server(predictor) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": args.width, "height": 700})
        page.goto(url + "/")
        page.wait_for_selector(f"#drop-{stream}")
        drop_file(page, f"#drop-{stream}", args.file, mimetypes.guess_type(args.file.name)[0] or "")
        page.wait_for_selector(f'canvas[data-stream="{stream}"][data-drawn="true"]', timeout=60000)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out), full_page=True)
        print(f"wrote {args.out}: {page.inner_text('#outputs li .text')!r}")
        browser.close()


if __name__ == "__main__":
    main()
