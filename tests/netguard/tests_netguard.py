"""The network guard: socket connects to anything but loopback raise and are recorded (tests prove nothing leaves
127.0.0.1). Used in-process by conftest and in subprocesses via sitecustomize."""

from __future__ import annotations

import ipaddress
import os
import socket

_installed = False


class NetworkGuardError(OSError):
    pass


def _record(target: object) -> None:
    path = os.environ.get("AMLMOVE_NETGUARD_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {target!r}\n")


def _allowed(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX
        return True
    host = address[0] if isinstance(address, tuple) and address else address
    if isinstance(host, bytes):
        host = host.decode()
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _allowed(address):
            _record(address)
            raise NetworkGuardError(f"network guard: refusing a connection to {address!r} (tests stay on loopback)")
        return original_connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _allowed(address):
            _record(address)
            raise NetworkGuardError(f"network guard: refusing a connection to {address!r}")
        return original_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _allowed((host,)):
            _record(host)
            raise socket.gaierror(socket.EAI_NONAME, f"network guard: no name resolution for {host!r} in tests")
        return original_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
