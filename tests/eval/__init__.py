"""Evaluation suites: the benign replay set (dataset.jsonl) and the injection suite."""
