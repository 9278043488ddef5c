"""`assay gate`: is the candidate non-inferior to the baseline? A verdict for CI."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from assay._core import InputError
from assay._core._validation import check_probability
from assay.io import MissingItemsWarning, ReadResult, build_matrix, read

__all__ = ["gate_verdict", "run_gate"]


def gate_verdict(
    result: ReadResult,
    *,
    baseline: str,
    candidate: str,
    task: str | None = None,
    metric: str | None = None,
    margin: float = 0.5,
    alpha: float = 0.05,
    seed: int = 0,
) -> dict[str, Any]:
    """Decide whether ``candidate`` is non-inferior to ``baseline`` by ``margin`` points.

    The test is the one-sided paired t-test of H0: candidate - baseline <= -margin on the items both
    models answered (``assay.stats.compare``, TOST half); it passes when its p-value is below
    ``alpha``, i.e. when the lower end of the one-sided ``1 - alpha`` interval of the difference is
    above ``-margin``. For scores in [0, 1] the margin is in percentage points (0.5 = half a point);
    otherwise it is in the metric's own units.

    Returns
    -------
    dict
        JSON-safe verdict: ``passed``, ``message``, the difference with its interval, the p-value,
        n, the margin on the score scale, and the inputs.
    """
    from assay.stats import compare_models

    alpha = check_probability(alpha, "alpha", open_interval=True)
    if not (isinstance(margin, int | float) and margin >= 0 and np.isfinite(margin)):
        raise InputError(f"`margin` must be a non-negative number of points; got {margin!r}.")
    models = sorted(set(result.responses.column("model").to_pylist()))
    for name, value in (("baseline", baseline), ("candidate", candidate)):
        if value not in models:
            raise InputError(
                f"`{name}` {value!r} is not among the models read: {', '.join(models)}."
            )
    if baseline == candidate:
        raise InputError("`baseline` and `candidate` must be different models.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingItemsWarning)
        matrix = build_matrix(
            result.responses, task, metric, align="keep", models=[baseline, candidate]
        )
    finite = matrix.values[np.isfinite(matrix.values)]
    unit_scale = bool(finite.size and finite.min() >= 0 and finite.max() <= 1)
    scale = 100.0 if unit_scale else 1.0
    res = compare_models(
        matrix,
        baseline,
        candidate,
        margin=max(margin, 1e-12) / scale,
        confidence_level=1 - alpha,
        missing="omit",
        n_resamples=2000,
        rng=seed,
    )
    m = res.margin
    passed = bool(m.noninferior)
    diff, low = res.estimate * scale, m.ci_low * scale
    unit = "points" if unit_scale else matrix.metric
    verb = "is non-inferior to" if passed else "is NOT shown non-inferior to"
    message = (
        f"{candidate} {verb} {baseline} on {matrix.task} ({matrix.metric}) with margin {margin:g} {unit}: "
        f"difference {diff:+.2f} {unit}, one-sided {100 * (1 - alpha):.0f}% lower bound {low:+.2f}, "
        f"p = {m.noninferiority_pvalue:.4g}, n = {res.n:,} items."
    )
    return {
        "passed": passed,
        "message": message,
        "baseline": baseline,
        "candidate": candidate,
        "task": matrix.task,
        "metric": matrix.metric,
        "margin": margin,
        "margin_units": unit,
        "alpha": alpha,
        "difference": diff,
        "lower_bound": low,
        "pvalue": m.noninferiority_pvalue,
        "method": f"paired t non-inferiority test ({res.method}), one-sided level {alpha:g}",
        "n": res.n,
        "n_omitted": res.n_omitted,
        "mean_baseline": res.mean_a * scale,
        "mean_candidate": res.mean_b * scale,
    }


def run_gate(
    results: Any, *, store_path: str | None, read_kw: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    """Read ``results`` (paths) or the store at ``store_path``, then :func:`gate_verdict`."""
    if results:
        result = read(list(results), **read_kw)
    elif store_path is not None:
        from assay.report._build import result_from_store

        result = result_from_store(store_path)
    else:
        raise InputError("give results files or folders to gate on, or --store PATH.")
    return gate_verdict(result, **kwargs)
