"""The app's browser side spoken over plain HTTP: the page, its config, and Gradio's queue protocol.

What the browser does for a click: ``POST /gradio_api/queue/join`` with the event's ``fn_index``, the inputs'
current values (``null`` for a ``gr.State``: the server keeps it per ``session_hash``) and the session hash,
then ``GET /gradio_api/queue/data?session_hash=...``, a server-sent-event stream that says ``estimation``,
``process_starts``, ``process_generating`` (a generator's steps), ``heartbeat`` and ``process_completed`` with
the outputs, then ``close_stream``. Events chained with ``.then`` are started by the browser after the previous
one succeeds; this client does the same. No gradio import: a Locust user (gevent) can hold hundreds of these.

Checked against gradio 6.31 (``gradio/routes.py``: ``queue_join``, ``queue_data``).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import requests

API = "/gradio_api"


class GradioError(RuntimeError):
    """An event failed: refused by the queue, an HTTP error, an error message, or a broken stream."""


@dataclass
class Event:
    """One backend event of the page: its ``fn_index``, trigger and input/output component ids."""

    id: int
    trigger: tuple[int | None, str]
    inputs: list[int]
    outputs: list[int]
    after: int | None  # the event this one follows (``.then``)
    api_name: str | None


@dataclass
class PageConfig:
    """What ``GET /config`` says: components (id -> props) and the backend events."""

    components: dict[int, dict[str, Any]]
    events: list[Event]
    elem_ids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, config: dict[str, Any]) -> PageConfig:
        components = {c["id"]: c for c in config["components"]}
        events = [Event(d["id"], tuple(d["targets"][0]) if d["targets"] else (None, ""), list(d["inputs"]),
                        list(d["outputs"]), d.get("trigger_after"), d.get("api_name"))
                  for d in config["dependencies"] if d.get("backend_fn")]
        elem_ids = {c["props"]["elem_id"]: i for i, c in components.items() if c.get("props", {}).get("elem_id")}
        return cls(components, events, elem_ids)

    def event(self, elem_id: str, trigger: str) -> Event:
        """The event fired by ``trigger`` ("click", "input", ...) on the component ``elem_id``."""
        target = self.elem_ids[elem_id]
        return next(e for e in self.events if e.trigger == (target, trigger))

    def loads(self) -> list[Event]:
        return [e for e in self.events if e.trigger[1] == "load"]

    def followers(self, event: Event) -> list[Event]:
        return [e for e in self.events if e.after == event.id]

    def initial_values(self) -> dict[int, Any]:
        return {i: c.get("props", {}).get("value") for i, c in self.components.items()}

    def is_state(self, component: int) -> bool:
        return self.components[component]["type"] == "state"


class GradioPage:
    """One browser tab on the app: its own session hash and component values, over one ``requests.Session``
    (whose cookie jar carries a load balancer's affinity cookie)."""

    def __init__(self, base_url: str, http: requests.Session | None = None, timeout: float = 120.0) -> None:
        self.base = base_url.rstrip("/")
        self.http = http or requests.Session()
        self.timeout = timeout
        self.session_hash = secrets.token_hex(6)
        self.config: PageConfig | None = None
        self.values: dict[int, Any] = {}

    # ------------------------------------------------------------------ page
    def open(self, config: PageConfig | None = None) -> None:
        """Load the page (HTML and config, unless ``config`` is given) and run its load events with their chains."""
        response = self.http.get(self.base + "/", timeout=self.timeout)
        response.raise_for_status()
        if config is None:
            response = self.http.get(self.base + "/config", timeout=self.timeout)
            response.raise_for_status()
            config = PageConfig.parse(response.json())
        self.config = config
        self.values = config.initial_values()
        for event in config.loads():
            self.run(event)

    def set(self, elem_id: str, value: Any) -> None:
        """Set a component's value as a visitor would (no event fired)."""
        self.values[self.config.elem_ids[elem_id]] = value

    def get(self, elem_id: str) -> Any:
        return self.values.get(self.config.elem_ids[elem_id])

    def click(self, elem_id: str, trigger: str = "click") -> list[Any]:
        """Fire ``trigger`` on ``elem_id`` and its ``.then`` chain; the first event's outputs."""
        return self.run(self.config.event(elem_id, trigger))

    def run(self, event: Event, event_data: Any = None) -> list[Any]:
        """Run ``event`` through the queue, then the events that follow it; returns its outputs."""
        outputs = self.call(event, event_data)
        for follower in self.config.followers(event):
            self.run(follower)
        return outputs

    # ------------------------------------------------------------------ queue protocol
    def call(self, event: Event, event_data: Any = None) -> list[Any]:
        """Join the queue with ``event`` and read the stream until its outputs arrive (stored as new values)."""
        data = [None if self.config.is_state(i) else self.values.get(i) for i in event.inputs]
        body = {"data": data, "event_data": event_data, "fn_index": event.id, "trigger_id": event.trigger[0],
                "session_hash": self.session_hash}
        response = self.http.post(f"{self.base}{API}/queue/join", json=body, timeout=self.timeout)
        if response.status_code != 200:
            raise GradioError(f"queue/join {response.status_code}: {response.text[:200]}")
        event_id = response.json()["event_id"]
        outputs = self._read_stream(event_id)
        for component, value in zip(event.outputs, outputs, strict=False):
            if isinstance(value, dict) and value.get("__type__") == "update":
                if "value" in value:
                    self.values[component] = value["value"]
            else:
                self.values[component] = value
        return outputs

    def _read_stream(self, event_id: str) -> list[Any]:
        url = f"{self.base}{API}/queue/data"
        deadline = time.monotonic() + self.timeout
        with self.http.get(url, params={"session_hash": self.session_hash}, stream=True,
                           timeout=self.timeout) as response:
            if response.status_code != 200:
                raise GradioError(f"queue/data {response.status_code}")
            for line in response.iter_lines(decode_unicode=True):
                if time.monotonic() > deadline:
                    raise GradioError("no result before the timeout")
                if not line or not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                kind = message.get("msg")
                if kind == "process_completed" and message.get("event_id") == event_id:
                    output = message.get("output") or {}
                    if not message.get("success", False):
                        raise GradioError(f"event failed: {str(output.get('error') or output)[:200]}")
                    return list(output.get("data") or [])
                if kind == "unexpected_error":
                    raise GradioError(f"unexpected error: {message.get('message')}")
                if kind == "close_stream":
                    break
        raise GradioError("the stream closed without the result")

    def file_url(self, value: Any) -> str | None:
        """The URL of a file output (an image's ``{"url": ...}`` or a path), or None."""
        if isinstance(value, dict):
            return value.get("url") or (value.get("image") or {}).get("url")
        return None

    def fetch(self, url: str) -> int:
        """GET a file the page would show (a picture); its size in bytes."""
        response = self.http.get(url if url.startswith("http") else self.base + url, timeout=self.timeout)
        response.raise_for_status()
        return len(response.content)


__all__ = ["API", "Event", "GradioError", "GradioPage", "PageConfig"]
