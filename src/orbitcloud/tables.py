"""Notebook helpers shared by the result objects: one ``to_pandas`` for every object with a
``to_arrow``, and the small HTML pieces of their ``_repr_html_`` (every value escaped with
:func:`html.escape`, the whole a well-formed fragment under one ``<div>``).

This module sits below every stage (it imports nothing of orbitcloud), like ``units.py``."""

from __future__ import annotations

import datetime as dt
import html
import importlib.util
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ArrowTable",
    "arrow_html",
    "fmt_bytes",
    "fmt_utc",
    "fmt_value",
    "html_table",
    "summary_html",
]

#: Rows shown by a ``_repr_html_`` table.
HEAD_ROWS = 10
#: Longest cell text shown (longer ones end in "…").
MAX_CELL_CHARS = 80


class _ArrowSource(Protocol):
    def to_arrow(self, *args: Any, **kwargs: Any) -> pa.Table: ...


class ArrowTable:
    """Mixin of the table objects: :meth:`to_pandas` is ``self.to_arrow(...).to_pandas()``
    with the same arguments, so its columns and dtypes are always the Arrow table's."""

    __slots__ = ()

    def to_pandas(self: _ArrowSource, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """The table as a pandas DataFrame: ``to_arrow(*args, **kwargs).to_pandas()``
        (dictionary-encoded strings become categoricals, as pyarrow converts them).

        Raises:
            ImportError: pandas is not installed (``pip install 'orbitcloud[notebook]'``).
        """
        if importlib.util.find_spec("pandas") is None:
            raise ImportError(
                "to_pandas needs pandas, which is not installed: "
                "pip install pandas (or 'orbitcloud[notebook]')"
            )
        return self.to_arrow(*args, **kwargs).to_pandas()


def fmt_value(v: Any) -> str:
    """A cell's text (not yet escaped): floats to 6 significant digits, None as empty, lists
    joined, anything longer than :data:`MAX_CELL_CHARS` cut with "…"."""
    if v is None:
        text = ""
    elif isinstance(v, bool):
        text = str(v)
    elif isinstance(v, float):
        text = f"{v:.6g}" if math.isfinite(v) else str(v)
    elif isinstance(v, dt.datetime):
        text = fmt_utc(v)
    elif isinstance(v, list | tuple):
        text = "[" + ", ".join(fmt_value(x) for x in v) + "]"
    else:
        text = str(v)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


def fmt_bytes(n_bytes: float) -> str:
    """Bytes in decimal units: ``1.23 TB``."""
    if not math.isfinite(n_bytes):
        return str(n_bytes)
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n_bytes) >= scale:
            return f"{n_bytes / scale:.3g} {unit}"
    return f"{n_bytes:.0f} B"


def fmt_utc(t: dt.datetime) -> str:
    """An aware datetime as ``YYYY-MM-DD HH:MM:SS UTC`` (naive ones are taken as UTC)."""
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC)
    return t.strftime("%Y-%m-%d %H:%M:%S UTC")


def html_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], caption: str = "") -> str:
    """A small HTML table: a header of ``columns``, one ``<tr>`` per row, every cell
    :func:`fmt_value` then escaped."""
    esc = html.escape
    head = "".join(f"<th>{esc(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(fmt_value(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def arrow_html(table: pa.Table, total_rows: int | None = None, max_rows: int = HEAD_ROWS) -> str:
    """The first ``max_rows`` rows of an Arrow table as :func:`html_table`, captioned with
    how many of ``total_rows`` (default: the table's) they are."""
    total = table.num_rows if total_rows is None else total_rows
    head = table.slice(0, max_rows)
    data = head.to_pydict()
    rows = zip(*(data[c] for c in head.column_names), strict=True)
    shown = head.num_rows
    caption = f"first {shown} of {total:,} rows" if shown < total else f"{total:,} rows"
    return html_table(head.column_names, rows, caption)


def summary_html(title: str, items: Sequence[tuple[str, Any]], *parts: str) -> str:
    """One ``<div>``: a bold title, a two-column table of ``(name, value)`` items, then the
    already-rendered ``parts`` (e.g. :func:`arrow_html` of the first rows)."""
    esc = html.escape
    kv = "".join(
        f"<tr><th style='text-align:left'>{esc(k)}</th><td>{esc(fmt_value(v))}</td></tr>"
        for k, v in items
    )
    return (
        f"<div class='orbitcloud'><p><strong>{esc(title)}</strong></p>"
        f"<table><tbody>{kv}</tbody></table>{''.join(parts)}</div>"
    )
