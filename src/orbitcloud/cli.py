"""The ``orbitcloud`` command line.

Every command takes a scenario file or a built-in example name. Failures print one line per
problem and exit non-zero, with no traceback: 2 for what is refused before any work starts (an
invalid scenario, a run estimated to need more memory than the machine has or ``--max-memory``
allows, an output path that cannot be written), 1 for errors during the work.
"""

from __future__ import annotations

import inspect
import json
import math
import sys
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from orbitcloud.examples import example_path, list_examples
from orbitcloud.progress import RichProgress
from orbitcloud.scenario import Scenario, ScenarioError, load_scenario
from orbitcloud.scenario.workload import MODES

app = typer.Typer(
    name="orbitcloud",
    help="Digital twin of data centres in orbit: scenario → orbits → contact plan → network.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

Source = Annotated[
    str,
    typer.Argument(metavar="SCENARIO", help="scenario file (.yaml/.toml) or built-in example name"),
]


class ContactFormat(StrEnum):
    parquet = "parquet"
    ion = "ion"
    hdtn = "hdtn"


def _load(source: str) -> Scenario:
    try:
        return load_scenario(source)
    except ScenarioError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        raise typer.Exit(2) from None


def _csv_rows(
    path: Path, what: str, need: tuple[str, ...], code: int = 2
) -> list[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of a CSV with a header (the csv module), each row having every
    column of ``need``; a file that cannot be read, or a row missing one, is one line and exit
    ``code``."""
    import csv

    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _fail(f"cannot read {what} file {path}: {exc}", code) from None
    out = []
    for i, row in enumerate(rows, start=2):
        missing = [k for k in need if not (row.get(k) or "").strip()]
        if missing:
            header = ",".join(need)
            raise _fail(f"{path}:{i}: missing {', '.join(missing)} (header: {header})", code)
        out.append((i, row))
    if not out:
        raise _fail(f"{path}: no {what} (one row each after the header)", code)
    return out


def _fail(message: str, code: int = 1) -> typer.Exit:
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code)


MaxMemory = Annotated[
    str | None,
    typer.Option(
        "--max-memory",
        help="refuse up front what is estimated to need more memory than this, e.g. 8GiB "
        "(default: the memory available on this machine)",
    ),
]


def _budget(
    sc: Scenario,
    max_memory: str | None,
    workers: int = 1,
    command: str = "run",
    route_pairs: int = 0,
) -> Any:
    """The resource estimate of ``command`` on ``sc``; exit 2 with one line if it does not
    fit (see :mod:`orbitcloud.budget`)."""
    from orbitcloud.budget import BudgetError, check_budget, parse_bytes

    try:
        limit = parse_bytes(max_memory) if max_memory is not None else None
    except ValueError as exc:
        raise _fail(f"--max-memory: {exc}", 2) from None
    try:
        return check_budget(sc, limit, workers, command, route_pairs)
    except BudgetError as exc:
        raise _fail(str(exc), 2) from None
    except ValueError as exc:  # e.g. satellites that cannot be built
        raise _fail(str(exc), 2) from None


def _workers(workers: int | None, scheduler: str | None) -> int:
    """Local workers to use (capped at the cores, with a one-line warning); 1 with Dask."""
    from orbitcloud.executor import capped_workers

    if scheduler:
        return 1
    try:
        n, note = capped_workers(workers)
    except ValueError as exc:
        raise _fail(f"--workers: {exc}", 2) from None
    if note:
        print(f"warning: {note}", file=sys.stderr)
    return n


def _check_file(path: Path, what: str) -> None:
    from orbitcloud.run.folder import OutputError, check_output_file

    try:
        check_output_file(path, what)
    except OutputError as exc:
        raise _fail(str(exc), 2) from None


def _write_table(path: Path, command: str, sc: Scenario, table: Any) -> None:
    """``table`` (pyarrow) as a query-ready Parquet file (:mod:`orbitcloud.run.tables`: the
    schema of ``OUTPUT_SCHEMA[command]``, run_id ``<scenario>-<utc stamp>``, UTC twins of the
    epoch times, NULL for missing), written atomically."""
    import pyarrow.parquet as pq

    from orbitcloud.run.folder import utc_stamp
    from orbitcloud.run.tables import OUTPUT_SCHEMA, conform

    ready = conform(OUTPUT_SCHEMA[command], table, f"{sc.name}-{utc_stamp()}", sc.epoch)
    _write(path, lambda p: pq.write_table(ready, p, compression="zstd"))


def _write(path: Path, write: Callable[[Path], object]) -> None:
    """``write`` to ``path`` atomically (temporary name, rename); one line on failure."""
    from orbitcloud.run.folder import atomic_output

    try:
        atomic_output(path, write)
    except OSError as exc:
        raise _fail(f"cannot write {path}: {exc.strerror or exc}") from None


@app.command()
def examples() -> None:
    """List the built-in example scenarios (run one with `orbitcloud run NAME`)."""
    from orbitcloud.orbits.satellites import build_satellites

    table = Table("name", "satellites", "ground stations", "description")
    for name in list_examples():
        sc = load_scenario(example_path(name))
        table.add_row(
            name,
            str(build_satellites(sc).n_sat),
            str(len(sc.ground_stations)),
            sc.description.split("\n")[0],
        )
    out.print(table)


@app.command()
def validate(source: Source, max_memory: MaxMemory = None) -> None:
    """Check a scenario; print every problem as file:line: field: message, and the run's
    estimated memory and time. Exit 2 if invalid or if the run would not fit in memory."""
    from orbitcloud.budget import format_bytes

    sc = _load(source)
    e = _budget(sc, max_memory, command="validate")
    out.print(
        f"ok: {sc.name}: {e.n_sat} satellites, {len(sc.ground_stations)} ground stations, "
        f"{len(sc.isls)} ISL set(s), {sc.duration_s:g} s at {sc.step_s:g} s steps; "
        f"a run needs ~{format_bytes(e.memory_bytes)} of memory and ~{e.seconds:.2g} s"
    )


@app.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editor validation and autocompletion)."""
    out.print_json(json.dumps(Scenario.model_json_schema()))


Workers = Annotated[
    int | None, typer.Option(help="local worker processes (default: all cores; 1 = none)")
]
Scheduler = Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786")]


def _run(
    sc: Scenario,
    workers: int | None,
    scheduler: str | None,
    stages: tuple[str, ...] | None = None,
    store_root: Path | None = None,
) -> Any:
    from orbitcloud.executor import make_executor
    from orbitcloud.run.pipeline import run_pipeline

    try:
        with make_executor(workers, scheduler) as ex:
            return run_pipeline(
                sc, progress=RichProgress(), executor=ex, stages=stages, store_root=store_root
            )
    except (ValueError, RuntimeError) as exc:
        raise _fail(str(exc)) from None


Inputs = Annotated[
    str,
    typer.Option(
        help="run: simulate the scenario (through compute) and assess with its sunlit "
        "fraction, sustained compute and utilisation; analytic: the closed-form values, "
        "no simulation"
    ),
]
FromRun = Annotated[
    Path | None,
    typer.Option(
        help="take the run inputs from this run folder's metrics.json (written by "
        "`orbitcloud run` for the same scenario) instead of simulating"
    ),
]


StepS = Annotated[float | None, typer.Option(help="override the scenario's step_s [s]")]
DurationS = Annotated[float | None, typer.Option(help="override the scenario's duration_s [s]")]


def _with_grid(sc: Scenario, step_s: float | None, duration_s: float | None) -> Scenario:
    """``sc`` with ``--step-s``/``--duration-s`` applied (validated like the file)."""
    update = {k: v for k, v in (("step_s", step_s), ("duration_s", duration_s)) if v is not None}
    if not update:
        return sc
    try:
        return Scenario.model_validate({**sc.model_dump(), **update})
    except ValueError as exc:
        raise _fail(f"--step-s/--duration-s: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return "; ".join(lines[:3]) if lines else type(exc).__name__


@app.command()
def run(
    source: Source,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="parent folder of run folders")
    ] = Path("runs"),
    workers: Workers = None,
    scheduler: Scheduler = None,
    step_s: StepS = None,
    duration_s: DurationS = None,
    max_memory: MaxMemory = None,
) -> None:
    """Run a scenario: write runs/<name>-<stamp>/ (manifest, tables, report) and print a
    summary. The folder appears under its final name only once complete."""
    from orbitcloud.run.folder import (
        OutputError,
        PartialRunFolder,
        check_output_dir,
        write_run_folder,
    )
    from orbitcloud.summary import summarise

    sc = _with_grid(_load(source), step_s, duration_s)
    n_workers = _workers(workers, scheduler)
    e = _budget(sc, max_memory, n_workers)
    try:
        check_output_dir(out_dir, "--out", e.disk_bytes)
        if sc.storage is not None and sc.storage.path:
            check_output_dir(Path(sc.storage.path), "storage.path")
    except OutputError as exc:
        raise _fail(str(exc), 2) from None
    t0 = time.perf_counter()
    try:  # the run's object store goes inside the folder being written
        partial = PartialRunFolder.begin(out_dir, sc.name)
    except OSError as exc:
        raise _fail(f"creating the run folder under {out_dir}: {_first_line(exc)}") from None
    try:
        result = _run(sc, n_workers, scheduler, store_root=partial.partial / "storage")
    except BaseException as exc:
        partial.interrupt(exc)
        raise
    summary = summarise(result)
    assessment = _assess_run(sc, summary)
    try:
        folder = write_run_folder(
            result,
            summary,
            out_dir,
            scenario_file=source,
            assessment=None if assessment is None else assessment.to_dict(),
            folder=partial,
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise _fail(f"writing the run folder under {out_dir}: {_first_line(exc)}") from None
    _print_summary(summary)
    if assessment is not None:
        _print_assessment(assessment)
        _print_roadmap(assessment)
        _print_run_inputs(sc, summary)
    from orbitcloud.report import RunFolderError, write_report

    try:
        out.print(f"report: {write_report(folder)}")
    except (RunFolderError, OSError) as exc:
        err.print(f"[yellow]report skipped:[/] {exc}")
    out.print(f"run folder: {folder}  ({time.perf_counter() - t0:.1f} s)")


def _assess(sc: Scenario, summary: dict[str, Any] | None = None, **options: Any) -> Any:
    """``assess_scenario``; a fleet that delivers no IT energy gives per-kWh values of inf
    (printed n/a, null in JSON) rather than divide-by-zero warnings on the terminal."""
    import numpy as np

    from orbitcloud.assess import assess_scenario

    with np.errstate(divide="ignore", invalid="ignore"):
        return assess_scenario(sc, summary, **options)


def _assess_run(sc: Scenario, summary: dict[str, Any], alone: Any = None, **options: Any) -> Any:
    """The assessment of a run (None, with a warning and ``summary["assessment_skipped"]``
    for the report, when the scenario cannot be assessed); ``alone``: the assessment with the
    analytic inputs, when already computed."""
    try:
        a = _assess(sc, summary, **options)
    except ValueError as exc:
        err.print(f"[yellow]assessment skipped:[/] {exc}")
        summary["assessment_skipped"] = str(exc)
        return None
    o, g, be = a.orbital, a.ground, a.break_even
    if alone is None:  # `orbitcloud assess --inputs analytic`: no simulation
        alone = _assess(sc, **options)
    summary["assessment"] = {
        "orbital_co2e_kg_per_kwh": o["co2e_kg_per_kwh"],
        "ground_co2e_kg_per_kwh": g["co2e_kg_per_kwh"],
        "break_even_launcher_kgco2e_per_kg": be["launcher_kgco2e_per_kg"],
        "without_run_inputs": {
            "orbital_co2e_kg_per_kwh": alone.orbital["co2e_kg_per_kwh"],
            "break_even_launcher_kgco2e_per_kg": alone.break_even["launcher_kgco2e_per_kg"],
        },
    }
    return a


def _print_run_inputs(sc: Scenario, summary: dict[str, Any] | None) -> None:
    """Which inputs a run replaced in the assessment, and what they change (``run`` and
    ``assess`` differ by exactly these)."""
    from orbitcloud.assess.fleet import run_inputs

    items = run_inputs(sc, summary)
    if summary is None:
        text = ", ".join(f"{i.name} {_num(i.analytic, '.3f')}" for i in items if i.analytic)
        out.print(
            f"inputs without a run (analytic): {text}; without --inputs analytic, the run's "
            "sunlit fraction, sustained compute (power and thermal limited) and utilisation "
            "replace them"
        )
        return
    got = [i for i in items if i.run is not None]
    if not got:
        return
    text = ", ".join(
        f"{i.name} {_num(i.analytic, '.3f')} -> {_num(i.run, '.3f')}"
        if i.analytic is not None
        else f"{i.name} {_num(i.run, '.3f')} (else parameter ops.{i.name})"
        for i in got
    )
    if not summary.get("assessment"):  # the run's inputs, without its assessment block
        out.print(f"from the run: {text}")
        return
    a, w = summary["assessment"], summary["assessment"]["without_run_inputs"]
    out.print(
        f"from the run: {text}; orbital CO2e "
        f"{_num(w['orbital_co2e_kg_per_kwh'], '.3f')} -> "
        f"{_num(a['orbital_co2e_kg_per_kwh'], '.3f')} kgCO2e/kWh, break-even "
        f"{_num(w['break_even_launcher_kgco2e_per_kg'], '.0f')} -> "
        f"{_num(a['break_even_launcher_kgco2e_per_kg'], '.0f')} kgCO2e/kg "
        "(`orbitcloud assess --inputs analytic` gives the analytic values)"
    )


def _print_summary(s: dict[str, Any]) -> None:
    table = Table(title=f"orbitcloud run: {s['scenario']}", show_header=False)
    rows = [
        ("satellites", f"{s['satellites']}"),
        ("ground stations", f"{s['ground_stations']}"),
        ("time steps", f"{s['time_steps']} over {s['duration_s'] / 3600:g} h"),
        ("contacts (directed)", f"{s['contacts_directed']}"),
        ("ground passes", f"{s['ground_passes']}, mean {s['mean_pass_s']:.0f} s"),
        ("ISL pairs / windows", f"{s['isl_pairs']} / {s['isl_windows']}"),
        ("sunlit fraction", f"{s['sunlit_fraction']:.3f}"),
    ]
    if s.get("power"):
        p = s["power"]
        rows.append(
            (
                "compute sustained (full load asked)",
                f"{p['compute_sustained_fraction']:.1%} of rated compute power",
            )
        )
        rows.append(("min battery state of charge", f"{p['min_battery_soc']:.1%}"))
        if p["max_temperature_c"] == p["max_temperature_c"]:  # not NaN
            rows.append(("max node temperature", f"{p['max_temperature_c']:.1f} °C"))
        if p["unmet_kwh"] > 0:
            rows.append(("unmet bus load", f"{p['unmet_kwh']:.2f} kWh"))
    rows += _compute_rows(s.get("compute"))
    if s.get("storage"):
        st = s["storage"]
        rows.append(
            (
                "stored objects",
                f"{st['objects_put']} put, {st['objects_durable']} durable, "
                f"{st['objects_readable_at_end']} readable at the end, "
                f"{st['objects_lost']} lost, {st['objects_refused']} refused",
            )
        )
    if s.get("restore"):
        r = s["restore"]
        rows.append(
            (
                "ground restore",
                f"{r['restore_days']:.2f} days ({r['bytes_per_day'] / 1e12:.0f} TB/day)",
            )
        )
    if s["propagation_failures"]:
        rows.append(("SGP4 failures (samples)", f"{s['propagation_failures']}"))
    if s["max_element_age_days"] > 14:
        rows.append(
            (
                "warning",
                f"elements are up to {s['max_element_age_days']:.0f} days from the run's epoch: "
                "SGP4 errors grow by ~1-3 km per day from a TLE's epoch",
            )
        )
    for k, v in rows:
        table.add_row(k, v)
    out.print(table)
    if s["stations"]:
        headers = ("station", "passes", "mean pass (s)", "gaps", "longest gap (min)", "no-contact")
        st = Table(*headers, title="coverage per ground station")
        shown = sorted(s["stations"], key=lambda r: -r["gap_fraction"])
        for r in shown[:12]:
            st.add_row(
                r["station"],
                str(r["passes"]),
                f"{r['mean_pass_s']:.0f}",
                str(r["gaps"]),
                f"{r['max_gap_s'] / 60:.1f}",
                f"{r['gap_fraction']:.1%}",
            )
        if len(shown) > 12:
            st.caption = (
                f"{len(shown) - 12} more stations in metrics.json (worst coverage shown first)"
            )
        out.print(st)
    timings = ", ".join(f"{k} {v:.2f} s" for k, v in s["timings_s"].items())
    out.print(f"stage timings: {timings}")


def _compute_rows(c: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Summary rows of the compute workload (orbit vs ground)."""
    if not c:
        return []

    def mode_row(m: dict[str, Any]) -> str:
        t = m["median_time_to_product_s"]
        late = m["late"] + m["failed"] + m["unfinished"] + m["dropped"]
        return (
            f"{m['done']} on time, {late} not; product in {t:.1f} s (median), "
            f"downlink {m['downlink_bytes'] / 1e9:,.0f} GB, energy {m['energy_j'] / 3.6e6:.2f} kWh"
            if t is not None
            else f"{m['done']} on time, {late} not"
        )

    by = c["jobs_by_input"]
    what = [f"{by['capture']} tiles from {c['captures']} captures"] if by["capture"] else []
    what += [f"{by[k]} with input {at}" for k, at in (("station", "at a station"),
             ("storage", "in orbital storage")) if by[k]]  # fmt: skip
    rows = [("jobs", "; ".join(what))]
    for mode in ("orbit", "ground"):
        if mode in c:
            rows.append(
                (f"  processed {'in orbit' if mode == 'orbit' else 'on ground'}", mode_row(c[mode]))
            )
    if "orbit" in c:
        o = c["orbit"]
        rows.append(
            ("  compute utilisation", f"{o['utilisation']:.2%}; {o['retries']} upset retries")
        )
    for kind, label in (("station", "  inputs at a station"), ("storage", "  inputs in storage")):
        per = [
            f"{m}: {_kind_row(c[m]['by_input'][kind])}"
            for m in MODES
            if kind in c.get(m, {}).get("by_input", {})
        ]
        if per:
            rows.append((label, "; ".join(per)))
    cmp = c.get("comparison")
    if cmp and cmp["downlink_ratio"] is not None:
        rows.append(
            (
                "  in orbit vs ground",
                f"downlink x{cmp['downlink_ratio']:.3f}, energy x{cmp['energy_ratio']:.2f}, "
                f"time to product x{cmp['median_time_to_product_ratio']:.2f}",
            )
        )
    rows.append(
        ("  engine", f"{c['engine_events']:,} events, {c['engine_events_per_s']:,} events/s")
    )
    return rows


def _kind_row(v: dict[str, Any]) -> str:
    """'3/4 on time, product in 120 s' for one input kind of one mode."""
    t = v["median_time_to_product_s"]
    return f"{v['done']}/{v['jobs']} on time, " + (
        f"product in {t:.0f} s" if t is not None else "no product"
    )


@app.command()
def contacts(
    source: Source,
    fmt: Annotated[
        ContactFormat, typer.Option("--format", "-f", help="output format")
    ] = ContactFormat.parquet,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="output file (default: contacts.parquet / .ionrc / .json)"
        ),
    ] = None,
    ion_times: Annotated[
        str | None,
        typer.Option(
            "--ion-times",
            help="ION times: `relative` (+<s>, counted from when ionadmin loads the file; "
            "default) or `absolute` (yyyy/mm/dd-hh:mm:ss UTC from the scenario epoch)",
        ),
    ] = None,
    hdtn_times: Annotated[
        str | None,
        typer.Option(
            "--hdtn-times",
            help="HDTN times: `relative` (s after the epoch, counted from when the router "
            "loads the plan; default) or `unix` (s since 1970, for --use-unix-timestamp)",
        ),
    ] = None,
    node_numbers: Annotated[
        Path | None,
        typer.Option(
            "--node-numbers",
            help="CSV `name,node_number` (header optional) giving nodes a deployment's ION/HDTN "
            "node numbers; the others keep node index + 1",
        ),
    ] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_memory: MaxMemory = None,
) -> None:
    """Compute the contact plan and write it as Parquet, ION contact-plan commands or HDTN JSON."""
    suffix = {ContactFormat.parquet: ".parquet", ContactFormat.ion: ".ionrc",
              ContactFormat.hdtn: ".json"}  # fmt: skip
    for flag, value, allowed, wants in (
        ("--ion-times", ion_times, ("relative", "absolute"), ContactFormat.ion),
        ("--hdtn-times", hdtn_times, ("relative", "unix"), ContactFormat.hdtn),
    ):
        if value is not None and value not in allowed:
            raise _fail(f"{flag} {value!r}: expected {' or '.join(allowed)}", 2)
        if value is not None and fmt is not wants:
            raise _fail(f"{flag} applies to --format {wants.value}, not {fmt.value}", 2)
    if node_numbers is not None and fmt is ContactFormat.parquet:
        raise _fail("--node-numbers applies to --format ion or hdtn, not parquet", 2)
    if output is None:
        output = Path("contacts" + suffix[fmt])
    elif output.suffix.lower() in suffix.values() and output.suffix.lower() != suffix[fmt]:
        raise _fail(
            f"--output {output}: a {output.suffix} file for --format {fmt.value}; name it "
            f"*{suffix[fmt]} or give the --format its suffix stands for",
            2,
        )
    from orbitcloud.links.nodenumbers import NodeNumberError, read_node_numbers

    if node_numbers is not None:
        try:  # the file's own errors before the (long) contact search; names after it
            read_node_numbers(node_numbers)
        except NodeNumberError as exc:
            raise _fail(str(exc), 2) from None
    sc = _load(source)
    _check_file(output, "--output")
    n_workers = _workers(workers, scheduler)
    _budget(sc, max_memory, n_workers, "contacts")
    plan = _run(sc, n_workers, scheduler, stages=("contacts",)).contacts
    numbers = None
    if node_numbers is not None:
        try:
            numbers = read_node_numbers(node_numbers, plan.nodes)
        except NodeNumberError as exc:
            raise _fail(str(exc), 2) from None
    if fmt is ContactFormat.parquet:
        _write_table(output, "contacts", sc, plan.to_arrow())
    elif fmt is ContactFormat.ion:
        import datetime as dt

        from orbitcloud.links.ion import (
            ION_DEFAULT_HEAP_WORDS,
            ION_DEFAULT_WM_SIZE,
            ION_MAX_RATE_BYTES_PER_S,
            IonTimeError,
            IonTimes,
            ion_clamped_rows,
            ion_dropped_rows,
            ion_plan_sizing,
            to_ion,
        )

        absolute = ion_times == "absolute"
        mode: IonTimes = "absolute" if absolute else "relative"
        now = dt.datetime.now(dt.UTC)
        try:
            text = to_ion(plan, times=mode, now=now, node_numbers=numbers)
        except IonTimeError as exc:
            raise _fail(str(exc), 2) from None
        clamped = ion_clamped_rows(plan, mode)
        if clamped:
            err.print(
                f"[yellow]warning:[/] {clamped} contact rate(s) above ION's 32-bit limit "
                f"clamped to {ION_MAX_RATE_BYTES_PER_S} bytes/s"
            )
        dropped = ion_dropped_rows(plan, now) if absolute else 0
        if dropped:
            err.print(
                f"[yellow]warning:[/] {dropped} exported contact(s) ended before now "
                f"({now:%Y/%m/%d-%H:%M:%S} UTC); ION drops them on loading",
                soft_wrap=True,
            )
        size = ion_plan_sizing(plan, mode)
        if size.exceeds_defaults:
            print(
                f"hint: this plan needs ionconfig heapWords {size.heap_words_recommended} and "
                f"wmSize {size.wm_size_recommended} (ION's defaults {ION_DEFAULT_HEAP_WORDS} "
                f"and {ION_DEFAULT_WM_SIZE} are too small); see the file's header",
                file=sys.stderr,
            )
        _write(output, lambda p: p.write_text(text, encoding="utf-8"))
    else:
        from orbitcloud.links.hdtn import HdtnTimeError, to_hdtn

        try:
            data = to_hdtn(
                plan, times="unix" if hdtn_times == "unix" else "relative", node_numbers=numbers
            )
        except HdtnTimeError as exc:
            raise _fail(str(exc), 2) from None
        text = json.dumps(data, indent=2) + "\n"
        _write(output, lambda p: p.write_text(text, encoding="utf-8"))
    out.print(f"{len(plan)} contacts → {output} ({fmt.value})")


@app.command()
def routes(
    source: Source,
    pairs: Annotated[
        str, typer.Option(help="`all-ground`, or a CSV file of `src,dst` endpoint names")
    ] = "all-ground",
    output: Annotated[Path, typer.Option("--output", "-o", help="Parquet output")] = Path(
        "routes.parquet"
    ),
    step_s: StepS = None,
    duration_s: DurationS = None,
    paths: Annotated[bool, typer.Option(help="write the hop list of every route")] = True,
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_memory: MaxMemory = None,
) -> None:
    """Shortest-delay routes between endpoints at every time step (t_s, src, dst, rtt_ms,
    hops, path), written to Parquet, with a summary. Steps run in parallel on local worker
    processes or a Dask cluster; the output is identical either way."""
    import numpy as np

    from orbitcloud.executor import make_executor
    from orbitcloud.run.pipeline import all_ground_pairs, run_routes

    sc = _with_grid(_load(source), step_s, duration_s)
    _check_file(output, "--output")
    if pairs == "all-ground":
        src, dst = all_ground_pairs(sc)
    else:
        import csv

        try:
            with Path(pairs).open(newline="", encoding="utf-8") as f:
                rows = [r for r in csv.reader(f) if any(c.strip() for c in r)]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise _fail(f"cannot read pairs file: {exc}") from None
        if rows and [c.strip().lower() for c in rows[0]] == ["src", "dst"]:
            rows = rows[1:]  # an optional `src,dst` header
        bad = [i + 1 for i, r in enumerate(rows) if len(r) != 2]
        if bad:
            raise _fail(f"{pairs}:{bad[0]}: expected `src,dst` (two endpoint names)")
        src, dst = [r[0].strip() for r in rows], [r[1].strip() for r in rows]
    if not src:
        raise _fail("no endpoint pairs (a scenario needs two ground stations for all-ground)")
    n_workers = _workers(workers, scheduler)
    _budget(sc, max_memory, n_workers, "routes", len(src))
    try:
        with make_executor(n_workers, scheduler) as ex:
            table, timings = run_routes(
                sc, src, dst, keep_paths=paths, progress=RichProgress(), executor=ex
            )
    except (ValueError, RuntimeError) as exc:
        raise _fail(str(exc)) from None
    _write_table(output, "routes", sc, table.to_arrow())
    n_step = table.t_s.size
    rtt = table.rtt_ms[np.isfinite(table.rtt_ms)]
    ms_per_step = 1000.0 * sum(timings.values()) / max(n_step, 1)
    hours = max(sc.duration_s, sc.step_s) / 3600.0
    summary = Table(title=f"routes: {sc.name}", show_header=False)
    for k, v in (
        ("pairs x steps", f"{len(src)} x {n_step}"),
        ("reachable", f"{np.isfinite(table.rtt_ms).mean():.1%}"),
        (
            "RTT median / p95 (ms)",
            f"{np.median(rtt):.1f} / {np.percentile(rtt, 95):.1f}" if rtt.size else "-",
        ),
        ("mean hops", f"{table.hops[table.hops >= 0].mean():.2f}" if rtt.size else "-"),
        ("path changes per pair per hour", f"{table.path_changes.mean() / hours:.1f}"),
        (f"wall time per step ({ex.workers} workers)", f"{ms_per_step:.2f} ms"),
    ):
        summary.add_row(k, v)
    out.print(summary)
    out.print(f"{table.rtt_ms.size} routes → {output}")


@app.command()
def transfers(
    source: Source,
    requests: Annotated[
        Path,
        typer.Argument(help="CSV with header src,dst,size_bytes,start_s (and optional name)"),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Parquet output")] = Path(
        "transfers.parquet"
    ),
    max_memory: MaxMemory = None,
) -> None:
    """Bulk transfers sharing the network max-min fairly: completion time and throughput of
    each, written to Parquet, with a summary."""

    import numpy as np

    from orbitcloud.network.transfers import Transfer
    from orbitcloud.run.pipeline import run_transfers

    sc = _load(source)
    _check_file(output, "--output")
    _budget(sc, max_memory, 1, "transfers")
    items = []
    need = ("src", "dst", "size_bytes", "start_s")
    for i, row in _csv_rows(requests, "transfers", need, code=1):
        try:
            size, start = float(row["size_bytes"]), float(row["start_s"])
        except ValueError:
            raise _fail(f"{requests}:{i}: size_bytes and start_s must be numbers") from None
        items.append(
            Transfer(row["src"].strip(), row["dst"].strip(), size, start, row.get("name") or "")
        )
    try:
        table = run_transfers(sc, items, progress=RichProgress())
    except ValueError as exc:
        raise _fail(str(exc)) from None
    _write_table(output, "transfers", sc, table.to_arrow())
    took = table.finish_s - table.start_s
    summary = Table(title=f"transfers: {sc.name}", show_header=False)
    done = table.completed
    for k, v in (
        ("completed", f"{int(done.sum())} of {len(table)}"),
        ("median completion (s)", f"{np.median(took[done]):.2f}" if done.any() else "-"),
        (
            "median throughput (Gbit/s)",
            f"{np.nanmedian(table.throughput_bps) / 1e9:.3f}" if len(table) else "-",
        ),
    ):
        summary.add_row(k, v)
    out.print(summary)
    out.print(f"{len(table)} transfers → {output}")


@app.command()
def deliver(
    source: Source,
    bundles: Annotated[
        Path,
        typer.Argument(
            help="CSV with header src,dst,t0_s,size_bytes (and optional name); dst: a node, "
            "constellation, station or station network (the first of them reached)"
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Parquet output")] = Path(
        "deliveries.parquet"
    ),
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_memory: MaxMemory = None,
) -> None:
    """Store-and-forward delivery (contact graph routing) of bundles over the scenario's
    contact plan, each booked before the next (in order of t0_s): arrival time, latency,
    hops and path of each, written to Parquet, with a summary."""

    import numpy as np

    from orbitcloud.network.bundles import deliver_bundles

    sc = _load(source)
    _check_file(output, "--output")
    # node order of the plan: satellites (scenario order), then stations; checked up front
    node_names = [n for c in sc.satellite_names() for n in c] + [g.name for g in sc.ground_stations]
    node_names += [u.name for u in sc.users]  # users are plan nodes after the stations
    index = {n: i for i, n in enumerate(node_names)}
    src, dst, t0, size, names = [], [], [], [], []
    for i, row in _csv_rows(bundles, "bundles", ("src", "dst", "t0_s", "size_bytes")):
        s_name, d_sel = row["src"].strip(), row["dst"].strip()
        if s_name not in index:
            raise _fail(f"{bundles}:{i}: src {s_name!r} is not a node of {sc.name}", 2)
        targets = [index[n] for n in sc.select_nodes([d_sel])]
        if not targets:
            raise _fail(f"{bundles}:{i}: dst {d_sel!r} names no node of {sc.name}", 2)
        try:
            t, b = float(row["t0_s"]), float(row["size_bytes"])
        except ValueError:
            raise _fail(f"{bundles}:{i}: t0_s and size_bytes must be numbers", 2) from None
        if not (np.isfinite(t) and np.isfinite(b) and b > 0 and 0 <= t <= sc.duration_s):
            raise _fail(f"{bundles}:{i}: need 0 <= t0_s <= {sc.duration_s:g} and size_bytes > 0", 2)
        src.append(index[s_name])
        dst.append(targets)
        t0.append(t)
        size.append(b)
        names.append((row.get("name") or "").strip())
    n_workers = _workers(workers, scheduler)
    _budget(sc, max_memory, n_workers, "contacts")
    network = _run(sc, n_workers, scheduler, stages=("contacts",)).network
    assert network is not None and network.plan.nodes.names == node_names
    table = deliver_bundles(network, src, dst, np.array(t0), np.array(size), names, "deliver")
    _write_table(output, "deliver", sc, table.to_arrow())
    ok = table.delivered
    lat = table.latency_s[ok]
    summary = Table(title=f"deliver: {sc.name}", show_header=False)
    for k, v in (
        ("delivered", f"{int(ok.sum())} of {len(table)}"),
        ("latency median / max (s)",
         f"{np.median(lat):.3f} / {lat.max():.3f}" if lat.size else "-"),
        ("mean hops", f"{table.hops[ok].mean():.2f}" if lat.size else "-"),
    ):  # fmt: skip
        summary.add_row(k, v)
    out.print(summary)
    out.print(f"{len(table)} bundles → {output}")


@app.command()
def sweep(
    source: Annotated[
        str, typer.Argument(help="sweep file (.yaml) or built-in sweep name, e.g. durability")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Parquet output")] = Path(
        "sweep.parquet"
    ),
    workers: Workers = None,
    scheduler: Scheduler = None,
) -> None:
    """Monte Carlo durability sweep: seeded trials of each placement policy over a parameter
    grid, on local worker processes or a Dask cluster (same results for the same seed),
    written to Parquet, with a summary."""
    import pyarrow.parquet as pq

    from orbitcloud.executor import make_executor
    from orbitcloud.reliability.sweep import load_sweep, run_sweep

    try:
        spec = load_sweep(source)
    except ScenarioError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        raise typer.Exit(2) from None
    _check_file(output, "--output")
    n_workers = _workers(workers, scheduler)
    t0 = time.perf_counter()
    try:
        with make_executor(n_workers, scheduler) as ex:
            table = run_sweep(spec, executor=ex, progress=RichProgress())
    except (ValueError, RuntimeError) as exc:
        raise _fail(str(exc)) from None
    _write(output, lambda p: pq.write_table(table, p, compression="zstd"))
    grid = list(spec.grid)
    summary = Table(
        *grid, "policy", "P(loss) [95 % CI]", "availability", "repairs/object",
        title=f"sweep {spec.name}: {spec.trials} trials per point, "
        f"{spec.design.mission_years:g}-year mission",
    )  # fmt: skip
    for r in table.to_pylist()[:40]:
        summary.add_row(
            *(str(r[k]) for k in grid),
            r["policy"],
            f"{r['p_loss']:.2e} [{r['p_loss_low']:.1e}, {r['p_loss_high']:.1e}]",
            f"{r['availability']:.6f}",
            f"{r['repairs_per_object']:.2f}",
        )
    if table.num_rows > 40:
        summary.caption = f"{table.num_rows - 40} more rows in {output}"
    out.print(summary)
    out.print(f"{table.num_rows} rows → {output}  ({time.perf_counter() - t0:.1f} s)")


#: (quantity, unit, key, format) of the assessment table; ``$`` is the currency.
_ASSESSMENT_ROWS = (
    ("CO2e per kWh of IT energy", "kgCO2e/kWh", "co2e_kg_per_kwh", ".3f"),
    ("water per kWh", "L/kWh", "water_l_per_kwh", ".2f"),
    ("cost per kWh", "$/kWh", "cost_per_kwh", ".3f"),
    ("CO2e per TB-year stored", "kgCO2e/TB-yr", "co2e_kg_per_tb_year", ".1f"),
    ("water per TB-year", "L/TB-yr", "water_l_per_tb_year", ".1f"),
    ("cost per TB-year", "$/TB-yr", "cost_per_tb_year", ".2f"),
)


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and math.isfinite(v)


def _num(v: Any, fmt: str, none: str = "n/a") -> str:
    """``v`` formatted, or ``none`` when it has no finite value (``None``, NaN, inf)."""
    return format(v, fmt) if _finite(v) else none


def _print_assessment(a: Any) -> None:
    """The comparison table and the derived answers of an assessment (values the model could
    not give, e.g. per kWh of a fleet that delivers no energy, print as n/a)."""
    o = a.options
    table = Table(
        "per unit of service", "unit", "orbital", "ground",
        title=f"assessment: {a.scenario} ({o['launcher']}, {o['launch_boundary']}, "
        f"grid {o['grid']})",
    )  # fmt: skip
    cur = str(getattr(a, "currency", "USD")).split(" ")[0]
    for label, unit, key, fmt in _ASSESSMENT_ROWS:
        table.add_row(
            label,
            unit.replace("$", cur),
            _num(a.orbital.get(key), fmt),
            _num(a.ground.get(key), fmt),
        )
    out.print(table)
    be, sz, u = a.break_even, a.sizing, a.uncertainty
    payback = be["carbon_payback_years"]
    lines = [
        f"launch share of orbital CO2e: {_num(a.orbital['launch_share_of_co2e'], '.0%')} "
        f"(launcher {_num(a.orbital['launch_ef_kgco2e_per_kg'], '.0f')} kgCO2e/kg)",
        f"break-even launcher factor: {_num(be['launcher_kgco2e_per_kg'], '.0f')} kgCO2e/kg"
        + ("" if be["orbit_can_win_co2e"] else " (orbit never wins on CO2e)"),
        "carbon payback: "
        + (f"{payback:.1f} years" if _finite(payback) else "never (no yearly saving)"),
        f"break-even launch price: {_num(be['launch_price_per_kg'], '.0f')} {cur}/kg"
        + ("" if be["orbit_can_win_cost"] else " (orbit never cheaper, even launched free)"),
        f"modules: {sz['modules']} x {sz['module_mass_kg'] / 1000:.1f} t, "
        f"{sz['launches']:.0f} {sz['launcher']} launches",
        f"orbital CO2e 90 % band: {_num(u['p05'], '.3f')} - {_num(u['p95'], '.3f')} kgCO2e/kWh "
        f"(P(orbit lower) = {_num(u['probability_orbit_lower_co2e'], '.0%')})",
    ]
    if not _finite(a.orbital.get("co2e_kg_per_kwh")):
        lines.append(
            "no per-kWh orbital values: the fleet delivers no IT energy over its design life "
            f"(energy per design life {_num(sz.get('energy_kwh_per_design_life'), '.3g')} kWh)"
        )
    if "target" in sz:
        t = sz["target"]
        lines.append(
            f"target {t['target_mw']:g} MW: {t['modules']:.0f} modules, {t['launches']:.0f} "
            f"launches ({t['launches_per_year_build']:.0f}/yr over {t['build_years']:g} yr)"
        )
    if a.sensitivity:
        top = ", ".join(b.parameter for b in a.sensitivity[:3])
        lines.append(f"largest sensitivities: {top}")
    for line in lines:
        out.print(line)


@app.command()
def assess(
    source: Source,
    target_mw: Annotated[
        float | None, typer.Option(help="capacity target [MW of IT] to size modules and launches")
    ] = None,
    launch_boundary: Annotated[
        str | None,
        typer.Option(
            help="combustion-production | lifecycle | lifecycle-high-altitude "
            "(default: the scenario's, else lifecycle)"
        ),
    ] = None,
    grid: Annotated[
        str | None, typer.Option(help="ground grid COUNTRY:YEAR, e.g. EU:2023, FR:2023")
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="JSON output")] = Path(
        "assessment.json"
    ),
    inputs: Inputs = "run",
    from_run: FromRun = None,
    step_s: StepS = None,
    duration_s: DurationS = None,
    max_memory: MaxMemory = None,
) -> None:
    """Lifecycle CO2e, water and cost of the orbital data centre against a ground one, with
    break-even launcher factor and price, a tornado and an uncertainty band; writes JSON.

    By default the scenario is simulated first (orbits, contacts, power and thermal, compute:
    what `orbitcloud run` does before storage) and its sunlit fraction, sustained compute and
    utilisation feed the assessment, so `run` and `assess` give the same numbers."""
    sc = _with_grid(_load(source), step_s, duration_s)
    _check_file(output, "--output")
    options: dict[str, Any] = {"target_mw": target_mw, "launch_boundary": launch_boundary}
    options["grid"] = grid
    try:  # the analytic assessment first: a bad option fails before any simulation
        a = alone = _assess(sc, **options)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    summary = _assessment_inputs(sc, inputs, from_run, max_memory)
    if summary is not None:
        a = _assess_run(sc, summary, alone, **options)
        if a is None:
            raise _fail(summary["assessment_skipped"])
    text = json.dumps(a.to_dict(), indent=1, allow_nan=False) + "\n"
    _write(output, lambda p: p.write_text(text))
    _print_assessment(a)
    _print_roadmap(a)
    _print_run_inputs(sc, summary)
    out.print(f"assessment → {output}")


def _assessment_inputs(
    sc: Scenario, inputs: str, from_run: Path | None, max_memory: str | None
) -> dict[str, Any] | None:
    """The run metrics an assessment uses (None: analytic inputs): a finished run folder's
    ``metrics.json``, or a run of the stages through compute (their metrics are what the
    full run's are: storage and bundles book the network after compute)."""
    if inputs not in ("run", "analytic"):
        raise _fail(f"--inputs: {inputs!r} is not one of run, analytic", 2)
    if from_run is not None:
        if inputs == "analytic":
            raise _fail("--from-run takes the run's inputs; it cannot go with --inputs analytic", 2)
        path = from_run / "metrics.json"
        try:
            metrics = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _fail(f"--from-run: cannot read {path}: {_first_line(exc)}") from None
        if not isinstance(metrics, dict) or metrics.get("scenario") != sc.name:
            got = metrics.get("scenario") if isinstance(metrics, dict) else None
            raise _fail(f"--from-run: {path} is a run of scenario {got!r}, not {sc.name!r}")
        return metrics
    if inputs == "analytic":
        _budget(sc, max_memory, 1, "assess")
        return None
    from orbitcloud.summary import summarise

    _budget(sc, max_memory, 1)
    return summarise(_run(sc, 1, None, stages=("compute",)))


def _with_roadmap(sc: Scenario, **changes: Any) -> Scenario:
    """``sc`` with its ``assessment.roadmap`` fields replaced (validated as in a file)."""
    from orbitcloud.scenario.assessment import RoadmapSpec

    spec = sc.assessment
    if spec.roadmap is None:
        raise _fail(
            f"scenario {sc.name!r} has no assessment.roadmap section; add one, e.g. "
            "assessment: {roadmap: {start_year: 2030, end_year: 2050, capacity_mw: "
            "{2036: 10, 2040: 200, 2050: 1000}}} (see the ascend example)"
        )
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        return sc
    try:
        road = RoadmapSpec.model_validate(spec.roadmap.model_dump() | changes)
    except ValueError as exc:
        raise _fail(f"assessment.roadmap: {_first_line(exc)}") from None
    return sc.model_copy(update={"assessment": spec.model_copy(update={"roadmap": road})})


def _print_launcher_condition(a: Any) -> None:
    """The launcher condition of an assessment's roadmap: the answer, every row, the
    assumptions, the rows near ASCEND's 10x, the tornado and the Monte Carlo band."""
    r = a.roadmap
    lc, plan, u = r["launcher_condition"], r["plan"], r["uncertainty"]
    out.print(f"[bold]{lc['question']}[/]")
    f = lc["factor"]
    out.print(
        f"answer ({plan['launch_boundary']}, {plan['accounting']}, grid {plan['grid']}): "
        + (
            f"{f:.2f}x less emissive, i.e. <= {lc['required_ef_kgco2e_per_kg']:.0f} kgCO2e/kg"
            if f is not None
            else "no launcher suffices (the orbit emits more than the ground even with "
            "launches at 0 kgCO2e/kg)"
        )
    )
    table = Table(
        "grid", "accounting", "boundary", "launcher", "EF [kgCO2e/kg]", "factor k",
        "required EF", title=f"launcher condition by {plan['end_year']}: every choice",
    )  # fmt: skip
    for row in lc["rows"]:
        k = row["factor"]
        table.add_row(
            row["grid"], row["accounting"], row["boundary"], row["launcher"],
            f"{row['launcher_ef_kgco2e_per_kg']:.0f}",
            f"{k:.2f}" if k is not None else "none",
            _num(row["required_ef_kgco2e_per_kg"], ".0f"),
        )  # fmt: skip
    out.print(table)
    rng = lc["achievable_range"]
    out.print(
        f"range where some launcher suffices: {_num(rng['min'], '.2f')}x - "
        f"{_num(rng['max'], '.2f')}x ('none': no launcher factor >= 0 makes the orbit emit less)"
    )
    st = ", ".join(
        f"{x['launcher']}/{x['boundary']} {_num(x['factor'], '.2f', 'none')}x"
        for x in lc["static_model"]
    )
    out.print(
        f"static model (one fleet, one design life, grid {lc['static_model'][0]['grid']}): {st}"
    )
    ten = lc["about_ten_times"]
    if ten:
        out.print("ASCEND's 'about 10x' (8-12.5x) holds for:")
        for row in ten:
            out.print(
                f"  {row['launcher']} at {row['boundary']}, {row['accounting']} accounting, "
                f"grid {row['grid']}: {row['factor']:.1f}x"
            )
    else:
        out.print("no choice gives ASCEND's 'about 10x' (8-12.5x)")
    if r["sensitivity"]:
        out.print(
            f"largest sensitivities of k (grid {r['sensitivity_grid']}, centre "
            f"{_num(r['sensitivity_centre'], '.2f')}x):"
        )
        for b in r["sensitivity"][:6]:
            out.print(
                f"  {b['parameter']} {b['low']:g}-{b['high']:g} {b['unit']}: "
                f"{_num(b['metric_at_low'], '.2f', 'none')}x - "
                f"{_num(b['metric_at_high'], '.2f', 'none')}x"
            )
    k, n = u["launcher_condition_factor"], u["npv_usd"]
    out.print(
        f"Monte Carlo ({u['trials']} trials, seed {u['seed']}, correlated): "
        f"P(orbit lower by {plan['end_year']}) = {u['probability_orbit_lower_by_end']:.1%}, "
        f"P(no launcher suffices) = {u['probability_no_launcher_suffices']:.1%}, k p05/p50/p95 "
        f"{_num(k['p05'], '.2f', 'none')}/{_num(k['p50'], '.2f', 'none')}/"
        f"{_num(k['p95'], '.2f', 'none')}; NPV p05/p50/p95 {_num(n['p05'], '.3g')}/"
        f"{_num(n['p50'], '.3g')}/{_num(n['p95'], '.3g')} USD"
    )
    out.print("assumptions:")
    for line in r["assumptions"]:
        out.print(f"  - {line}")
    for key, src in r["inputs"].items():
        out.print(f"  - {key}: {src}")


def _print_roadmap(a: Any) -> None:
    """One paragraph on the roadmap of an assessment (``orbitcloud assess``)."""
    r = a.roadmap
    if not r:
        return
    fin, c, plan = r["finance"], r["carbon"], r["plan"]
    last = r["table"][-1]
    lc = r["launcher_condition"]
    out.print(
        f"roadmap {plan['start_year']}-{plan['end_year']}: {last['modules_in_service']:.0f} "
        f"modules, {last['it_mw_nameplate']:.0f} MW in {plan['end_year']}; cumulative CO2e "
        f"orbit {c['cumulative_orbit_co2e_kg'] / 1e9:.3g} Mt vs ground "
        f"{c['cumulative_ground_co2e_kg'] / 1e9:.3g} Mt; NPV at {fin['discount_rate']:.0%} "
        f"{fin['npv_usd'] / 1e9:.3g} bn USD, IRR {_num(fin['irr'], '.1%')}; launcher "
        "condition: "
        + (f"{lc['factor']:.2f}x" if lc["factor"] is not None else "no launcher suffices")
        + " (`orbitcloud launcher-condition` for every choice)"
    )


@app.command("launcher-condition")
def launcher_condition_cmd(
    source: Source,
    grid: Annotated[
        str | None,
        typer.Option(help="roadmap grid: COUNTRY (trajectory) or COUNTRY:YEAR (held constant)"),
    ] = None,
    accounting: Annotated[
        str | None, typer.Option(help="cumulative | attributed (default: the scenario's)")
    ] = None,
    launch_boundary: Annotated[
        str | None,
        typer.Option(help="boundary of the headline answer (every boundary is tabulated)"),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="JSON output")] = Path(
        "launcher-condition.json"
    ),
    inputs: Inputs = "run",
    from_run: FromRun = None,
    step_s: StepS = None,
    duration_s: DurationS = None,
    max_memory: MaxMemory = None,
) -> None:
    """How much less emissive than the roadmap's launcher a launcher must be for the roadmap
    to emit less than the ground by its final year, for every launcher, launch boundary,
    accounting and grid choice, with the assumptions, a tornado and a Monte Carlo band.

    The inputs come from a simulation of the scenario unless --inputs analytic, as for
    `orbitcloud assess`."""
    sc = _with_roadmap(
        _with_grid(_load(source), step_s, duration_s), grid=grid, accounting=accounting
    )
    _check_file(output, "--output")
    from orbitcloud.assess import LAUNCH_BOUNDARIES

    if launch_boundary is not None and launch_boundary not in LAUNCH_BOUNDARIES:
        raise _fail(
            f"launch boundary {launch_boundary!r} is not known; choose one of "
            f"{', '.join(LAUNCH_BOUNDARIES)}"
        )
    summary = _assessment_inputs(sc, inputs, from_run, max_memory)
    try:
        a = _assess(sc, summary, launch_boundary=launch_boundary)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    _print_run_inputs(sc, summary)
    text = json.dumps(a.to_dict()["roadmap"], indent=1, allow_nan=False) + "\n"
    _write(output, lambda p: p.write_text(text))
    _print_launcher_condition(a)
    out.print(f"roadmap and launcher condition → {output}")


RunDir = Annotated[Path, typer.Argument(help="run folder written by `orbitcloud run`")]


@app.command()
def report(run_dir: RunDir) -> None:
    """Write RUN_DIR/report.html (offline), figures/ (PNG + SVG) and scene.czml; print the path."""
    from orbitcloud.report import RunFolderError, write_report

    try:
        path = write_report(run_dir)
    except RunFolderError as exc:
        raise _fail(str(exc)) from None
    out.print(f"report: {path}")


@app.command()
def view(
    run_dir: RunDir,
    port: Annotated[int, typer.Option(help="port on 127.0.0.1 (0: any free port)")] = 8765,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="only print the URL")] = False,
) -> None:
    """Serve RUN_DIR's 3D scene with CesiumJS on localhost (offline, no token); Ctrl-C stops."""
    from orbitcloud.report import RunFolderError
    from orbitcloud.report.viewer import start_viewer

    try:
        server = start_viewer(run_dir, port)
    except (RunFolderError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot listen on 127.0.0.1:{port} ({exc}); try --port 0") from None
    out.print(f"viewer: {server.url}  (Ctrl-C stops)")
    if not no_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


class LatencyMode(StrEnum):
    none = "none"
    real = "real"


@app.command()
def serve(
    source: Source,
    host: Annotated[str, typer.Option(help="address to bind (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 9000,
    data_dir: Annotated[
        Path, typer.Option(help="credentials, master key, object store, uploads")
    ] = Path("orbitcloud-data"),
    speed: Annotated[float, typer.Option(help="twin seconds per wall-clock second")] = 1.0,
    start_s: Annotated[float, typer.Option(help="twin time at start [s since the epoch]")] = 0.0,
    latency: Annotated[
        LatencyMode, typer.Option(help="real: responses wait for the simulated latency / speed")
    ] = LatencyMode.none,
    domain: Annotated[
        str | None, typer.Option(help="virtual-host addressing: BUCKET.DOMAIN")
    ] = None,
) -> None:
    """Serve the scenario's object store as an S3-compatible HTTP endpoint (SigV4, one
    credentials profile per tenant in DATA_DIR/credentials); Ctrl-C stops."""
    from orbitcloud.gateway.server import ServeOptions
    from orbitcloud.gateway.server import serve as run_server
    from orbitcloud.storage import StorageError

    sc = _load(source)
    opts = ServeOptions(host, port, data_dir, speed, start_s, latency == LatencyMode.real, domain)
    try:
        run_server(sc, opts)
    except (ValueError, StorageError, OSError) as exc:
        raise _fail(str(exc), 2) from None


def _version(value: bool) -> None:
    if value:
        from orbitcloud import __version__

        out.print(f"orbitcloud {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version"),
    ] = False,
) -> None:
    """Digital twin of data centres in orbit: scenario → orbits → contact plan → network."""


def _one_line_summaries() -> None:
    """Each command's entry in ``orbitcloud --help``: its docstring's first paragraph on one
    line (typer keeps the docstring's line breaks there, so the list showed hard wraps)."""
    for command in app.registered_commands:
        doc = command.callback.__doc__ if command.callback is not None else None
        if command.short_help is None and doc:
            first = inspect.cleandoc(doc).split("\n\n")[0]
            command.short_help = " ".join(first.split())


_one_line_summaries()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
