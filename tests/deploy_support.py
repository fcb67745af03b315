"""A loopback deployment for the tests and benchmarks: N ``xai-demo serve`` replicas behind Debian's HAProxy
running ``deploy/haproxy.cfg`` (its server-template line replaced by the replicas' loopback addresses), and
Locust runs of ``benchmarks/locustfile.py`` against it."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from browser_support import ServerProcess, start_server

REPO = Path(__file__).resolve().parent.parent
HAPROXY_CFG = REPO / "deploy" / "haproxy.cfg"
LOCUSTFILE = REPO / "benchmarks" / "locustfile.py"
TEMPLATE_PREFIX = "server-template app "
REPLICA_ARGS = ("--host", "127.0.0.1", "--port")  # + a free port: deploy/Dockerfile's CMD with loopback values


def haproxy_binary() -> str | None:
    for candidate in (shutil.which("haproxy"), "/usr/sbin/haproxy"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def free_port(low: int = 8900, high: int = 8999) -> int:
    """A free loopback port in ``[low, high]`` (this project's share of the machine's ports)."""
    for port in range(low, high + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}-{high}")


def loopback_config(replicas: dict[str, int], text: str | None = None) -> str:
    """``deploy/haproxy.cfg`` with its one server-template line replaced by ``server NAME 127.0.0.1:PORT
    cookie NAME`` per replica (everything else, the timeouts, affinity and health checks, unchanged)."""
    text = HAPROXY_CFG.read_text() if text is None else text
    lines = text.splitlines()
    found = [i for i, line in enumerate(lines) if line.strip().startswith(TEMPLATE_PREFIX)]
    if len(found) != 1:
        raise ValueError(f"expected one '{TEMPLATE_PREFIX}' line in the HAProxy config, found {len(found)}")
    indent = lines[found[0]][: len(lines[found[0]]) - len(lines[found[0]].lstrip())]
    servers = [f"{indent}server {name} 127.0.0.1:{port} cookie {name}" for name, port in replicas.items()]
    return "\n".join([*lines[: found[0]], *servers, *lines[found[0] + 1 :]]) + "\n"


@dataclass
class Proxy:
    """A running HAProxy: the students' URL, its statistics page and socket."""

    process: subprocess.Popen
    url: str
    stats_url: str
    socket_path: Path
    log: Path

    def stats(self) -> dict[str, dict[str, str]]:
        """The statistics CSV of the replicas' backend: server name -> row (status, req_tot, stot...)."""
        text = requests.get(self.stats_url + ";csv", timeout=5).text.lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        return {r["svname"]: r for r in rows if r["pxname"] == "replicas" and r["svname"] not in ("FRONTEND",
                                                                                                  "BACKEND")}

    def socket_command(self, command: str) -> str:
        """A command on the runtime socket (e.g. ``show servers state``)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(str(self.socket_path))
            s.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def wait_status(self, name: str, status: str, timeout: float = 60.0) -> float:
        """Wait until replica ``name`` has ``status`` ("UP", "DOWN"); returns the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            with contextlib.suppress(requests.RequestException, KeyError):
                if self.stats()[name]["status"].startswith(status):
                    return time.monotonic() - started
            time.sleep(0.25)
        raise TimeoutError(f"{name} not {status} after {timeout} s: {self.stats().get(name, {}).get('status')}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGUSR1)  # soft stop
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_haproxy(replicas: dict[str, int], folder: Path, port: int | None = None) -> Proxy:
    """HAProxy on 127.0.0.1:``port`` (a free one by default) in front of ``replicas`` (name -> port)."""
    binary = haproxy_binary()
    if binary is None:
        raise RuntimeError("haproxy is not installed (apt-get install haproxy)")
    port = port or free_port()
    stats_port = free_port(port + 1)
    config = folder / "haproxy.cfg"
    config.write_text(loopback_config(replicas))
    sock = folder / "haproxy.sock"
    env = {**os.environ, "XAI_BIND": f"127.0.0.1:{port}", "XAI_STATS_BIND": f"127.0.0.1:{stats_port}",
           "XAI_STATS_SOCKET": str(sock), "XAI_COOKIE_KEY": "test-key"}
    log = folder / "haproxy.log"
    process = subprocess.Popen([binary, "-db", "-f", str(config)], env=env, stdout=log.open("w"),
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    proxy = Proxy(process, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{stats_port}/stats", sock, log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"haproxy exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(requests.RequestException):
            proxy.stats()
            return proxy
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"haproxy did not start: {log.read_text()[-2000:]}")


def replica_env(name: str, home: Path) -> dict[str, str]:
    """The environment of a replica: this one (so that it runs the same code), the embedded teaching set only
    (no ``$XAI_DEMO_DATA``), a private cache and Gradio folder, and its name for ``/healthz``."""
    env = {k: v for k, v in os.environ.items() if k not in ("XAI_DEMO_DATA", "XAI_DEMO_CACHE", "GRADIO_TEMP_DIR")}
    root = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(PYTHONPATH=root, HOME=str(home), XAI_DEMO_CACHE=str(home / "cache"),
               GRADIO_TEMP_DIR=str(home / "gradio"), XAI_DEMO_REPLICA=name)
    return env


def start_replicas(names: Sequence[str], folder: Path, extra_args: Sequence[str] = ()) -> dict[str, ServerProcess]:
    """``xai-demo serve --port P`` per name, started at once and waited for together."""
    ports = {}
    for name in names:
        ports[name] = free_port(max(ports.values(), default=8899) + 1)

    def one(name: str) -> ServerProcess:
        home = folder / name
        home.mkdir(parents=True, exist_ok=True)
        return start_server([*REPLICA_ARGS, str(ports[name]), *extra_args], env=replica_env(name, home), timeout=240)

    with ThreadPoolExecutor(len(names)) as pool:
        servers = dict(zip(names, pool.map(one, names), strict=True))
    return servers


def port_of(server: ServerProcess) -> int:
    return int(server.url.rstrip("/").rsplit(":", 1)[1])


@contextlib.contextmanager
def deployment(names: Sequence[str] = ("app1", "app2")) -> Iterator[tuple[dict[str, ServerProcess], Proxy]]:
    """Replicas behind HAProxy, all UP; everything stopped afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="xai_deploy_"))
    servers: dict[str, ServerProcess] = {}
    proxy = None
    try:
        servers = start_replicas(names, folder)
        proxy = start_haproxy({n: port_of(s) for n, s in servers.items()}, folder)
        for name in names:
            proxy.wait_status(name, "UP")
        yield servers, proxy
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers.values():
            if server.process.poll() is None:
                server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class LocustRun:
    """A headless Locust run in a subprocess; its summary CSV rows by name once :meth:`wait` returns."""

    process: subprocess.Popen
    csv_prefix: Path
    log: Path
    output: str = ""
    rows: dict[str, dict[str, str]] = field(default_factory=dict)

    def wait(self, timeout: float = 300.0) -> int:
        try:
            self.output, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.output, _ = self.process.communicate()
        stats = Path(f"{self.csv_prefix}_stats.csv")
        if stats.is_file():
            with stats.open() as f:
                self.rows = {r["Name"]: r for r in csv.DictReader(f)}
        return self.process.returncode

    def failures(self) -> int:
        row = self.rows.get("Aggregated")
        return int(row["Failure Count"]) if row else -1


def start_locust(url: str, users: int, seconds: float, folder: Path, *, spawn_rate: float | None = None,
                 env: dict[str, str] | None = None, stop_timeout: float = 30.0, name: str = "run") -> LocustRun:
    """``locust --headless`` with ``benchmarks/locustfile.py``: ``users`` students arriving at ``spawn_rate``
    per second (all within 10 s by default) for ``seconds``; per-student lines in ``folder/NAME.jsonl``."""
    prefix = folder / name
    log = folder / f"{name}.jsonl"
    rate = spawn_rate or max(1.0, users / 10)
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(users), "-r",
               str(rate), "-t", f"{int(seconds)}s", "--stop-timeout", str(int(stop_timeout)), "--host", url,
               "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"]
    run_env = {**os.environ, **(env or {}), "XAI_LOAD_LOG": str(log)}
    process = subprocess.Popen(command, env=run_env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    return LocustRun(process, prefix, log)


def students(run: LocustRun) -> list[dict]:
    """The per-student lines of a finished run."""
    import json

    if not run.log.is_file():
        return []
    return [json.loads(line) for line in run.log.read_text().splitlines() if line.strip()]
