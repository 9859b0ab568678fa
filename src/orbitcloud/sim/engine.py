"""The discrete-event engine every cloud service runs on (simpy), driven by the contact plan.

One :class:`Engine` per run holds

- the simpy environment (simulation time = seconds since the scenario epoch);
- the network service: the run's one :class:`~orbitcloud.network.ledger.Network` (contact graph
  routing over the contact plan with one booking ledger), shared by every service, so bytes of
  one service take contact volume from the others (residual-volume booking); an engine made
  without one gets a network of its own;
- the event log (:class:`~orbitcloud.sim.events.EventLog`, written as ``events.parquet``);
- seeded random streams, one per named stream, derived from the scenario seed with
  ``numpy.random.SeedSequence(seed, spawn_key=...)`` so adding a stream never changes another.

Data moves by :meth:`Engine.send`: a simpy process that routes a bundle over the contact plan
(earliest delivery), books the volume, and then *lives through the contacts*: it waits for each
contact's transmission start, logs the hop, and waits for the transmission and light time, so
the simulation advances through contact-plan events. Runs repeat exactly for the same scenario.

Node losses: the fault timeline cuts a lost node's contacts from the plan, so a route never
holds a bundle on a node past its loss. ``send(..., loss_s=...)`` also guards a plan that was
not cut: a bundle whose route would keep it on a node (not yet fully sent on) at that node's
loss is lost there, at the loss time (``bundle_lost`` in the log, ``Sent.lost_node``).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from orbitcloud.links.contactplan import ContactPlan
from orbitcloud.network.cgr import Delivery
from orbitcloud.network.ledger import Network
from orbitcloud.seeding import seeded_rng
from orbitcloud.sim.events import EventLog

__all__ = ["CountingEnvironment", "Engine", "Sent", "seeded_rng"]


class CountingEnvironment(simpy.Environment):
    """A simpy environment that counts the events it processes (for events/s)."""

    def __init__(self, initial_time: float = 0.0) -> None:
        super().__init__(initial_time)
        self.processed = 0

    def step(self) -> None:
        self.processed += 1
        super().step()


@dataclass
class Sent:
    """Outcome of :meth:`Engine.send`: ``delivery`` is None when no contacts can carry it."""

    delivery: Delivery | None
    dst: int = -1
    lost_node: int = -1  # the node it was lost on (its loss), -1 if not lost

    @property
    def arrival_s(self) -> float:
        return self.delivery.arrival_s if self.delivery is not None else np.inf


class Engine:
    """Simulation clock, network service, event log and random streams of one run."""

    def __init__(
        self, plan: ContactPlan, seed: int, start_s: float = 0.0, network: Network | None = None
    ) -> None:
        """``network``: the run's shared network over ``plan`` (None: a new one)."""
        if network is not None and network.plan is not plan:
            raise ValueError("the engine's network must be built on the engine's contact plan")
        self.plan = plan
        self.seed = seed
        self.env = CountingEnvironment(start_s)
        self.network = network if network is not None else Network(plan)
        self.log = EventLog()
        self.names = plan.nodes.names
        self.wall_s = 0.0

    @property
    def router(self) -> Network:
        """The network the engine routes on (same object as :attr:`network`)."""
        return self.network

    def rng(self, stream: str) -> np.random.Generator:
        """The random stream ``stream`` of this run (see :func:`seeded_rng`)."""
        return seeded_rng(self.seed, stream)

    def send(
        self,
        service: str,
        subject: str,
        src: int,
        dst: int | Collection[int],
        size_bytes: float,
        transit: NDArray[np.bool_] | None = None,
        loss_s: NDArray[np.float64] | None = None,
    ) -> Generator[Any, Any, Sent]:
        """simpy process: move ``size_bytes`` from node ``src`` to ``dst`` (a node, or several:
        the first reached) from now, store-and-forward over the contact plan. Returns a
        :class:`Sent` (``yield env.process(engine.send(...))``). ``loss_s``: float64[n_node],
        when each node is lost (inf: never); a bundle still on a node at its loss is lost
        (module docstring)."""
        env, p = self.env, self.plan
        d = self.network.deliver(src, dst, env.now, size_bytes, transit, service)
        if d is None:
            self.log.add(env.now, service, "no_route", self.names[src], subject, size_bytes)
            return Sent(None)
        if not d.contacts:  # already there
            return Sent(d, int(src))
        lost_hop = len(d.contacts)
        if loss_s is not None:  # hop k leaves node src[k]: lost if not sent before its loss
            hops = np.asarray(d.contacts, dtype=np.intp)
            sent_by = np.asarray(d.tx_start_s) + size_bytes * 8.0 / p.rate_bps[hops]
            gone = loss_s[p.src[hops]] < sent_by
            if gone.any():
                lost_hop = int(np.argmax(gone))
        for k, (c, tx) in enumerate(zip(d.contacts, d.tx_start_s, strict=True)):
            if k == lost_hop:
                assert loss_s is not None
                held = int(p.src[c])
                yield env.timeout(max(0.0, float(loss_s[held]) - env.now))
                self.log.add(env.now, service, "bundle_lost", self.names[held], subject, size_bytes)
                return Sent(None, -1, held)
            if tx > env.now:
                yield env.timeout(tx - env.now)
            a, b = self.names[p.src[c]], self.names[p.dst[c]]
            self.log.add(env.now, service, "hop_start", a, subject, size_bytes, b)
            done = tx + size_bytes * 8.0 / p.rate_bps[c] + p.owlt_s[c]
            yield env.timeout(max(0.0, done - env.now))
        last = int(p.dst[d.contacts[-1]])
        self.log.add(env.now, service, "delivered", self.names[last], subject, size_bytes)
        return Sent(d, last)

    def run(self, until_s: float | None = None) -> None:
        """Run the simulation (to ``until_s`` or until no events are left); wall time is
        accumulated in ``wall_s`` for the events/s figure."""
        t0 = time.perf_counter()
        self.env.run(until=until_s)
        self.wall_s += time.perf_counter() - t0

    @property
    def events_per_s(self) -> float:
        return self.env.processed / self.wall_s if self.wall_s > 0 else 0.0
