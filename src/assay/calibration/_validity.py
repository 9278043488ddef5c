"""A validity screen for verbalised confidence: is it informative enough to be worth calibrating?

Small instruct models often state 90-100% on nearly every answer. Such a confidence may still
get a modest ECE when accuracy is high, yet it carries no information. The screen checks, before
any calibration metric is read, that the confidence varies and that it separates right from wrong
answers (Type-2 discrimination, in the metacognition literature's terms).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats as sps

from assay._core import InputError
from assay._core._validation import check_array, check_probability, check_rng
from assay.calibration._metrics import _check_pair, calibration_metrics
from assay.calibration._results import ValidityScreen

__all__ = ["VALIDITY_ERROR_RATES", "validity_screen"]

#: Measured by ``python benchmarks/flags.py --validity-only`` (default criteria, 500 answers per run).
VALIDITY_ERROR_RATES: dict[str, Any] = {
    "false_flag_rate": 0.005,  # valid confidences (Type-2 AUROC ~0.65-0.75) screened invalid, worst regime
    "recall": 0.97,  # invalid ones (stuck at the ceiling, or unrelated to correctness) screened invalid, worst
    "simulation": "benchmarks/flags.py --validity-only: 500 answers per run, 200 runs per regime; valid "
                  "confidences with Type-2 AUROC about 0.65 and 0.75, invalid ones 90% at 0.95-1.0 or "
                  "spread but unrelated to correctness",
}  # fmt: skip


def validity_screen(
    confidence: Any,
    correct: Any,
    *,
    token_logprob: Any = None,
    n_unparsed: int | None = None,
    ceiling: float = 0.95,
    max_ceiling_rate: float = 0.8,
    min_sd: float = 0.05,
    min_distinct: int = 3,
    min_parse_rate: float = 0.9,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    rng: Any = None,
) -> ValidityScreen:
    """Screen a confidence for validity: ceiling, spread, Type-2 AUROC, agreement with log-probs.

    Parameters
    ----------
    confidence, correct : array_like, shape (n,)
        Parsed confidences (NaN where none could be read is allowed and omitted) and 0/1
        outcomes.
    token_logprob : array_like, shape (n,), optional
        Log-probability of the answer's tokens; when given, the Spearman correlation with the
        confidence is reported.
    n_unparsed : int, optional
        Answers whose confidence could not be parsed (adds the parse-rate criterion).
    ceiling : float, default 0.95
        Confidences at or above this count as "at the ceiling".
    max_ceiling_rate : float, default 0.8
    min_sd : float, default 0.05
    min_distinct : int, default 3
    min_parse_rate : float, default 0.9
    n_resamples, confidence_level, rng
        Bootstrap of the Type-2 AUROC.

    Returns
    -------
    ValidityScreen
        ``verdict`` is "invalid" when any criterion fails, with one reason per failure:

        1. ceiling rate above ``max_ceiling_rate``;
        2. standard deviation below ``min_sd`` or fewer than ``min_distinct`` distinct values;
        3. Type-2 AUROC interval not above 0.5 (confidence does not tell right from wrong);
        4. parse rate below ``min_parse_rate`` (when ``n_unparsed`` is given).

        The log-probability correlation is reported but does not decide the verdict: a
        verbalised confidence may be valid and still disagree with token probabilities.
        ``flag_error_rates`` carries the screen's measured false-flag rate and recall
        (:data:`VALIDITY_ERROR_RATES`).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = (rng.random(500) < 0.7).astype(float)
    >>> stuck = np.where(rng.random(500) < 0.95, 0.95, 0.9)   # nearly always "95%"
    >>> validity_screen(stuck, y, rng=0).verdict
    'invalid'
    """
    conf, corr, n_omitted = _check_pair(confidence, correct, missing="omit")
    for name, v in (("ceiling", ceiling), ("max_ceiling_rate", max_ceiling_rate),
                    ("min_sd", min_sd), ("min_parse_rate", min_parse_rate)):  # fmt: skip
        check_probability(v, name)
    rng = check_rng(rng)
    criteria = {"ceiling": ceiling, "max_ceiling_rate": max_ceiling_rate, "min_sd": min_sd,
                "min_distinct": float(min_distinct), "min_parse_rate": min_parse_rate}  # fmt: skip
    reasons, passed = [], []
    ceiling_rate = float(np.mean(conf >= ceiling))
    (reasons if ceiling_rate > max_ceiling_rate else passed).append(
        f"{100 * ceiling_rate:.1f}% of confidences at or above {ceiling:g} "
        f"({'above' if ceiling_rate > max_ceiling_rate else 'within'} the limit of {100 * max_ceiling_rate:g}%)"
    )
    sd = float(conf.std(ddof=1)) if conf.size > 1 else 0.0
    n_distinct = int(np.unique(conf).size)
    spread_ok = sd >= min_sd and n_distinct >= min_distinct
    (passed if spread_ok else reasons).append(
        f"spread: sd {sd:.3f} (minimum {min_sd:g}), {n_distinct} distinct value(s) (minimum {min_distinct})"
    )
    auroc = calibration_metrics(conf, corr, metrics=["auroc"], n_resamples=n_resamples,
                                confidence_level=confidence_level, rng=rng)["auroc"]  # fmt: skip
    discriminates = bool(np.isfinite(auroc.ci_low) and auroc.ci_low > 0.5)
    (passed if discriminates else reasons).append(
        f"Type-2 AUROC {auroc.estimate:.3f} ({100 * confidence_level:g}% CI {auroc.ci_low:.3f} to "
        f"{auroc.ci_high:.3f}); {'above' if discriminates else 'not above'} chance (0.5)"
    )
    parse_rate = None
    total_unparsed = (n_unparsed or 0) + n_omitted
    if n_unparsed is not None:
        if n_unparsed < 0:
            raise InputError(f"`n_unparsed` must be >= 0; got {n_unparsed!r}.")
        parse_rate = conf.size / (conf.size + total_unparsed)
        (passed if parse_rate >= min_parse_rate else reasons).append(
            f"{100 * parse_rate:.1f}% of answers had a readable confidence (minimum {100 * min_parse_rate:g}%)"
        )
    rho = p_rho = None
    if token_logprob is not None:
        lp = check_array(token_logprob, "token_logprob", ndim=1, allow_nan=True)
        keep = ~np.isnan(np.asarray(confidence, dtype=np.float64)) & ~np.isnan(
            np.asarray(correct, dtype=np.float64)
        )
        if lp.size != keep.size:
            raise InputError(
                f"`token_logprob` must have one value per answer ({keep.size}); got {lp.size}."
            )
        lp = lp[keep]
        ok = ~np.isnan(lp)
        if ok.sum() >= 3 and np.ptp(conf[ok]) > 0 and np.ptp(lp[ok]) > 0:
            r = sps.spearmanr(conf[ok], lp[ok])
            rho, p_rho = float(r.statistic), float(r.pvalue)
    if reasons:  # the flag cites its measured error rates (shown with the reasons in the report)
        r = VALIDITY_ERROR_RATES
        reasons.append(f"this screen, measured on simulations ({r['simulation']}): "
                       f"{100 * r['false_flag_rate']:.2g}% of valid confidences screened invalid, "
                       f"{100 * r['recall']:.0f}% of invalid ones caught")  # fmt: skip
    return ValidityScreen(
        verdict="invalid" if reasons else "valid", reasons=tuple(reasons or passed),
        ceiling_rate=ceiling_rate, sd=sd, n_distinct=n_distinct, type2_auroc=auroc,
        logprob_correlation=rho, logprob_correlation_pvalue=p_rho, parse_rate=parse_rate,
        criteria=criteria, n=int(conf.size), flag_error_rates=dict(VALIDITY_ERROR_RATES),
    )  # fmt: skip
