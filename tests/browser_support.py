"""Helpers shared by the browser tests and the cold-start benchmark: Debian's Chromium driven by Playwright,
a request router that keeps pages on this machine, and ``xai-demo serve`` run as a real subprocess."""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
READY = "xai_demo is ready: open "


def chromium_path() -> str | None:
    """Debian's Chromium ($XAI_DEMO_CHROMIUM, /usr/bin/chromium or on PATH), or None."""
    for candidate in (os.environ.get("XAI_DEMO_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


class Offline:
    """Routes every request of a page: loopback ones continue, any other is recorded and aborted."""

    def __init__(self) -> None:
        self.external: list[str] = []

    def __call__(self, route) -> None:  # noqa: ANN001 (playwright Route)
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.external.append(url)
            route.abort()


@dataclass
class ServerProcess:
    """``xai-demo serve`` in a subprocess: its URL once ready, and everything it wrote to stderr."""

    process: subprocess.Popen
    url: str
    started: float  # time.perf_counter() just before the process was spawned
    ready_after: float  # seconds from spawn to the ready line
    stderr: list[str] = field(default_factory=list)

    def stop(self) -> str:
        """Stop the server and return its whole stderr."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return "".join(self.stderr)


def start_server(args: Sequence[str] = (), env: dict[str, str] | None = None, timeout: float = 180.0
                 ) -> ServerProcess:
    """Spawn ``python -m xai_demo.cli serve ARGS`` and wait for its ready line (it picks a free port itself).

    Raises:
        RuntimeError: the server exited or did not get ready within ``timeout`` seconds (its stderr included).
    """
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "xai_demo.cli", "serve", *args], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    lines: queue.Queue[str] = queue.Queue()
    errors: list[str] = []
    threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True).start()
    threading.Thread(target=lambda: [errors.append(x) for x in process.stderr], daemon=True).start()
    deadline = started + timeout
    while time.perf_counter() < deadline:
        try:
            line = lines.get(timeout=0.05)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        if line.startswith(READY):
            url = line[len(READY):].split()[0]
            return ServerProcess(process, url, started, time.perf_counter() - started, errors)
    process.kill()
    raise RuntimeError(f"xai-demo serve did not get ready: {''.join(errors)[-3000:]}")


@dataclass
class WatchedPage:
    """A page whose requests are kept on this machine and whose JavaScript errors are collected."""

    page: object  # playwright Page
    offline: Offline
    errors: list[str]

    def check(self) -> None:
        """Fail if any request left the machine or any script raised."""
        assert self.offline.external == [], f"requests left the machine: {self.offline.external}"
        assert self.errors == [], f"JavaScript errors: {self.errors}"


def open_page(browser, url: str, width: int = 1400, height: int = 1000, locale: str = "en-GB") -> WatchedPage:  # noqa: ANN001
    """A new context and page on ``url``, routed through :class:`Offline`, collecting page errors."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    offline = Offline()
    context.route("**/*", offline)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    return WatchedPage(page, offline, errors)


def wait_text(page, selector: str, pattern: str, timeout: int = 120_000) -> str:  # noqa: ANN001
    """Wait until the inner text of ``selector`` matches the regex ``pattern``; return that text."""
    page.wait_for_function("([s, p]) => new RegExp(p).test((document.querySelector(s) || {}).innerText || '')",
                           arg=[selector, pattern], timeout=timeout)
    return page.locator(selector).inner_text()


def click_tab(page, name: str) -> None:  # noqa: ANN001
    """Bring the app's tab ``name`` ("explore", "shortcut", "sanity", "train", "quiz", "about") on screen."""
    page.locator(f"#tab-{name}-button").click()


def use_tab(page, name: str, timeout: int = 120_000) -> None:  # noqa: ANN001
    """Open tab ``name`` and do what a person does there first (compare the twins, run the sanity check,
    train, answer a quiz question), waiting for the result in either language."""
    click_tab(page, name)
    if name == "shortcut":
        page.locator("#compare").click()
        wait_text(page, "#shortcut-text", "P\\(", timeout)
    elif name == "sanity":
        page.locator("#sanity-run").click()
        wait_text(page, "#sanity-text", "Randomi", timeout)
        page.wait_for_selector("#sanity-maps img", timeout=timeout)
    elif name == "train":
        page.locator("#train-run").click()
        wait_text(page, "#train-text", "Done in|Terminé en", max(timeout, 180_000))
    elif name == "quiz":
        page.locator("#quiz-next").click()
        wait_text(page, "#quiz-text", "Question 1", timeout)
        page.wait_for_selector("#quiz-picture img", timeout=timeout)
        page.locator("#quiz-artefact").click()
        wait_text(page, "#quiz-reveal", "%", timeout)


@contextlib.contextmanager
def launched_browser() -> Iterator:
    """Debian's Chromium under Playwright for a test module; skips locally and fails in CI when missing."""
    import pytest

    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    chromium = chromium_path()
    if chromium is None:
        if in_ci:
            pytest.fail("no Chromium binary (CI must run the browser tests)")
        pytest.skip("no Chromium binary (apt-get install chromium)")
    if not in_ci:
        pytest.importorskip("playwright.sync_api")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
