"""Calibration metrics with bootstrap intervals, and the paired comparison of two models.

Every metric is a function of a confidence per answer (the probability the model gives that its
answer is right) and whether the answer was right. The estimates and all resamples run through
one weighted engine (:mod:`assay.calibration._engine`), so intervals cost a few matrix products
rather than a Python loop over resamples.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
from scipy import special

from assay._core import DegenerateDataWarning, InputError
from assay._core._validation import (
    check_alternative,
    check_array,
    check_choice,
    check_confidence_level,
    check_missing_policy,
    check_positive_int,
    check_probability,
    check_rng,
)
from assay.calibration import _engine as E
from assay.calibration._results import (
    BrierDecomposition,
    CalibrationComparison,
    CalibrationResult,
    ReliabilityDiagram,
    RiskCoverageCurve,
)
from assay.stats._bootstrap import _bootstrap_interval, _encode_clusters
from assay.stats._results import BootstrapResult

__all__ = [
    "METRIC_NAMES",
    "brier_decomposition",
    "calibration_metrics",
    "compare_calibration",
    "debiased_l2_ce",
    "ece",
    "mce",
    "point_metrics",
    "reliability_diagram",
    "risk_coverage_curve",
    "smooth_ece",
]

#: Every metric :func:`calibration_metrics` knows (the multiclass ones need ``y_prob``).
METRIC_NAMES = tuple(E.METRICS)
INTERVAL_METHODS = ("percentile", "basic")


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _check_pair(confidence: Any, correct: Any, missing: str = "raise"):
    """Return float64 (confidence, correct, n_omitted) after checking shapes, range and NaN."""
    missing = check_missing_policy(missing)
    conf = check_array(confidence, "confidence", ndim=1, allow_nan=True)
    corr = check_array(correct, "correct", ndim=1, allow_nan=True)
    if conf.shape != corr.shape:
        raise InputError(
            f"`confidence` and `correct` must have one value per answer; got {conf.size} and {corr.size}."
        )
    n_omitted = 0
    if np.isnan(conf.min()) or np.isnan(corr.min()):  # NaN propagates: one pass each
        bad = np.isnan(conf) | np.isnan(corr)
        if missing != "omit":
            raise InputError(
                f"{int(bad.sum())} answer(s) lack a confidence or an outcome (NaN); "
                "pass `missing='omit'` to leave them out."
            )
        conf, corr, n_omitted = conf[~bad], corr[~bad], int(bad.sum())
        if conf.size == 0:
            raise InputError("every answer lacks a confidence or an outcome; nothing to compute.")
    if conf.min() < 0.0 or conf.max() > 1.0:
        outside = (conf < 0.0) | (conf > 1.0)
        raise InputError(
            f"`confidence` must lie in [0, 1]; {int(outside.sum())} value(s) do not, e.g. "
            f"{conf[outside][0]!r}."
        )
    if np.count_nonzero(corr * (1.0 - corr)):  # zero exactly when every value is 0 or 1
        nonbinary = (corr != 0.0) & (corr != 1.0)
        raise InputError(
            f"`correct` must hold 0 or 1 per answer; found {int(nonbinary.sum())} other value(s), "
            f"e.g. {corr[nonbinary][0]!r}."
        )
    return conf, corr, n_omitted


def _check_multiclass(y_prob: Any, y_true: Any, n: int):
    probs = check_array(y_prob, "y_prob", ndim=2)
    if probs.shape[0] != n or probs.shape[1] < 2:
        raise InputError(
            f"`y_prob` must have shape (n_answers={n}, n_classes >= 2); got {probs.shape}."
        )
    if (probs < 0).any() or (probs > 1).any():
        raise InputError("`y_prob` must hold probabilities in [0, 1].")
    labels = np.asarray(y_true)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise InputError(
            f"`y_true` must be {n} integer class labels; got {labels.dtype} {labels.shape}."
        )
    if labels.min() < 0 or labels.max() >= probs.shape[1]:
        raise InputError(f"`y_true` labels must lie in 0..{probs.shape[1] - 1}.")
    return probs, labels.astype(np.int64)


def _check_common(n_bins, threshold, coverage):
    n_bins = check_positive_int(n_bins, "n_bins")
    threshold = check_probability(threshold, "threshold")
    coverage = check_probability(coverage, "coverage")
    if coverage == 0.0:
        raise InputError("`coverage` must be in (0, 1]; got 0.")
    return n_bins, threshold, coverage


def _check_metrics(metrics: Any, multiclass: bool) -> tuple[str, ...]:
    available = E.METRICS if multiclass else E.BINARY_METRICS
    if metrics is None:
        return tuple(available)
    names = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    if not names:
        raise InputError("`metrics` must name at least one metric.")
    for m in names:
        if m in E.MULTICLASS_METRICS and not multiclass:
            raise InputError(f"metric {m!r} needs `y_prob` and `y_true` (class probabilities).")
        check_choice(m, "metrics", METRIC_NAMES)
    return names


def _prepare(
    confidence,
    correct,
    *,
    n_bins=15,
    threshold=0.9,
    coverage=0.8,
    missing="raise",
    y_prob=None,
    y_true=None,
) -> tuple[E.Prepared, int]:
    if y_prob is not None:
        probs, labels = _check_multiclass(y_prob, y_true, np.shape(y_prob)[0])
        conf = probs.max(axis=1)
        corr = (probs.argmax(axis=1) == labels).astype(np.float64)
        n_omitted = 0
    else:
        if confidence is None or correct is None:
            raise InputError("give `confidence` and `correct`, or `y_prob` and `y_true`.")
        conf, corr, n_omitted = _check_pair(confidence, correct, missing)
        probs = labels = None
    n_bins, threshold, coverage = _check_common(n_bins, threshold, coverage)
    p = E.Prepared(conf, corr, n_bins=n_bins, threshold=threshold, coverage=coverage,
                   y_prob=probs, y_true=labels)  # fmt: skip
    return p, n_omitted


# --------------------------------------------------------------------------------------------
# Point estimates
# --------------------------------------------------------------------------------------------


def ece(confidence: Any, correct: Any, *, n_bins: int = 15, binning: str = "width") -> float:
    """Expected calibration error: the answer-weighted mean gap between confidence and accuracy.

    Parameters
    ----------
    confidence : array_like, shape (n,)
        Probability, in [0, 1], that each answer is right (float32 or float64: computed in
        float64 either way).
    correct : array_like, shape (n,)
        1 where the answer was right, 0 where it was wrong.
    n_bins : int, default 15
    binning : {"width", "mass"}, default "width"
        Equal-width bins ``[k/n_bins, (k+1)/n_bins)`` (last closed), or equal-mass bins as in
        Kumar et al.'s ``calibration.get_equal_bins`` (edges at the midpoints of the values
        either side of ``numpy.array_split`` cuts of the sorted answers, binned by value: tied
        confidences stay in one bin; ``get_ece_em`` to 1e-12).

    Returns
    -------
    float

    Notes
    -----
    :math:`\\mathrm{ECE} = \\sum_b \\frac{n_b}{n} |\\bar y_b - \\bar f_b|` (Naeini et al. 2015;
    Guo et al. 2017). With equal-width bins this is ``netcal.metrics.ECE(bins=n_bins)`` on
    binary confidences; netcal's ``ACE`` is a different statistic (the unweighted mean over
    non-empty bins), not the equal-mass ECE.

    Examples
    --------
    >>> ece([0.9, 0.9, 0.6, 0.6], [1, 0, 1, 1], n_bins=10)
    0.4
    """
    binning = check_choice(binning, "binning", ("width", "mass"))
    conf, corr, _ = _check_pair(confidence, correct)
    n_bins = check_positive_int(n_bins, "n_bins")
    if binning == "width":  # one pass: the sum of (f - y) per bin
        gap = np.bincount(E.width_index(conf, n_bins), weights=conf - corr, minlength=n_bins)
        return float(np.abs(gap).sum() / conf.size)
    return point_metrics(conf, corr, metrics=["ece_mass"], n_bins=n_bins)["ece_mass"]


def mce(confidence: Any, correct: Any, *, n_bins: int = 15) -> float:
    """Maximum calibration error: the largest |accuracy - confidence| over non-empty equal-width bins.

    Examples
    --------
    >>> mce([0.9, 0.9, 0.6, 0.6], [1, 0, 1, 1], n_bins=10)
    0.4
    """
    return point_metrics(confidence, correct, metrics=["mce"], n_bins=n_bins)["mce"]


def debiased_l2_ce(confidence: Any, correct: Any, *, n_bins: int = 15) -> float:
    """Debiased L2 calibration error over equal-mass bins (Kumar, Liang & Ma 2019).

    Notes
    -----
    :math:`\\sqrt{\\max(0, \\sum_b \\frac{n_b}{n} [(\\bar f_b - \\bar y_b)^2 -
    \\bar y_b (1 - \\bar y_b) / (n_b - 1)])}`, bins with fewer than two answers contributing 0,
    the estimator of the authors' ``calibration`` package (``unbiased_l2_ce``).

    The bins are the package's equal-mass bins (``calibration.get_equal_bins``): the answers
    sorted by confidence are cut into ``n_bins`` runs of ``numpy.array_split`` sizes, each
    edge is the midpoint of the values either side of a cut, and answers are binned by value
    (``searchsorted``, left), so a run of tied confidences at a cut goes whole into the lower
    bin and bins whose edges coincide merge. The value equals
    ``lower_bound_scaling_ce(..., p=2, debias=True, binning_scheme=get_equal_bins)`` to 1e-12
    with and without ties (``tests/calibration/test_metrics.py``); a bootstrap resample is
    binned the same way, its copies of an answer being tied confidences.

    References
    ----------
    .. [1] A. Kumar, P. Liang, T. Ma, "Verified Uncertainty Calibration", NeurIPS 2019.
    """
    return point_metrics(confidence, correct, metrics=["debiased_l2_ce"], n_bins=n_bins)[
        "debiased_l2_ce"
    ]


def smooth_ece(confidence: Any, correct: Any) -> float:
    """Smooth ECE (Błasiok & Nakkiran 2023): kernel-smoothed residuals at the fixed-point bandwidth.

    Notes
    -----
    :math:`\\mathrm{smECE}_\\sigma = \\int_0^1 |\\frac1n \\sum_i (y_i - f_i) K_\\sigma(t, f_i)| dt`
    with a Gaussian kernel reflected at 0 and 1, and :math:`\\sigma^*` the solution of
    :math:`\\mathrm{smECE}_{\\sigma} = \\sigma` (found by bisection; smECE decreases in σ).
    Computed on a grid of 2,001 points by FFT convolution, as the authors' ``relplot`` does.

    References
    ----------
    .. [1] J. Błasiok, P. Nakkiran, "Smooth ECE: Principled Reliability Diagrams via Kernel
       Smoothing", arXiv:2309.12236, 2023.
    """
    return point_metrics(confidence, correct, metrics=["smooth_ece"])["smooth_ece"]


def point_metrics(
    confidence: Any = None,
    correct: Any = None,
    *,
    metrics: Any = None,
    y_prob: Any = None,
    y_true: Any = None,
    n_bins: int = 15,
    threshold: float = 0.9,
    coverage: float = 0.8,
    missing: str = "raise",
) -> dict[str, float]:
    """Point estimates of ``metrics`` (default: all), without intervals.

    Takes ``confidence`` and ``correct``, or ``y_prob`` (n, K) and ``y_true`` (the confidence is
    then the top-label probability and ``correct`` whether the argmax is the label). See
    :func:`calibration_metrics` for the definitions.
    """
    p, _ = _prepare(confidence, correct, n_bins=n_bins, threshold=threshold, coverage=coverage,
                    missing=missing, y_prob=y_prob, y_true=y_true)  # fmt: skip
    names = _check_metrics(metrics, p.y_prob is not None)
    if "smooth_ece" in names:
        E.fix_bandwidth(p)
    values = E.evaluate(p, np.ones((1, p.n)), names)[0]
    return {m: float(v) for m, v in zip(names, values)}


# --------------------------------------------------------------------------------------------
# Curves and decompositions
# --------------------------------------------------------------------------------------------


def reliability_diagram(confidence: Any, correct: Any, *, n_bins: int = 15, binning: str = "width",
                        missing: str = "raise") -> ReliabilityDiagram:  # fmt: skip
    """Counts, mean confidence and accuracy per bin (the data of a reliability diagram).

    Examples
    --------
    >>> d = reliability_diagram([0.05, 0.95, 0.95], [0, 1, 0], n_bins=2)
    >>> d.count.tolist(), d.accuracy.tolist()
    ([1, 2], [0.0, 0.5])
    """
    binning = check_choice(binning, "binning", ("width", "mass"))
    p, _ = _prepare(confidence, correct, n_bins=n_bins, missing=missing)
    return _reliability(p, binning)


def _reliability(p: E.Prepared, binning: str) -> ReliabilityDiagram:
    w = np.ones((1, p.n))
    if binning == "width":
        cnt, sc, sy = E._bins(w, p.width_design)[:, 0]
        edges = np.linspace(0.0, 1.0, p.n_bins + 1)
    else:
        cnt, sc, sy = E.mass_bins(p, w)[:, 0]
        bounds = np.r_[0, np.cumsum(cnt)].astype(np.int64)
        asc = p.conf[::-1]
        edges = np.r_[asc[np.minimum(bounds[:-1], p.n - 1)], asc[-1]]
    with np.errstate(invalid="ignore", divide="ignore"):
        return ReliabilityDiagram(binning=binning, edges=edges, count=cnt.astype(np.int64),
                                  mean_confidence=np.where(cnt > 0, sc / cnt, np.nan),
                                  accuracy=np.where(cnt > 0, sy / cnt, np.nan))  # fmt: skip


def risk_coverage_curve(confidence: Any, correct: Any, *, max_points: int = 201,
                        missing: str = "raise") -> RiskCoverageCurve:  # fmt: skip
    """Selective risk at each coverage, keeping the most confident answers first.

    Notes
    -----
    Answers with tied confidence are kept or dropped together: at each distinct confidence
    :math:`t`, coverage is the share with :math:`f \\ge t` and risk their error rate. AURC is the
    area under this step curve, :math:`\\sum_t \\Delta\\mathrm{cov}_t\\,\\mathrm{risk}_t`, which
    without ties is Geifman et al.'s :math:`\\frac1n \\sum_{k=1}^n \\mathrm{risk}(k)`. The
    optimal AURC at overall risk :math:`r` is :math:`r + (1-r)\\ln(1-r)` (Geifman et al. 2019).

    References
    ----------
    .. [1] Y. Geifman, G. Uziel, R. El-Yaniv, "Bias-Reduced Uncertainty Estimation for Deep
       Neural Classifiers", ICLR 2019.
    """
    max_points = check_positive_int(max_points, "max_points", minimum=2)
    p, _ = _prepare(confidence, correct, missing=missing)
    return _risk_coverage(p, max_points)


def _risk_coverage(p: E.Prepared, max_points: int) -> RiskCoverageCurve:
    w = np.ones((1, p.n))
    s = E.stats(p, w, frozenset({"aurc"}))
    seen = s["seen"][0]
    risk = 1.0 - s["right"][0] / seen
    thresholds = p.conf[p.group_starts]
    coverage = seen / p.n
    keep = np.unique(
        np.linspace(0, coverage.size - 1, min(max_points, coverage.size)).round().astype(int)
    )
    aurc = float(E._aurc(s)[0])
    return RiskCoverageCurve(coverage=coverage[keep], risk=risk[keep], threshold=thresholds[keep],
                             aurc=aurc, optimal_aurc=float(E.optimal_aurc(1.0 - p.correct.mean())),
                             n=p.n)  # fmt: skip


def brier_decomposition(confidence: Any, correct: Any, *, n_bins: int = 15) -> BrierDecomposition:
    """Brier score with Murphy's reliability, resolution and uncertainty over equal-width bins.

    Notes
    -----
    :math:`\\mathrm{REL} = \\sum_b \\frac{n_b}{n} (\\bar f_b - \\bar y_b)^2`,
    :math:`\\mathrm{RES} = \\sum_b \\frac{n_b}{n} (\\bar y_b - \\bar y)^2`,
    :math:`\\mathrm{UNC} = \\bar y (1 - \\bar y)`, and
    :math:`\\mathrm{BS} = \\mathrm{REL} - \\mathrm{RES} + \\mathrm{UNC} + \\mathrm{WB}` where the
    within-bin term WB vanishes when every bin holds a single confidence value (Murphy 1973;
    Stephenson, Coelho & Jolliffe 2008).

    Examples
    --------
    >>> d = brier_decomposition([0.2, 0.2, 0.8, 0.8], [0, 1, 1, 1], n_bins=10)
    >>> round(d.brier, 4), round(d.reliability - d.resolution + d.uncertainty, 4)
    (0.19, 0.19)
    """
    names = ("brier", "brier_reliability", "brier_resolution", "brier_uncertainty")
    v = point_metrics(confidence, correct, metrics=names, n_bins=n_bins)
    wb = v["brier"] - (v["brier_reliability"] - v["brier_resolution"] + v["brier_uncertainty"])
    return BrierDecomposition(brier=v["brier"], reliability=v["brier_reliability"],
                              resolution=v["brier_resolution"], uncertainty=v["brier_uncertainty"],
                              within_bin=float(wb), n_bins=int(n_bins), n=int(np.size(confidence)))  # fmt: skip


# --------------------------------------------------------------------------------------------
# Metrics with intervals
# --------------------------------------------------------------------------------------------


def _check_boot(n_resamples, confidence_level, interval, rng, clusters, n):
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=2)
    confidence_level = check_confidence_level(confidence_level)
    interval = check_choice(interval, "interval", INTERVAL_METHODS)
    rng = check_rng(rng)
    codes = None if clusters is None else _encode_clusters(clusters, n)
    return n_resamples, confidence_level, interval, rng, codes


def _intervals(names, est, dist, *, level, interval, n, n_resamples, codes):
    out = {}
    degenerate = []
    for j, m in enumerate(names):
        d = dist[:, j]
        finite = d[np.isfinite(d)]
        if not np.isfinite(est[j]) or finite.size < max(2, n_resamples // 2):
            lo = hi = se = np.nan
            degenerate.append(m)
        else:
            lo, hi = _bootstrap_interval(
                float(est[j]), finite, method=interval, confidence_level=level
            )
            se = float(finite.std(ddof=1))
        out[m] = BootstrapResult(
            estimate=float(est[j]), ci_low=float(lo), ci_high=float(hi), confidence_level=level,
            method=f"bootstrap-{interval}" + ("" if codes is None else "-cluster"), n=n,
            se=float(se), n_resamples=n_resamples,
            n_clusters=None if codes is None else int(codes.max()) + 1, distribution=d,
        )  # fmt: skip
    if degenerate:
        warnings.warn(
            f"no interval for {', '.join(degenerate)}: undefined on these data or on most "
            "resamples (e.g. AUROC when every answer is right).",
            DegenerateDataWarning,
            stacklevel=3,
        )
    return out


#: Outer and inner resamples of the double bootstrap behind ``ece_debiased``'s interval (at
#: most; fewer where ``n * outer * inner`` would pass ``DEBIAS_BUDGET`` weights, down to 50 and 10).
DEBIAS_OUTER, DEBIAS_INNER, DEBIAS_BUDGET = 200, 50, 10_000_000


def _debias_sizes(units: int) -> tuple[int, int]:
    inner = int(np.clip(DEBIAS_BUDGET // (DEBIAS_OUTER * units), 10, DEBIAS_INNER))
    outer = int(np.clip(DEBIAS_BUDGET // (inner * units), 50, DEBIAS_OUTER))
    return outer, inner


def _corrected(p: E.Prepared, w: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """Bias-corrected ECE ``2 ECE(w) - mean ECE(inner)`` of each outer row ``w``."""
    k = inner.shape[0] // w.shape[0]
    outer = E._ece_from(E._bins(w, p.width_design), w.sum(axis=1))
    again = E._ece_from(E._bins(inner, p.width_design), inner.sum(axis=1))
    return 2.0 * outer - again.reshape(-1, k).mean(axis=1)


def _counts(draws: np.ndarray, units: int) -> np.ndarray:
    """(b, units) draw counts of each row of unit indices ``draws``."""
    b = draws.shape[0]
    flat = (draws + units * np.arange(b)[:, None]).ravel()
    return np.bincount(flat, minlength=b * units).reshape(b, units).astype(np.float64)


def _debiased_draws(p: E.Prepared, rng, codes) -> np.ndarray:
    """The bias-corrected ECE of each outer resample of a double bootstrap (inner re-draws).

    Each outer resample counts ``u`` per unit (answer or cluster); its inner resamples draw the
    same number of units, with replacement, from the outer one's draws.
    """
    units = p.n if codes is None else int(codes.max()) + 1
    n_outer, n_inner = _debias_sizes(p.n)
    step = max(1, E.CHUNK_ELEMENTS // max(p.n * n_inner, 1))
    values = []
    for start in range(0, n_outer, step):
        b = min(step, n_outer - start)
        drawn = rng.integers(0, units, size=(b, units))  # the outer resamples' units
        pick = rng.integers(0, units, size=(b * n_inner, units))
        inner = np.take_along_axis(np.repeat(drawn, n_inner, axis=0), pick, axis=1)
        u, inner = _counts(drawn, units), _counts(inner, units)
        if codes is not None:
            u, inner = u[:, codes], inner[:, codes]
        values.append(_corrected(p, u, inner))
    c = np.concatenate(values)
    return c[np.isfinite(c)]


def _debiased(ece: BootstrapResult, p: E.Prepared, rng, codes) -> BootstrapResult:
    """Bootstrap bias-corrected ECE with an interval from a double bootstrap, at >= 0.

    Binned ECE is biased upwards (each bin's |accuracy - confidence| carries its sampling
    noise); the bootstrap sees that bias as the excess of the resampled values over the
    estimate and subtracts it: :math:`\\tilde\\theta = 2\\hat\\theta - \\overline{\\theta^*}`
    (Efron and Tibshirani 1993, sec. 10.6). The correction adds variance of its own, which the
    ordinary bootstrap SD misses (by 10-30% in our simulations), so the SD of
    :math:`\\tilde\\theta` is taken from a double bootstrap (``DEBIAS_OUTER`` outer resamples,
    each with ``DEBIAS_INNER`` inner ones; fewer above 1,000 answers).

    Near calibration the correction removes only about half of the bias (at a true ECE of
    0.042 and n = 100, :math:`\\tilde\\theta` averages 0.075), and the symmetric interval
    :math:`\\tilde\\theta \\pm z\\,\\mathrm{sd}` covered 91.5%. The double bootstrap also
    estimates that remaining bias, :math:`r = \\overline{\\tilde\\theta^*} - \\tilde\\theta`
    (the mean corrected value of the outer resamples against the corrected estimate), so the
    lower end is taken from the twice-corrected :math:`\\tilde\\theta - r` where that is lower:
    :math:`[\\min(\\tilde\\theta, \\tilde\\theta - r) - z\\,\\mathrm{sd},\\ \\tilde\\theta +
    z\\,\\mathrm{sd}]`, clipped at 0. The point estimate stays :math:`\\tilde\\theta` (the
    twice-corrected one is noisier). Coverage in ``benchmarks/coverage_calibration_curves.py``.
    """
    d = ece.distribution[np.isfinite(ece.distribution)]
    name = "double-bootstrap-bias-corrected-normal" + ("-cluster" if codes is not None else "")
    if not np.isfinite(ece.estimate) or d.size < 2:
        return dataclasses.replace(ece, method=name)
    est = 2.0 * ece.estimate - float(d.mean())
    c = _debiased_draws(p, rng, None if codes is None else codes[p.perm])
    sd = float(c.std(ddof=1)) if c.size > 2 else float("nan")
    residual = float(c.mean()) - est if c.size > 2 else 0.0
    half = float(special.ndtri(0.5 + ece.confidence_level / 2)) * sd
    return dataclasses.replace(
        ece,
        estimate=max(0.0, est),
        ci_low=max(0.0, min(est, est - residual) - half),
        ci_high=max(0.0, est + half),
        se=sd,
        method=name,
        distribution=2.0 * ece.estimate - ece.distribution,
    )


def _bootstrap(p: E.Prepared, names, n_resamples, rng, codes) -> np.ndarray:
    parts = [E.evaluate(p, w, names) for w in E.resample_weights(p.n, n_resamples, rng, codes)]
    return np.concatenate(parts, axis=0)


def calibration_metrics(
    confidence: Any = None,
    correct: Any = None,
    *,
    y_prob: Any = None,
    y_true: Any = None,
    metrics: Any = None,
    n_bins: int = 15,
    threshold: float = 0.9,
    coverage: float = 0.8,
    clusters: Any = None,
    missing: str = "raise",
    n_resamples: int = 1000,
    interval: str = "percentile",
    confidence_level: float = 0.95,
    rng: Any = None,
) -> CalibrationResult:
    """Calibration, discrimination and selective-prediction metrics, each with a bootstrap interval.

    Parameters
    ----------
    confidence : array_like, shape (n,)
        Probability, in [0, 1], that each answer is right.
    correct : array_like, shape (n,)
        1 where the answer was right, 0 where wrong.
    y_prob, y_true : array_like, optional
        Instead of ``confidence`` and ``correct``: class probabilities (n, K) and integer labels.
        The confidence is then the top-label probability, ``correct`` whether the argmax is the
        label, and the multiclass metrics are added.
    metrics : str or sequence of str, optional
        Which metrics (default all; see Notes).
    n_bins : int, default 15
        Bins of the binned metrics.
    threshold : float, default 0.9
        Confidence at and above which an answer counts as "high confidence".
    coverage : float, default 0.8
        Share of most-confident answers kept for ``accuracy_at_coverage``.
    clusters : array_like, shape (n,), optional
        Cluster label per answer: whole clusters are resampled.
    missing : {"raise", "omit"}, default "raise"
        What to do with answers lacking a confidence or outcome (NaN); ``n_omitted`` counts them.
    n_resamples : int, default 1000
    interval : {"percentile", "basic"}, default "percentile"
        Bootstrap interval. The binned calibration errors are biased upwards in small samples;
        the basic (reverse-percentile) interval corrects the bias the bootstrap can see
        (see the coverage study in ``benchmarks/README.md``).
    confidence_level : float, default 0.95
    rng : numpy.random.Generator, int or None

    Returns
    -------
    CalibrationResult

    Notes
    -----
    Metrics (``f`` confidence, ``y`` correctness):

    - ``ece`` / ``ece_mass``: :math:`\\sum_b \\frac{n_b}{n}|\\bar y_b - \\bar f_b|` over equal-width
      / equal-mass bins; ``mce``: the largest bin gap (equal-width, non-empty bins);
    - ``ece_debiased`` (added whenever ``ece`` is computed): the bootstrap bias-corrected ECE
      :math:`2\\,\\mathrm{ECE} - \\overline{\\mathrm{ECE}^*}` with a normal interval whose SD
      comes from a double bootstrap, clipped at 0. Binned ECE is biased upwards at small n: on
      confidences ~ Beta(5, 2) with P(correct | f) = f^1.6 (true ECE 0.116) the mean ECE is
      0.149 at n = 100 and 0.122 at n = 500, the bias-corrected one 0.121 and 0.116; the
      percentile interval of ECE covers 63% / 90% at 95%, that of ``ece_debiased`` 95.5% / 96%
      (docs/calibration.md has the table). Prefer ``ece_debiased`` at small n;
    - ``debiased_l2_ce``: Kumar et al. (2019), equal-mass bins; ``smooth_ece``: Błasiok &
      Nakkiran (2023), bandwidth held at the point estimate's σ* in the resamples;
    - ``brier`` :math:`\\overline{(f - y)^2}` and Murphy's ``brier_reliability``,
      ``brier_resolution``, ``brier_uncertainty``; ``nll``: mean binary log-loss of ``f``
      against ``y`` (clipped at float64 epsilon);
    - ``auroc``, ``auprc``: confidence as a score for telling right (positive) from wrong
      answers (AUPRC as average precision, as scikit-learn); ties count half in AUROC;
    - ``aurc``, ``excess_aurc``: area under the risk-coverage curve and its excess over the
      optimum :math:`r + (1-r)\\ln(1-r)`; ``accuracy_at_coverage``: accuracy of the
      ``coverage`` most confident answers (a tied group at the cut counts pro rata);
    - ``wrong_at_high_confidence``: share of all answers that are wrong with
      :math:`f \\ge` ``threshold``; ``error_rate_at_high_confidence``: the error rate among
      answers with :math:`f \\ge` ``threshold``;
    - ``accuracy``, ``mean_confidence``, ``overconfidence`` (mean confidence minus accuracy);
    - with ``y_prob``: ``top_label_ece`` (Gupta & Ramdas 2022: bins within each predicted
      class), ``classwise_ece`` (Kull et al. 2019: mean over classes of the ECE of
      :math:`p_k` against :math:`1[y=k]`), ``nll_multiclass`` :math:`-\\overline{\\log p_y}`,
      ``brier_multiclass`` :math:`\\overline{\\sum_k (p_k - 1[y=k])^2}`.

    A resample draws ``n`` answers (or all clusters) with replacement; each metric is recomputed
    on it from weighted sums, and the interval is read off the resampled values.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = rng.uniform(0.5, 1.0, 2000)
    >>> y = (rng.random(2000) < f).astype(float)  # calibrated by construction
    >>> res = calibration_metrics(f, y, metrics=["ece", "brier"], n_resamples=200, rng=1)
    >>> bool(res["ece"].estimate < 0.05), res["ece"].n
    (True, 2000)
    """
    p, n_omitted = _prepare(confidence, correct, n_bins=n_bins, threshold=threshold,
                            coverage=coverage, missing=missing, y_prob=y_prob, y_true=y_true)  # fmt: skip
    names = _check_metrics(metrics, p.y_prob is not None)
    if clusters is not None and n_omitted:
        raise InputError("`clusters` cannot be combined with omitted answers; drop them first.")
    n_resamples, level, interval, rng, codes = _check_boot(n_resamples, confidence_level,
                                                          interval, rng, clusters, p.n)  # fmt: skip
    if "smooth_ece" in names:
        E.fix_bandwidth(p)
    est = E.evaluate(p, np.ones((1, p.n)), names)[0]
    dist = _bootstrap(p, names, n_resamples, rng, None if codes is None else codes[p.perm])
    out = _intervals(names, est, dist, level=level, interval=interval, n=p.n,
                     n_resamples=n_resamples, codes=codes)  # fmt: skip
    if "ece" in out:
        out["ece_debiased"] = _debiased(out["ece"], p, rng, codes)
    return CalibrationResult(
        metrics=out, n=p.n, n_omitted=n_omitted, n_bins=p.n_bins, threshold=p.threshold,
        coverage=p.coverage, smooth_ece_bandwidth=float("nan") if p.sigma is None else float(p.sigma),
        confidence_level=level,
        n_resamples=n_resamples, n_clusters=None if codes is None else int(codes.max()) + 1,
        reliability=_reliability(p, "width"), reliability_mass=_reliability(p, "mass"),
        risk_coverage=_risk_coverage(p, 201),
    )  # fmt: skip


def _permutation_pvalue(pa_: E.Prepared, pb_: E.Prepared, metric: str, est: float,
                        alternative: str, n_perm: int, rng, codes) -> float:  # fmt: skip
    """Paired permutation p-value: each item's (or cluster's) two answers swapped at random.

    Both models' answers go into one prepared set of ``2n``; a swap pattern ``s`` (1 = swapped)
    gives model A the weights ``(1 - s, s)`` and model B ``(s, 1 - s)``, so every permutation
    is one row of weights and a batch is evaluated at once.
    """
    n = pa_.n
    conf = np.r_[pa_.conf[np.argsort(pa_.perm)], pb_.conf[np.argsort(pb_.perm)]]
    corr = np.r_[pa_.correct[np.argsort(pa_.perm)], pb_.correct[np.argsort(pb_.perm)]]
    both = E.Prepared(conf, corr, n_bins=pa_.n_bins, threshold=pa_.threshold,
                      coverage=pa_.coverage)  # fmt: skip
    if metric == "smooth_ece":
        E.fix_bandwidth(both)
    units = n if codes is None else int(codes.max()) + 1
    step = max(1, E.CHUNK_ELEMENTS // max(2 * n, 1))
    diffs = []
    for start in range(0, n_perm, step):
        b = min(step, n_perm - start)
        swap = rng.integers(0, 2, size=(b, units)).astype(np.float64)
        if codes is not None:
            swap = swap[:, codes]
        w_a = np.concatenate([1.0 - swap, swap], axis=1)[:, both.perm]
        w_b = np.concatenate([swap, 1.0 - swap], axis=1)[:, both.perm]
        diffs.append(
            E.evaluate(both, w_b, (metric,))[:, 0] - E.evaluate(both, w_a, (metric,))[:, 0]
        )
    d = np.concatenate(diffs)
    d = d[np.isfinite(d)]
    tol = 1e-12 * max(1.0, abs(est))  # ties with the observed value count as extreme
    if alternative == "greater":
        hits = np.count_nonzero(d >= est - tol)
    elif alternative == "less":
        hits = np.count_nonzero(d <= est + tol)
    else:
        hits = np.count_nonzero(np.abs(d) >= abs(est) - tol)
    return float((1 + hits) / (d.size + 1))


def compare_calibration(
    confidence_a: Any,
    correct_a: Any,
    confidence_b: Any,
    correct_b: Any,
    *,
    metric: str = "ece",
    n_bins: int = 15,
    threshold: float = 0.9,
    coverage: float = 0.8,
    clusters: Any = None,
    alternative: str = "two-sided",
    test: str = "permutation",
    n_resamples: int = 2000,
    confidence_level: float = 0.95,
    rng: Any = None,
) -> CalibrationComparison:
    """Paired bootstrap comparison of one metric between two models on the same items (B - A).

    Parameters
    ----------
    confidence_a, correct_a, confidence_b, correct_b : array_like, shape (n,)
        Both models' confidences and outcomes, aligned item by item.
    metric : str, default "ece"
        Any binary metric of :func:`calibration_metrics`.
    alternative : {"two-sided", "less", "greater"}
        ``"greater"``: the metric is larger for B.
    test : {"permutation", "bootstrap"}, default "permutation"
        Where the p-value comes from: a paired permutation test (each item's, or cluster's,
        two answers swapped between the models at random), or the inverted bootstrap interval.
        The interval is the paired bootstrap one either way.

    Returns
    -------
    CalibrationComparison
        ``estimate`` = metric(B) - metric(A), its percentile interval, and the p-value.

    Notes
    -----
    Each resample draws the same items (or clusters) for both models, so the item-level
    correlation between the models is kept. The permutation p-value is
    :math:`(1 + \\#\\{|d^\\pi| \\ge |d|\\}) / (B + 1)` over ``n_resamples`` random swaps
    (one-sided: the signed count); it is exact when the two models' (confidence, outcome)
    pairs are exchangeable within an item, the sharp null of "equally calibrated". The
    bootstrap p-value inverts the percentile interval,
    :math:`p_{\\text{greater}} = (1 + \\#\\{d^* \\le 0\\}) / (B + 1)`, two-sided twice the
    smaller tail; binned metrics are so noisy at the level of one resample that it rejects
    far below its level (0-3% at 5%) and has little power. docs/calibration.md has both
    tests' measured level and power.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = rng.uniform(0.5, 1.0, 3000)
    >>> y = (rng.random(3000) < f).astype(float)
    >>> res = compare_calibration(f, y, np.minimum(1.0, f + 0.15), y, rng=0, n_resamples=500)
    >>> bool(res.estimate > 0.1 and res.pvalue < 0.01)
    True
    """
    metric = check_choice(metric, "metric", E.BINARY_METRICS)
    alternative = check_alternative(alternative)
    test = check_choice(test, "test", ("permutation", "bootstrap"))
    pa_, _ = _prepare(
        confidence_a, correct_a, n_bins=n_bins, threshold=threshold, coverage=coverage
    )
    pb_, _ = _prepare(
        confidence_b, correct_b, n_bins=n_bins, threshold=threshold, coverage=coverage
    )
    if pa_.n != pb_.n:
        raise InputError(
            f"the two models must be scored on the same items; got {pa_.n} and {pb_.n} answers."
        )
    n_resamples, level, _, rng, codes = _check_boot(n_resamples, confidence_level, "percentile",
                                                    rng, clusters, pa_.n)  # fmt: skip
    names = (metric,)
    if metric == "smooth_ece":
        E.fix_bandwidth(pa_)
        E.fix_bandwidth(pb_)
    one = np.ones((1, pa_.n))
    est_a = float(E.evaluate(pa_, one, names)[0, 0])
    est_b = float(E.evaluate(pb_, one, names)[0, 0])
    diffs = []
    for w in E.resample_weights(pa_.n, n_resamples, rng, codes):
        b_ = E.evaluate(pb_, w[:, pb_.perm], names)[:, 0]
        diffs.append(b_ - E.evaluate(pa_, w[:, pa_.perm], names)[:, 0])
    dist = np.concatenate(diffs)
    est = est_b - est_a
    finite = dist[np.isfinite(dist)]
    if finite.size < 2 or not np.isfinite(est):
        raise InputError(f"metric {metric!r} is undefined on these data; no comparison possible.")
    lo, hi = _bootstrap_interval(est, finite, method="percentile", confidence_level=level)
    below = (np.count_nonzero(finite <= 0) + 1) / (finite.size + 1)
    above = (np.count_nonzero(finite >= 0) + 1) / (finite.size + 1)
    pvalue = {"greater": below, "less": above, "two-sided": min(1.0, 2.0 * min(below, above))}
    pval = float(pvalue[alternative])
    if test == "permutation":
        pval = _permutation_pvalue(pa_, pb_, metric, est, alternative, n_resamples, rng, codes)
    return CalibrationComparison(
        estimate=est, ci_low=lo, ci_high=hi, confidence_level=level,
        method="paired-bootstrap-percentile" + ("" if codes is None else "-cluster")
        + f", {test} p-value", n=pa_.n,
        se=float(finite.std(ddof=1)), n_resamples=n_resamples,
        n_clusters=None if codes is None else int(codes.max()) + 1, distribution=dist,
        metric=metric, estimate_a=est_a, estimate_b=est_b, pvalue=pval,
        alternative=alternative,
    )  # fmt: skip
