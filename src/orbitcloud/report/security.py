"""The report's security and resilience section: what each threat of the run did to the
services, read from the run folder (nothing is simulated here).

Per threat (the scenario's ``threats:`` in the manifest, with the ``security`` block of
``metrics.json`` built by :mod:`orbitcloud.run.security`), the run is cut into **phases** at
the threat's times:

======================== ==========================================================
kind                     phases
======================== ==========================================================
``compromised_satellite`` before the compromise ``[0, t_s)``, compromised and not yet
                         detected ``[t_s, detected_s)``, after detection
                         ``[detected_s, end]`` (no detection within the run: the
                         second phase runs to the end)
``rogue_ground_station`` before the window ``[0, t_s)``, during the attempt window
                         ``[t_s, t_s + duration_s)``, after it
``jamming``,             before, during ``[t_s, t_s + duration_s)``, after
``link_flooding``
======================== ==========================================================

and each phase gets, from the run's tables (rows assigned to the phase their time falls in):

- **jobs** (``jobs.parquet``, by ``submitted_s``; ``ready_s`` for a job not submitted): jobs
  in the phase; *on time*: delivered at or before their deadline (a NULL deadline counts as
  none); *late or missed*: delivered after their deadline, or not delivered by a deadline
  within the run; the share on time is on time / (on time + late or missed), the jobs whose
  outcome the run decided (a job undelivered with its deadline after the end is neither);
  *bytes delayed*: the output bytes of the late or missed jobs;
- **storage** (``storage.parquet``): puts (by ``put_s``) and the share durable by the end
  (``durable_s`` not NULL) of those not refused (``refusal`` NULL); the bytes put and not
  durable by the end; gets requested within the run (by ``get_s``) and the share served
  (``get_ok``); bytes lost (``lost``: objects put in the phase and lost by the end, whatever
  the cause).

Exposure and recovery come from the ``security`` block: ciphertext bytes exposed, plaintext
exposed (always 0: shards are AES-256-GCM fragments, keys stay on the ground), keys rotated,
re-encryption, shards rebuilt, time to recover. The figure (:func:`fig_threat_timeline`)
draws each threat's phases over the events of ``events.parquet``.

``jamming`` and ``link_flooding`` have three phases: before, during (``[t_s, t_s +
duration_s)``: the jamming or flood window) and after; the figure draws the window (a pulsed
jammer: each pulse); :func:`jamming_line` says how many ground and user link pieces a jammer
slowed or closed and the capacity they lost. A threat kind the report does not know yet gets
its ``security`` entry as a plain table and no phases: add its phases in :func:`phases` and
its drawing in :func:`fig_threat_timeline` (and its scene entity in
:mod:`orbitcloud.report.czml`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.figure import Figure
from numpy.typing import NDArray

from orbitcloud.report.folder import RunFolder, codes, column_f64

__all__ = [
    "COMPROMISED_RGB",
    "DETECTED_RGB",
    "JobsPhase",
    "Phase",
    "StoragePhase",
    "Threat",
    "fig_threat_timeline",
    "phases",
    "rejected_attempts_s",
    "run_threats",
    "threat_jobs",
    "threat_storage",
]

F64 = NDArray[np.float64]

#: Colours of a compromised satellite (shared with the 3D scene): amber while compromised
#: and undetected, red from detection on.
COMPROMISED_RGB = (255, 140, 0)
DETECTED_RGB = (220, 0, 0)
ROGUE_RGB = (190, 0, 190)
JAMMER_RGB = (255, 120, 0)
FLOOD_RGB = (255, 30, 30)


@dataclass(frozen=True)
class Threat:
    """One threat of the run: its scenario entry and its ``security`` block entry."""

    kind: str
    name: str
    spec: Mapping[str, Any]
    metrics: Mapping[str, Any]


@dataclass(frozen=True)
class Phase:
    """A stretch of the run ``[start_s, end_s)`` (the last phase includes the end)."""

    name: str
    start_s: float
    end_s: float


def run_threats(run: RunFolder) -> list[Threat]:
    """The run's threats, in the scenario's order: empty without a ``security`` block with
    threats in ``metrics.json`` (the section and figure are then absent)."""
    sec = (run.metrics or {}).get("security")
    entries = sec.get("threats") if isinstance(sec, dict) else None
    if not isinstance(entries, list) or not entries:
        return []
    specs = [t for t in run.scenario.get("threats") or [] if isinstance(t, dict)]
    out = []
    for j, m in enumerate(e for e in entries if isinstance(e, dict)):
        spec = specs[j] if j < len(specs) and specs[j].get("kind") == m.get("kind") else {}
        name = str(m.get("target") or m.get("name") or spec.get("target") or spec.get("name"))
        if m.get("kind") == "jamming":  # its target is a direction (uplink/downlink)
            name = str(m.get("name") or spec.get("name"))
        elif m.get("kind") == "link_flooding":
            name = ", ".join(map(str, m.get("targets") or spec.get("targets") or []))
        out.append(Threat(str(m.get("kind")), name, spec, m))
    return out


def _num(x: object) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        return None
    return float(x)


def phases(th: Threat, end_s: float) -> list[Phase]:
    """The threat's phases over ``[0, end_s]`` (module docstring); empty for a kind without
    phases yet. Phases that would start at or after the end are left out."""
    t_s = _num(th.metrics.get("t_s"))
    if t_s is None:
        return []
    if th.kind == "compromised_satellite":
        det = _num(th.metrics.get("detected_s"))
        cuts = [
            ("before compromise", 0.0),
            ("compromised, undetected", t_s),
            *([("after detection", det)] if det is not None else []),
        ]
    elif th.kind == "rogue_ground_station":
        dur = _num(th.metrics.get("duration_s")) or 0.0
        cuts = [("before", 0.0), ("attempt window", t_s), ("after", t_s + dur)]
    elif th.kind in ("jamming", "link_flooding"):
        dur = _num(th.metrics.get("duration_s")) or 0.0
        what = "jamming window" if th.kind == "jamming" else "flood window"
        cuts = [("before", 0.0), (what, t_s), ("after", t_s + dur)]
    else:  # a future kind: no phases until its schema exists
        return []
    cuts = [(n, s) for n, s in cuts if s < end_s or s == 0.0]
    return [
        Phase(n, s, cuts[i + 1][1] if i + 1 < len(cuts) else end_s) for i, (n, s) in enumerate(cuts)
    ]


def _in(t: F64, p: Phase, last: bool) -> NDArray[np.bool_]:
    with np.errstate(invalid="ignore"):
        return (t >= p.start_s) & ((t <= p.end_s) if last else (t < p.end_s))


@dataclass(frozen=True)
class JobsPhase:
    """Jobs submitted in a phase (module docstring)."""

    submitted: int
    on_time: int
    late_or_missed: int
    late_output_bytes: float

    @property
    def on_time_share(self) -> float:
        decided = self.on_time + self.late_or_missed
        return self.on_time / decided if decided else math.nan


@dataclass(frozen=True)
class StoragePhase:
    """Objects put, and gets requested, in a phase (module docstring)."""

    puts: int
    refused: int
    durable: int
    not_durable_bytes: float
    lost_bytes: float
    gets: int
    served: int

    @property
    def durable_share(self) -> float:
        accepted = self.puts - self.refused
        return self.durable / accepted if accepted else math.nan

    @property
    def served_share(self) -> float:
        return self.served / self.gets if self.gets else math.nan


def _bool(table: Any, name: str) -> NDArray[np.bool_]:
    col = table.column(name).to_numpy(zero_copy_only=False)
    return np.asarray([bool(x) for x in col], dtype=bool)


def _null(table: Any, name: str) -> NDArray[np.bool_]:
    return np.asarray(table.column(name).is_null().to_numpy(zero_copy_only=False), dtype=bool)


def threat_jobs(run: RunFolder, ph: list[Phase]) -> list[JobsPhase] | None:
    """Per phase, the jobs of ``jobs.parquet`` submitted in it; ``None`` without jobs."""
    j = run.jobs
    if j is None or j.num_rows == 0 or not ph:
        return None
    sub = column_f64(j, "submitted_s")
    if "ready_s" in j.column_names:  # not submitted by the end: its ready time
        sub = np.where(np.isfinite(sub), sub, column_f64(j, "ready_s"))
    deadline = np.nan_to_num(column_f64(j, "deadline_s"), nan=math.inf)
    delivered = column_f64(j, "delivered_s")
    out_bytes = np.nan_to_num(column_f64(j, "output_bytes"))
    done = np.isfinite(delivered)
    on_time = done & (delivered <= deadline)
    late = (done & (delivered > deadline)) | (~done & (deadline <= run.duration_s))
    rows = []
    for i, p in enumerate(ph):
        sel = _in(sub, p, i == len(ph) - 1)
        rows.append(
            JobsPhase(
                int(sel.sum()),
                int((sel & on_time).sum()),
                int((sel & late).sum()),
                float(out_bytes[sel & late].sum()),
            )
        )
    return rows


def threat_storage(run: RunFolder, ph: list[Phase]) -> list[StoragePhase] | None:
    """Per phase, the objects of ``storage.parquet`` put in it and the gets requested in it
    (within the run); ``None`` without stored objects."""
    s = run.storage
    if s is None or s.num_rows == 0 or not ph or "put_s" not in s.column_names:
        return None
    put = column_f64(s, "put_s")
    size = np.nan_to_num(column_f64(s, "size_bytes"))
    refused = ~_null(s, "refusal") if "refusal" in s.column_names else np.zeros(put.size, bool)
    durable = np.isfinite(column_f64(s, "durable_s"))
    lost = _bool(s, "lost") if "lost" in s.column_names else np.zeros(put.size, bool)
    get = column_f64(s, "get_s") if "get_s" in s.column_names else np.full(put.size, np.nan)
    ok = _bool(s, "get_ok") if "get_ok" in s.column_names else np.zeros(put.size, bool)
    in_run = np.isfinite(get) & (get <= run.duration_s)
    rows = []
    for i, p in enumerate(ph):
        last = i == len(ph) - 1
        sel = _in(put, p, last)
        g = in_run & _in(get, p, last)
        rows.append(
            StoragePhase(
                puts=int(sel.sum()),
                refused=int((sel & refused).sum()),
                durable=int((sel & ~refused & durable).sum()),
                not_durable_bytes=float(size[sel & ~refused & ~durable].sum()),
                lost_bytes=float(size[sel & lost].sum()),
                gets=int(g.sum()),
                served=int((g & ok).sum()),
            )
        )
    return rows


def rejected_attempts_s(run: RunFolder, name: str) -> F64:
    """Times [s] of the ``uplink_rejected`` events of station ``name`` in events.parquet."""
    e = run.events
    if e is None or e.num_rows == 0:
        return np.zeros(0)
    sel = pc.and_(
        pc.equal(pc.cast(e.column("kind"), pa.string()), "uplink_rejected"),
        pc.equal(pc.cast(e.column("node"), pa.string()), name),
    )
    return np.sort(column_f64(e.filter(pc.fill_null(sel, False)), "t_s"))


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


#: Event rows of the timeline (services with the most events first), at most.
MAX_EVENT_ROWS = 8


def fig_threat_timeline(run: RunFolder) -> Figure | None:
    """The run's threats and their phases (compromise → detection → recovery; the rogue
    window with each rejected attempt as a tick) above the events of events.parquet, one
    row per service (the :data:`MAX_EVENT_ROWS` busiest), on one time axis."""
    threats = [t for t in run_threats(run) if phases(t, run.duration_s)]
    if not threats:
        return None
    end_s = run.duration_s
    unit, div = ("min", 60.0) if end_s <= 6 * 3600 else ("h", 3600.0)
    e = run.events
    services: list[str] = []
    ev_t: list[F64] = []
    if e is not None and e.num_rows:
        svc, names = codes(e.column("service"))
        t = column_f64(e, "t_s")
        order = np.argsort(-np.bincount(svc, minlength=len(names)), kind="stable")
        for k in order[:MAX_EVENT_ROWS]:
            services.append(names[k])
            ev_t.append(t[(svc == k) & (t <= end_s)])
    n_rows = len(threats) + len(services)
    fig = Figure(figsize=(10, 0.42 * n_rows + 2.2), layout="constrained")
    ax = fig.add_subplot()
    labels: list[str] = []
    handles: dict[str, Any] = {}
    for y, th in enumerate(threats):
        m = th.metrics
        t0 = float(m["t_s"])
        if th.kind == "compromised_satellite":
            labels.append(f"{th.name} (compromised)")
            det = _num(m.get("detected_s"))
            rec = _num(m.get("recovered_s"))
            stop = det if det is not None else end_s
            handles["compromised, undetected"] = ax.broken_barh(
                [(t0 / div, (stop - t0) / div)], (y - 0.35, 0.7), color=_hex(COMPROMISED_RGB)
            )
            if det is not None:
                handles["detected: cut off, keys rotated"] = ax.broken_barh(
                    [(det / div, (end_s - det) / div)],
                    (y - 0.35, 0.7),
                    color=_hex(DETECTED_RGB),
                    alpha=0.35,
                )
                (handles["detection"],) = ax.plot(
                    [det / div], [y], marker="v", ms=9, ls="", color=_hex(DETECTED_RGB)
                )
            if rec is not None:
                (handles["recovered (full redundancy)"],) = ax.plot(
                    [rec / div], [y], marker="o", ms=7, ls="", mfc="w", mec="k"
                )
        elif th.kind in ("jamming", "link_flooding"):
            jam = th.kind == "jamming"
            labels.append(f"{th.name} ({'jammer' if jam else 'flooded'})")
            dur = _num(m.get("duration_s")) or 0.0
            spans = [(t0, t0 + dur)]
            on, period = _num(th.spec.get("on_s")), _num(th.spec.get("period_s"))
            if jam and th.spec.get("mode") == "pulsed" and on and period:
                spans = [(a, min(a + on, t0 + dur)) for a in np.arange(t0, t0 + dur, period)]
            key = "jammer transmitting" if jam else "link flooding"
            handles[key] = ax.broken_barh(
                [(a / div, (min(b, end_s) - a) / div) for a, b in spans if a < end_s],
                (y - 0.35, 0.7),
                color=_hex(JAMMER_RGB if jam else FLOOD_RGB),
                alpha=0.5,
            )
        else:
            labels.append(f"{th.name} (rogue station)")
            dur = _num(m.get("duration_s")) or 0.0
            handles["rogue attempt window"] = ax.broken_barh(
                [(t0 / div, min(dur, end_s - t0) / div)],
                (y - 0.35, 0.7),
                color=_hex(ROGUE_RGB),
                alpha=0.25,
            )
            rej = rejected_attempts_s(run, th.name)
            if rej.size:
                handles["uplink rejected"] = ax.scatter(
                    rej / div, np.full(rej.size, y), marker="|", s=220, color=_hex(ROGUE_RGB)
                )
    for i, (name, t) in enumerate(zip(services, ev_t, strict=True)):
        y = len(threats) + i
        labels.append(f"events: {name} ({t.size:,})")
        ax.scatter(t / div, np.full(t.size, y), marker="|", s=120, color="0.35", alpha=0.4, lw=1)
    ax.set_yticks(range(n_rows), labels, fontsize=8)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_xlim(0, end_s / div)
    ax.set_xlabel(f"time since epoch ({unit})")
    ax.grid(True, axis="x", lw=0.3, alpha=0.5)
    ax.set_title("Threats and their phases over the run's events")
    fig.legend(
        list(handles.values()), list(handles), loc="outside lower center", ncols=3, fontsize=8
    )
    return fig


def jamming_line(th: Threat) -> str:
    """One plain-text sentence on what a ``jamming`` threat did (its ``security`` entry):
    the ground contact pieces and the user link pieces (of terminals with an RF ``link:``
    budget) it slowed or closed, the capacity each lost and the users it hit; '' for another
    kind."""
    if th.kind != "jamming":
        return ""
    m = th.metrics

    def n(key: str) -> float:
        v = _num(m.get(key))
        return 0.0 if v is None else v

    users = ", ".join(map(str, m.get("users_affected") or [])) or "none"
    return (
        f"Jammer {th.name} ({m.get('target', '?')}, pointing at {m.get('pointing', '?')}): "
        f"{n('contacts_affected'):,.0f} ground contact pieces slowed "
        f"({n('contacts_closed'):,.0f} closed), {n('capacity_lost_bytes'):,.0f} bytes of "
        f"ground capacity lost; {n('user_links_affected'):,.0f} user link pieces slowed "
        f"({n('user_links_closed'):,.0f} closed), {n('user_capacity_lost_bytes'):,.0f} bytes "
        f"of user-link capacity lost; users hit: {users}. Fixed-rate links have no budget "
        "to jam and are not counted."
    )
