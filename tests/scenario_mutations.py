"""Mutations of the built-in example scenarios, for the loader's fuzz tests.

A case is one example's files (its YAML and the TLE/CSV files it references) with one to
three mutations applied, each to the scenario text or to a referenced file: byte flips,
control characters, deleted and duplicated lines, deep nesting, alias bombs, type swaps
(number, list, mapping, string), ``.inf``/``.nan``, huge strings, non-UTF-8 bytes, bad
timestamps, YAML tags, path-traversal names. :func:`cases` is the hypothesis strategy;
:func:`write_case` puts a case's files in a folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from orbitcloud.examples import example_path

__all__ = ["EXAMPLES", "Case", "cases", "example_files", "write_case"]

#: The examples mutated, with the files they reference (relative to their folder).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "milsca": (),
    "iss-node": ("data/iss.tle",),
    "ascend": (),
    "starlink-550": ("data/cities-top100.csv",),
}


@dataclass
class Case:
    """One mutated example: file name (relative) → bytes; ``applied`` names the mutations."""

    example: str
    files: dict[str, bytes]
    applied: list[str] = field(default_factory=list)

    @property
    def scenario_name(self) -> str:
        return f"{self.example}.yaml"


def example_files(example: str) -> dict[str, bytes]:
    """The example's YAML and its referenced files, as bytes."""
    path = example_path(example)
    files = {f"{example}.yaml": path.read_bytes()}
    for rel in EXAMPLES[example]:
        files[rel] = (path.parent / rel).read_bytes()
    return files


def write_case(case: Case, folder: Path) -> Path:
    """Write the case's files under ``folder``; returns the scenario file's path."""
    for rel, data in case.files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return folder / case.scenario_name


# --- values that replace a YAML value ----------------------------------------------------------

_BOMB = "\n".join(
    [f"bomb0: &l0 [{', '.join(['lol'] * 9)}]"]
    + [f"bomb{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]" for k in range(1, 10)]
)

_SCALARS = [
    "0", "-1", "1", "1.0e-300", "1.0e+300", "1e400", "-1e400", ".inf", "-.inf", ".nan", ".NaN",
    "+.inf", "9" * 30, "9" * 5000, "-0.0", "true", "no", "null", "~", '""', "''", "[]", "{}",
    "[1, 2]", "{a: 1}", "[[1], {b: 2}]", '"text"', "text with spaces", "0x1F", "0o17", "1_000",
    "2026-03-20", "2026-13-45", "2026-02-30T00:00:00Z", "2026-03-20T25:00:00Z",
    "2026-03-20T00:00:00+99:00", "!!timestamp nonsense", "!!timestamp 2026-02-30", "!!float abc",
    "!!int abc", "!!binary xx", "!!set {a, b}", "!!python/object:os.system x", "!foo bar",
    "!!str", "*undefined", "&anchor 5", "..", "../../etc", "/etc/passwd", "a/b", ".", ".hidden",
    '"a\\u0000b"', '"\\x01"', "x" * 65, "ISS (ZARYA)", '"é"', "\t", "|\n  block", ">",
    "@reserved", "`tick", "%percent", "'unterminated", '"unterminated', "[unclosed", "{unclosed",
]  # fmt: skip

_TIMESTAMPS = [
    "2026-13-45", "2026-02-30T00:00:00Z", "2026-03-20T25:00:00Z", "2026-03-20T00:00:00+99:00",
    "!!timestamp nonsense", "!!timestamp 2026-02-30", "99999-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-03-20T00:00:00", "2026-03-20",
    "1e400", "[2026]", "{year: 2026}",
]  # fmt: skip

_NAMES = [
    "..", ".", "../x", "/etc/x", "a/b", "a\\\\b", '"a\\u0000b"', '"a\\x01b"', "x" * 65,
    "ISS (ZARYA)", "-lead", "_lead", ".lead", "ok-name", "Fucino", "milsca-0-0", '"nul\\0"',
    '"tab\\t"', "''",
]  # fmt: skip

_CONTROL = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u2028",
            "\ufeff", "\ud800", "\x9f", "\r", "\t"]  # fmt: skip

