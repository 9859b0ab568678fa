"""Inter-satellite link topologies (which pairs may link) and link rates."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from orbitcloud.constants import SPEED_OF_LIGHT_KM_S
from orbitcloud.links.visibility import isl_margin
from orbitcloud.orbits.satellites import SatelliteSet
from orbitcloud.scenario.models import (
    FixedRate,
    GridTopology,
    IslSpec,
    LinkBudgetRate,
    ListTopology,
    Scenario,
    WalkerConstellation,
)

__all__ = [
    "candidate_pairs",
    "grid_pairs",
    "link_rate_bps",
    "mutual_nearest",
    "mutual_nearest_active",
]

F64 = NDArray[np.float64]
PAIRS = NDArray[np.intp]
IDX = NDArray[np.intp]

#: Boltzmann constant [J/K], exact since the 2019 SI redefinition.
BOLTZMANN_J_PER_K = 1.380649e-23


def _unique_pairs(pairs: PAIRS) -> PAIRS:
    """Sorted, de-duplicated, self-loops removed, int[n_pair, 2] with ``a < b``."""
    if pairs.size == 0:
        return np.empty((0, 2), dtype=np.intp)
    pairs = np.sort(pairs, axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(pairs, axis=0).astype(np.intp)


def grid_pairs(c: WalkerConstellation, first_index: int, seam: bool | None) -> PAIRS:
    """+Grid pairs of one Walker constellation, int[n_pair, 2] (node indices).

    Each satellite links to its in-plane neighbours (slot ± 1) and to the same slot in the
    adjacent planes. Across the seam between the last and the first plane of a delta pattern,
    slot ``s`` meets slot ``(s + F) mod S`` of plane 0, because plane ``P`` would be plane 0
    advanced by ``F · 360°/S`` in mean anomaly (Walker 1984). Star patterns have no seam link
    unless ``seam`` is True.
    """
    P, S, F = c.planes, c.sats_per_plane, c.phasing
    idx = first_index + np.arange(P * S).reshape(P, S)
    pairs = []
    if S > 1:
        pairs.append(np.stack([idx, np.roll(idx, -1, axis=1)], axis=-1).reshape(-1, 2))
    if P > 1:
        pairs.append(np.stack([idx[:-1], idx[1:]], axis=-1).reshape(-1, 2))
        use_seam = (c.pattern == "delta") if seam is None else seam
        if use_seam:
            shift = F if c.pattern == "delta" else 0
            pairs.append(np.stack([idx[-1], np.roll(idx[0], -shift)], axis=-1))
    if not pairs:
        return np.empty((0, 2), dtype=np.intp)
    return _unique_pairs(np.concatenate(pairs))


def candidate_pairs(
    spec: IslSpec, scenario: Scenario, sats: SatelliteSet, r_ecef_km: F64 | None
) -> PAIRS:
    """Pairs that may link under ``spec``'s topology, int[n_pair, 2] with ``a < b``.

    For ``range`` topologies these are all pairs within ``max_range_km`` at any grid time
    (found with a k-d tree per step); line of sight is checked later, with the margin.
    """
    members = sats.indices_of(spec.constellations)
    topo = spec.topology
    if isinstance(topo, GridTopology):
        out, first = [], 0
        for k, c in enumerate(scenario.constellations):
            n = int(np.count_nonzero(sats.constellation == k))
            if isinstance(c, WalkerConstellation) and (
                spec.constellations is None or c.name in spec.constellations
            ):
                out.append(grid_pairs(c, first, topo.seam))
            first += n
        return _unique_pairs(np.concatenate(out)) if out else np.empty((0, 2), dtype=np.intp)
    if isinstance(topo, ListTopology):
        index = {n: i for i, n in enumerate(sats.names)}
        unknown = sorted({n for p in topo.pairs or [] for n in p if n not in index})
        if unknown:
            raise ValueError(
                f"isl {spec.name!r} lists satellites that do not exist: {unknown[:5]}; "
                f"names look like {sats.names[0]!r}"
            )
        pairs = np.array([[index[a], index[b]] for a, b in topo.pairs or []], dtype=np.intp)
        return _unique_pairs(pairs.reshape(-1, 2))
    if r_ecef_km is None:
        raise ValueError(
            f"isl {spec.name!r} has a range topology: its candidate pairs need the positions "
            "(r_ecef_km) to find which satellites come within range"
        )
    found = np.empty((0, 2), dtype=np.intp)
    batch: list[PAIRS] = []
    for k in range(r_ecef_km.shape[1]):
        pos = r_ecef_km[members, k]
        ok = np.isfinite(pos).all(axis=1)
        local = cKDTree(pos[ok]).query_pairs(spec.max_range_km, output_type="ndarray")
        batch.append(members[np.flatnonzero(ok)][local])
        if sum(b.shape[0] for b in batch) > 2_000_000:  # merge now and then: bounded memory
            found = _unique_pairs(np.concatenate([found, *batch]))
            batch = []
    return _unique_pairs(np.concatenate([found, *batch]))


def mutual_nearest(
    a: IDX, b: IDX, range_km: F64, usable: NDArray[np.bool_], n_node: int, max_terminals: int
) -> NDArray[np.bool_]:
    """bool[n_pair]: which pairs link at one instant under a terminal limit.

    Rule (stated, simple, vectorised): every satellite ranks its geometrically possible
    partners (``usable``) by range and keeps the nearest ``max_terminals``; a pair links when
    each is among the other's kept partners, so no satellite exceeds ``max_terminals`` links.
    ``a``, ``b``: int[n_pair] node indices < ``n_node``; ``range_km``: float64[n_pair].
    The contact plan (:func:`mutual_nearest_active`) and the routing snapshots
    (:class:`orbitcloud.network.SnapshotBuilder`) both apply this rule, so they agree.
    """
    ok = np.flatnonzero(usable)
    # rank each pair at both of its ends: sort by (node, range)
    ends = np.concatenate([a[ok], b[ok]])
    which = np.concatenate([ok, ok])
    dist = np.concatenate([range_km[ok], range_km[ok]])
    order = np.lexsort((dist, ends))
    ends_sorted = ends[order]
    first = np.searchsorted(ends_sorted, np.arange(n_node))
    rank = np.arange(order.size) - first[ends_sorted]
    kept = np.zeros(a.shape[0], dtype=np.int8)
    np.add.at(kept, which[order][rank < max_terminals], 1)
    return kept == 2


def mutual_nearest_active(
    pairs: PAIRS, r_ecef_km: F64, spec: IslSpec, max_terminals: int
) -> NDArray[np.bool_]:
    """bool[n_pair, n_time]: pair linked at each grid step under a terminal limit (the rule
    of :func:`mutual_nearest`, applied to the pairs in line of sight and range)."""
    n_pair, n_time = pairs.shape[0], r_ecef_km.shape[1]
    active = np.zeros((n_pair, n_time), dtype=bool)
    if n_pair == 0:
        return active
    a, b = pairs[:, 0], pairs[:, 1]
    n_node = int(pairs.max()) + 1
    for k in range(n_time):
        m = isl_margin(
            r_ecef_km[a, k], r_ecef_km[b, k], spec.max_range_km, spec.grazing_altitude_km
        )
        d = np.linalg.norm(r_ecef_km[a, k] - r_ecef_km[b, k], axis=1)
        active[:, k] = mutual_nearest(a, b, d, m >= 0, n_node, max_terminals)
    return active


def link_rate_bps(rate: FixedRate | LinkBudgetRate, range_km: F64) -> F64:
    """Data rate [bit/s] at ``range_km`` (any shape).

    ``link_budget``: received power ``P_t G_t G_r (λ / 4πd)^2 / L`` (Friis 1946, Proc. IRE 34,
    254), noise ``k T B``, rate ``min(max_rate, η B log2(1 + SNR))`` (Shannon 1948).
    """
    range_km = np.asarray(range_km, dtype=np.float64)
    if isinstance(rate, FixedRate):
        return np.full(range_km.shape, rate.rate_bps)
    d_m = np.maximum(range_km, 1e-3) * 1000.0
    gain = 10.0 ** ((rate.tx_gain_dbi + rate.rx_gain_dbi - rate.losses_db) / 10.0)
    p_rx_w = rate.tx_power_w * gain * (rate.wavelength_m / (4.0 * np.pi * d_m)) ** 2
    noise_w = BOLTZMANN_J_PER_K * rate.system_noise_temp_k * rate.bandwidth_hz
    shannon = rate.efficiency * rate.bandwidth_hz * np.log2(1.0 + p_rx_w / noise_w)
    return np.minimum(shannon, rate.max_rate_bps)


def owlt_s(range_km: F64) -> F64:
    """One-way light time [s] over ``range_km`` (vacuum; no atmospheric delay)."""
    return np.asarray(range_km, dtype=np.float64) / SPEED_OF_LIGHT_KM_S
