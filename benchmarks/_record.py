"""Shared by the benchmark scripts: print a result and append it to results/<name>.jsonl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def record(name: str, result: dict[str, Any]) -> None:
    print(json.dumps(result, indent=2))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    with (out / f"{name}.jsonl").open("a") as f:
        f.write(json.dumps(result) + "\n")
