"""``switchboard config check`` and ``switchboard config schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from bot.config_file.document import ConfigDocument
from bot.config_file.errors import ConfigFileError
from bot.config_file.loader import load_config

__all__ = ["EXIT_INVALID", "check_command", "config_json_schema", "schema_command"]

EXIT_INVALID = 2
_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_json_schema() -> dict[str, Any]:
    """The JSON schema of the config file, for editors (YAML language servers)."""
    schema = ConfigDocument.model_json_schema()
    return {"$schema": _SCHEMA_DIALECT, **schema}


def check_command(path: Path, *, out: TextIO) -> int:
    """Validate ``path``; print ``ok: N actions`` (exit 0) or every issue (exit 2)."""
    try:
        config = load_config(path)
    except ConfigFileError as exc:
        for issue in exc.issues:
            print(issue, file=out)
        count = len(exc.issues)
        print(f"{count} problem{'s' if count != 1 else ''} in {path}", file=out)
        return EXIT_INVALID
    count = len(config.actions)
    print(f"ok: {count} action{'s' if count != 1 else ''}", file=out)
    return 0


def schema_command(out: TextIO) -> int:
    """Print the JSON schema of the config file."""
    print(json.dumps(config_json_schema(), indent=2, sort_keys=False), file=out)
    return 0
