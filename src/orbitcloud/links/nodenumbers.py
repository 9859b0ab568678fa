"""DTN node numbers for the ION and HDTN exports: node index + 1, or a deployment's own numbers.

By default the node at index ``i`` of the plan's :class:`NodeTable` (satellites, then ground
stations) is CBHE/IPN node number ``i + 1``. A deployment that already has node numbers passes a
map ``{node name: node number}``; nodes not in it keep ``i + 1``, which must not collide with a
mapped number. The map file is CSV (read with the csv module), one ``name,node_number`` row per
node, with an optional ``name,node_number`` header and blank lines ignored::

    name,node_number
    Fucino,268484800
    milsca-0-0,268484801

Numbers are positive integers, each name and each number at most once.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from orbitcloud.links.contactplan import NodeTable

__all__ = ["NodeNumberError", "index_of_numbers", "node_number_array", "read_node_numbers"]

_HEADER = ["name", "node_number"]


class NodeNumberError(ValueError):
    """A node-number map that cannot be used (one line, naming file:line where there is one)."""


def read_node_numbers(path: str | Path, nodes: NodeTable | None = None) -> dict[str, int]:
    """The ``{name: node number}`` map of a ``name,node_number`` CSV file.

    Raises :class:`NodeNumberError` ``"<path>:<line>: ..."`` for a row without two fields, a
    number that is not an integer or is <= 0, a name or number given twice; with ``nodes``, also
    for a name not in the table and for an unmapped node whose default number (index + 1) is
    mapped to another node.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise NodeNumberError(f"cannot read node-number file {path}: {exc}") from None
    numbers: dict[str, int] = {}
    lines: dict[str, int] = {}
    by_number: dict[int, str] = {}
    for line_no, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if line_no == 1 and [c.lower() for c in cells] == _HEADER:
            continue
        where = f"{path}:{line_no}"
        if len(cells) != 2:
            raise NodeNumberError(
                f"{where}: got {len(cells)} field(s) {row!r}; expected 'name,node_number'"
            )
        name, text = cells
        if not name:
            raise NodeNumberError(f"{where}: empty node name; expected 'name,node_number'")
        try:
            number = int(text)
        except ValueError:
            raise NodeNumberError(
                f"{where}: node_number {text!r} for {name!r} is not an integer; expected a "
                "positive integer"
            ) from None
        if number <= 0:
            raise NodeNumberError(
                f"{where}: node_number {number} for {name!r}; expected a positive integer"
            )
        if name in numbers:
            raise NodeNumberError(
                f"{where}: node {name!r} is mapped twice (first on line {lines[name]})"
            )
        if number in by_number:
            first = by_number[number]
            raise NodeNumberError(
                f"{where}: node_number {number} for {name!r} is already given to {first!r} "
                f"(line {lines[first]}); expected each number once"
            )
        numbers[name], lines[name], by_number[number] = number, line_no, name
    if nodes is not None:
        _check(nodes, numbers, lambda name: f"{path}:{lines[name]}")
    return numbers


def _check(nodes: NodeTable, numbers: Mapping[str, int], where: Callable[[str], str]) -> None:
    """Every mapped name is a node; no unmapped node's ``index + 1`` is a mapped number."""
    known = set(nodes.names)
    for name in numbers:
        if name not in known:
            raise NodeNumberError(
                f"{where(name)}: {name!r} is not a node of this plan; expected one of its "
                f"{nodes.n_node} satellites and stations (e.g. {nodes.names[0]!r})"
            )
    owner = {number: name for name, number in numbers.items()}
    if len(owner) != len(numbers):
        dup = next(n for n in owner if sum(v == n for v in numbers.values()) > 1)
        raise NodeNumberError(f"node number {dup} is mapped to more than one node")
    for i, name in enumerate(nodes.names):
        if name not in numbers and (i + 1) in owner:
            raise NodeNumberError(
                f"{where(owner[i + 1])}: node_number {i + 1} for {owner[i + 1]!r} collides with "
                f"unmapped node {name!r}, which keeps number {i + 1} (index + 1); map "
                f"{name!r} too or choose another number"
            )


def node_number_array(
    nodes: NodeTable, numbers: Mapping[str, int] | None = None
) -> NDArray[np.int64]:
    """int64[n_node]: each node's DTN node number (``numbers[name]``, else index + 1).

    Raises :class:`NodeNumberError` for an unknown name, a number <= 0 or not an integer, a
    number given to two nodes, or a default number colliding with a mapped one.
    """
    out = np.arange(1, nodes.n_node + 1, dtype=np.int64)
    if not numbers:
        return out
    for name, number in numbers.items():
        if isinstance(number, bool) or not isinstance(number, int | np.integer) or number <= 0:
            raise NodeNumberError(
                f"node number {number!r} for {name!r}; expected a positive integer"
            )
    _check(nodes, numbers, lambda name: f"node_numbers[{name!r}]")
    index = {name: i for i, name in enumerate(nodes.names)}
    for name, number in numbers.items():
        out[index[name]] = int(number)
    return out


def index_of_numbers(numbers: NDArray[np.int64]) -> dict[int, int]:
    """``{node number: node index}`` for :func:`node_number_array`'s result."""
    return {int(n): i for i, n in enumerate(numbers.tolist())}
