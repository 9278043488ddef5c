"""The engine of an adaptive test: item curves as weighted parameter nodes, and the test loop.

Shared by :func:`assay.irt.adaptive_test` and the person-misfit calibration
(:mod:`assay.irt._misfit`), which runs the same test on each reference model, so that both
choose items and update the ability posterior by one rule.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

from assay._core import InputError
from assay.irt._results import IRTFit

__all__: list[str] = []

# The ability posterior of a test of a few items to a few hundred is wider than 0.05 on the
# N(0, 1) scale; a fixed grid this fine gives its mean and SD to better than 1e-4.
GRID = np.linspace(-7.0, 7.0, 561)
_LOG_PRIOR = -0.5 * GRID**2
# Gauss-Hermite nodes (probabilists') for integrating an item curve over its parameters' errors
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(7)
_GH_W = _GH_W / _GH_W.sum()
# the next item is the most informative at the current ability rounded to this step; the
# information of all items at each such ability is computed once per bank (at most this many)
_STEP = 0.02
_MAX_COLUMNS = 2000
# items whose information is within this share of the largest are tied, and the first in the
# bank's order is given: which of several equally informative items comes first must not
# depend on rounding (items with the same reference answers are exact ties, and a reference's
# test on the bank without it would otherwise break them by its own answers, see _misfit.py)
_TIE = 1e-3
# a bank without one reference (FoldBank) computes the information of the items whose
# information in the full bank is within this share of the _SCREEN-th largest
_SCREEN = 64
_SCREEN_MARGIN = 0.25


def point_nodes(fit: IRTFit):
    return fit.discrimination[:, None], fit.intercept[:, None], np.ones((fit.n_items, 1))


def normal_nodes(fit: IRTFit):
    """Discrimination and difficulty as independent normals at their standard errors (7 x 7)."""
    xa, xb = np.meshgrid(_GH_X, _GH_X, indexing="ij")
    a = fit.discrimination[:, None] + fit.discrimination_se[:, None] * xa.ravel()[None, :]
    b = fit.difficulty[:, None] + fit.difficulty_se[:, None] * xb.ravel()[None, :]
    w = np.broadcast_to(np.outer(_GH_W, _GH_W).ravel(), a.shape)
    return a, -a * b, w


def _curves(nodes, c: np.ndarray, idx: np.ndarray | slice, theta: np.ndarray):
    """P and dP/dtheta of items ``idx`` at ``theta``, shape (len(theta), len(idx)).

    Each item's curve is the weighted mean of its curves at its parameter nodes (one node with
    weight 1: the point-estimate curve).
    """
    a, d, w = (x[idx] for x in nodes)  # (len(idx), S)
    s = special.expit(theta[:, None, None] * a[None] + d[None])
    p = (w[None] * s).sum(2)
    dp = (w[None] * a[None] * s * (1 - s)).sum(2)
    return c[idx] + (1 - c[idx]) * p, (1 - c[idx]) * dp


class Bank:
    """An item bank's curves as weighted parameter nodes, with item information by ability.

    The information of every item at the abilities the tests visit (rounded to ``_STEP``) is
    computed once per ability and kept, so many tests on one bank share it. ``misfit`` holds
    the person-misfit calibrations made on this bank (:mod:`assay.irt._misfit`).
    """

    def __init__(self, nodes, c: np.ndarray):
        self.nodes, self.c = nodes, c
        self.n_items = c.size
        self._info: dict[int, np.ndarray] = {}
        self._loglik: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.misfit: dict = {}

    def curves(self, idx: np.ndarray | slice, theta: np.ndarray):
        return _curves(self.nodes, self.c, idx, theta)

    def loglik(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """log P and log(1 - P) of item ``i`` on the ability grid (kept for the next test)."""
        if i not in self._loglik:
            pg, _ = self.curves(np.array([i]), GRID)
            pg = np.clip(pg[:, 0], 1e-12, 1 - 1e-12)
            self._loglik[i] = (np.log(pg), np.log1p(-pg))
            if len(self._loglik) > _MAX_COLUMNS:
                self._loglik.pop(next(iter(self._loglik)))
        return self._loglik[i]

    def information(self, theta: float) -> np.ndarray:
        key = int(round(theta / _STEP))
        if key not in self._info:
            self._info[key] = self._information(slice(None), key * _STEP)
            if len(self._info) > _MAX_COLUMNS:
                self._info.pop(next(iter(self._info)))
        return self._info[key]

    def _information(self, idx: np.ndarray | slice, theta: float) -> np.ndarray:
        p, dp = self.curves(idx, np.array([theta]))
        return dp[0] ** 2 / np.maximum(p[0] * (1 - p[0]), 1e-300)

    def choose(self, theta: float, unused: np.ndarray) -> int:
        """The unused item with the most information at ``theta`` (ties: the first)."""
        return _first_max(np.where(unused, self.information(theta), -np.inf))


def _first_max(info: np.ndarray) -> int:
    return int(np.argmax(info >= info.max() * (1 - _TIE)))


class FoldBank(Bank):
    """A bank made from ``parent`` without one reference model, on the items ``cols`` of it.

    It chooses items by the same rule as ``parent`` and computes its own information only on
    the items whose information in ``parent`` (kept there for every test on it) is near the
    top: without one reference of a few dozen, an item's information changes by a few per
    cent, so its best item is among them. Whole groups of near-tied items are taken, so which
    of them is first does not depend on the left-out model's answers.
    """

    def __init__(self, nodes, c: np.ndarray, parent: Bank, cols: np.ndarray):
        super().__init__(nodes, c)
        self.parent, self.cols = parent, cols

    def choose(self, theta: float, unused: np.ndarray) -> int:
        key = int(round(theta / _STEP))
        screen = np.where(unused, self.parent.information(theta)[self.cols], -np.inf)
        k = min(_SCREEN, int(unused.sum()))
        kth = np.partition(screen, -k)[-k]
        cand = np.flatnonzero(screen >= kth * (1 - _SCREEN_MARGIN))
        return int(cand[_first_max(self._information(cand, key * _STEP))])


def run_test(
    bank: Bank,
    ask: Callable[[int], float],
    *,
    max_items: int,
    stop: Callable[[int, float], bool],
    names: tuple[str, ...] | None = None,
):
    """Give the most informative unused item next until ``stop(n_given, posterior_sd)``.

    Returns the item indices given, the answers, and the posterior mean and SD after each item.
    """
    given: list[int] = []
    answers: list[float] = []
    thetas, ses = [], []
    theta = 0.0
    logpost = _LOG_PRIOR.copy()
    unused = np.ones(bank.n_items, dtype=bool)
    while len(given) < max_items:
        i = bank.choose(theta, unused)
        y = float(ask(i))
        if not (0.0 <= y <= 1.0):
            name = names[i] if names is not None else i
            raise InputError(
                f"`answer` returned {y!r} for item {name!r}; scores must be in [0, 1]."
            )
        given.append(i)
        answers.append(y)
        unused[i] = False
        lp, lq = bank.loglik(i)
        logpost += y * lp + (1 - y) * lq  # quasi-likelihood for 0 < y < 1
        w = np.exp(logpost - logpost.max())
        w /= w.sum()
        theta = float(w @ GRID)
        se = float(np.sqrt(max(w @ (GRID - theta) ** 2, 0.0)))
        thetas.append(theta)
        ses.append(se)
        if stop(len(given), se):
            break
    return given, np.asarray(answers), np.asarray(thetas), np.asarray(ses)
