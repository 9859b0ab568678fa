"""The users' traffic demand on the run's one network, and what each user got.

Each user with a ``demand:`` sends bundles to its ``to`` station: ``files`` of
``size_bytes`` every ``every_s`` from ``start_s``, or a continuous ``rate_bps`` as one bundle
of ``rate_bps × chunk_s / 8`` bytes every ``chunk_s`` from 0 (a fluid rate sampled at the
bundle interval). They are routed by contact graph routing and booked on the one ledger
(:class:`orbitcloud.network.ledger.Network`) as service :data:`SERVICE`, in order of send
time, before compute and storage book theirs: the capacity they take, the services cannot
use. A bundle waits on the user's terminal (store and forward) until a link to a satellite
opens; one the plan cannot deliver within the run is not delivered. Bundles are booked whole
on each contact (:mod:`orbitcloud.network.cgr`), so the bytes a user delivers never exceed
the volume of its uplink contacts (``rate × duration``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from orbitcloud.network.bundles import BundleTable, deliver_bundles
from orbitcloud.network.ledger import Network
from orbitcloud.scenario.users import User
from orbitcloud.tables import ArrowTable

__all__ = [
    "SERVICE", "UserSummary", "constellation_shares", "demand_of", "send_user_demand",
    "user_summary",
]  # fmt: skip

F64 = NDArray[np.float64]

#: The ledger service name of user traffic.
SERVICE = "users"


def demand_of(user: User, duration_s: float) -> tuple[F64, F64]:
    """``(send_s, size_bytes)`` float64[n] of ``user``'s bundles within ``[0, duration_s]``
    (module docstring); empty without a demand."""
    d = user.demand
    if d is None:
        return np.empty(0), np.empty(0)
    if d.files is not None:
        send = np.arange(d.files.start_s, duration_s, d.files.every_s, dtype=np.float64)
        return send, np.full(send.shape, d.files.size_bytes)
    assert d.rate_bps is not None
    send = np.arange(0.0, duration_s, d.chunk_s, dtype=np.float64)
    return send, np.full(send.shape, d.rate_bps * d.chunk_s / 8.0)


def send_user_demand(network: Network, users: Sequence[User], duration_s: float) -> BundleTable:
    """Route and book every user's demand on ``network`` (users are nodes of its plan, by
    name) as service :data:`SERVICE`; one row per bundle, ``name`` the user's."""
    index = network.plan.nodes.index()
    src: list[int] = []
    dst: list[list[int]] = []
    send, size, names = [], [], []
    for u in users:
        s, b = demand_of(u, duration_s)
        if not s.size or u.demand is None:
            continue
        src += [index[u.name]] * s.size
        dst += [[index[u.demand.to]]] * s.size
        send.append(s)
        size.append(b)
        names += [u.name] * s.size
    send_s = np.concatenate(send) if send else np.empty(0)
    size_b = np.concatenate(size) if size else np.empty(0)
    return deliver_bundles(network, src, dst, send_s, size_b, names, service=SERVICE)


@dataclass(frozen=True)
class UserSummary(ArrowTable):
    """One row per user; arrays ``[n_user]``. Latencies are NaN where nothing was delivered.

    Attributes:
        name, kind: the user's; ``policy`` its terminal's.
        availability: fraction of the run with a link carrying data.
        handovers: direct satellite handovers.
        links: links (serving-satellite windows carrying data).
        offered_bytes, delivered_bytes: demand sent / delivered within the run.
        latency_mean_s, latency_p95_s: over the delivered bundles (send to arrival).
        constellation_share: per user, ``{constellation: fraction of the run it was served
            by a satellite of it}`` (:func:`constellation_shares`), over the constellations
            of its terminal.
    """

    name: list[str]
    kind: list[str]
    policy: list[str]
    availability: F64
    handovers: NDArray[np.int64]
    links: NDArray[np.int64]
    offered_bytes: F64
    delivered_bytes: F64
    latency_mean_s: F64
    latency_p95_s: F64
    constellation_share: list[dict[str, float]]

    def __len__(self) -> int:
        return len(self.name)

    def to_arrow(self) -> pa.Table:
        return pa.table(
            {
                "name": self.name,
                "kind": self.kind,
                "policy": self.policy,
                "availability": self.availability,
                "handovers": self.handovers,
                "links": self.links,
                "offered_bytes": self.offered_bytes,
                "delivered_bytes": self.delivered_bytes,
                "latency_mean_s": pa.array(self.latency_mean_s, mask=np.isnan(self.latency_mean_s)),
                "latency_p95_s": pa.array(self.latency_p95_s, mask=np.isnan(self.latency_p95_s)),
                "constellation_share": pa.array(
                    [list(d.items()) for d in self.constellation_share],
                    pa.map_(pa.string(), pa.float64()),
                ),
            }
        )


def constellation_shares(
    users: Sequence[User],
    serving: NDArray[np.intp],
    t_s: F64,
    sat_constellation: Sequence[str],
    duration_s: float,
) -> list[dict[str, float]]:
    """Per user, the fraction of the run (``duration_s``) it was served by each of its
    terminal's constellations: the serving satellite at sample ``t_k`` (``serving``
    int[n_user, n_time], -1: none, :attr:`orbitcloud.links.users.UserLinks.serving`) serves
    ``[t_k, t_{k+1})`` (step resolution, before each handover's dead time; the last sample
    serves nothing). ``sat_constellation``: the constellation name of each satellite."""
    t = np.asarray(t_s, dtype=np.float64)
    dt_s = np.append(np.diff(t), 0.0)  # [n_time]
    cons = np.asarray(list(sat_constellation), dtype=object)
    out = []
    for i, u in enumerate(users):
        on = serving[i] >= 0
        served = np.full(serving.shape[1], "", dtype=object)
        served[on] = cons[serving[i, on]]
        span = float(duration_s) if duration_s > 0 else 1.0
        out.append({c: float(dt_s[served == c].sum()) / span for c in u.terminal.constellations})
    return out


def user_summary(
    users: Sequence[User],
    availability: F64,
    handovers: NDArray[np.int64],
    link_user: NDArray[np.intp],
    traffic: BundleTable | None,
    constellation_share: list[dict[str, float]] | None = None,
) -> UserSummary:
    """Per-user availability, handovers and links (``link_user``: the user index of each
    link), and what its demand got from ``traffic`` (:func:`send_user_demand`);
    ``constellation_share`` (:func:`constellation_shares`; None: empty per user)."""
    n = len(users)
    offered, delivered = np.zeros(n), np.zeros(n)
    lat_mean, lat_p95 = np.full(n, np.nan), np.full(n, np.nan)
    if traffic is not None and len(traffic):
        who = np.asarray(traffic.name, dtype=object)
        ok = traffic.delivered
        for i, u in enumerate(users):
            mine = who == u.name
            offered[i] = float(traffic.size_bytes[mine].sum())
            got = mine & ok
            delivered[i] = float(traffic.size_bytes[got].sum())
            if got.any():
                lat = traffic.latency_s[got]
                lat_mean[i] = float(lat.mean())
                lat_p95[i] = float(np.percentile(lat, 95))
    return UserSummary(
        [u.name for u in users], [u.kind for u in users], [u.terminal.policy for u in users],
        np.asarray(availability, dtype=np.float64), np.asarray(handovers, dtype=np.int64),
        np.bincount(link_user, minlength=n).astype(np.int64), offered, delivered, lat_mean,
        lat_p95, constellation_share if constellation_share is not None else [{} for _ in users],
    )  # fmt: skip
