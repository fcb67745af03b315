"""Locust scenario: a class of students on the web app, over HTTP, the way the browser does it.

Each Locust user plays one student after another. A student opens the page (HTML, config, the load events),
explores 5 curated cases with 2 methods (Grad-CAM and Guided Backprop, fetching the maps as the page does),
adds the artefact in the Shortcuts tab, answers 5 quiz questions, and one student in ten trains a model and
then explains a case with it (the model lives in that server's memory: with several replicas this is the
check that session affinity holds). A student waits 1-3 s between actions. A "busy, try again in N s" answer
to a training is not an error: the student waits N s and tries again (three times at most).

Each action is one Locust entry (type ``action``): its time is the whole click, queue included, until the
result is on screen. One JSON line per student goes to ``$XAI_LOAD_LOG`` when set (replica, errors, trained,
model found) for the deployment test.

    locust -f benchmarks/locustfile.py --headless -u 50 -r 5 -t 2m --host http://127.0.0.1:7901

Settings (environment): ``XAI_LOAD_THINK`` "1,3" seconds between actions, ``XAI_LOAD_TRAIN_EVERY`` 10 (every
Nth student trains; 0 never), ``XAI_LOAD_TRAIN`` "page" (the page's settings) or "quick" (200 images, 1 epoch,
no artefact: a few seconds), ``XAI_LOAD_CASES`` and ``XAI_LOAD_QUESTIONS`` 5 each, ``XAI_LOAD_LOG`` a file for
the per-student lines, ``XAI_LOAD_COOKIE`` the affinity cookie's name (default XAIDEMO).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import sys
import time
from pathlib import Path

import gevent
import requests
from locust import User, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gradio_http import GradioError, GradioPage  # noqa: E402

THINK = tuple(float(x) for x in os.environ.get("XAI_LOAD_THINK", "1,3").split(","))
TRAIN_EVERY = int(os.environ.get("XAI_LOAD_TRAIN_EVERY", "10"))
TRAIN_MODE = os.environ.get("XAI_LOAD_TRAIN", "page")
LOG = os.environ.get("XAI_LOAD_LOG")
COOKIE = os.environ.get("XAI_LOAD_COOKIE", "XAIDEMO")
CASES = int(os.environ.get("XAI_LOAD_CASES", "5"))
QUESTIONS = int(os.environ.get("XAI_LOAD_QUESTIONS", "5"))
BUSY_RETRIES = 3
BUSY = re.compile(r"(?:Try again in about|Réessayez dans environ)\s+(\d+)")
_numbers = itertools.count(1)


class StudentFailed(Exception):
    """An action failed; the student's visit ends there (a real one would reload the page)."""


class Student(User):
    """One student after another on one simulated browser."""

    def on_start(self) -> None:
        self.page: GradioPage | None = None
        self.record: dict = {}

    # ------------------------------------------------------------------ one action, timed and reported
    def action(self, name: str, fn, check=None):
        started = time.perf_counter()
        error, result, size = None, None, 0
        try:
            result = fn()
            size = len(json.dumps(result, default=str)) if result is not None else 0
            problem = check(result) if check else None
            if problem:
                error = StudentFailed(f"{name}: {problem}")
        except (GradioError, requests.RequestException, KeyError, StopIteration, ValueError) as exc:
            error = StudentFailed(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
        elapsed = (time.perf_counter() - started) * 1000
        events.request.fire(request_type="action", name=name, response_time=elapsed, response_length=size,
                            exception=error, context={})
        self.record["actions"] += 1
        if error:
            self.record["errors"].append(str(error))
            raise error
        return result

    def think(self) -> None:
        gevent.sleep(random.uniform(*THINK))

    def pictures(self, value) -> int:
        """Download the pictures an output shows (a gallery's items or one image), as the browser does."""
        items = value if isinstance(value, list) else [value]
        urls = [self.page.file_url(v) for v in items]
        return sum(self.page.fetch(u) for u in urls if u)

    # ------------------------------------------------------------------ the visit
    @task
    def visit(self) -> None:
        number = next(_numbers)
        self.page = GradioPage(self.host)
        self.record = {"student": number, "started": time.time(), "actions": 0, "errors": [], "trained": False,
                       "model_found": None, "busy": 0, "replicas": [], "completed": False}
        try:
            self.action("open page", self.page.open)
            self.note_replica()
            self.page.set("methods", ["gradcam", "guided_backprop"])
            for _ in range(CASES):
                self.think()
                self.action("explore case", self.explore_next, check=lambda r: None if r else "no maps")
            self.think()
            self.page.set("add-artefact", True)
            self.action("add artefact", lambda: self.page.click("add-artefact", "input"),
                        check=lambda out: None if out[1] else "no picture")
            for _ in range(QUESTIONS):
                self.think()
                self.action("quiz question", lambda: self.page.click("quiz-next"),
                            check=lambda out: None if out[1] else "no quiz picture")
                self.think()
                self.action("quiz answer", lambda: self.page.click(random.choice(["quiz-pathology", "quiz-artefact"])))
            if TRAIN_EVERY and number % TRAIN_EVERY == 0:
                self.train()
            self.record["completed"] = True
        except StudentFailed:
            pass
        finally:
            self.record["ended"] = time.time()
            self.note_replica()
            if LOG:
                with open(LOG, "a") as f:
                    f.write(json.dumps(self.record) + "\n")

    def note_replica(self) -> None:
        replica = self.page.http.cookies.get(COOKIE) if self.page else None
        if replica and (not self.record["replicas"] or self.record["replicas"][-1] != replica):
            self.record["replicas"].append(replica)

    def explore_next(self):
        outputs = self.page.click("next-case")
        self.pictures(outputs[5])
        return outputs[5]

    def train(self) -> None:
        if TRAIN_MODE == "quick":
            for elem, value in (("train-limit", 200), ("train-epochs", 1), ("train-artefact", "none")):
                self.page.set(elem, value)
        for _ in range(BUSY_RETRIES + 1):
            self.think()
            out = self.action("train", lambda: self.page.click("train-run"))
            busy = BUSY.search(str(out[2]))
            if not busy:
                break
            self.record["busy"] += 1
            events.request.fire(request_type="answer", name="train: busy, try again", response_time=0,
                                response_length=0, exception=None, context={})
            gevent.sleep(int(busy.group(1)))
        else:
            return
        self.record["trained"] = "Done in" in str(out[2])
        if not self.record["trained"]:
            raise self.fail_with("train", f"no model: {str(out[2])[:120]}")
        self.note_replica()
        self.think()
        # the trained model is now the Explore tab's model: explaining with it needs this server's memory
        out = self.action("explain with own model", lambda: self.page.click("explain"),
                          check=lambda o: None if "Your model" in str(o[1]) else f"model gone: {str(o[1])[:120]}")
        self.record["model_found"] = "Your model" in str(out[1])

    def fail_with(self, name: str, message: str) -> StudentFailed:
        error = StudentFailed(f"{name}: {message}")
        self.record["errors"].append(str(error))
        return error
