"""Every example of the seed, run unchanged except for the DSN."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from pgqrs import Admin, Consumer
from seed_examples import EXAMPLES, run_example


def sync_admin_call(dsn: str, coro_fn):  # type: ignore[no-untyped-def]
    """Runs one Admin call on a private loop (for the sync tests that call asyncio.run)."""

    async def go():  # type: ignore[no-untyped-def]
        async with Admin(dsn) as admin:
            return await coro_fn(admin)

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(go())
    finally:
        loop.close()


def test_setup(dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    run_example("setup", dsn)
    assert "Created queue: tasks" in capsys.readouterr().out
    queue = sync_admin_call(dsn, lambda a: a.get_queue("tasks"))
    assert queue.queue_name == "tasks"


def test_setup_twice_says_already_exists(dsn: str) -> None:
    run_example("setup", dsn)
    with pytest.raises(RuntimeError, match="already exists"):
        run_example("setup", dsn)


async def test_producing(tasks_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    namespace = run_example("producing", tasks_dsn, with_setup_imports=True)
    await namespace["produce_messages"]()
    out = capsys.readouterr().out
    assert out.startswith("Sent message: ")
    msg_id = int(out.split(":")[1])
    async with Admin(tasks_dsn) as admin:
        message = await admin.get_messages().get(msg_id)
    assert message.payload == {"task": "process", "data": 123}


async def test_consuming(tasks_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    producing = run_example("producing", tasks_dsn, with_setup_imports=True)
    await producing["produce_messages"]()
    namespace = run_example("consuming", tasks_dsn, with_setup_imports=True)
    await namespace["consume_messages"]()
    out = capsys.readouterr().out
    # jsonb keeps keys in its own order: compare the dict printed
    assert "Processing: {'data': 123, 'task': 'process'}" in out
    async with Admin(tasks_dsn) as admin:
        assert await admin.get_messages().count() == 0
        assert await admin.get_archive().count() == 1


def test_async_support(dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    run_example("async_support", dsn)
    assert "Created: my-queue" in capsys.readouterr().out


async def test_fastapi_app(tasks_dsn: str) -> None:
    namespace = run_example("fastapi_app", tasks_dsn)
    app, producer = namespace["app"], namespace["producer"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        responses = await asyncio.gather(
            *(client.post("/tasks", json={"task": "resize", "n": i}) for i in range(20))
        )
    assert all(r.status_code == 200 for r in responses)
    ids = [r.json()["message_id"] for r in responses]
    assert len(set(ids)) == 20
    async with Admin(tasks_dsn) as admin:
        message = await admin.get_messages().get(ids[3])
        assert message.payload == {"task": "resize", "n": 3}
        assert await admin.get_messages().count("tasks") == 20
    await producer.close()


async def test_aiohttp_app(tasks_dsn: str) -> None:
    namespace = run_example("aiohttp_app", tasks_dsn)
    app = web.Application()
    app.router.add_post("/tasks", namespace["create_task"])
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/tasks", json={"task": "email", "to": "a@example.com"})
        assert response.status == 200
        msg_id = (await response.json())["message_id"]
    async with Admin(tasks_dsn) as admin:
        message = await admin.get_messages().get(msg_id)
    assert message.payload == {"task": "email", "to": "a@example.com"}
    await namespace["producer"].close()


async def test_error_handling(installed_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    namespace = run_example("error_handling", installed_dsn)
    await namespace["safe_create_queue"]()
    await namespace["safe_create_queue"]()
    assert capsys.readouterr().out.splitlines() == ["Created: tasks", "Queue already exists"]


async def test_type_hints_runs(tasks_dsn: str) -> None:
    namespace = run_example("type_hints", tasks_dsn)
    producing = run_example("producing", tasks_dsn, with_setup_imports=True)
    await producing["produce_messages"]()
    async with Consumer(tasks_dsn, "tasks", "localhost", 3001) as consumer:
        await namespace["process"](consumer)
    async with Admin(tasks_dsn) as admin:
        assert await admin.get_archive().count() == 1


def test_type_hints_mypy(tmp_path: Path) -> None:
    # mypy with its default settings, run away from the package's own config
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", str(EXAMPLES / "type_hints.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_complete_example(dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    run_example("complete", dsn, as_main=True)
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out[:5]] == [f"Sent task {i}" for i in range(5)]
    assert out[5] == "Processing: {'task': 0}"
    assert out[-1] == "Done!"
