"""Person misfit of an adaptive test, measured on the reference models the item bank came from.

The 2PL is not exactly true of benchmark answers: a model's ability on the few items an adaptive
test gives (the most informative at its ability) is not quite its ability on all items (subjects,
formats, chain-of-thought answers that disagree between sibling checkpoints). The ability
posterior of the test accounts for the noise of its answers, not for that difference, so its
interval covers the ability measured by all items less often than stated.

The reference models measure the difference. Each reference model ``r`` in turn takes the same
adaptive test on an item bank that does not contain its answers (each item's posterior with
``r``'s likelihood divided out, or for point-estimate banks the items refitted without ``r`` at
the other references' abilities), and its test estimate ``theta_k`` after ``k`` items is
compared with its ability in the bank's fit on all items, ``theta_r``. Under an additive misfit
variance ``tau^2``,

    E[(theta_k - theta_r)^2] = se_k^2 + tau^2,

where ``se_k`` is the test's posterior SD. On MMLU-Pro the misfit part does not shrink as the
test gets longer (``mean (theta_k - theta_r)^2 - se_k^2`` is about 0 up to 30 items and 0.04 to
0.05 from 60 to 120, while ``mean z^2`` grows from 1.0 to 2.6), so it is not a multiple of
``se_k^2``; since it depends on the length, ``tau^2`` is estimated where it is used: at the
length at which each reference's test would stop under the same stopping rule with
``sqrt(se_k^2 + tau^2)`` as its standard error; the estimate is the smallest ``tau^2 >= 0``
whose moment estimate at those stopping points is no larger.

The cross-fitting must not leak: a reference's test on the bank without it must choose its
items as a new model's test would. Items with the same answers from the other references are
exact ties in information, and grid rounding that depends on the left-out model's own answers
broke them in favour of the items it solved (2PL-true simulation: z up to 3); the test engine
therefore gives the first of the items within 0.1% of the most informative (``_cat._TIE``).
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

from assay._core import DegenerateDataWarning
from assay.irt._cat import Bank, FoldBank, normal_nodes, point_nodes, run_test
from assay.irt._item_posterior import GRID_N, item_posterior_nodes, reference_loglik
from assay.irt._refit import _fold_fit as fold_fit
from assay.irt._refit import item_map, prior_of
from assay.irt._results import IRTFit

__all__: list[str] = []

MIN_REFERENCES = 10
"""Fewer usable reference models than this: the misfit variance is not estimated (a variance
from fewer than 10 squared differences is too rough to widen an interval by)."""
_CAL_FRACTION = 0.7  # references are tested until their posterior SD is this share of target_se
_CAL_MAX = 200  # ... or this many items
_N_GRID = 400
_EDGE_MASS = 1e-4  # an item posterior with more mass on its grid's border gets its own grid


@dataclasses.dataclass(frozen=True)
class Paths:
    """The references' test paths: (theta_k - theta_r) and se_k, NaN after each test ended."""

    diff: np.ndarray  # (n_refs, L)
    se: np.ndarray  # (n_refs, L)
    length: np.ndarray  # (n_refs,)


@dataclasses.dataclass(frozen=True)
class Misfit:
    """The misfit variance ``tau2``, the variance of its estimate, and the references used."""

    tau2: float
    tau2_var: float
    n: int
    reachable: bool

    def df(self, se2: float) -> float:
        """Satterthwaite degrees of freedom of ``se2 + tau2`` with ``tau2`` estimated."""
        if self.tau2 <= 0 or self.tau2_var <= 0:
            return math.inf
        return max(1.0, 2.0 * (se2 + self.tau2) ** 2 / self.tau2_var)


def _fold_bank(fit: IRTFit, values: np.ndarray, mode: str, bank: Bank, r: int, ok: np.ndarray):
    """The bank without reference ``r``'s answers, on the items ``r`` answered."""
    keep = np.arange(fit.n_models) != r
    if mode != "posterior":
        a, d = _refit_items(fit, values, keep, np.flatnonzero(ok))
        fold = dataclasses.replace(
            fit,
            items=tuple(fit.items[i] for i in np.flatnonzero(ok)),
            discrimination=a,
            intercept=d,
            difficulty=-d / a,
            guessing=fit.guessing[ok],
            discrimination_se=fit.discrimination_se[ok],
            difficulty_se=fit.difficulty_se[ok],
        )
        nodes = normal_nodes(fold) if mode == "normal" else point_nodes(fold)
        return FoldBank(nodes, fold.guessing, bank, np.flatnonzero(ok))
    # each item's posterior with r's likelihood divided out, on the bank's grid of nodes ...
    a, d, w = (x[ok] for x in bank.nodes)
    ll = reference_loglik(a, d, fit.guessing[ok], values[r, ok], fit.ability.estimate[r])
    with np.errstate(divide="ignore"):
        logw = np.log(w) - ll
    w = np.exp(logw - logw.max(1, keepdims=True))
    w /= w.sum(1, keepdims=True)
    # ... except where the posterior without r leaves that grid (an item r's answer decided:
    # the few that an adaptive test picks first): those get a grid of their own
    g = w.reshape(-1, GRID_N, GRID_N)
    edge = g[:, [0, -1], :].sum((1, 2)) + g[:, 1:-1, [0, -1]].sum((1, 2))
    esc = edge > _EDGE_MASS
    if esc.any():
        cols = np.flatnonzero(ok)[esc]
        a2, d2 = _refit_items(fit, values, keep, cols, newton=50)  # few items: converge
        sub = np.zeros(fit.n_items, dtype=bool)
        sub[cols] = True
        fold = fold_fit(fit, a2, d2, keep, sub, fit.items, fit.models)
        a[esc], d[esc], w[esc] = item_posterior_nodes(fold, values[keep][:, cols])
    return FoldBank((a, d, w), bank.c[ok], bank, np.flatnonzero(ok))


