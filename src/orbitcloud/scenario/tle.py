"""Two-line element sets: parse text with line numbers and checksums, build ``Satrec`` objects.

Node names: a satellite is named from its TLE name line (or, without one, its catalogue
number) by :func:`tle_node_names`: every run of characters outside ``A-Z a-z 0-9 _ . -``
becomes one ``-`` and leading or trailing ``-`` are dropped (``ISS (ZARYA)`` → ``ISS-ZARYA``).
The result must pass the scenario name rule (:func:`orbitcloud.scenario.base.check_name`);
``..``, ``.hidden`` or a 65-character name are refused, not rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sgp4.api import Satrec

__all__ = ["TleEntry", "TleFormatError", "parse_tle_text", "tle_checksum", "tle_node_names"]

_DIGITS = "0123456789"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")

_TEMPLATE = (
    "expected a TLE pair like\n"
    "  1 NNNNNC NNNNNAAA NNNNN.NNNNNNNN +.NNNNNNNN +NNNNN-N +NNNNN-N N NNNNN\n"
    "  2 NNNNN NNN.NNNN NNN.NNNN NNNNNNN NNN.NNNN NNN.NNNN NN.NNNNNNNNNNNNNN"
)


class TleFormatError(ValueError):
    """A TLE text could not be parsed; ``line`` is 1-based within the text."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass(frozen=True)
class TleEntry:
    """One satellite's TLE. ``line_number`` is the 1-based line of ``line1`` in its text."""

    name: str
    line1: str
    line2: str
    line_number: int
    name_line_number: int | None = None

    @property
    def catalogue_number(self) -> str:
        """Columns 3-7 of line 1 (NORAD number, Alpha-5 allowed), spaces dropped."""
        return self.line1[2:7].strip()

    def satrec(self) -> Satrec:
        return Satrec.twoline2rv(self.line1, self.line2)


def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of TLE columns 1-68: digits count their value, '-' counts 1."""
    return sum(_DIGITS.index(c) if c in _DIGITS else (1 if c == "-" else 0) for c in line[:68]) % 10


def tle_node_names(entries: list[TleEntry]) -> list[str]:
    """Node names of ``entries``, in order (module docstring: the safe form of the name line,
    else the catalogue number). A name seen before gets ``-<catalogue number>`` appended.
    The names are not checked here: :func:`orbitcloud.scenario.base.check_name` does that."""
    out: list[str] = []
    seen: set[str] = set()
    for e in entries:
        base = _UNSAFE.sub("-", e.name).strip("-") or e.catalogue_number
        name = base if base not in seen else f"{base}-{e.catalogue_number}"
        seen.add(name)
        out.append(name)
    return out


def parse_tle_text(text: str, first_line_number: int = 1) -> list[TleEntry]:
    """Parse 2-line or 3-line (name line first) TLE text.

    Raises:
        TleFormatError: on the first malformed line, naming its line number (offset by
            ``first_line_number - 1``) and showing the expected template.
    """
    raw = [(i + first_line_number, ln.rstrip()) for i, ln in enumerate(text.splitlines())]
    lines = [(n, ln) for n, ln in raw if ln.strip()]
    entries: list[TleEntry] = []
    i = 0
    while i < len(lines):
        name, name_n = "", None
        n, ln = lines[i]
        if not ln.startswith("1 "):
            if ln.startswith("2 "):
                raise TleFormatError(
                    n, f"line 2 of a TLE without its line 1 before it\n{_TEMPLATE}"
                )
            name = ln[2:].strip() if ln.startswith("0 ") else ln.strip()
            name_n = n
            i += 1
            if i >= len(lines):
                raise TleFormatError(
                    n, f"name line {_short(name)} is not followed by a TLE\n{_TEMPLATE}"
                )
        n1, l1 = lines[i]
        if i + 1 >= len(lines):
            raise TleFormatError(n1, f"line 1 has no line 2 after it\n{_TEMPLATE}")
        n2, l2 = lines[i + 1]
        for num, line, first in ((n1, l1, "1"), (n2, l2, "2")):
            if not line.startswith(first + " ") or len(line) < 69:
                raise TleFormatError(
                    num,
                    f"not a TLE line {first} ({len(line)} characters): {_short(line)}\n{_TEMPLATE}",
                )
            if not line[:69].isascii() or not line[:69].isprintable():
                raise TleFormatError(
                    num,
                    f"TLE line {first} has characters other than printable ASCII in columns "
                    f"1-69: {_short(line[:69])}\n{_TEMPLATE}",
                )
            if line[68] in _DIGITS and int(line[68]) != tle_checksum(line):
                raise TleFormatError(
                    num,
                    f"checksum digit is {line[68]} but columns 1-68 sum to {tle_checksum(line)} "
                    "(mod 10): the line is corrupted",
                )
        if l1[2:7] != l2[2:7]:
            raise TleFormatError(
                n2, f"catalogue number {l2[2:7]!r} differs from line 1's {l1[2:7]!r}"
            )
        try:
            Satrec.twoline2rv(l1[:69], l2[:69])
        except ValueError as exc:
            raise TleFormatError(n1, f"sgp4 rejects this TLE: {_short(str(exc))}") from None
        entries.append(TleEntry(name or l1[2:7].strip(), l1[:69], l2[:69], n1, name_n))
        i += 2
    if not entries:
        raise TleFormatError(first_line_number, f"no TLE found\n{_TEMPLATE}")
    return entries


def _short(value: str, limit: int = 100) -> str:
    """``repr(value)`` cut to about ``limit`` characters: a hostile line cannot flood a message."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
