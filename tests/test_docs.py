"""Every code block of the documentation site (docs/*.md) runs in the tests.

Per page, in a temporary working directory and in the page's order:

- ```bash blocks: one ``orbitcloud ...`` command a line (comments and blank lines skipped), run
  through typer's CliRunner; anything else (another program, a pipe, a redirect) is refused, so
  the docs never need a shell;
- ```python blocks: executed in one namespace shared by the page (a block may use what an
  earlier block of its page defined), imports checked as in tests/test_readme.py (orbitcloud
  names from ``orbitcloud.api`` only; plus a few standard and data libraries), scenarios loaded
  through ``orbitcloud.api.load_scenario`` capped at 1 h, with the README test's helper;
- ```yaml blocks: written to their ``title="file"`` when they have one (so later commands can
  use them); a whole scenario (``name:`` and ``constellations:``) is loaded with
  ``load_scenario``; a fragment must parse and hold only top-level scenario fields.

``docs/tables.md`` and ``docs/scenario.md`` are generated (their own tests compare them with the
generators); the ```sql blocks of docs/duckdb.md run in tests/test_run_tables.py.
"""

from __future__ import annotations

import ast
import io
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

import orbitcloud.api as api
from orbitcloud.cli import app
from test_readme import _capped_loader, _exec

DOCS = Path(__file__).resolve().parents[1] / "docs"
GENERATED = {"tables.md", "scenario.md"}
#: imports a docs block may use besides orbitcloud.api (what a user's own script would)
OTHER_IMPORTS = {"json", "pathlib", "pyarrow", "pyarrow.parquet", "pyarrow.compute"}
_BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
_SHELL = {"|", "||", "&", "&&", ";", ">", ">>", "<", "2>", "$("}


def _pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if p.name not in GENERATED)


def _blocks(page: Path) -> list[tuple[str, str, str]]:
    """(language, info after it, code) for every fenced block of ``page``, in order."""
    return _BLOCK.findall(page.read_text(encoding="utf-8"))


def _commands(code: str) -> list[list[str]]:
    out = []
    for line in code.splitlines():
        argv = shlex.split(line, comments=True)
        if not argv:
            continue
        assert argv[0] == "orbitcloud", f"not an orbitcloud command: {line!r}"
        shell = [a for a in argv if a in _SHELL or a.startswith(("$(", "`", ">", "|"))]
        assert not shell, f"shell syntax {shell} in {line!r}: the docs need no shell"
        out.append(argv[1:])
    return out


def _check_imports(code: str, label: str) -> None:
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            bad = [a.name for a in node.names if a.name not in OTHER_IMPORTS]
            assert not bad, f"{label}: `import {bad[0]}`"
        if isinstance(node, ast.ImportFrom) and node.module not in OTHER_IMPORTS:
            assert node.module == "orbitcloud.api", f"{label}: imports from {node.module!r}"
            missing = [a.name for a in node.names if a.name not in api.__all__]
            assert not missing, f"{label}: orbitcloud.api does not export {missing}"


def _yaml(code: str, info: str, label: str) -> None:
    title = re.search(r'title="([^"]+)"', info)
    if title:
        Path(title.group(1)).write_text(code, encoding="utf-8")
    data = YAML(typ="safe").load(io.StringIO(code))
    assert isinstance(data, dict), f"{label}: a YAML block is a mapping"
    if "name" in data and "constellations" in data:
        path = Path(title.group(1)) if title else Path("block.yaml")
        path.write_text(code, encoding="utf-8")
        api.load_scenario(path)  # raises ScenarioError naming file:line
    else:
        unknown = set(data) - set(api.Scenario.model_fields)
        assert not unknown, f"{label}: {sorted(unknown)} are not scenario fields"


PAGES = _pages()


def test_the_docs_have_code_to_run() -> None:
    langs = {lang for p in PAGES for lang, _, _ in _blocks(p)}
    assert {"bash", "python", "yaml"} <= langs
    assert len(PAGES) >= 8


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_every_block_of_the_page_runs(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(api, "load_scenario", _capped_loader(api.load_scenario))
    scope: dict[str, Any] = {"__name__": "docs"}
    runner = CliRunner()
    for i, (lang, info, code) in enumerate(_blocks(page)):
        label = f"{page.relative_to(DOCS)}[{i}]"
        if lang == "bash":
            for argv in _commands(code):
                res = runner.invoke(app, argv)
                assert res.exit_code == 0, f"{label}: orbitcloud {shlex.join(argv)}\n{res.output}"
        elif lang == "python":
            _check_imports(code, label)
            _exec(code, scope, f"{page}[{i}]")
        elif lang == "yaml":
            _yaml(code, info, label)
        else:  # output samples, SQL (run by tests/test_run_tables.py), the install commands
            assert lang in {"text", "sql", "sh"}, f"{label}: a ```{lang} block is not run"
            if lang == "sh":
                _install_lines(code, label)
    if page.name == "storage.md" and "put" in scope:  # the object store example's placement
        put = scope["put"]
        planes = {n.rsplit("-", 1)[0] for n in put.nodes}
        assert len(put.nodes) == 6 and len(planes) == 6
        assert (tmp_path / "store" / "catalog.sqlite").is_file()


def _install_lines(code: str, label: str) -> None:
    """A ```sh block holds only the README's quick-start commands (they set up a venv, so they
    are not run here): each is `bash scripts/<name>.sh` of a script that exists, and the README
    shows the same lines."""
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    for line in code.splitlines():
        argv = shlex.split(line, comments=True)
        if not argv:
            continue
        assert argv[0] == "bash" and len(argv) == 2, f"{label}: {line!r}"
        assert (DOCS.parent / argv[1]).is_file() and argv[1].startswith("scripts/"), line
        assert line in readme, f"{label}: {line!r} is not the README's quick start"
