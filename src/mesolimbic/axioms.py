"""The axiomatic test of the reward prediction error hypothesis (Caplin & Dean 2008).

A signal :math:`\\delta(z, p)` recorded when prize *z* comes out of lottery *p* (a
cue that predicts prizes with known probabilities) is an RPE — it can be
written as an increasing function of the prize's value minus a decreasing one of
the lottery's expected value, for *some* values — if and only if it satisfies
three axioms (Caplin & Dean 2008; Caplin, Dean, Glimcher & Rutledge 2010):

* **A1 consistent prize ordering**: prizes are ordered the same way by the
  signal whatever lottery they come from: if :math:`\\delta(z, p) > \\delta(z', p)`
  then :math:`\\delta(z, q) \\ge \\delta(z', q)` for every lottery *q* that can
  give both;
* **A2 consistent lottery ordering**: lotteries are ordered the same way whatever
  prize comes out: if :math:`\\delta(z, p) > \\delta(z, q)` then
  :math:`\\delta(z', p) \\ge \\delta(z', q)` for every prize *z'* both can give;
* **A3 no surprise equivalence**: a fully predicted prize gives the same signal
  whatever the prize: :math:`\\delta(z, \\{z\\}) = \\delta(z', \\{z'\\})` for degenerate
  lotteries.

Rutledge, Dean, Caplin & Glimcher (2010) applied it to the human striatal BOLD
signal (it passed) and other candidates. :func:`rpe_axioms` applies it to any
signal laid out over prizes and lotteries, a model's or recorded data.

References: Caplin, A. & Dean, M. (2008). Axiomatic methods, dopamine and reward
prediction error. Curr Opin Neurobiol 18:197-202. Caplin, A., Dean, M.,
Glimcher, P. W. & Rutledge, R. B. (2010). Measuring beliefs and rewards: a
neuroeconomic approach. Q J Econ 125:923-960. Rutledge, R. B., Dean, M., Caplin,
A. & Glimcher, P. W. (2010). Testing the reward prediction error hypothesis with
an axiomatic model. J Neurosci 30:13525-13536.
"""

from __future__ import annotations

import itertools

import numpy as np
import xarray as xr

from ._validate import check_range

__all__ = ["rpe_axioms", "AXIOMS"]

AXIOMS = {
    "consistent_prize_ordering": "A1: prizes are ordered alike by the signal in every lottery that can give them",
    "consistent_lottery_ordering": "A2: lotteries are ordered alike by the signal for every prize they can give",
    "no_surprise_equivalence": "A3: fully predicted prizes give the same signal",
}


def _sign_conflict(diffs: np.ndarray, tol: float) -> float:
    """How strongly a set of paired differences disagrees in sign: min(largest positive, largest
    negative magnitude) beyond ``tol`` (0 when all agree)."""
    d = diffs[np.isfinite(diffs)]
    if d.size < 2:
        return 0.0
    up, down = d.max(), -d.min()
    return float(max(0.0, min(up, down) - tol))


def rpe_axioms(signal: xr.DataArray | xr.Dataset, var: str = "signal", *, tol: float = 0.0,
               prize: str = "prize", lottery: str = "lottery") -> xr.Dataset:
    """Test a signal against the three RPE axioms (see the module docstring).

    Args:
      signal: the mean signal at each (prize, lottery), NaN where the lottery cannot
        give the prize — a DataArray with dimensions ``prize`` and ``lottery``, or a
        Dataset holding it as ``var``. A lottery with exactly one possible prize is
        degenerate (that prize is fully predicted).
      tol: differences up to ``tol`` count as ties (measurement noise).

    Returns a Dataset over ``axiom`` with ``violation`` (the size of the worst
    disagreement beyond ``tol``: for A1 and A2 the smaller of the largest
    positive and largest negative difference within a pair, for A3 the range of
    the signal over degenerate lotteries minus ``tol``; 0 when the axiom holds)
    and ``holds``; attributes name the worst pair and the number of comparisons.
    An axiom with nothing to compare (e.g. A3 without two degenerate lotteries)
    is reported as holding with 0 comparisons — the attribute says so.
    """
    da = signal[var] if isinstance(signal, xr.Dataset) else signal
    if not isinstance(da, xr.DataArray) or set(da.dims) != {prize, lottery}:
        raise ValueError(f"signal must be a DataArray with dimensions ({prize!r}, {lottery!r}), got "
                         f"{getattr(da, 'dims', type(da).__name__)}")
    tol = float(check_range("tol", tol, 0.0))
    s = da.transpose(prize, lottery).values.astype(float)
    prizes, lotteries = list(da[prize].values), list(da[lottery].values)
    possible = np.isfinite(s)
    out = {}
    # A1: pairs of prizes, across lotteries that can give both
    worst, where, n = 0.0, "", 0
    for i, j in itertools.combinations(range(len(prizes)), 2):
        both = possible[i] & possible[j]
        n += int(both.sum() >= 2)
        v = _sign_conflict(s[i, both] - s[j, both], tol)
        if v > worst:
            worst, where = v, f"prizes {prizes[i]} and {prizes[j]}"
    out["consistent_prize_ordering"] = (worst, where, n)
    # A2: pairs of lotteries, across prizes both can give
    worst, where, n = 0.0, "", 0
    for a, b in itertools.combinations(range(len(lotteries)), 2):
        both = possible[:, a] & possible[:, b]
        n += int(both.sum() >= 2)
        v = _sign_conflict(s[both, a] - s[both, b], tol)
        if v > worst:
            worst, where = v, f"lotteries {lotteries[a]} and {lotteries[b]}"
    out["consistent_lottery_ordering"] = (worst, where, n)
    # A3: degenerate lotteries
    degenerate = possible.sum(0) == 1
    vals = np.array([s[possible[:, k], k][0] for k in np.flatnonzero(degenerate)])
    if vals.size >= 2:
        v = float(max(0.0, np.ptp(vals) - tol))
        lo, hi = np.flatnonzero(degenerate)[[int(np.argmin(vals)), int(np.argmax(vals))]]
        out["no_surprise_equivalence"] = (v, f"lotteries {lotteries[lo]} and {lotteries[hi]}" if v else "",
                                          vals.size)
    else:
        out["no_surprise_equivalence"] = (0.0, "", vals.size)
    names = list(AXIOMS)
    return xr.Dataset(
        {"violation": ("axiom", [out[k][0] for k in names], {"long_name": "size of the worst violation beyond tol"}),
         "holds": ("axiom", [out[k][0] == 0.0 for k in names]),
         "worst": ("axiom", [out[k][1] for k in names]),
         "n_comparisons": ("axiom", [out[k][2] for k in names])},
        coords={"axiom": names, "description": ("axiom", [AXIOMS[k] for k in names])},
        attrs={"tol": tol, "reference": "Caplin & Dean (2008); Rutledge, Dean, Caplin & Glimcher (2010)"})
