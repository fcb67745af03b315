"""Cold start as a lecturer meets it: from `xai-demo serve` to a page that answers and to the first explained case.

    python benchmarks/cold_start.py                 # 3 runs, markdown table
    python benchmarks/cold_start.py --runs 5 --json cold_start.json

Each run spawns ``python -m xai_demo.cli serve --port P`` with no data folder (``XAI_DEMO_DATA`` unset) and an
empty cache folder, as on a fresh clone, then measures from the spawn:
- **page**: the first HTTP 200 on ``/`` (polled every 50 ms);
- **first case**: headless Chromium (started before the server, so its own start is not counted) opens the
  page and waits until the first curated case shows its prediction and its maps.
The machine's load average is printed with the results: the numbers are only comparable on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browser_support import CHROMIUM_ARGS, chromium_path  # noqa: E402

POLL = 0.05  # s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL)
    raise TimeoutError(f"no answer from {url} within {timeout} s")


def one_run(browser, timeout: float = 120.0) -> dict[str, float]:  # noqa: ANN001 (playwright Browser)
    """Seconds from spawn to the page and to the first explained case, for one fresh server."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="xai_cold_") as cache:
        env = {k: v for k, v in os.environ.items() if k not in ("XAI_DEMO_DATA", "XDG_CACHE_HOME")}
        env["XAI_DEMO_CACHE"] = cache
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "xai_demo.cli", "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/"
            _wait_http(url, process, timeout)
            page_s = time.perf_counter() - started
            page.goto(url)
            page.wait_for_selector("#maps img", timeout=timeout * 1000)
            page.wait_for_function("() => document.querySelector('#prediction-text').innerText.length > 0")
            first_s = time.perf_counter() - started
        finally:
            context.close()
            process.terminate()
            process.wait(timeout=30)
    return {"page_s": page_s, "first_case_s": first_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    chromium = chromium_path()
    if chromium is None:
        parser.exit(2, "error: no Chromium binary: apt-get install chromium (or set $XAI_DEMO_CHROMIUM)\n")
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()[0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        runs = [one_run(browser) for _ in range(args.runs)]
        browser.close()
    summary = {k: statistics.median(r[k] for r in runs) for k in ("page_s", "first_case_s")}
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load {load:.2f}"
    print(f"cold start, {args.runs} runs, no data folder, empty cache ({machine})\n")
    print("| run | page answers (s) | first case explained (s) |\n|---|---|---|")
    for i, r in enumerate(runs, 1):
        print(f"| {i} | {r['page_s']:.1f} | {r['first_case_s']:.1f} |")
    print(f"| **median** | **{summary['page_s']:.1f}** | **{summary['first_case_s']:.1f}** |")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "median": summary, "machine": machine}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
