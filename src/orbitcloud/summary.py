"""Run summary: the numbers a person looks at first, computed from the stage outputs."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from orbitcloud.links.contactplan import ContactPlan
from orbitcloud.nodes.hardware import per_satellite
from orbitcloud.nodes.power import state_of_charge
from orbitcloud.run.pipeline import RunResult

__all__ = ["coverage_gaps", "pass_spans", "summarise"]


def pass_spans(plan: ContactPlan) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
    """``(station node, duration_s)`` of each ground pass, from the downlink rows: the
    contiguous pieces of one satellite-station pass (an ACM link cuts passes into pieces,
    :func:`orbitcloud.links.contacts.ground_pieces`) count as one pass."""
    down = plan.of_kind("downlink")
    if len(down) == 0:
        return np.empty(0, dtype=np.int32), np.empty(0)
    o = np.lexsort((down.start_s, down.dst, down.src))
    src, dst, s, e = down.src[o], down.dst[o], down.start_s[o], down.end_s[o]
    new = np.ones(len(o), dtype=bool)
    new[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1]) | (s[1:] > e[:-1] + 1e-9)
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(o)) - 1
    return dst[first], e[last] - s[first]


def coverage_gaps(
    starts_s: NDArray[np.float64], ends_s: NDArray[np.float64], span_s: float
) -> dict[str, float]:
    """Gaps in the union of ``[start, end]`` intervals over ``[0, span_s]``.

    Returns the number of gaps, the longest gap [s] and the fraction of time with no contact.
    """
    if starts_s.size == 0:
        return {"gaps": 1, "max_gap_s": span_s, "gap_fraction": 1.0}
    order = np.argsort(starts_s)
    s, e = starts_s[order], np.maximum.accumulate(ends_s[order])
    # a gap opens wherever a start lies beyond every earlier end
    gap_len = np.concatenate([[s[0] - 0.0], s[1:] - e[:-1], [span_s - e[-1]]])
    gap_len = gap_len[gap_len > 1e-9]
    return {
        "gaps": int(gap_len.size),
        "max_gap_s": float(gap_len.max(initial=0.0)),
        "gap_fraction": float(gap_len.sum() / span_s),
    }


def _station_rows(plan: ContactPlan) -> list[dict[str, Any]]:
    down = plan.of_kind("downlink")
    station, length_s = pass_spans(plan)
    rows = []
    span = plan.duration_s
    for g in range(plan.nodes.n_sat, plan.nodes.n_node):
        if plan.nodes.group[g] == "user":  # a user terminal (orbitcloud.links.users)
            continue
        sel = down.dst == g
        gaps = coverage_gaps(down.start_s[sel], down.end_s[sel], span)
        mine = station == g
        rows.append(
            {
                "station": plan.nodes.names[g],
                "passes": int(mine.sum()),
                "mean_pass_s": float(length_s[mine].mean()) if mine.any() else 0.0,
                **gaps,
            }
        )
    return rows


def summarise(result: RunResult) -> dict[str, Any]:
    """A JSON-ready summary of a run."""
    plan = result.contacts
    eph = result.ephemeris
    pass_at, pass_s = pass_spans(plan)
    user = np.asarray(plan.nodes.group, dtype=object) == "user"  # user terminals: not stations
    pass_s = pass_s[~user[pass_at]] if user.any() else pass_s
    isl = plan.of_kind("isl")
    forward = isl.src < isl.dst
    isl_pairs = np.unique(np.stack([isl.src[forward], isl.dst[forward]], axis=1), axis=0)
    valid = eph.valid
    jd0, fr0 = eph.grid.jd_fr(np.zeros(1))
    sat_epochs = np.array([s.jdsatepoch + s.jdsatepochF for s in eph.satellites.satrecs])
    age_d = np.abs(sat_epochs - (jd0[0] + fr0[0])) if sat_epochs.size else np.zeros(1)
    return {
        "scenario": result.scenario.name,
        "satellites": eph.n_sat,
        "ground_stations": plan.nodes.n_ground - int(user.sum()),
        "time_steps": eph.grid.n_time,
        "duration_s": eph.grid.duration_s,
        "contacts_directed": len(plan),
        "ground_passes": len(pass_s),
        "mean_pass_s": float(pass_s.mean()) if len(pass_s) else 0.0,
        "isl_windows": len(isl) // 2,
        "isl_pairs": len(isl_pairs),
        "sunlit_fraction": float(eph.sunlit[valid].mean()) if valid.any() else 0.0,
        "propagation_failures": int((~valid).sum()),
        "max_element_age_days": float(age_d.max()),
        "stations": _station_rows(plan),
        "power": _power_summary(result),
        "compute": result.workload.summary() if result.workload is not None else None,
        "timings_s": result.timings_s,
        **_weather(result),
    }


def _weather(result: RunResult) -> dict[str, Any]:
    """``{"weather": ...}`` when stations have weather processes or diversity groups
    (:func:`orbitcloud.links.diversity.weather_summary`), else nothing."""
    from orbitcloud.links.diversity import weather_summary

    sc = result.scenario
    w = weather_summary(list(sc.ground_stations), sc.seed, sc.duration_s)
    return {} if w is None else {"weather": w}


def _power_summary(result: RunResult) -> dict[str, float] | None:
    """Fleet-wide power figures with compute asked at full load (see cloud.power)."""
    pw = result.power
    if pw is None:
        return None
    sc, sats = result.scenario, result.ephemeris.satellites
    compute_max = per_satellite(sc, sats, "compute_power_w")
    cap_j = per_satellite(sc, sats, "battery_wh", 3600.0)
    gen = float(pw.energy_j(pw.generated_w).sum())
    has_compute = compute_max > 0
    soc = state_of_charge(pw, cap_j)[cap_j > 0]
    return {
        "compute_sustained_fraction": float(
            pw.energy_j(pw.compute_w)[has_compute].sum()
            / (compute_max[has_compute] * pw.dt_s.sum()).sum()
        )
        if has_compute.any()
        else 0.0,
        "generated_kwh": gen / 3.6e6,
        "curtailed_fraction": float(pw.energy_j(pw.curtailed_w).sum() / gen) if gen else 0.0,
        "unmet_kwh": float(pw.energy_j(pw.unmet_w).sum() / 3.6e6),
        "min_battery_soc": float(soc.min()) if soc.size else float("nan"),
        "max_temperature_c": float(np.nanmax(pw.temperature_k) - 273.15)
        if np.isfinite(pw.temperature_k).any()
        else float("nan"),
        "energy_balance_residual_j": float(np.abs(pw.balance_residual_j()).max()),
    }
