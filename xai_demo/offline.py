"""Offline guard: refuse, and count, every connection this process tries to open beyond the machine.

The app never needs the network: fonts are the system's, analytics are off, models and images are local.
``xai-demo serve --offline`` makes that a guarantee rather than a promise: a connection to anything but a
loopback address (or a Unix socket) raises :class:`OfflineError`, and a DNS look-up of a name other than
``localhost`` is refused the same way. Each refusal is logged (never the content) and counted, so a test
or a worried lecturer can check that nothing tried to leave. Incoming connections (``--host 0.0.0.0`` in a
lecture room) are not affected.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


class OfflineError(ConnectionRefusedError):
    """A connection beyond the machine was refused by the offline guard."""


class _Guard:
    def __init__(self) -> None:
        self.refused: list[str] = []
        self.lock = threading.Lock()
        self.installed = False

    def refuse(self, target: str) -> OfflineError:
        with self.lock:
            self.refused.append(target)
        log.warning("offline mode: refused a connection to %s", target)
        return OfflineError(f"offline mode: connections beyond this machine are refused ({target})")


_GUARD = _Guard()


def is_local_address(address: Any) -> bool:
    """Whether a socket address (a ``(host, port, ...)`` tuple, a path, or bytes) stays on this machine."""
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths and abstract names
    host = str(address[0]).strip("[]").split("%")[0]
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: connect() would resolve it, so it must be local by name


def _guarded(method: Callable, name: str) -> Callable:
    def call(self: socket.socket, address: Any, *args: Any) -> Any:
        target = address if name != "sendto" else (args[-1] if args else None)
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_local_address(target):
            raise _GUARD.refuse(f"{target[0]}:{target[1]}" if isinstance(target, tuple) else str(target))
        return method(self, address, *args)

    call.__name__ = name
    return call


def _guarded_getaddrinfo(original: Callable) -> Callable:
    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        text = host.decode() if isinstance(host, bytes) else ("" if host is None else str(host))
        if not is_local_address((text, 0)):
            try:
                ipaddress.ip_address(text.strip("[]"))
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, str(_GUARD.refuse(f"DNS {text}"))) from None
            raise _GUARD.refuse(text)
        return original(host, *args, **kwargs)

    return getaddrinfo


def block_outside_connections() -> None:
    """Install the guard in this process (idempotent). Call before anything opens a connection."""
    if _GUARD.installed:
        return
    for name in ("connect", "connect_ex"):
        setattr(socket.socket, name, _guarded(getattr(socket.socket, name), name))
    socket.socket.sendto = _guarded(socket.socket.sendto, "sendto")  # UDP: a bare sendto is a connection too
    socket.getaddrinfo = _guarded_getaddrinfo(socket.getaddrinfo)
    _GUARD.installed = True


def refused_connections() -> list[str]:
    """Every target the guard refused so far in this process (``"host:port"`` or ``"DNS name"``)."""
    with _GUARD.lock:
        return list(_GUARD.refused)