_KEY_VALUE = re.compile(rb"^(\s*(?:-\s+)?)([A-Za-z_][\w]*):([ \t]+)(\S[^#\n]*?)?(\s*#.*)?$", re.M)
_NUMBER = re.compile(rb"(?<![\w.\-])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])")


def _replace_span(data: bytes, start: int, end: int, new: bytes) -> bytes:
    return data[:start] + new + data[end:]


@st.composite
def _mutate_scenario(draw: st.DrawFn, data: bytes) -> tuple[bytes, str]:
    op = draw(
        st.sampled_from(
            [
                "byte_flip", "control", "delete_line", "duplicate_line", "swap_lines",
                "deep_nesting", "alias_bomb", "alias", "value", "number", "timestamp", "name",
                "huge_string", "non_utf8", "truncate", "indent",
            ]
        )
    )  # fmt: skip
    lines = data.split(b"\n")
    if op == "byte_flip":
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        b = draw(st.integers(0, 255))
        return _replace_span(data, i, i + 1, bytes([b])), f"byte_flip@{i}={b:#x}"
    if op == "control":
        i = draw(st.integers(0, len(data)))
        c = draw(st.sampled_from(_CONTROL)).encode("utf-8", "surrogatepass")
        return _replace_span(data, i, i, c), f"control@{i}={c!r}"
    if op in ("delete_line", "duplicate_line", "swap_lines", "indent"):
        k = draw(st.integers(0, len(lines) - 1))
        if op == "delete_line":
            del lines[k]
        elif op == "duplicate_line":
            lines.insert(k, lines[k])
        elif op == "indent":
            lines[k] = b"  " + lines[k]
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[k], lines[j] = lines[j], lines[k]
        return b"\n".join(lines), f"{op}@{k + 1}"
    if op == "truncate":
        i = draw(st.integers(0, len(data)))
        return data[:i], f"truncate@{i}"
    if op == "non_utf8":
        i = draw(st.integers(0, len(data)))
        bad = draw(
            st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3", b"\xe9", b"\x80\x80", b"\xed\xa0\x80"])
        )
        return _replace_span(data, i, i, bad), f"non_utf8@{i}"
    if op == "alias_bomb":
        where = draw(st.sampled_from(["end", "value"]))
        if where == "end":
            return data + b"\n" + _BOMB.encode() + b"\n", "alias_bomb@end"
        text = _BOMB.replace("\n", "\n  ").encode()
        return data.replace(b"\nseed:", b"\nx:\n  " + text + b"\nseed:", 1), "alias_bomb@x"
    matches = list(_KEY_VALUE.finditer(data))
    nums = list(_NUMBER.finditer(data))
    if not matches or not nums:  # truncated to nothing: add a line instead
        return data + b"\nextra: [1, {a: .inf}]\n", "append"
    if op == "deep_nesting":
        n = draw(st.sampled_from([20, 33, 100, 990, 5000]))
        kind = draw(st.sampled_from(["seq", "map", "block"]))
        if kind == "seq":
            value = b"[" * n + b"1" + b"]" * n
        elif kind == "map":
            value = b"{a: " * n + b"1" + b"}" * n
        else:
            value = b"".join(b"\n" + b"  " * (k + 1) + b"a:" for k in range(min(n, 300))) + b" 1"
        m = draw(st.sampled_from(matches))
        return _replace_span(
            data,
            m.start(4) if m.group(4) else m.end(3),
            m.end(4) if m.group(4) else m.end(3),
            value,
        ), f"deep_{kind}{n}@{m.group(2)!r}"
    if op == "alias":
        a, b = sorted(
            draw(st.lists(st.sampled_from(matches), min_size=2, max_size=2)),
            key=lambda m: m.start(),
        )
        if a.group(4) is None or b.group(4) is None or a.start() == b.start():
            return data, "alias(noop)"
        out = _replace_span(data, b.start(4), b.end(4), b"*ref")
        return _replace_span(
            out, a.start(4), a.start(4), b"&ref "
        ), f"alias {a.group(2)!r}->{b.group(2)!r}"
    if op in ("value", "timestamp", "name", "huge_string"):
        if op == "timestamp":
            cands = [m for m in matches if m.group(2) == b"epoch"] or matches
            new = draw(st.sampled_from(_TIMESTAMPS)).encode()
        elif op == "name":
            cands = [
                m for m in matches
                if m.group(2) in (b"name", b"target", b"station", b"put_station", b"get_station",
                                  b"lost_site", b"tenant", b"bucket", b"ground_site")
            ] or matches  # fmt: skip
            new = draw(st.sampled_from(_NAMES)).encode()
        elif op == "huge_string":
            cands = matches
            new = b"y" * draw(st.sampled_from([200, 70_000, 1_000_000, 5_000_000]))
        else:
            cands = matches
            new = draw(st.sampled_from(_SCALARS)).encode("utf-8", "surrogatepass")
        m = draw(st.sampled_from(cands))
        start = m.start(4) if m.group(4) is not None else m.end(3)
        end = m.end(4) if m.group(4) is not None else m.end(3)
        return _replace_span(data, start, end, new), f"{op} {m.group(2)!r}={new[:30]!r}"
    # number
    m = draw(st.sampled_from(nums))
    new = draw(
        st.sampled_from(
            [
                b".inf",
                b"-.inf",
                b".nan",
                b"0",
                b"-1",
                b"1e400",
                b"1e-400",
                b"9" * 400,
                b"[1]",
                b"{a: 1}",
                b'"5"',
                b"1.5",
            ]
        )
    )
    return _replace_span(data, m.start(), m.end(), new), f"number@{m.start()}={new[:20]!r}"


