"""Alembic environment: migrate over the connection :mod:`storage.migrate` passes in.

No ``alembic.ini`` and no ``fileConfig``: logging belongs to the application. Offline mode
(``--sql``) renders SQL for the URL in ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from storage.tables import metadata

config = context.config


def _run_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=bool(url and url.startswith("sqlite")),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    shared = config.attributes.get("connection")
    if not isinstance(shared, Connection):
        raise RuntimeError("run migrations through storage.migrate, which passes a connection")
    _run_online(shared)
