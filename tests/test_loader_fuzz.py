"""Fuzzing the scenario loader with mutated built-in examples.

``load_scenario`` on any mutation raises ``ScenarioError`` or returns a scenario, within a time
bound; a sample of accepted mutations, shortened, runs (``run_pipeline``, every stage,
storage included) without an exception: a scenario that validates runs.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from orbitcloud.run.pipeline import run_pipeline
from orbitcloud.scenario import Scenario, ScenarioError, load_scenario
from scenario_mutations import EXAMPLES, Case, cases, example_files, write_case

#: Mutated cases per run (hypothesis, derandomized: the same cases every run).
N_CASES = 1000
#: Longest time one ``load_scenario`` call may take [s] (typical: 0.01-0.2 s).
LOAD_TIMEOUT_S = 10.0


def _load_with_timeout(path: Path) -> tuple[str, Any]:
    """("ok", scenario), ("refused", ScenarioError), ("crash", other exception) or
    ("hang", None) after LOAD_TIMEOUT_S."""
    out: list[tuple[str, Any]] = []

    def target() -> None:
        try:
            out.append(("ok", load_scenario(path)))
        except ScenarioError as exc:
            out.append(("refused", exc))
        except BaseException as exc:  # the test reports any other exception
            out.append(("crash", exc))

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(LOAD_TIMEOUT_S)
    return out[0] if out else ("hang", None)


@settings(
    max_examples=N_CASES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases())
def test_mutated_examples_load_or_raise_scenario_error(case: Case) -> None:
    """Any mutation of an example is loaded or refused with ScenarioError, in bounded time,
    and every problem line is short (a huge value cannot make a huge message)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_case(case, Path(tmp))
        t0 = time.perf_counter()
        outcome, value = _load_with_timeout(path)
        elapsed = time.perf_counter() - t0
    assert outcome != "hang", f"load_scenario hung (> {LOAD_TIMEOUT_S} s) on {case.applied}"
    assert outcome != "crash", f"{type(value).__name__}: {value!s:.300} from {case.applied}"
    assert elapsed < LOAD_TIMEOUT_S
    if outcome == "refused":
        assert value.problems, case.applied
        assert all(len(str(p)) <= 2000 for p in value.problems), case.applied


# --- validate => run --------------------------------------------------------------------------

#: Accepted mutations run end to end.
N_RUNS = 10

_EDGE_NUMBERS = ["0", "1", "-1", "0.001", "1e-9", "7", "59", "61", "3599", "86400", "1e9",
                 "1e12", "1e15", "1e30", "1000000"]  # fmt: skip


def _accepted_mutations(n: int, seed: int = 14) -> list[tuple[str, Scenario]]:
    """The first ``n`` seeded number edits of the examples that ``load_scenario`` accepts
    (each replaces one to three numbers of the scenario text with edge values)."""
    import re

    rng = random.Random(seed)
    number = re.compile(rb"(?<=: )-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?=\s)")
    found: list[tuple[str, Scenario]] = []
    names = list(EXAMPLES)
    for attempt in range(400):
        example = names[attempt % len(names)]
        files = example_files(example)
        text = files[f"{example}.yaml"]
        edits = []
        for _ in range(rng.randint(1, 3)):
            spans = list(number.finditer(text))
            m = rng.choice(spans)
            new = rng.choice(_EDGE_NUMBERS).encode()
            line = text[: m.start()].count(b"\n") + 1
            edits.append(f"{line}:{new.decode()}")
            text = text[: m.start()] + new + text[m.end() :]
        files[f"{example}.yaml"] = text
        with tempfile.TemporaryDirectory() as tmp:
            try:
                sc = load_scenario(write_case(Case(example, files), Path(tmp)))
            except ScenarioError:
                continue
        found.append((f"{example} {' '.join(edits)}", sc))
        if len(found) == n:
            break
    return found


def _shortened(sc: Scenario) -> Scenario | None:
    """``sc`` over ten minutes with a tiny workload and storage demo (None: that is invalid)."""
    d = sc.model_dump()
    d["duration_s"] = 600.0
    d["step_s"] = min(d["step_s"], 60.0)
    if d.get("workload"):
        d["workload"]["areas"] = d["workload"]["areas"][:1]
        for r in d["workload"]["requests"]:
            r["count"] = min(r["count"], 2)
    if d.get("storage"):
        for w in d["storage"]["workloads"]:
            w["objects"] = min(w["objects"], 2)
            w["object_bytes"] = min(w["object_bytes"], 10_000)
    try:
        return Scenario.model_validate(d)
    except ValueError:
        return None


def test_mutated_scenarios_that_validate_run(tmp_path) -> None:
    """Accepted mutations (numbers changed to edge values), shortened, run the pipeline and
    the storage demo without an exception."""
    found = _accepted_mutations(N_RUNS)
    assert len(found) == N_RUNS
    failures = []
    for k, (label, scenario) in enumerate(found):
        short = _shortened(scenario)
        if short is None:
            continue
        try:
            run_pipeline(short, store_root=tmp_path / f"store-{k}")  # every stage
        except Exception as exc:  # collect them all, then report
            failures.append(f"{label}: {type(exc).__name__}: {exc!s:.300}")
    assert not failures, "\n".join(failures)