def _refit_items(
    fit: IRTFit, values: np.ndarray, keep: np.ndarray, cols: np.ndarray, *, newton: int = 3
):
    """MAP slopes and intercepts of items ``cols`` from the kept models, at their abilities.

    ``newton`` steps from the bank's estimates (3, as the fast leave-one-model-out folds of
    :mod:`assay.irt._refit`, moves every MMLU-Pro item to within 1e-4 of its fold optimum).
    """
    return item_map(
        values[keep][:, cols],
        fit.ability.estimate[keep],
        np.nan_to_num(fit.ability.se[keep]),
        prior_of(fit.prior if fit.prior is not None else "weak"),
        (fit.discrimination[cols], fit.intercept[cols]),
        max_iter=newton,
    )


def reference_paths(
    fit: IRTFit, values: np.ndarray, mode: str, bank: Bank, *, se_floor: float, length: int
) -> Paths:
    """Each reference model's adaptive test on the bank without it (cached on ``bank``).

    A test runs until its posterior SD is at most ``se_floor`` and it has ``length`` items,
    or until all items ``r`` answered are given.
    """
    key = (round(se_floor, 12), length)
    if key in bank.misfit:
        return bank.misfit[key]
    n_ref = fit.n_models
    diff = np.full((n_ref, max(_CAL_MAX, length)), np.nan)
    se = np.full_like(diff, np.nan)
    lengths = np.zeros(n_ref, dtype=int)
    for r in range(n_ref):
        ok = ~np.isnan(values[r])
        if ok.sum() < 2 or not np.isfinite(fit.ability.estimate[r]):
            continue
        fold = _fold_bank(fit, values, mode, bank, r, ok)
        y = values[r, ok]
        cap = min(int(ok.sum()), diff.shape[1])
        _, _, th, s = run_test(
            fold,
            lambda i, y=y: y[i],
            max_items=cap,
            stop=lambda k, sd: sd <= se_floor and k >= length,
        )
        diff[r, : th.size] = th - fit.ability.estimate[r]
        se[r, : th.size] = s
        lengths[r] = th.size
    used = lengths > 0
    last = max(int(lengths.max(initial=1)), 1)
    paths = Paths(diff[used, :last], se[used, :last], lengths[used])
    bank.misfit[key] = paths
    return paths


def _at_stop(paths: Paths, tau2: float, target_se: float, min_items: int, max_items: int):
    """``(theta_k - theta_r)^2 - se_k^2`` at each reference's stop, SE ``sqrt(se_k^2 + tau2)``."""
    k = np.arange(1, paths.se.shape[1] + 1)
    with np.errstate(invalid="ignore"):
        hit = (np.sqrt(paths.se**2 + tau2) <= target_se) & (k >= min_items) & (k <= max_items)
    last = np.minimum(paths.length, max_items) - 1
    idx = np.where(hit.any(1), np.argmax(hit, 1), last)
    rows = np.arange(idx.size)
    return paths.diff[rows, idx] ** 2 - paths.se[rows, idx] ** 2


def misfit_variance(paths: Paths, *, target_se: float, min_items: int, max_items: int) -> Misfit:
    """The smallest ``tau2 >= 0`` whose moment estimate at the references' stops is <= ``tau2``."""
    n = paths.length.size
    for tau2 in target_se**2 * np.arange(_N_GRID) / _N_GRID:
        u = _at_stop(paths, tau2, target_se, min_items, max_items)
        if u.mean() <= tau2:
            return Misfit(float(tau2), float(u.var(ddof=1) / n), n, True)
    u = _at_stop(paths, math.inf, target_se, min_items, max_items)  # target SE not reachable
    return Misfit(max(float(u.mean()), 0.0), float(u.var(ddof=1) / n), n, False)


def person_misfit(
    fit: IRTFit,
    values: np.ndarray,
    mode: str,
    bank: Bank,
    *,
    target_se: float,
    min_items: int,
    max_items: int,
) -> Misfit | None:
    """The misfit variance of a test with these settings, or None (with a warning) if unknown."""
    usable = int((~np.isnan(values)).any(1).sum())
    if usable < MIN_REFERENCES:
        warnings.warn(
            f"person misfit needs at least {MIN_REFERENCES} reference models to be estimated; "
            f"`scores` has {usable}: the interval does not include it and may cover less often "
            "than stated on real data (docs/irt.md, 'Adaptive tests: person misfit').",
            DegenerateDataWarning,
            stacklevel=3,
        )
        return None
    if fit.model not in ("2pl", "continuous") or fit.method != "mml":
        warnings.warn(
            "person misfit is estimated for 2PL marginal-ML banks only (each reference's items "
            f"are refitted without it); got model={fit.model!r}, method={fit.method!r}: the "
            "interval does not include it.",
            DegenerateDataWarning,
            stacklevel=3,
        )
        return None
    paths = reference_paths(
        fit, values, mode, bank, se_floor=_CAL_FRACTION * target_se, length=min_items
    )
    res = misfit_variance(paths, target_se=target_se, min_items=min_items, max_items=max_items)
    if not res.reachable:
        warnings.warn(
            f"the person misfit measured on the reference models (SD {math.sqrt(res.tau2):.3f}) "
            f"is at least `target_se` ({target_se:g}): the ability measured by all items cannot "
            "be pinned down that closely by an adaptive test; the test runs to `max_items`.",
            DegenerateDataWarning,
            stacklevel=3,
        )
    return res
