"""Does the ranking of models survive the suspect items? Re-score without them or with consensus gold."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy import stats as sps

from assay._core import InputError, Result
from assay._core._validation import check_choice, check_positive_int, check_probability
from assay.labels._audit import ItemAuditResult
from assay.stats import ADJUST_METHODS, pairwise

__all__ = ["FlipNoiseResult", "StabilityResult", "label_noise_to_flip", "ranking_stability"]

SCENARIOS = ("remove", "relabel")


@dataclasses.dataclass(frozen=True, kw_only=True)
class FlipNoiseResult(Result):
    """How many wrong gold labels it takes to tie, reverse or blur the order of A over B.

    A wrong gold label on an item A got right and B got wrong, whose true answer is B's, moves the
    item from A's wins to B's: the discordant difference falls by 2. That is the most one label can
    do, so the counts below are the fewest wrong labels that could change the verdict.

    Attributes
    ----------
    n_a_only, n_b_only : int
        Items only A got right, only B got right.
    difference : int
        ``n_a_only - n_b_only`` (positive: A ahead).
    k_tie, k_flip : int
        Fewest wrong labels for a tie, and for B to lead: ``ceil(D/2)`` and ``floor(D/2) + 1``.
    k_not_significant : int
        Fewest wrong labels after which McNemar's exact test no longer rejects at ``alpha``
        (0 when it does not reject now).
    n : int
        Items.
    noise_tie, noise_flip, noise_not_significant : float
        The same counts as fractions of ``n``.
    alpha : float
    method : str
    """

    n_a_only: int
    n_b_only: int
    difference: int
    k_tie: int
    k_flip: int
    k_not_significant: int
    n: int
    noise_tie: float
    noise_flip: float
    noise_not_significant: float
    alpha: float
    method: str = "mcnemar-exact"


def _mcnemar_p(a_only: np.ndarray, b_only: np.ndarray) -> np.ndarray:
    total = a_only + b_only
    with np.errstate(invalid="ignore"):
        p = np.minimum(1.0, 2.0 * sps.binom.cdf(np.minimum(a_only, b_only), total, 0.5))
    return np.where(total == 0, 1.0, p)


def _flip_counts(n10: int, n01: int, n: int, alpha: float) -> FlipNoiseResult:
    d = n10 - n01
    if d < 0:
        n10, n01, d = n01, n10, -d
    k = np.arange(n10 + 1)
    p = _mcnemar_p(n10 - k, n01 + k)
    not_sig = np.flatnonzero(p > alpha)
    k_ns = int(not_sig[0]) if not_sig.size else n10
    k_tie, k_flip = math.ceil(d / 2), d // 2 + 1
    return FlipNoiseResult(
        n_a_only=n10, n_b_only=n01, difference=d, k_tie=k_tie, k_flip=k_flip, k_not_significant=k_ns,
        n=n, noise_tie=k_tie / n, noise_flip=k_flip / n, noise_not_significant=k_ns / n, alpha=alpha,
    )  # fmt: skip


def label_noise_to_flip(a: Any, b: Any, *, alpha: float = 0.05) -> FlipNoiseResult:
    """The fewest wrong gold labels that would tie or reverse A's lead over B, or make it non-significant.

    Parameters
    ----------
    a, b : array_like of 0/1, shape (n_items,)
        Correctness of the two models on the same items. The result is stated for the model that
        leads (``n_a_only`` >= ``n_b_only`` after swapping if needed).
    alpha : float, default 0.05
        Level of McNemar's exact test.

    Returns
    -------
    FlipNoiseResult

    Notes
    -----
    Relabelling an item where A is right and B wrong to B's answer turns it into a B win: the
    discordant counts become :math:`(n_{10}-k, n_{01}+k)` after k such labels. The counts are
    worst-case (adversarial) bounds; random label noise needs far more to do the same.

    Examples
    --------
    >>> from assay.labels import label_noise_to_flip
    >>> res = label_noise_to_flip([1] * 60 + [0] * 40, [1] * 50 + [0] * 10 + [1] * 5 + [0] * 35)
    >>> res.difference, res.k_tie, res.k_flip
    (5, 3, 3)
    """
    alpha = check_probability(alpha, "alpha", open_interval=True)
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or x.size == 0:
        raise InputError(
            f"`a` and `b` must be 1-D of the same non-zero length; got {x.shape} and {y.shape}."
        )
    if not (np.isin(x, (0, 1)).all() and np.isin(y, (0, 1)).all()):
        raise InputError("`a` and `b` must hold 0/1 correctness (no NaN).")
    return _flip_counts(
        int(((x == 1) & (y == 0)).sum()), int(((x == 0) & (y == 1)).sum()), x.size, alpha
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class StabilityResult(Result):
    """Scores, ranks and pairwise orders before and after handling the top-k suspects.

    Attributes
    ----------
    models : tuple of str
        The models compared, best first on the original scores.
    scenario : {'remove', 'relabel'}
        Suspects left out, or their gold replaced by the competing (consensus) answer.
    k : int
        Suspects handled.
    n_before, n_after : int
        Items scored.
    score_before, score_after : ndarray
        Accuracy of each model.
    rank_before, rank_after : ndarray of int
        1 = best (ties share the better rank).
    pairs : list of dict
        Each pair (a above b before): differences, adjusted p-values before and after, whether the
        order flipped and whether significance changed, and the fewest wrong labels to flip it
        (:class:`FlipNoiseResult`).
    n_flipped : int
        Pairs whose order reversed.
    n_significance_changed : int
    adjust : str
    alpha : float
    method : str
    """

    models: tuple[str, ...]
    scenario: str
    k: int
    n_before: int
    n_after: int
    score_before: np.ndarray
    score_after: np.ndarray
    rank_before: np.ndarray
    rank_after: np.ndarray
    pairs: list[dict[str, Any]]
    n_flipped: int
    n_significance_changed: int
    adjust: str
    alpha: float
    method: str = "paired-mcnemar"


def _ranks(score: np.ndarray) -> np.ndarray:
    return sps.rankdata(-score, method="min").astype(int)


def _pair_table(names, before, after, alpha, adjust) -> tuple[list[dict[str, Any]], int, int]:
    pw_b = pairwise(before, models=names, adjust=adjust, alpha=alpha)
    pw_a = pairwise(after, models=names, adjust=adjust, alpha=alpha)
    rows, flipped, changed = [], 0, 0
    for i, (ma, mb) in enumerate(zip(pw_b.model_a, pw_b.model_b, strict=True)):
        d_b, d_a = float(pw_b.estimate[i]), float(pw_a.estimate[i])  # b - a
        flip = (d_b != 0 and d_a != 0 and np.sign(d_a) != np.sign(d_b)) or (d_b != 0) != (d_a != 0)
        sig_change = bool(pw_b.reject[i]) != bool(pw_a.reject[i])
        flipped += bool(flip)
        changed += sig_change
        noise = _flip_counts(int(pw_b.n_a_only[i]), int(pw_b.n_b_only[i]), before.shape[1], alpha)
        rows.append({
            "model_a": ma, "model_b": mb, "difference_before": d_b, "difference_after": d_a,
            "pvalue_before": float(pw_b.pvalue_adjusted[i]), "pvalue_after": float(pw_a.pvalue_adjusted[i]),
            "significant_before": bool(pw_b.reject[i]), "significant_after": bool(pw_a.reject[i]),
            "flipped": bool(flip), "significance_changed": sig_change, "flip_noise": noise.to_dict(),
        })  # fmt: skip
    return rows, flipped, changed


def ranking_stability(
    audit: ItemAuditResult,
    *,
    k: int | None = None,
    scenario: str = "remove",
    models: Any = None,
    top: int = 10,
    adjust: str = "holm",
    alpha: float = 0.05,
    confirmed: Any = None,
) -> StabilityResult:
    """Re-score and re-rank models after removing the top-k suspects or relabelling them.

    Parameters
    ----------
    audit : ItemAuditResult
        From :func:`audit_items` (its predictions, gold and competing answers are used).
    k : int, optional
        Suspects to handle, most suspect first; default all of ``audit.n_suspects``.
    scenario : {'remove', 'relabel'}, default 'remove'
        Leave the suspects out, or score them against their competing (consensus) answer.
    models : sequence of str, optional
        Models to compare; default the ``top`` best on the original scores (blind baselines
        excluded).
    top : int, default 10
    adjust : str, default 'holm'
        Multiple-comparison adjustment over all pairs (:func:`assay.stats.adjust_pvalues`).
    alpha : float, default 0.05
    confirmed : sequence of str, optional
        Items a human reviewer confirmed correct (``assay report --review``): they are never
        removed or relabelled, whatever their suspicion (``k`` counts the suspects handled).

    Returns
    -------
    StabilityResult

    Notes
    -----
    Pairwise tests are McNemar's exact test on the items scored (:func:`assay.stats.pairwise`),
    adjusted over the pairs, before and after. A pair "flips" when the sign of its difference
    changes (or a tie appears or breaks).

    References
    ----------
    Northcutt, Athalye & Mueller (2021), "Pervasive Label Errors in Test Sets Destabilize Machine
    Learning Benchmarks", NeurIPS Datasets and Benchmarks track, section 5.

    Examples
    --------
    >>> from assay.labels import audit_items, ranking_stability
    >>> preds = [list("ABBD"), list("ABBD"), list("ABBC"), list("ACBD"), list("BBBD")]
    >>> audit = audit_items(preds, list("ABCD"), method="vote", n_choices=4, error_correlation=0)
    >>> res = ranking_stability(audit, scenario="relabel")
    >>> res.k, res.score_before.tolist(), res.score_after.tolist()
    (1, [0.75, 0.75, 0.5, 0.5, 0.5], [1.0, 1.0, 0.75, 0.75, 0.75])
    """
    if not isinstance(audit, ItemAuditResult):
        raise InputError(
            f"`audit` must be an ItemAuditResult from audit_items; got {type(audit).__name__}."
        )
    scenario = check_choice(scenario, "scenario", SCENARIOS)
    adjust = check_choice(adjust, "adjust", ADJUST_METHODS)
    alpha = check_probability(alpha, "alpha", open_interval=True)
    top = check_positive_int(top, "top", minimum=2)
    k = audit.n_suspects if k is None else check_positive_int(k, "k", minimum=0)
    if k > audit.n_items - 2:
        raise InputError(f"`k` = {k} would leave fewer than 2 of the {audit.n_items} items.")
    right = audit.predictions == audit.gold[None, :]
    voters = audit.weights > 0 if models is None else None
    if models is None:
        acc = right.mean(axis=1)
        pool = np.flatnonzero(voters if voters.sum() >= 2 else np.ones_like(voters))
        chosen = pool[np.lexsort((pool, -acc[pool]))][:top]
    else:
        names = list(map(str, models))
        unknown = sorted(set(names) - set(audit.models))
        if unknown or len(names) < 2:
            raise InputError(
                f"`models` must name at least 2 of the audited models; unknown: {', '.join(unknown) or 'none'}."
            )
        chosen = np.array([audit.models.index(m) for m in names])
    suspects = audit.order[:k]
    if confirmed is not None:
        ok = {str(x) for x in confirmed}
        suspects = np.array([i for i in suspects if str(audit.items[i]) not in ok], dtype=np.int64)
        k = int(suspects.size)
    before = right[chosen].astype(np.float64)
    if scenario == "remove":
        keep = np.ones(audit.n_items, dtype=bool)
        keep[suspects] = False
        after = before[:, keep]
    else:
        new_gold = audit.gold.copy()
        has = audit.competing[suspects] >= 0
        new_gold[suspects[has]] = audit.competing[suspects[has]]
        after = (audit.predictions[chosen] == new_gold[None, :]).astype(np.float64)
    s_b, s_a = before.mean(axis=1), after.mean(axis=1)
    order = np.lexsort((np.arange(chosen.size), -s_b))
    names = tuple(audit.models[i] for i in chosen[order])
    pairs, flipped, changed = _pair_table(names, before[order], after[order], alpha, adjust)
    return StabilityResult(
        models=names, scenario=scenario, k=k, n_before=before.shape[1], n_after=after.shape[1],
        score_before=s_b[order], score_after=s_a[order], rank_before=_ranks(s_b[order]),
        rank_after=_ranks(s_a[order]), pairs=pairs, n_flipped=flipped, n_significance_changed=changed,
        adjust=adjust, alpha=alpha,
    )  # fmt: skip
