"""`saferound serve --workers N`: the connections the workers accept have Nagle's algorithm off (before, each
response under several workers waited ~40 ms for the client's delayed ACK)."""

from __future__ import annotations

import socket

import uvicorn

from server.cli import nodelay_listener
from tests.pg import free_port


def config() -> uvicorn.Config:
    return uvicorn.Config("server.main:create_app", factory=True, host="127.0.0.1", port=free_port(), workers=3)


def test_every_connection_accepted_from_the_shared_socket_sends_at_once():
    listener = nodelay_listener(config())
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    accepted, _address = listener.accept()
    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        # what uvicorn alone gives the workers (the reason for nodelay_listener)
        plain = config().bind_socket()
        assert plain.proto != socket.IPPROTO_TCP and plain.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        plain.close()
    finally:
        for s in (accepted, client, listener):
            s.close()
