"""One module per section of the config file, each holding the section's pydantic models, its
rules beyond one field's shape (as functions yielding ``(location, message)`` problems) and its
conversion to the domain's frozen values.

``base`` holds what the sections share (the strict base model, names, Slack ids, durations);
``salvage`` reads the valid pieces of data that failed validation; ``params`` and
``executors`` are the two large parts of an action. The sections: ``actions``, ``agents``,
``providers``, ``router``, ``budgets``, ``oncall``, ``incidents``, ``memory``, ``knowledge``,
``review``, ``alerts``; :mod:`bot.config_file.document` composes them into the whole file.
"""

__all__: list[str] = []
