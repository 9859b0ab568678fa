"""The services on the Moon (the `lonestar` example, 15 days): a put from an Earth station to
the lunar data centre, the loss of the Earth data centre, a read back through another
station, a restore of 100 TB, and a bundle stream from the Moon, checked against the contact
plan by hand-written formulas (transmission time + light time; the integral of the rates)."""

from __future__ import annotations

import numpy as np
import pytest

from orbitcloud.api import run
from orbitcloud.examples import example_path
from orbitcloud.scenario import load_scenario

DAYS = 15


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    sc = load_scenario(example_path("lonestar"))
    sc = sc.model_copy(update={"duration_s": DAYS * 86400.0})
    return run(sc, store_root=tmp_path_factory.mktemp("store"))


def _rows(plan, src, dst):
    i = plan.nodes.index()
    return plan.select((plan.src == i[src]) & (plan.dst == i[dst]))


def test_a_bundle_sent_in_an_open_contact_takes_its_transmission_and_light_time(result):
    """A 1 GB bundle from the Moon sent while a Moon→station contact is open and unused
    arrives ``8e9 / rate + owlt`` later (the ~1.3 s light time is in it)."""
    b, plan = result.bundles, result.contacts
    names = plan.nodes.names
    moon = names.index("crisium-dc")
    checked = 0
    for k in range(len(b)):
        if not b.delivered[k]:
            continue
        t = b.send_s[k]
        c = plan.select((plan.src == moon) & (plan.dst == names.index(b.to[k])))
        open_ = np.flatnonzero((c.start_s <= t) & (t + 8e9 / c.rate_bps <= c.end_s))
        if open_.size == 0:
            continue
        j = open_[0]
        expected = 8e9 / c.rate_bps[j] + c.owlt_s[j]
        assert 1.19 < c.owlt_s[j] < 1.37
        if abs(b.latency_s[k] - expected) < 1e-6:
            checked += 1
    assert checked >= 10
    assert b.delivered.mean() > 0.9


def test_put_to_the_moon_and_read_back_after_the_earth_site_is_lost(result):
    """Each put from austin-dc becomes durable no earlier than the first austin→Moon contact
    after it plus one light time; after austin-dc is lost (day 1), every object is read at
    kiruna-ka from its Moon copy, no earlier than the first Moon→kiruna contact after the
    request plus one light time."""
    plan = result.contacts
    up = _rows(plan, "austin-dc", "crisium-dc")
    down = _rows(plan, "crisium-dc", "kiruna-ka")
    table = result.storage.objects_table().to_pylist()
    assert len(table) == 20 and all(r["get_ok"] for r in table)
    for r in table:
        after = up.end_s > r["put_s"]
        first = max(r["put_s"], up.start_s[after].min())
        assert r["durable_s"] >= first + up.owlt_s[after][0] - 1e-6
        assert r["durable_s"] < 86400  # before the site is lost
        later = down.end_s > r["get_s"]
        ready = max(r["get_s"], down.start_s[later].min())
        assert r["get_ready_s"] >= ready + down.owlt_s[later][0] - 1e-6
    assert not (up.end_s > 86400 + 1e-6).any()  # the lost site has no contact after day 1


def test_restore_of_100_tb_equals_the_integral_of_the_rates(result):
    """The restore estimate equals the time at which the Moon→station rates (all stations but
    the lost one; each station serves one window at a time here) integrated on a 10 s grid
    reach 100 TB, plus the light time, within 20 s."""
    est = result.restore
    assert est is not None and not est.extrapolated
    plan = result.contacts
    names = plan.nodes.names
    moon = names.index("crisium-dc")
    t = np.arange(0.0, DAYS * 86400.0, 10.0)
    rate = np.zeros_like(t)
    for st in ("kiruna-ka", "dsn-goldstone", "dsn-madrid", "dsn-canberra"):
        c = plan.select((plan.src == moon) & (plan.dst == names.index(st)))
        for s, e, r in zip(c.start_s, c.end_s, c.rate_bps, strict=True):
            rate[(t >= s) & (t < e)] += r / 8.0
    volume = np.cumsum(rate) * 10.0
    done = t[np.searchsorted(volume, 100e12)] + 10.0
    assert est.restore_s == pytest.approx(done + 1.3, abs=20.0)
    assert 2 * 86400 < est.restore_s < DAYS * 86400


def test_jobs_run_on_the_moon_and_their_products_come_down_with_the_light_time(result):
    """Jobs on data stored on the Moon run there (in the lunar day) and their products reach
    a station ``8 · bytes / rate + owlt`` after they finish, when a contact is open."""
    jobs = result.workload.jobs_table(result.contacts.nodes.names).to_pylist()
    done = [j for j in jobs if j["status"] == "done" and j["mode"] == "orbit"]
    assert len(done) >= 4 and all(j["node"] == "crisium-dc" for j in done)
    plan = result.contacts
    names = plan.nodes.names
    moon = names.index("crisium-dc")
    checked = 0
    for j in done:
        t = j["finished_s"]
        c = plan.select((plan.src == moon) & (plan.start_s <= t) & (plan.end_s > t + 2.0))
        if len(c) == 0:
            continue
        best = min(8 * j["output_bytes"] / c.rate_bps + c.owlt_s)
        assert j["delivered_s"] - t == pytest.approx(best, abs=1e-6)
        checked += 1
    assert checked >= 3
