"""Alembic migrations of the storage schema, run through :mod:`storage.migrate`."""