@st.composite
def _mutate_data_file(draw: st.DrawFn, data: bytes, rel: str) -> tuple[bytes, str]:
    lines = data.split(b"\n")
    op = draw(
        st.sampled_from(
            ["byte_flip", "delete_line", "duplicate_line", "non_utf8", "name", "long_field",
             "nul", "control", "truncate", "inf"]
        )
    )  # fmt: skip
    k = draw(st.integers(0, max(len(lines) - 1, 0)))
    if op == "byte_flip":
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        return _replace_span(
            data, i, i + 1, bytes([draw(st.integers(0, 255))])
        ), f"{rel}:byte_flip@{i}"
    if op == "delete_line":
        del lines[k]
    elif op == "duplicate_line":
        lines.insert(k, lines[k])
    elif op == "non_utf8":
        lines[k] = lines[k] + b"\xff\xfe"
    elif op == "nul":
        lines[k] = lines[k][:3] + b"\x00" + lines[k][3:]
    elif op == "control":
        lines[k] = b"\x1b[31m" + lines[k]
    elif op == "truncate":
        lines = lines[:k]
    elif op == "long_field":
        lines[k] = b"a" * 200_000 + b"," + lines[k]
    elif op == "inf":
        lines[k] = re.sub(rb"\d+\.\d+", b"inf", lines[k], count=1)
    else:  # name: a TLE name line or a CSV station name
        name = draw(
            st.sampled_from(
                [
                    b"..",
                    b".",
                    b"../../x",
                    b"/etc/x",
                    b"a b",
                    b"x" * 70,
                    b"-",
                    b"ISS (ZARYA)",
                    b"\xc3\xa9t\xc3\xa9",
                    b"Tokyo",
                ]
            )
        )
        if rel.endswith(".tle"):
            lines[0] = name
        else:
            body = [
                j for j, ln in enumerate(lines) if ln and not ln.startswith(b"#") and b"," in ln
            ][1:]
            if body:
                j = draw(st.sampled_from(body))
                lines[j] = name + b"," + lines[j].split(b",", 1)[1]
    return b"\n".join(lines), f"{rel}:{op}@{k + 1}"


@st.composite
def cases(draw: st.DrawFn, examples: tuple[str, ...] = tuple(EXAMPLES)) -> Case:
    """A mutated example: one to three mutations of its scenario or referenced files."""
    example = draw(st.sampled_from(examples))
    case = Case(example, example_files(example))
    for _ in range(draw(st.integers(1, 3))):
        targets = list(case.files)
        rel = (
            draw(st.sampled_from(targets))
            if len(targets) > 1 and draw(st.booleans())
            else case.scenario_name
        )
        if rel == case.scenario_name:
            data, what = draw(_mutate_scenario(case.files[rel]))
        else:
            data, what = draw(_mutate_data_file(case.files[rel], rel))
        case.files[rel] = data
        case.applied.append(what)
    return case
