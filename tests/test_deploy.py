"""Scale-out proof on loopback: two ``xai-demo serve`` replicas behind HAProxy (``deploy/haproxy.cfg``), 30
simulated students from Locust (``benchmarks/locustfile.py``, Gradio's queue protocol over HTTP).

1. 30 s of students: no error, both replicas serve, each student stays on one replica, and every student who
   trained a model finds it on their next request (affinity holds).
2. One replica is killed mid-run: the students on the other see no error, students arriving afterwards all go
   to the living one, and HAProxy reports the dead one DOWN (statistics page and runtime socket).

CI installs Debian's haproxy (``.ci/run``); locally the test is skipped without it.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest
import requests
from deploy_support import (
    HAPROXY_CFG,
    REPLICA_ARGS,
    REPO,
    deployment,
    haproxy_binary,
    loopback_config,
    start_locust,
    students,
)

pytestmark = pytest.mark.slow
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# short visits (2 cases, 2 questions, short pauses) so that many end within the run; every fifth student
# trains a model in a few seconds
LOAD_ENV = {"XAI_LOAD_THINK": "0.5,1.5", "XAI_LOAD_TRAIN": "quick", "XAI_LOAD_TRAIN_EVERY": "5",
            "XAI_LOAD_CASES": "2", "XAI_LOAD_QUESTIONS": "2"}


def _require_tools() -> None:
    missing = [what for what, ok in (("haproxy", haproxy_binary()),
                                     ("locust", _importable("locust"))) if not ok]
    if missing:
        message = f"{', '.join(missing)} not installed (apt-get install haproxy; pip install -e '.[dev]')"
        if IN_CI:
            pytest.fail(message + "; CI must run the deployment test")
        pytest.skip(message)


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_loopback_config_keeps_everything_but_the_server_lines() -> None:
    text = HAPROXY_CFG.read_text()
    rendered = loopback_config({"app1": 8901, "app2": 8902}, text)
    assert "server app1 127.0.0.1:8901 cookie app1" in rendered and "server-template" not in rendered
    kept = [line for line in text.splitlines() if "server-template" not in line]
    assert [line for line in rendered.splitlines() if not line.strip().startswith("server app")] == kept
    for needed in ("cookie XAIDEMO insert", "http-check send meth GET uri /healthz", "option redispatch",
                   "timeout server 60s"):
        assert needed in text


def test_the_image_runs_the_entry_point_this_test_starts() -> None:
    """No container engine runs here (CI included): the image's CMD must be the ``xai-demo serve`` command the
    replicas below are started with (``python -m xai_demo.cli serve --host ... --port ...``)."""
    import json

    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    cmd = json.loads(next(line for line in dockerfile.splitlines() if line.startswith("CMD "))[4:])
    assert cmd[:2] == ["xai-demo", "serve"]
    assert 'xai-demo = "xai_demo.cli:main"' in (REPO / "pyproject.toml").read_text()  # = python -m xai_demo.cli
    options = dict(zip(cmd[2::2], cmd[3::2], strict=True))
    assert set(options) == {"--host", "--port"} == set(REPLICA_ARGS[::2])
    from xai_demo.cli import build_parser

    args = build_parser().parse_args(cmd[1:])
    assert (args.host, args.port, args.allow_network) == ("0.0.0.0", 7860, False)  # offline guard on
    assert "USER xai" in dockerfile and "/healthz" in dockerfile
    for needed in ("COPY models /app/models", "COPY sample_images /app/sample_images", "ARG TORCH_INDEX="):
        assert needed in dockerfile


def test_compose_puts_replicas_behind_haproxy_without_a_way_out() -> None:
    import yaml

    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    app, proxy = compose["services"]["app"], compose["services"]["haproxy"]
    assert (REPO / compose["services"]["app"]["build"]["dockerfile"]).is_file()
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in proxy["volumes"]
    assert app["networks"] == ["replicas"] and compose["networks"]["replicas"]["internal"] is True
    assert "ports" not in app and set(proxy["networks"]) == {"replicas", "students"}
    assert "server-template app " in HAPROXY_CFG.read_text() and "app:7860" in HAPROXY_CFG.read_text()


def test_haproxy_accepts_the_shipped_config() -> None:
    _require_tools()
    import subprocess

    result = subprocess.run([haproxy_binary(), "-c", "-f", str(HAPROXY_CFG)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_two_replicas_behind_haproxy_keep_students_and_survive_a_failure() -> None:
    _require_tools()
    folder = Path(tempfile.mkdtemp(prefix="xai_deploy_test_"))
    try:
        with deployment(("app1", "app2")) as (servers, proxy):
            health = requests.get(proxy.url + "/healthz", timeout=5).json()
            assert health["status"] == "ok" and health["replica"] in servers

            # ---------------------------------------------------------------- 1. 30 students for 30 s
            run = start_locust(proxy.url, 30, 30, folder, env=LOAD_ENV, name="steady", stop_timeout=45)
            code = run.wait()
            seen = students(run)
            assert code == 0 and run.failures() == 0, run.output[-3000:]
            assert len(seen) >= 30 and all(not s["errors"] for s in seen), [s["errors"] for s in seen if s["errors"]]
            assert all(len(s["replicas"]) == 1 for s in seen), "a student moved between replicas"
            assert {s["replicas"][0] for s in seen} == {"app1", "app2"}, "both replicas serve students"
            trained = [s for s in seen if s["trained"] and s["completed"]]
            assert trained and all(s["model_found"] for s in trained), trained
            stats = proxy.stats()
            assert all(int(stats[n]["req_tot"] or 0) > 0 for n in ("app1", "app2")), stats

            # ---------------------------------------------------------------- 2. app2 dies mid-run
            run = start_locust(proxy.url, 30, 30, folder, env=LOAD_ENV, name="failover")
            time.sleep(12)
            servers["app2"].process.send_signal(signal.SIGKILL)
            killed_at = time.time()
            detected = proxy.wait_status("app2", "DOWN", timeout=30)
            run.wait()
            seen = students(run)
            assert "app2" in proxy.socket_command("show servers state replicas") and \
                proxy.stats()["app2"]["status"].startswith("DOWN")
            survivors = [s for s in seen if s["replicas"] == ["app1"]]
            assert survivors and all(not s["errors"] for s in survivors), [s["errors"] for s in survivors]
            newcomers = [s for s in seen if s["started"] > killed_at + 0.5]
            assert newcomers, "students arrived after the failure"
            assert all(s["replicas"] == ["app1"] and not s["errors"] for s in newcomers), newcomers
            stranded = [s for s in seen if "app2" in s["replicas"]]
            print(f"\nfailover: app2 DOWN {detected:.1f} s after SIGKILL; {len(seen)} students, "
                  f"{len(survivors)} on app1 with 0 errors, {len(newcomers)} arrived afterwards (all on app1), "
                  f"{len(stranded)} had been on app2 ({sum(bool(s['errors']) for s in stranded)} saw an error)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
