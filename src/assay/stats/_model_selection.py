"""Classic model selection for scikit-learn estimators (Raschka 2018): 5x2cv paired t test,
combined 5x2cv F test, McNemar from two prediction vectors, .632 and .632+ bootstrap.

scikit-learn is imported lazily inside the functions that need it: it is a dev dependency.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

import numpy as np
from scipy import stats

from assay._core import InputError
from assay._core._validation import check_choice, check_confidence_level, check_positive_int
from assay.stats._results import EstimateResult, TestResult

__all__ = [
    "BootstrapScoreResult",
    "FiveByTwoResult",
    "McNemarPredictionsResult",
    "bootstrap_632_score",
    "combined_ftest_5x2cv",
    "mcnemar_predictions",
    "paired_ttest_5x2cv",
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class FiveByTwoResult(TestResult):
    """A 5x2cv test.

    Attributes
    ----------
    differences : ndarray, shape (5, 2)
        Score of estimator 1 minus estimator 2, per replication and fold.
    """

    differences: np.ndarray


@dataclasses.dataclass(frozen=True, kw_only=True)
class McNemarPredictionsResult(TestResult):
    """McNemar's test of two classifiers on the same items.

    Attributes
    ----------
    table : ndarray, shape (2, 2)
        ``[[both right, 1 right 2 wrong], [1 wrong 2 right, both wrong]]`` (as mlxtend's
        ``mcnemar_table``).
    """

    table: np.ndarray


@dataclasses.dataclass(frozen=True, kw_only=True)
class BootstrapScoreResult(EstimateResult):
    """Bootstrap (.632, .632+ or out-of-bag) accuracy with a percentile interval.

    Attributes
    ----------
    scores : ndarray, shape (n_splits,)
        One score per bootstrap split; kept off ``to_dict()``.
    """

    _array_fields = ("scores",)

    scores: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0), repr=False)


# ----------------------------------------------------------------------------- validation


def _xy(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    xa, ya = np.asarray(x), np.asarray(y)
    if xa.ndim != 2:
        raise InputError(f"`X` must be 2-D (n_samples, n_features); got shape {xa.shape}.")
    if ya.ndim != 1:
        raise InputError(f"`y` must be 1-D; got shape {ya.shape}.")
    if xa.shape[0] != ya.shape[0]:
        raise InputError(
            f"`X` and `y` must have the same number of samples; got {xa.shape[0]} and {ya.shape[0]}."
        )
    if xa.shape[0] < 4:
        raise InputError(f"`X` needs at least 4 samples; got {xa.shape[0]}.")
    return xa, ya


def _check_estimator(est: Any, name: str) -> None:
    if not (hasattr(est, "fit") and hasattr(est, "predict")):
        raise InputError(
            f"`{name}` must be a scikit-learn style estimator with fit and predict; "
            f"got {type(est).__name__}."
        )


def _split_seeds(rng: Any, count: int, high: int) -> np.ndarray:
    """Seeds of the splits. An int seeds ``RandomState`` as mlxtend does, so splits match it."""
    if isinstance(rng, np.random.Generator):
        return rng.integers(0, high, size=count)
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        if rng is not None and rng < 0:
            raise InputError(f"`rng` seed must be a non-negative integer; got {rng!r}.")
        return np.random.RandomState(rng).randint(low=0, high=high, size=count)
    raise InputError(f"`rng` must be a numpy Generator, an integer seed or None; got {rng!r}.")


# ----------------------------------------------------------------------------- 5x2cv


def _five_by_two(estimator1, estimator2, x, y, scoring, rng) -> np.ndarray:
    from sklearn.base import clone, is_classifier
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import train_test_split

    _check_estimator(estimator1, "estimator1")
    _check_estimator(estimator2, "estimator2")
    x, y = _xy(x, y)
    if scoring is None:
        scoring = "accuracy" if is_classifier(estimator1) else "r2"
    try:
        scorer = get_scorer(scoring) if isinstance(scoring, str) else scoring
    except ValueError:
        raise InputError(f"`scoring` {scoring!r} is not a scikit-learn scorer name.") from None
    if not callable(scorer):
        raise InputError(f"`scoring` must be a scorer name or a callable; got {scoring!r}.")
    # mlxtend draws one seed per replication, in sequence, from RandomState(seed)
    rs = np.random.RandomState(rng) if not isinstance(rng, np.random.Generator) else None
    seeds = _split_seeds(rng, 5, 32767) if rs is None else None
    diffs = np.empty((5, 2))
    for i in range(5):
        seed = int(rs.randint(low=0, high=32767)) if rs is not None else int(seeds[i])
        x1, x2, y1, y2 = train_test_split(x, y, test_size=0.5, random_state=seed)
        for j, (xa, xb, ya, yb) in enumerate(((x1, x2, y1, y2), (x2, x1, y2, y1))):
            e1, e2 = clone(estimator1).fit(xa, ya), clone(estimator2).fit(xa, ya)
            diffs[i, j] = scorer(e1, xb, yb) - scorer(e2, xb, yb)
    return diffs


def _rng_arg(rng):
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    _split_seeds(rng, 1, 2)  # validates
    return int(rng)


def paired_ttest_5x2cv(
    estimator1: Any, estimator2: Any, X: Any, y: Any, *, scoring: Any = None, rng: Any = None
) -> FiveByTwoResult:
    """Dietterich's 5x2cv paired t test of two estimators.

    Parameters
    ----------
    estimator1, estimator2 : scikit-learn estimators
        Cloned and refitted on every half split.
    X : array_like, shape (n_samples, n_features)
    y : array_like, shape (n_samples,)
    scoring : str or callable, optional
        A scikit-learn scorer; default accuracy for classifiers and R^2 for regressors.
    rng : int, numpy.random.Generator or None
        Seed of the five half splits. An int gives the splits of mlxtend's
        ``paired_ttest_5x2cv(random_seed=rng)``.

    Returns
    -------
    FiveByTwoResult
        ``statistic`` (t), two-sided ``pvalue``, ``df`` = 5, the (5, 2) ``differences``.

    Notes
    -----
    With :math:`p_i^{(j)}` the score difference on fold ``j`` of replication ``i``,
    :math:`\\bar p_i` their mean and :math:`s_i^2 = \\sum_j (p_i^{(j)} - \\bar p_i)^2`:
    :math:`t = p_1^{(1)} / \\sqrt{\\tfrac15 \\sum_i s_i^2}`, compared with t(5).

    References
    ----------
    .. [1] T. G. Dietterich, "Approximate statistical tests for comparing supervised
       classification learning algorithms", *Neural Computation* 10(7), 1895-1923, 1998.
    .. [2] S. Raschka, "Model Evaluation, Model Selection, and Algorithm Selection in Machine
       Learning", arXiv:1811.12808, 2018, sec. 4.
    """
    diffs = _five_by_two(estimator1, estimator2, X, y, scoring, _rng_arg(rng))
    var = np.sum((diffs - diffs.mean(axis=1, keepdims=True)) ** 2, axis=1)
    t = diffs[0, 0] / math.sqrt(var.sum() / 5.0) if var.sum() > 0 else math.nan
    p = float(2.0 * stats.t.sf(abs(t), 5)) if math.isfinite(t) else math.nan
    return FiveByTwoResult(statistic=float(t), pvalue=p, alternative="two-sided",
                           method="5x2cv-t", n=10, df=5.0, differences=diffs)  # fmt: skip


def combined_ftest_5x2cv(
    estimator1: Any, estimator2: Any, X: Any, y: Any, *, scoring: Any = None, rng: Any = None
) -> FiveByTwoResult:
    """Alpaydin's combined 5x2cv F test of two estimators.

    Parameters
    ----------
    estimator1, estimator2, X, y, scoring, rng
        As in :func:`paired_ttest_5x2cv`.

    Returns
    -------
    FiveByTwoResult
        ``statistic`` (F), ``pvalue``, ``df`` = (10, 5).

    Notes
    -----
    :math:`F = \\sum_i \\sum_j (p_i^{(j)})^2 / (2 \\sum_i s_i^2)`, compared with F(10, 5).

    References
    ----------
    .. [1] E. Alpaydin, "Combined 5x2 cv F test for comparing supervised classification learning
       algorithms", *Neural Computation* 11(8), 1885-1892, 1999.
    """
    diffs = _five_by_two(estimator1, estimator2, X, y, scoring, _rng_arg(rng))
    var = np.sum((diffs - diffs.mean(axis=1, keepdims=True)) ** 2, axis=1)
    f = float(np.sum(diffs**2) / (2.0 * var.sum())) if var.sum() > 0 else math.nan
    p = float(stats.f.sf(f, 10, 5)) if math.isfinite(f) else math.nan
    return FiveByTwoResult(statistic=f, pvalue=p, alternative="two-sided",
                           method="5x2cv-combined-f", n=10, df=(10.0, 5.0), differences=diffs)  # fmt: skip


# ----------------------------------------------------------------------------- McNemar


def mcnemar_predictions(
    y_true: Any,
    y_pred1: Any,
    y_pred2: Any,
    *,
    method: str = "exact",
    correction: bool = True,
) -> McNemarPredictionsResult:
    """McNemar's test of two classifiers from their predictions on the same items.

    Parameters
    ----------
    y_true : array_like, shape (n,)
        True labels.
    y_pred1, y_pred2 : array_like, shape (n,)
        The two classifiers' predictions.
    method : {"exact", "chi2"}, default "exact"
        Exact binomial test on the discordant pairs, or the chi-square approximation.
    correction : bool, default True
        Edwards' continuity correction (chi-square only).

    Returns
    -------
    McNemarPredictionsResult
        ``statistic`` (the smaller discordant count for exact, chi-square otherwise), ``pvalue``,
        ``table``.

    Notes
    -----
    With ``b`` items only classifier 1 gets right and ``c`` only classifier 2:
    exact :math:`p = \\min(1, 2 F_{Bin(b+c, 1/2)}(\\min(b, c)))`; chi-square
    :math:`(|b - c| - 1)^2/(b + c)` with correction, :math:`(b-c)^2/(b+c)` without, on 1 df.

    With no discordant pairs (``b + c = 0``) every method returns statistic 0 and p = 1: the two
    classifiers never disagree, so the data hold no evidence of a difference (the exact test's
    p-value is 1 there by definition). This is a choice at an edge where the references differ:
    ``statsmodels.stats.contingency_tables.mcnemar`` returns p = 0 with the continuity-corrected
    chi-square (its statistic (|0| - 1)^2 / 0 is inf) and NaN without correction.

    References
    ----------
    .. [1] Q. McNemar, "Note on the sampling error of the difference between correlated
       proportions or percentages", *Psychometrika* 12(2), 153-157, 1947.
    .. [2] A. L. Edwards, "Note on the 'correction for continuity' in testing the significance
       of the difference between correlated proportions", *Psychometrika* 13, 185-187, 1948.

    Examples
    --------
    >>> import numpy as np
    >>> from assay.stats._model_selection import mcnemar_predictions
    >>> y = np.zeros(10_000)
    >>> p1 = np.r_[np.zeros(9959 + 11), np.ones(1 + 29)]
    >>> p2 = np.r_[np.zeros(9959), np.ones(11), np.zeros(1), np.ones(29)]
    >>> mcnemar_predictions(y, p1, p2).pvalue
    0.00634765625
    """
    method = check_choice(method, "method", ("exact", "chi2"))
    if not isinstance(correction, bool | np.bool_):
        raise InputError(f"`correction` must be True or False; got {correction!r}.")
    arrays = [np.asarray(a) for a in (y_true, y_pred1, y_pred2)]
    for arr, name in zip(arrays, ("y_true", "y_pred1", "y_pred2")):
        if arr.ndim != 1 or arr.size == 0:
            raise InputError(f"`{name}` must be a non-empty 1-D array; got shape {arr.shape}.")
    if len({a.size for a in arrays}) != 1:
        raise InputError(
            "`y_true`, `y_pred1` and `y_pred2` must have the same length; got "
            f"{', '.join(str(a.size) for a in arrays)}."
        )
    r1, r2 = arrays[1] == arrays[0], arrays[2] == arrays[0]
    table = np.array([[np.sum(r1 & r2), np.sum(r1 & ~r2)], [np.sum(~r1 & r2), np.sum(~r1 & ~r2)]])
    b, c = int(table[0, 1]), int(table[1, 0])
    if b + c == 0:
        stat, p = (0.0, 1.0)
    elif method == "exact":
        stat = float(min(b, c))
        p = float(min(1.0, 2.0 * stats.binom.cdf(min(b, c), b + c, 0.5)))
    else:
        stat = float((abs(b - c) - (1.0 if correction else 0.0)) ** 2 / (b + c))
        p = float(stats.chi2.sf(stat, 1))
    name = "mcnemar-exact" if method == "exact" else "mcnemar-chi2" + ("-cc" if correction else "")
    return McNemarPredictionsResult(statistic=stat, pvalue=p, alternative="two-sided", method=name,
                         n=int(arrays[0].size), df=None if method == "exact" else 1.0,
                         table=table)  # fmt: skip


# ----------------------------------------------------------------------------- .632 bootstrap


def _no_information_error(y: np.ndarray, pred: np.ndarray) -> float:
    """gamma: error rate of predictions paired with targets at random (Efron & Tibshirani 1997)."""
    classes = np.unique(np.concatenate([y, pred]))
    p = np.array([np.mean(y == k) for k in classes])
    q = np.array([np.mean(pred == k) for k in classes])
    return float(1.0 - p @ q)


def bootstrap_632_score(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    method: str = ".632",
    n_splits: int = 200,
    confidence_level: float = 0.95,
    rng: Any = None,
) -> BootstrapScoreResult:
    """Accuracy of a classifier by the .632, .632+ or out-of-bag bootstrap.

    Parameters
    ----------
    estimator : scikit-learn classifier
        Cloned and refitted on each bootstrap sample.
    X : array_like, shape (n_samples, n_features)
    y : array_like, shape (n_samples,)
    method : {".632", ".632+", "oob"}, default ".632"
        Estimator of the accuracy.
    n_splits : int, default 200
        Bootstrap samples.
    confidence_level : float, default 0.95
        Coverage of the percentile interval over the per-split scores.
    rng : int, numpy.random.Generator or None
        An int draws the bootstrap samples as mlxtend's ``BootstrapOutOfBag(random_seed=rng)``.

    Returns
    -------
    BootstrapScoreResult
        ``estimate`` (mean of the per-split scores), percentile ``ci_low``/``ci_high``,
        ``se`` (SD of the scores), ``scores``.

    Notes
    -----
    Per split ``b``: :math:`\\epsilon_0` the error on the items left out of the bootstrap
    sample, :math:`\\bar{err}` the error of the same fit on the whole data (Efron 1983, eq.
    6.12). .632: :math:`1 - (0.632\\,\\epsilon_0 + 0.368\\,\\bar{err})`. .632+ (Efron &
    Tibshirani 1997): no-information error :math:`\\gamma = \\sum_k p_k (1 - q_k)`, relative
    overfitting :math:`R = (\\epsilon_0 - \\bar{err})/(\\gamma - \\bar{err})`, weight
    :math:`w = 0.632/(1 - 0.368 R)`, accuracy :math:`1 - (w\\epsilon_0 + (1-w)\\bar{err})`.
    Unlike mlxtend, ``R`` is clipped to [0, 1] and :math:`\\epsilon_0` to at most
    :math:`\\gamma` as the paper prescribes (eq. 32); results agree whenever no clipping is
    needed.

    References
    ----------
    .. [1] B. Efron, "Estimating the error rate of a prediction rule: improvement on
       cross-validation", *JASA* 78(382), 316-331, 1983.
    .. [2] B. Efron and R. Tibshirani, "Improvements on cross-validation: the .632+ bootstrap
       method", *JASA* 92(438), 548-560, 1997.
    """
    from sklearn.base import clone

    method = check_choice(method, "method", (".632", ".632+", "oob"))
    n_splits = check_positive_int(n_splits, "n_splits", minimum=2)
    confidence_level = check_confidence_level(confidence_level)
    _check_estimator(estimator, "estimator")
    x, y = _xy(X, y)
    n = x.shape[0]
    if isinstance(rng, np.random.Generator):
        draws = (rng.integers(0, n, size=n) for _ in range(n_splits))
    else:
        rs = np.random.RandomState(_rng_arg(rng))
        draws = (rs.choice(np.arange(n), size=n, replace=True) for _ in range(n_splits))
    scores = np.empty(n_splits)
    for b, train in enumerate(draws):
        test = np.setdiff1d(np.arange(n), train)
        if test.size == 0:
            scores[b] = np.nan
            continue
        fit = clone(estimator).fit(x[train], y[train])
        err0 = float(np.mean(fit.predict(x[test]) != y[test]))
        if method == "oob":
            scores[b] = 1.0 - err0
            continue
        pred_all = fit.predict(x)
        err_bar = float(np.mean(pred_all != y))
        w = 0.632
        if method == ".632+":
            gamma = _no_information_error(y, pred_all)
            err0 = min(err0, gamma)
            r = (err0 - err_bar) / (gamma - err_bar) if err0 > err_bar and gamma > err_bar else 0.0
            w = 0.632 / (1.0 - 0.368 * min(max(r, 0.0), 1.0))
        scores[b] = 1.0 - (w * err0 + (1.0 - w) * err_bar)
    ok = scores[np.isfinite(scores)]
    alpha = (1.0 - confidence_level) / 2.0
    lo, hi = np.percentile(ok, [100 * alpha, 100 * (1 - alpha)])
    return BootstrapScoreResult(
        estimate=float(ok.mean()), ci_low=float(lo), ci_high=float(hi),
        confidence_level=confidence_level, method=f"bootstrap{method}", n=n,
        se=float(ok.std(ddof=1)), scores=scores,
    )  # fmt: skip
