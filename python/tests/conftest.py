"""Fixtures: every test gets a fresh database on the server named by PGQRS_TEST_DSN.

The seed's examples use fixed queue names and call install() and create_queue()
each time, so each test gets its own database (CREATE DATABASE ... / DROP
DATABASE ... WITH (FORCE) afterwards), and its DSN.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from pgqrs import Admin
from pgqrs._connection import Connection

BASE_DSN = os.environ.get("PGQRS_TEST_DSN", "")


def dsn_for_database(base: str, database: str) -> str:
    """The base DSN pointing at another database (URI or key=value form)."""
    if base.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(base)
        return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))
    return f"{base} dbname={database}"


def run_sql(dsn: str, *statements: str) -> None:
    """Runs statements on a private event loop (usable from sync fixtures and tests)."""

    async def go() -> None:
        conn = Connection(dsn)
        try:
            for sql in statements:
                await conn.execute(sql)
        finally:
            conn.close()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(go())
    finally:
        loop.close()


@pytest.fixture(scope="session")
def base_dsn() -> str:
    if not BASE_DSN:
        pytest.fail("PGQRS_TEST_DSN is not set (make test starts a server and sets it)")
    return BASE_DSN


@pytest.fixture
def dsn(base_dsn: str) -> Iterator[str]:
    """A DSN to a new, empty database, dropped after the test."""
    name = "pgqrs_test_" + uuid.uuid4().hex[:12]
    run_sql(base_dsn, f'CREATE DATABASE "{name}"')
    try:
        yield dsn_for_database(base_dsn, name)
    finally:
        run_sql(base_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def installed_dsn(dsn: str) -> str:
    """A fresh database with the extension installed."""
    run_sql(dsn, "CREATE EXTENSION pgqrs")
    return dsn


@pytest.fixture
def tasks_dsn(installed_dsn: str) -> str:
    """A fresh database with the extension and the queue "tasks"."""
    run_sql(installed_dsn, "SELECT pgqrs.create_queue('tasks')")
    return installed_dsn


@pytest.fixture
async def admin(installed_dsn: str) -> AsyncIterator[Admin]:
    async with Admin(installed_dsn) as a:
        yield a
