"""Power of a paired comparison with the variances estimated from pilot data."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from assay._core import InputError
from assay._core._validation import check_array, check_choice, check_positive_int
from assay.stats._bootstrap import _encode_clusters
from assay.stats._clustered import _cr2_se_df
from assay.stats._power import PowerResult, minimum_detectable_effect, sample_size

__all__ = ["power_from_data"]


def power_from_data(
    a: Any,
    b: Any,
    *,
    n: int | None = None,
    delta: float | None = None,
    k: int | None = None,
    clusters: Any = None,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
    method: str = "auto",
) -> PowerResult:
    """Power of a paired comparison, with the variance estimated from pilot data.

    Parameters
    ----------
    a, b : array_like, shape (n_items,) or (n_items, K)
        Paired scores of models A and B on the same items (K samples per item allowed).
    n : int, optional
        Solve for the minimum detectable effect at ``n`` items.
    delta : float, optional
        Solve for the items needed to detect ``delta``. Give exactly one of ``n`` and ``delta``.
    k : int, optional
        Samples per item planned (default: as in the data).
    clusters : array_like, shape (n_items,), optional
        Cluster labels: the design effect of the per-item differences is estimated (the CR2
        variance that the clustered :func:`compare` uses, over the iid variance) and applied.
    alpha, power, alternative
        As in :func:`sample_size`.
    method : {"auto", "normal", "mcnemar-exact"}, default "auto"
        ``"auto"``: for binary scores, one sample per item (observed and planned) and no
        clusters, the exact power of the exact conditional McNemar test (the test ``compare``
        reports), from the observed discordant rate; the normal approximation otherwise.

    Returns
    -------
    PowerResult
        With ``assumptions`` holding the estimated ``var_between``, ``var_within`` (K > 1) and
        the design effect.

    Notes
    -----
    With item-level differences :math:`d_i = \\bar a_i - \\bar b_i` over :math:`K_0` samples, the
    within-item part of :math:`\\mathrm{Var}(d_i)` is :math:`(\\sigma_{w,A}^2 + \\sigma_{w,B}^2)/K_0`
    (pooled within-item variances; samples of A and B are independent given the item), so at K
    planned samples :math:`V = \\mathrm{Var}(d_i) - w/K_0 + w/K` (floored at :math:`w/K`).
    For binary pairs planned for McNemar's exact test, the discordant rate :math:`\\hat\\psi`
    (the share of items on which A and B differ) is the only variance parameter.

    References
    ----------
    .. [1] E. Miller, "Adding Error Bars to Evals", arXiv:2411.00640, 2024, sec. 3 and 5.

    Examples
    --------
    >>> import numpy as np
    >>> from assay.stats._power_data import power_from_data
    >>> rng = np.random.default_rng(0)
    >>> a = (rng.random(500) < 0.6).astype(float)
    >>> b = np.where(rng.random(500) < 0.9, a, 1 - a)
    >>> res = power_from_data(a, b, n=500)
    >>> res.design, res.n
    ('mcnemar', 500)
    """
    xa = check_array(a, "a", ndim=(1, 2))
    xb = check_array(b, "b", ndim=(1, 2))
    if xa.shape != xb.shape:
        raise InputError(f"`a` and `b` must have the same shape; got {xa.shape} and {xb.shape}.")
    if (n is None) == (delta is None):
        raise InputError("Give exactly one of `n` (for the detectable effect) and `delta`.")
    xa2, xb2 = (xa[:, None], xb[:, None]) if xa.ndim == 1 else (xa, xb)
    n_items, k0 = xa2.shape
    if n_items < 3:
        raise InputError(
            f"`a` and `b` need at least 3 items to estimate a variance; got {n_items}."
        )
    k = k0 if k is None else check_positive_int(k, "k")
    d = xa2.mean(axis=1) - xb2.mean(axis=1)
    var_d = float(d.var(ddof=1))
    within = 0.0
    if k0 > 1:
        within = float(xa2.var(axis=1, ddof=1).mean() + xb2.var(axis=1, ddof=1).mean())
    var_k = max(var_d - within / k0, 0.0) + within / k
    deff = 1.0
    if clusters is not None:
        codes = _encode_clusters(clusters, n_items)
        if codes.max() < 1:
            raise InputError("`clusters` must hold at least 2 distinct clusters; got 1.")
        if var_d > 0:
            deff = (_cr2_se_df(d, codes).se ** 2) / (var_d / n_items)
    if var_k == 0:
        raise InputError("`a` and `b` agree on every item: the difference has no variance.")
    method = check_choice(method, "method", ("auto", "normal", "mcnemar-exact"))
    binary = k0 == 1 and k == 1 and clusters is None and bool(np.all((xa2 == 0) | (xa2 == 1)))
    binary = binary and bool(np.all((xb2 == 0) | (xb2 == 1)))
    if method == "mcnemar-exact" and not binary:
        raise InputError(
            "`method='mcnemar-exact'` needs binary (0/1) scores with one sample per item and no "
            "`clusters`."
        )
    if binary and method != "normal":
        psi = float(np.mean(d != 0))
        kw = dict(discordant=psi, alpha=alpha, power=power, alternative=alternative,
                  method="mcnemar-exact")  # fmt: skip
        if delta is not None and delta >= psi:
            raise InputError(
                f"`delta` = {delta!r} is not below the observed discordant rate {psi:g}: McNemar "
                "cannot plan for a difference larger than the share of items where A and B differ."
            )
    else:
        kw = dict(sd_diff=math.sqrt(var_k), design_effect=deff, alpha=alpha, power=power,
                  alternative=alternative, method="normal")  # fmt: skip
    res = sample_size(delta, **kw) if delta is not None else minimum_detectable_effect(n, **kw)
    extra = {"var_diff_observed": var_d, "var_within": within, "k_observed": k0}
    return dataclasses.replace(res, k=k, assumptions={**res.assumptions, **extra})
