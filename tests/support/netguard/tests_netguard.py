"""The network guard: nothing the tests run may leave 127.0.0.1. Connects, name lookups and datagrams aimed anywhere
but loopback raise before a packet is sent, and each attempt is appended to the file named by $AMLMOVE_NETGUARD_LOG
(conftest fails the session when that file is not empty). Used in-process by conftest and in every Python subprocess
the tests start through sitecustomize.py in this folder (first on PYTHONPATH)."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys

LOG_ENV = "AMLMOVE_NETGUARD_LOG"
_LOCAL_NAMES = {"localhost", "localhost.", "ip6-localhost", "ip6-loopback"}


class NetworkGuardError(ConnectionRefusedError):
    """Raised instead of connecting: an OSError, so HTTP stacks report it as a connection failure."""


def record(target: object) -> None:
    """Append one refused attempt (pid, program, target) to the session's log."""
    path = os.environ.get(LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"pid={os.getpid()} prog={os.path.basename(sys.argv[0] if sys.argv else '?')} target={target!r}\n")


def is_loopback(host: object) -> bool:
    """True for loopback names and addresses (127.0.0.0/8, ::1, ::ffff:127.x.x.x, localhost)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _is_unspecified(host: object) -> bool:
    """0.0.0.0 / :: / '' name no remote host (used to bind a listening socket); resolving them sends nothing."""
    if host in ("", b""):
        return True
    try:
        return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else str(host)).is_unspecified
    except ValueError:
        return False


def _refuse(what: str, target: object) -> NetworkGuardError:
    record(target)
    return NetworkGuardError(f"network guard: refusing {what} {target!r} (tests stay on 127.0.0.1)")


def _inet(sock: socket.socket) -> bool:
    return sock.family in (socket.AF_INET, socket.AF_INET6)


def install() -> None:
    """Wrap the socket module's entry points (idempotent)."""
    if getattr(socket, "_amlmove_netguard", False):
        return
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_sendto = socket.socket.sendto
    original_getaddrinfo = socket.getaddrinfo
    original_gethostbyname = socket.gethostbyname
    original_gethostbyname_ex = socket.gethostbyname_ex
    original_create_connection = socket.create_connection

    def connect(self, address):
        if _inet(self) and not is_loopback(address[0]):
            raise _refuse("a connection to", address)
        return original_connect(self, address)

    def connect_ex(self, address):
        if _inet(self) and not is_loopback(address[0]):
            raise _refuse("a connection to", address)
        return original_connect_ex(self, address)

    def sendto(self, data, *args):
        address = args[-1]
        if _inet(self) and not is_loopback(address[0]):
            raise _refuse("a datagram to", address)
        return original_sendto(self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not is_loopback(host) and not _is_unspecified(host):
            raise _refuse("a name lookup of", host)
        return original_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host):
        if not is_loopback(host):
            raise _refuse("a name lookup of", host)
        return original_gethostbyname(host)

    def gethostbyname_ex(host):
        if not is_loopback(host):
            raise _refuse("a name lookup of", host)
        return original_gethostbyname_ex(host)

    def create_connection(address, *args, **kwargs):
        if not is_loopback(address[0]):
            raise _refuse("a connection to", tuple(address))
        return original_create_connection(address, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname
    socket.gethostbyname_ex = gethostbyname_ex
    socket.create_connection = create_connection
    socket._amlmove_netguard = True
