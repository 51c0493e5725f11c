"""Fixtures for tests that talk HTTP to a real loopback server (see tests/httpserver.py).

The lead's tests/conftest.py imports these: ``from conftest_http import http_server, http_client  # noqa: F401``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.httpserver import LocalServer
from watcher.ingest.http import HttpClient


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A fresh :class:`LocalServer` on 127.0.0.1; set ``http_server.routes[path] = Route(...)``."""
    with LocalServer() as server:
        yield server


@pytest.fixture
def http_client() -> Iterator[HttpClient]:
    """An :class:`HttpClient` allowed to reach loopback (the guard is tested separately), 1 MB cap."""
    with HttpClient(allow_private_networks=True, max_bytes=1_000_000, timeout=10.0) as client:
        yield client
