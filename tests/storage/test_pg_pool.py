"""PostgreSQL's pool: a connection the server closed is replaced at checkout, without a ping
per checkout (``storage.engine.create``)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from storage import Database
from storage.engine import views


async def test_a_connection_the_server_closed_is_replaced(postgres: Database) -> None:
    """After ``pg_terminate_backend`` on a pooled connection, two connections checked out
    at once (one of them the closed one) both run a statement."""
    engine = views(postgres.engine).read  # autocommit: nothing to roll back on a dead one
    async with engine.connect() as first:
        pid = (await first.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        driver = (await first.get_raw_connection()).driver_connection
        async with engine.connect() as second:
            await second.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    assert driver is not None
    for _ in range(500):  # asyncpg sees the socket close when the loop reads it
        if driver.is_closed():
            break
        await asyncio.sleep(0.01)
    assert driver.is_closed()
    async with engine.connect() as one, engine.connect() as two:
        for connection in (one, two):
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
