"""``GET /healthz``: a cheap answer for a load balancer's health checks (no model, no queue, no session).

It reports which replica answered (``$XAI_DEMO_REPLICA``, else the host name and port), the sessions Gradio
holds, the trainings running and the process's resident memory, so that an operator (or a test) can tell
replicas apart behind a proxy.
"""

from __future__ import annotations

import os
import socket
from typing import Any

REPLICA_ENV = "XAI_DEMO_REPLICA"
PATH = "/healthz"


def rss_mib() -> float | None:
    """This process's resident memory in MiB (Linux), else None."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration, ValueError):
        return None


def health(demo: Any, port: int | None) -> dict[str, Any]:
    """The health report of a launched app."""
    gate = demo.xai_context.train_gate
    holder = getattr(getattr(demo, "app", None), "state_holder", None)
    sessions = len(getattr(holder, "session_data", {}) or {})
    rss = rss_mib()
    warmed = getattr(getattr(demo, "xai_callbacks", None), "warmed", None)
    return {"status": "ok", "replica": os.environ.get(REPLICA_ENV) or f"{socket.gethostname()}:{port}",
            "warm": bool(warmed and warmed.is_set()), "sessions": sessions, "training": gate.busy,
            "train_slots": gate.slots,
            "rss_mib": None if rss is None else round(rss, 1)}


def add_health_route(demo: Any, port: int | None) -> None:
    """Serve :func:`health` at ``/healthz`` (GET and HEAD) on the app's own server."""
    from fastapi.responses import ORJSONResponse

    async def endpoint() -> ORJSONResponse:  # on the event loop: a server busy in its worker threads still answers
        return ORJSONResponse(health(demo, port), headers={"Cache-Control": "no-store"})

    demo.app.add_api_route(PATH, endpoint, methods=["GET", "HEAD"], include_in_schema=False)


__all__ = ["PATH", "REPLICA_ENV", "add_health_route", "health", "rss_mib"]
