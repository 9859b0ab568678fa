"""The README's storage example runs as written (from a temporary folder)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(section: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, re.DOTALL)


def test_object_storage_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The block stores, reopens, reads back and rotates; its own asserts must hold, and the
    store it leaves has one object whose shards sit on six distinct planes."""
    (code,) = _blocks("Object storage: encrypted, erasure-coded, durable")
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}
    exec(compile(code, str(README), "exec"), scope)
    put = scope["put"]
    planes = {n.rsplit("-", 1)[0] for n in put.nodes}  # type: ignore[attr-defined]
    assert len(put.nodes) == 6 and len(planes) == 6  # type: ignore[attr-defined]
    assert (tmp_path / "store" / "catalog.sqlite").is_file()
