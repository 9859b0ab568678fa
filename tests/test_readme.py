"""The README's Python examples are the API contract: every ```python block runs as written.

Each block runs from a temporary working directory. Long runs are shortened: the test patches
``orbitcloud.api.load_scenario`` (which the blocks import) so that any scenario a block loads
has its ``duration_s`` capped at :data:`CAP_S` (1 h), everything else as written. A block that
continues an earlier one of its section (uses the names it defined) runs after that section's
earlier blocks, in one namespace. A block may end with bare expressions (``eph.r_ecef_km  #
comment``): they are evaluated and must not raise. Every import in a block must come from
``orbitcloud.api``, the public API; a stale block is fixed in the README, not here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

import orbitcloud.api as api

README = Path(__file__).resolve().parents[1] / "README.md"
CAP_S = 3600.0
_FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _sections() -> dict[str, list[str]]:
    """Heading (``##`` or ``###``) -> the python blocks under it, in order."""
    out: dict[str, list[str]] = {}
    heading = ""
    body: list[str] = []
    in_fence = False

    def flush() -> None:
        blocks = _FENCE.findall("".join(body))
        if blocks:
            out.setdefault(heading, []).extend(blocks)

    for line in README.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and re.match(r"#{2,3} ", line):
            flush()
            heading, body = line.lstrip("#").strip(), []
            continue
        body.append(line)
    flush()
    return out


SECTIONS = _sections()
CASES = [(h, i) for h, blocks in SECTIONS.items() for i in range(len(blocks))]


def test_readme_has_python_examples() -> None:
    """The parser finds the blocks (so the parametrized tests below are not vacuous). The long
    sections moved to the documentation site, whose blocks tests/test_docs.py runs."""
    assert len(CASES) >= 1
    assert "A first look from Python" in SECTIONS
    storage = (README.parent / "docs" / "tutorials" / "storage.md").read_text(encoding="utf-8")
    assert "## The object store from Python" in storage


def _imports_public(code: str) -> None:
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            raise AssertionError(f"README block uses `import {node.names[0].name}`")
        if isinstance(node, ast.ImportFrom):
            assert node.module == "orbitcloud.api", (
                f"README block imports from {node.module!r}, not orbitcloud.api"
            )
            missing = [a.name for a in node.names if a.name not in api.__all__]
            assert not missing, f"orbitcloud.api does not export {missing}"


def _capped_loader(real: Any) -> Any:
    def load(*args: Any, **kwargs: Any) -> api.Scenario:
        sc = real(*args, **kwargs)
        if sc.duration_s > CAP_S:
            sc = sc.model_copy(update={"duration_s": CAP_S})
        return sc

    return load


def _exec(code: str, scope: dict[str, Any], label: str) -> None:
    """Run ``code``; trailing bare expressions are statements too, so they are evaluated."""
    exec(compile(code, label, "exec"), scope)


@pytest.mark.parametrize(("section", "index"), CASES, ids=[f"{h}-{i}" for h, i in CASES])
def test_readme_block_runs(
    section: str, index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = SECTIONS[section]
    _imports_public(blocks[index])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(api, "load_scenario", _capped_loader(api.load_scenario))
    scope: dict[str, Any] = {"__name__": "readme"}
    for i, code in enumerate(blocks[: index + 1]):
        _exec(code, scope, f"{README}:{section}[{i}]")
