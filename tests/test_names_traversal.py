"""Traversal through names: every name a scenario carries is refused when it could become a
path outside the run folder or the store (``..``, separators, absolute paths, NUL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from orbitcloud.examples import example_path
from orbitcloud.scenario import ScenarioError, load_scenario

#: Scenario keys whose values are names (of nodes, tenants, buckets, sets, fault targets).
NAME_KEYS = {
    "name", "tenant", "bucket", "station", "put_station", "get_station", "ground_site",
    "lost_site", "target", "constellation",
}  # fmt: skip
HOSTILE = ["..", "../../etc", "/etc/passwd", "a/b", "a\\b", "x\0y", "."]


def _name_paths(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k in NAME_KEYS and isinstance(v, str):
                out.append((*path, k))
            out += _name_paths(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _name_paths(v, (*path, i))
    return out


def _plain(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {str(k): _plain(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_plain(v) for v in doc]
    return doc


MILSCA = _plain(YAML(typ="safe").load(example_path("milsca").read_text()))
PATHS = _name_paths(MILSCA)


def test_milsca_carries_many_names():
    """The walk finds the names (so the test below covers something)."""
    assert len(PATHS) > 40
    assert {p[0] for p in PATHS} >= {"constellations", "ground_stations", "workload", "storage"}


@pytest.mark.parametrize("hostile", HOSTILE)
def test_every_scenario_name_refuses_traversal(hostile: str, tmp_path: Path):
    """Each name field of milsca, set to a hostile value, gives a ScenarioError (never a
    traceback, never a node, tenant or bucket with that name); nothing is written."""
    before = sorted(tmp_path.iterdir())
    for path in PATHS:
        doc = _plain(MILSCA)
        node = doc
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = hostile
        with pytest.raises(ScenarioError):
            load_scenario(doc, base_dir=example_path("milsca").parent)
    assert sorted(tmp_path.iterdir()) == before
