"""Storage contract tests: the same suite on SQLite and, when configured, PostgreSQL."""
