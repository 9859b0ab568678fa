"""Discounted cash flow: net present value, internal rate of return, discounted payback.

Cash flows are float64[n_years, n] (one column per parameter draw), the first row at ``t = 0``
(undiscounted), as numpy-financial's ``npv`` counts them::

    NPV(r)   = sum_t CF_t / (1 + r)^t                       (Brealey, Myers & Allen,
                                                              Principles of Corporate Finance,
                                                              ch. 2; numpy_financial.npv)
    IRR      = the r with NPV(r) = 0                         (ibid. ch. 5)
    payback  = first t from which sum_{s<=t} CF_s / (1+r)^s stays >= 0 to the last row,
               interpolated linearly within the year it is reached (years after the first row)

The IRR is found by bracketing: NPV is evaluated on a grid of rates from -99 % to +1000 %, the
first sign change (from the lowest rate up) brackets the root, and vectorised bisection refines
it to ~1e-15. A cash flow whose NPV does not change sign on the grid (all positive, all
negative, or zero) has no IRR: NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["discount_factors", "discounted_payback_yr", "irr", "npv"]

F64 = NDArray[np.float64]

#: Rates on which the IRR is bracketed: -99 % to +1000 % per period.
_IRR_GRID = np.concatenate([np.linspace(-0.99, 1.0, 400), np.geomspace(1.01, 10.0, 200)])


def _cf(cash_flows: F64) -> F64:
    cf = np.asarray(cash_flows, dtype=np.float64)
    return cf[:, None] if cf.ndim == 1 else cf


def discount_factors(rate: F64 | float, n_years: int) -> F64:
    """``(1 + r)^-t`` for ``t = 0 .. n_years - 1``: float64[n_years, n] (``rate`` float64[n]
    or a scalar)."""
    r = np.atleast_1d(np.asarray(rate, dtype=np.float64))
    t = np.arange(n_years, dtype=np.float64)[:, None]
    return np.asarray((1.0 + r[None, :]) ** -t, dtype=np.float64)


def npv(rate: F64 | float, cash_flows: F64) -> F64:
    """Net present value ``sum_t CF_t (1 + r)^-t``: float64[n] (``cash_flows`` [n_years, n] or
    [n_years]; ``rate`` [n] or scalar)."""
    cf = _cf(cash_flows)
    return np.asarray((cf * discount_factors(rate, cf.shape[0])).sum(axis=0), dtype=np.float64)


def irr(cash_flows: F64, tol: float = 1e-15) -> F64:
    """Internal rate of return of each column, float64[n]; NaN where NPV has no sign change
    between -99 % and +1000 % (module docstring)."""
    cf = _cf(cash_flows)
    n = cf.shape[1]
    t = np.arange(cf.shape[0], dtype=np.float64)
    grid = _IRR_GRID
    values = np.einsum("tn,gt->gn", cf, (1.0 + grid[:, None]) ** -t[None, :])
    sign = np.sign(values)
    change = (sign[:-1] * sign[1:] < 0) | (sign[:-1] == 0)
    has = change.any(axis=0)
    first = np.argmax(change, axis=0)
    lo = grid[first].copy()
    hi = grid[np.minimum(first + 1, grid.size - 1)].copy()
    f_lo = values[first, np.arange(n)]
    exact = f_lo == 0

    def f(r: F64) -> F64:
        return np.asarray((cf * (1.0 + r[None, :]) ** -t[:, None]).sum(axis=0))

    for _ in range(200):
        mid = 0.5 * (lo + hi)
        f_mid = f(mid)
        left = np.sign(f_mid) == np.sign(f_lo)
        lo = np.where(left, mid, lo)
        f_lo = np.where(left, f_mid, f_lo)
        hi = np.where(left, hi, mid)
        if np.all(np.abs(hi - lo) <= tol * np.maximum(1.0, np.abs(lo))):
            break
    root = np.where(exact, grid[first], 0.5 * (lo + hi))
    return np.where(has, root, np.nan)


def discounted_payback_yr(rate: F64 | float, cash_flows: F64) -> F64:
    """Years (after the first row) until the cumulative discounted cash flow reaches 0 for
    good (it stays >= 0 to the last row), interpolated within that year; 0 if it is never
    negative, NaN if it ends negative. float64[n]."""
    cf = _cf(cash_flows)
    dcf = cf * discount_factors(rate, cf.shape[0])
    cum = np.cumsum(dcf, axis=0)
    # stays[t]: cum >= 0 from row t to the end
    stays = np.flip(np.logical_and.accumulate(np.flip(cum >= 0, axis=0), axis=0), axis=0)
    reached = stays[-1]
    k = np.argmax(stays, axis=0)
    cols = np.arange(cf.shape[1])
    prev = np.where(k > 0, cum[np.maximum(k - 1, 0), cols], 0.0)
    step = dcf[k, cols]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where((k > 0) & (step > 0), -prev / step, 0.0)
    years = np.where(k > 0, (k - 1) + frac, 0.0)
    return np.where(reached, years, np.nan)
