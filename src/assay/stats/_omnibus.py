"""Omnibus tests over k models on the same items: Friedman (with Nemenyi post-hoc), Cochran's Q."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
from scipy import stats as sps

from assay._core import DegenerateDataWarning, InputError, Result
from assay._core._validation import check_array, check_probability

__all__ = ["CochranQResult", "FriedmanResult", "NemenyiResult", "cochran_q", "friedman", "nemenyi"]


@dataclasses.dataclass(frozen=True)
class FriedmanResult(Result):
    """Friedman's rank test that k models score alike over the same items.

    Attributes
    ----------
    statistic : float
        The tie-corrected Friedman chi-square.
    pvalue : float
        From the chi-square distribution with ``df = k - 1``.
    df : int
    mean_ranks : ndarray of shape (k,)
        Mean rank of each model over items (rank 1 = lowest score, as in scipy).
    n : int
        Items (blocks).
    k : int
        Models (treatments).
    method : str
    """

    statistic: float
    pvalue: float
    df: int
    mean_ranks: np.ndarray
    n: int
    k: int
    method: str = "friedman"


@dataclasses.dataclass(frozen=True)
class NemenyiResult(Result):
    """Nemenyi post-hoc comparison of all pairs of models after a Friedman test.

    Attributes
    ----------
    critical_difference : float
        Two mean ranks further apart than this differ at level ``alpha``.
    q_alpha : float
        The studentized-range quantile divided by sqrt(2) (Demšar's :math:`q_\\alpha`).
    mean_ranks : ndarray of shape (k,)
    pvalues : ndarray of shape (k, k)
        Pairwise p-values from the studentized range distribution (1 on the diagonal).
    significant : ndarray of bool, shape (k, k)
        ``|R_i - R_j| > critical_difference``.
    alpha : float
    n, k : int
    method : str
    """

    critical_difference: float
    q_alpha: float
    mean_ranks: np.ndarray
    pvalues: np.ndarray
    significant: np.ndarray
    alpha: float
    n: int
    k: int
    method: str = "nemenyi"


@dataclasses.dataclass(frozen=True)
class CochranQResult(Result):
    """Cochran's Q test that k models have the same accuracy on the same items.

    Attributes
    ----------
    statistic, pvalue : float
    df : int
    n, k : int
    method : str
    """

    statistic: float
    pvalue: float
    df: int
    n: int
    k: int
    method: str = "cochran-q"


def _scores_iv(scores, name: str, *, binary: bool = False, n_models=None) -> np.ndarray:
    """Validate a (n_models, n_items) matrix; refuse shapes that read as items x models."""
    x = check_array(scores, name, ndim=2, binary=binary)
    k, n = x.shape
    if k < 2:
        raise InputError(
            f"`{name}` must hold at least 2 models (rows); got shape {x.shape}. Score matrices "
            "are (n_models, n_items), like ScoreMatrix."
        )
    if n < 2:
        raise InputError(f"`{name}` must hold at least 2 items (columns); got shape {x.shape}.")
    if n_models is not None:
        if isinstance(n_models, bool) or not isinstance(n_models, int | np.integer):
            raise InputError(f"`n_models` must be an integer; got {n_models!r}.")
        if int(n_models) != k:
            raise InputError(
                f"`n_models` = {n_models} does not match `{name}`'s shape {x.shape}, which is "
                f"(n_models, n_items) = ({k}, {n}); pass `{name}.T` if rows are items."
            )
    elif k > n:
        raise InputError(
            f"`{name}` has shape {x.shape}: read as (n_models, n_items) that is {k} models on "
            f"only {n} items, which usually means a transposed (n_items, n_models) matrix. "
            f"Score matrices are (n_models, n_items), like ScoreMatrix: pass `{name}.T`, or pass "
            f"`n_models={k}` to confirm {k} models."
        )
    return x


def _friedman_ranks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Within-item ranks (k, n) and the tie sums ``sum(t^3 - t)`` per item."""
    ranks = sps.rankdata(x, axis=0)
    k, n = x.shape
    xs = np.sort(x, axis=0)
    new_run = np.ones_like(xs, dtype=bool)
    new_run[1:] = xs[1:] != xs[:-1]
    run_id = np.cumsum(new_run, axis=0) - 1 + k * np.arange(n)[None, :]  # unique per column
    t = np.bincount(run_id.ravel(), minlength=k * n).astype(float)
    ties = np.bincount(np.repeat(np.arange(n), k), weights=(t**3 - t), minlength=n)
    return ranks, ties


def friedman(scores, *, n_models: int | None = None) -> FriedmanResult:
    """Friedman's test that k models score alike, with items as blocks.

    Parameters
    ----------
    scores : array_like of shape (n_models, n_items)
        One row per model; each column is one item (block), as in ``ScoreMatrix``.
    n_models : int, optional
        Confirms the number of models (rows). Needed only when there are more models than items,
        a shape that is refused otherwise because it usually means a transposed matrix.

    Returns
    -------
    FriedmanResult

    Notes
    -----
    With within-item ranks summed per model :math:`R_j` and tie lengths :math:`t`,
    :math:`\\chi^2_F = [12/(nk(k+1)) \\sum_j R_j^2 - 3n(k+1)] / [1 - \\sum(t^3-t)/(nk(k^2-1))]`,
    as ``scipy.stats.friedmanchisquare``.

    References
    ----------
    Friedman (1937), JASA 32:675-701. Demšar (2006), JMLR 7:1-30.

    Examples
    --------
    >>> from assay.stats import friedman
    >>> round(friedman([[1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 6]]).statistic, 3)
    8.0
    """
    x = _scores_iv(scores, "scores", n_models=n_models)
    k, n = x.shape
    ranks, ties = _friedman_ranks(x)
    r_sum = ranks.sum(axis=1)
    chi2 = 12.0 / (n * k * (k + 1)) * np.sum(r_sum**2) - 3.0 * n * (k + 1)
    correction = 1.0 - ties.sum() / (n * k * (k * k - 1))
    if correction <= 0:
        warnings.warn(
            "every item gives all models the same score; Friedman's statistic is undefined (p = 1).",
            DegenerateDataWarning,
            stacklevel=2,
        )
        return FriedmanResult(0.0, 1.0, k - 1, r_sum / n, n, k)
    chi2 /= correction
    return FriedmanResult(float(chi2), float(sps.chi2.sf(chi2, k - 1)), k - 1, r_sum / n, n, k)


def nemenyi(scores, *, alpha: float = 0.05, n_models: int | None = None) -> NemenyiResult:
    """Nemenyi post-hoc test of all pairs of models from their mean Friedman ranks.

    Parameters
    ----------
    scores : array_like of shape (n_models, n_items)
        One row per model, one column per item, as in ``ScoreMatrix``.
    alpha : float, default 0.05
    n_models : int, optional
        Confirms the number of models (rows). Needed only when there are more models than items,
        a shape that is refused otherwise because it usually means a transposed matrix.

    Returns
    -------
    NemenyiResult

    Notes
    -----
    :math:`CD = q_\\alpha \\sqrt{k(k+1)/(6n)}` with :math:`q_\\alpha` the upper-:math:`\\alpha`
    quantile of the studentized range of k means with infinite degrees of freedom divided by
    :math:`\\sqrt 2` (Demšar 2006, Table 5a). Pairwise p-values are
    :math:`P(Q > \\sqrt 2 |R_i - R_j| / \\sqrt{k(k+1)/(6n)})`.

    References
    ----------
    Nemenyi (1963), PhD thesis, Princeton. Demšar (2006), JMLR 7:1-30.

    Examples
    --------
    >>> from assay.stats import nemenyi
    >>> round(nemenyi([[1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 6]]).q_alpha, 3)
    2.344
    """
    alpha = check_probability(alpha, "alpha", open_interval=True)
    x = _scores_iv(scores, "scores", n_models=n_models)
    k, n = x.shape
    ranks = sps.rankdata(x, axis=0)
    mean_ranks = ranks.mean(axis=1)
    se = np.sqrt(k * (k + 1) / (6.0 * n))
    q_alpha = float(sps.studentized_range.ppf(1.0 - alpha, k, np.inf) / np.sqrt(2.0))
    diff = np.abs(mean_ranks[:, None] - mean_ranks[None, :])
    pvalues = np.ones((k, k))
    iu = np.triu_indices(k, 1)
    p_upper = sps.studentized_range.sf(np.sqrt(2.0) * diff[iu] / se, k, np.inf)
    pvalues[iu] = p_upper
    pvalues[(iu[1], iu[0])] = p_upper
    cd = q_alpha * se
    return NemenyiResult(
        critical_difference=float(cd),
        q_alpha=q_alpha,
        mean_ranks=mean_ranks,
        pvalues=np.clip(pvalues, 0.0, 1.0),
        significant=diff > cd,
        alpha=alpha,
        n=n,
        k=k,
    )


def cochran_q(correct, *, n_models: int | None = None) -> CochranQResult:
    """Cochran's Q test that k models have the same accuracy on the same binary items.

    Parameters
    ----------
    correct : array_like of shape (n_models, n_items)
        Binary outcomes (0/1), one row per model, one column per item, as in ``ScoreMatrix``.
    n_models : int, optional
        Confirms the number of models (rows). Needed only when there are more models than items,
        a shape that is refused otherwise because it usually means a transposed matrix.

    Returns
    -------
    CochranQResult

    Notes
    -----
    With column totals :math:`C_j` (per model), row totals :math:`R_i` (per item) and grand total
    :math:`N`, :math:`Q = (k-1)(k\\sum_j C_j^2 - N^2)/(kN - \\sum_i R_i^2)`, chi-square with
    ``k - 1`` degrees of freedom; as ``statsmodels.stats.contingency_tables.cochrans_q``.
    For k = 2 it is McNemar's chi-square without continuity correction.

    References
    ----------
    Cochran (1950), Biometrika 37:256-266.

    Examples
    --------
    >>> from assay.stats import cochran_q
    >>> cochran_q([[1, 1, 0, 1], [0, 1, 0, 0], [0, 0, 0, 0]]).df
    2
    """
    x = _scores_iv(correct, "correct", binary=True, n_models=n_models)
    k, n = x.shape
    col = x.sum(axis=1)
    row = x.sum(axis=0)
    total = col.sum()
    denom = k * total - np.sum(row**2)
    if denom <= 0:
        warnings.warn(
            "every item is answered alike by all models; Cochran's Q is undefined (p = 1).",
            DegenerateDataWarning,
            stacklevel=2,
        )
        return CochranQResult(0.0, 1.0, k - 1, n, k)
    q = (k - 1) * (k * np.sum(col**2) - total**2) / denom
    return CochranQResult(float(q), float(sps.chi2.sf(q, k - 1)), k - 1, n, k)
