"""Markdown chunking: sections by heading path, anchors, fences, long sections split."""

from __future__ import annotations

from agents.memory.markdown import anchor_of, chunk_markdown

RUNBOOK = """Intro text before any heading.

# Payments

Owned by the payments team.

## Rollback

Run `deploy rollback payments`.

```bash
# not a heading
kubectl get pods
```

## Rollback

The second rollback section.

### Verify

Check the dashboard.
"""


def test_sections_follow_the_heading_path() -> None:
    """Every section is a chunk labelled with its path; text before a heading is labelled with
    the file's title (its first level-1 heading)."""
    chunks = chunk_markdown("runbooks/pay-ments.md", RUNBOOK)
    assert [c.heading for c in chunks] == [
        "Payments",
        "Payments",
        "Payments > Rollback",
        "Payments > Rollback",
        "Payments > Rollback > Verify",
    ]
    assert [c.position for c in chunks] == [0, 1, 2, 3, 4]
    assert "# not a heading" in chunks[2].text  # inside a code fence


def test_anchors_are_github_style_and_unique() -> None:
    """Repeated headings get -1, -2 like GitHub; punctuation is dropped."""
    chunks = chunk_markdown("x.md", RUNBOOK)
    assert [c.anchor for c in chunks[1:]] == ["payments", "rollback", "rollback-1", "verify"]
    assert anchor_of("What's up? (v2)") == "whats-up-v2"


def test_long_sections_split_at_paragraphs() -> None:
    """A section over ~1,500 characters becomes several chunks with the same heading."""
    body = "\n\n".join(f"Paragraph {n} " + "word " * 80 for n in range(10))
    chunks = chunk_markdown("x.md", f"# Big\n\n{body}\n")
    assert len(chunks) > 1 and all(c.heading == "Big" for c in chunks)
    assert all(len(c.text) <= 1500 for c in chunks)
    assert "".join(c.text for c in chunks).count("Paragraph") == 10


def test_empty_sections_are_dropped() -> None:
    """Headings with nothing under them make no chunk."""
    assert [c.heading for c in chunk_markdown("x.md", "# A\n\n# B\ntext\n")] == ["B"]


def test_without_a_level_one_heading_the_title_is_the_file_name() -> None:
    """Text before the first heading of a file with no H1 is labelled with its file name."""
    chunks = chunk_markdown("runbooks/pay-ments.md", "Intro.\n\n## Rollback\n\nSteps.\n")
    assert [(c.heading, c.anchor) for c in chunks] == [("pay ments", ""), ("Rollback", "rollback")]


def test_a_fence_closes_only_with_its_own_kind() -> None:
    """A ``~~~`` line inside a backtick fence does not end it: the ``#`` after it is code."""
    text = "# T\n\n```\ncode\n~~~\n# not a heading\n```\n\n# Real\n\ntext\n"
    chunks = chunk_markdown("x.md", text)
    assert [c.heading for c in chunks] == ["T", "Real"]
    assert "# not a heading" in chunks[0].text


def test_heading_syntax_follows_commonmark() -> None:
    """A closing ``#`` run needs a space before it (``C#`` stays), up to three spaces of indent
    still make a heading, four make code, ``#tag`` is not a heading, links keep their text."""
    text = "# C#\n\na\n\n   ## Build ##\n\nb\n\n    # code\n#tag\n\n## [Docs](http://x) link\n\nc\n"
    chunks = chunk_markdown("x.md", text)
    assert [(c.heading, c.anchor) for c in chunks] == [
        ("C#", "c"),
        ("C# > Build", "build"),
        ("C# > Docs link", "docs-link"),
    ]
    assert "# code" in chunks[1].text and "#tag" in chunks[1].text


def test_suffixed_anchors_never_collide() -> None:
    """``a``, ``a``, ``a-1``, ``a`` link to ``a``, ``a-1``, ``a-1-1``, ``a-2`` (as GitHub does)."""
    text = "".join(f"# {h}\n\nx\n\n" for h in ["a", "a", "a-1", "a"])
    assert [c.anchor for c in chunk_markdown("x.md", text)] == ["a", "a-1", "a-1-1", "a-2"]


def test_secrets_in_a_runbook_are_redacted_in_its_chunks() -> None:
    """A key pasted into a runbook never reaches the index (nor a model, nor a quote): the
    chunk keeps the words around it."""
    key = "AKIA" + "ABCDEFGHIJKLMNOP"
    (chunk,) = chunk_markdown("ops.md", f"# Ops\n\nThe job's key is {key}, rotate it yearly.\n")
    assert chunk.text == "The job's key is [redacted:aws-access-key], rotate it yearly."
