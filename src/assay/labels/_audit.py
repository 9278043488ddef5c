"""The item audit of an LLM benchmark: which gold answers are probably wrong, and why.

What logs hold is many models' answers to the same items. An item is suspect when the models,
weighted by how often they agree with gold elsewhere, agree on an answer other than gold; when
confident learning over the models' per-choice probabilities flags it; when an IRT fit gives it a
negative discrimination; or when a baseline that lacks the needed input (a blind or trivial run)
solves it. Items every model fails or every model solves are counted apart: hard or easy is not
broken.
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import Any

import numpy as np
from scipy import special

from assay._core import InputError, Result
from assay._core._validation import check_probability
from assay.labels._answers import answer_posterior
from assay.labels._blind import blind_posterior
from assay.labels._filter import find_label_issues
from assay.labels._rates import flag_rates
from assay.labels._vote import (
    _error_correlation,
    _posterior_wrong,
    _rho_iv,
    _votes,
    _weights_iv,
)

__all__ = ["ItemAuditResult", "audit_items"]

#: Reason codes, in the order they are listed.
REASONS = ("consensus", "confident_learning", "negative_discrimination", "misfit", "blind_solvable")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ItemAuditResult(Result):
    """Per-item suspicion and its reasons.

    Arrays have one entry per item, in the order of ``items``; answers are codes into ``answers``
    (-1 for none).

    Attributes
    ----------
    items, models : tuple of str
    answers : tuple of str
        The distinct answers (gold and predicted), indexed by the codes below.
    gold, predictions : ndarray of int
        Gold code per item; (n_models, n_items) predicted codes.
    suspicion : ndarray of float
        ``max(p_wrong, cl_score)``: the score items are ranked by.
    p_wrong : ndarray
        Posterior probability that the gold answer is wrong under the weighted-vote model (Notes).
    competing : ndarray of int
        The non-gold answer with the largest weighted vote (-1 when no model gave one).
    competing_votes, gold_votes, n_voters : ndarray of int
        Models (baselines excluded) that chose the competing answer, the gold answer, any answer.
    competing_share : ndarray
        The competing answer's share of the voters' total weight.
    cl_flag : ndarray of bool or None
        Flagged by confident learning on the models' mean per-choice probabilities.
    cl_score : ndarray
        ``1 - p(gold)`` under those probabilities where flagged, else 0.
    negative_discrimination, misfit : ndarray of bool or None
        From the IRT values given.
    blind_solved : ndarray of int
        Baseline (blind) models that answered gold.
    p_blind_solvable : ndarray
        Posterior probability that the item is solvable without the needed input (beyond the
        baselines' chance matches; :mod:`assay.labels._blind`); flagged at ``>= threshold``.
    n_blind : int
    all_correct, all_wrong : ndarray of bool
        Every voting model answered gold / none did.
    weights : ndarray
        Weight of each model's vote (0 for baselines).
    accuracy : ndarray
        Agreement of each model with gold.
    abilities : ndarray
        Abilities the answer model used (NaN for baselines, and all NaN for ``method='vote'``).
    n_choices : int
    prior_error : float
        The rate of wrong gold answers: estimated (``method='irt'``) or given.
    error_correlation : float
        The :math:`\\rho` used (estimated or given).
    threshold : float
        Items with ``suspicion >= threshold`` are the suspects.
    order : ndarray of int
        Item indices, most suspect first.
    n_suspects, n_items : int
    method : str
        'irt' (the answer model) or 'vote' (the weighted vote).
    attraction : dict or None
        The answer model's attraction levels and their estimated weights.
    flag_error_rates : dict
        Per flag (``suspect``, ``blind_solvable``, ...) the false-flag rate, precision and recall
        measured on simulations with known truth, and the simulation they come from
        (:data:`assay.labels.FLAG_ERROR_RATES`).
    """

    items: tuple[str, ...]
    models: tuple[str, ...]
    answers: tuple[str, ...]
    gold: np.ndarray
    predictions: np.ndarray
    suspicion: np.ndarray
    p_wrong: np.ndarray
    competing: np.ndarray
    competing_votes: np.ndarray
    gold_votes: np.ndarray
    n_voters: np.ndarray
    competing_share: np.ndarray
    cl_flag: np.ndarray | None
    cl_score: np.ndarray
    negative_discrimination: np.ndarray | None
    misfit: np.ndarray | None
    blind_solved: np.ndarray
    p_blind_solvable: np.ndarray
    n_blind: int
    all_correct: np.ndarray
    all_wrong: np.ndarray
    weights: np.ndarray
    accuracy: np.ndarray
    abilities: np.ndarray
    n_choices: int
    prior_error: float
    error_correlation: float
    threshold: float
    order: np.ndarray
    n_suspects: int
    n_items: int
    method: str = "irt"
    attraction: dict[str, list[float]] | None = None
    flag_error_rates: dict[str, Any] = dataclasses.field(default_factory=dict)

    _array_fields = (
        "gold", "predictions", "suspicion", "p_wrong", "competing", "competing_votes", "gold_votes",
        "n_voters", "competing_share", "cl_flag", "cl_score", "negative_discrimination", "misfit",
        "blind_solved", "p_blind_solvable", "all_correct", "all_wrong", "order", "abilities",
    )  # fmt: skip

    @property
    def is_suspect(self) -> np.ndarray:
        return self.suspicion >= self.threshold

    def reasons(self, i: int) -> list[dict[str, Any]]:
        """The reasons item ``i`` (an index) is suspect, each a dict with ``code`` and ``text``."""
        out = []
        c = int(self.competing[i])
        if self.p_wrong[i] >= self.threshold and c >= 0:
            out.append({
                "code": "consensus",
                "text": f"{self.competing_votes[i]} of {self.n_voters[i]} models answer "
                        f"{self.answers[c]!r} ({self.competing_share[i]:.0%} of the vote weight), "
                        f"{self.gold_votes[i]} answer gold {self.answers[self.gold[i]]!r}; "
                        f"P(gold wrong) = {self.p_wrong[i]:.2f}" + _rate_note(self.flag_error_rates.get("suspect")),
            })  # fmt: skip
        if self.cl_flag is not None and self.cl_flag[i]:
            out.append(
                {
                    "code": "confident_learning",
                    "text": f"confident learning flags it: mean P(gold) = {1 - self.cl_score[i]:.2f}",
                }
            )
        if self.negative_discrimination is not None and self.negative_discrimination[i]:
            out.append(
                {
                    "code": "negative_discrimination",
                    "text": "negative IRT discrimination: weaker models do better on it",
                }
            )
        if self.misfit is not None and self.misfit[i]:
            out.append({"code": "misfit", "text": "IRT item misfit"})
        if self.n_blind and self.p_blind_solvable[i] >= self.threshold:
            out.append({
                "code": "blind_solvable",
                "text": f"solved by {self.blind_solved[i]} of {self.n_blind} baseline(s) without the needed input; "
                        f"P(solvable without it) = {self.p_blind_solvable[i]:.2f} after chance matches"
                        + _rate_note(self.flag_error_rates.get("blind_solvable")),
            })  # fmt: skip
        return out

    def suspects(self, top: int | None = None) -> list[dict[str, Any]]:
        """The suspects, most suspect first, as JSON-safe rows (item, gold, competing, votes, reasons)."""
        idx = (
            self.order[: self.n_suspects]
            if top is None
            else self.order[: min(top, self.n_suspects)]
        )
        return [self._row(int(i)) for i in idx]

    def _row(self, i: int) -> dict[str, Any]:
        c = int(self.competing[i])
        return {
            "item": self.items[i], "gold": self.answers[self.gold[i]],
            "competing": None if c < 0 else self.answers[c], "competing_votes": int(self.competing_votes[i]),
            "gold_votes": int(self.gold_votes[i]), "n_voters": int(self.n_voters[i]),
            "competing_share": float(self.competing_share[i]), "p_wrong": float(self.p_wrong[i]),
            "suspicion": float(self.suspicion[i]), "reasons": self.reasons(i),
        }  # fmt: skip

    def to_dict(self, *, arrays: bool = False) -> dict[str, Any]:
        out = super().to_dict(arrays=arrays)
        out["suspects"] = self.suspects()
        out["n_all_correct"] = int(self.all_correct.sum())
        out["n_all_wrong"] = int(self.all_wrong.sum())
        out["n_blind_solvable"] = (
            int((self.p_blind_solvable >= self.threshold).sum()) if self.n_blind else 0
        )
        return out


def _rate_note(rates: dict[str, Any] | None) -> str:
    """' (measured: false flags x%, precision y, recall z)' from a flag's measured rates, or ''."""
    if not rates or rates.get("false_flag_rate") is None:
        return ""
    return (f" (measured on simulations: {100 * rates['false_flag_rate']:.2g}% of clean items flagged, "
            f"precision >= {rates['precision']:.2f}, recall >= {rates['recall']:.2f})")  # fmt: skip


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Audit:
    pred: np.ndarray  # (m, n) int codes, -1 missing
    gold: np.ndarray  # (n,) int codes
    answers: tuple[str, ...]
    models: tuple[str, ...]
    items: tuple[str, ...]
    blind: np.ndarray  # (m,) bool


def _encode(pred: Any, gold: Any, answers: Any) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Integer codes for predictions and gold over their shared answer set; -1 where missing."""
    p = np.asarray(pred)
    g = np.asarray(gold)
    if answers is not None:
        names = tuple(str(a) for a in answers)
        for arr, name in ((p, "predictions"), (g, "gold")):
            if arr.dtype.kind not in "iu" or (arr.size and arr.max() >= len(names)):
                raise InputError(f"with `answers`, `{name}` must hold integer codes below {len(names)} "
                                 "(negative for none).")  # fmt: skip
        return np.where(p >= 0, p, -1), np.where(g >= 0, g, -1), names
    if p.dtype.kind in "iu" and g.dtype.kind in "iu":
        codes = np.union1d(p[p >= 0], g[g >= 0])
        pc = np.where(p >= 0, np.searchsorted(codes, np.where(p >= 0, p, 0)), -1)
        gc = np.where(g >= 0, np.searchsorted(codes, np.where(g >= 0, g, 0)), -1)
        return pc, gc, tuple(str(c) for c in codes.tolist())
    flat = np.concatenate([p.astype(object).ravel(), g.astype(object).ravel()])
    with np.errstate(invalid="ignore"):
        absent = np.equal(flat, None) | np.not_equal(flat, flat)  # None, or NaN (NaN != NaN)
    text = np.char.strip(np.where(absent, "", flat).astype(str))
    present = text != ""
    names, inv = np.unique(text[present], return_inverse=True)
    codes = np.full(text.size, -1, dtype=np.int64)
    codes[present] = inv
    return codes[: p.size].reshape(p.shape), codes[p.size :], tuple(names.tolist())


def _names(values: Any, n: int, prefix: str, name: str) -> tuple[str, ...]:
    if values is None:
        return tuple(f"{prefix}{i}" for i in range(n))
    out = tuple(str(v) for v in values)
    if len(out) != n:
        raise InputError(f"`{name}` must name all {n} {prefix.rstrip('_')}s; got {len(out)}.")
    if len(set(out)) != n:
        raise InputError(f"`{name}` contains duplicates.")
    return out


def _audit_iv(predictions, gold, models, items, blind, answers) -> _Audit:
    p = np.asarray(predictions)
    if p.ndim != 2 or p.shape[0] < 2 or p.shape[1] < 1:
        raise InputError(
            f"`predictions` must have shape (n_models >= 2, n_items >= 1); got {p.shape}."
        )
    g = np.asarray(gold)
    if g.shape != (p.shape[1],):
        raise InputError(
            f"`gold` must have shape ({p.shape[1]},), one answer per item; got {g.shape}."
        )
    pc, gc, answers = _encode(p, g, answers)
    if (gc < 0).any():
        raise InputError(f"`gold` is missing for {int((gc < 0).sum())} item(s) (e.g. item index {int(np.argmax(gc < 0))}); "
                         "audit only items with a gold answer.")  # fmt: skip
    m = p.shape[0]
    model_names = _names(models, m, "model_", "models")
    item_names = _names(items, p.shape[1], "item_", "items")
    mask = np.zeros(m, dtype=bool)
    if blind is not None:
        blind = np.asarray(blind)
        if blind.dtype == bool and blind.shape == (m,):
            mask = blind
        else:
            unknown = sorted(set(map(str, np.atleast_1d(blind))) - set(model_names))
            if unknown:
                raise InputError(f"`blind` names model(s) {', '.join(map(repr, unknown))} that are not among the "
                                 f"models: {', '.join(model_names)}.")  # fmt: skip
            mask = np.isin(
                np.array(model_names, dtype=object), np.atleast_1d(blind).astype(str).astype(object)
            )
    if (~mask).sum() < 2:
        raise InputError(
            f"the audit needs at least 2 models that are not blind baselines; got {int((~mask).sum())}."
        )
    return _Audit(pc.astype(np.int64), gc.astype(np.int64), answers, model_names, item_names, mask)


def _item_flags_iv(values: Any, n: int, name: str) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values)
    if arr.shape != (n,) or arr.dtype != bool:
        raise InputError(
            f"`{name}` must be a boolean array of shape ({n},); got {arr.dtype} {arr.shape}."
        )
    return arr


# --------------------------------------------------------------------------------------------
# Computation
# --------------------------------------------------------------------------------------------


def _abilities_iv(abilities: Any, accuracy: np.ndarray, blind: np.ndarray, n: int) -> np.ndarray:
    """Abilities of the voting models: given (e.g. IRT EAPs), or the probit of accuracy, standardised.

    For a 2PL bank with normal difficulties, accuracy is close to a normal-ogive function of
    ability, so the probit of accuracy is an affine image of the ability scale; the answer model's
    item prior absorbs the affine part (``benchmarks/labels.py --audit`` compares both sources).
    """
    if abilities is None:
        z = special.ndtri(np.clip(accuracy[~blind], 0.5 / n, 1 - 0.5 / n))
        sd = z.std()
        return (z - z.mean()) / (sd if sd > 0 else 1.0)
    th = np.asarray(abilities, dtype=np.float64)
    if th.shape != accuracy.shape or not np.isfinite(th[~blind]).all():
        raise InputError(
            f"`abilities` must hold one finite value per model ({accuracy.size}); got shape {th.shape}."
        )
    return th[~blind]


def _item_params_iv(item_params: Any, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    if item_params is None:
        return None
    try:
        disc, diff = (np.asarray(x, dtype=np.float64) for x in item_params)
    except (TypeError, ValueError) as exc:
        raise InputError(
            "`item_params` must be a pair (discrimination, difficulty) of arrays."
        ) from exc
    if disc.shape != (n,) or diff.shape != (n,):
        raise InputError(
            f"`item_params` must hold two arrays of shape ({n},); got {disc.shape} and {diff.shape}."
        )
    return disc, diff


def _adopt_competing(v: dict[str, np.ndarray], best: np.ndarray, a: _Audit, w: np.ndarray) -> None:
    """Make the answer model's most probable non-gold answer the competing one in the tallies."""
    have = best >= 0
    if not have.any():
        return
    voting = (a.pred >= 0) & ~a.blind[:, None]
    chose = voting & (a.pred == np.where(have, best, -9)[None, :])
    v["competing"] = np.where(have, best, v["competing"])
    v["c_votes"] = np.where(have, chose.sum(axis=0), v["c_votes"])
    v["s_comp"] = np.where(have, (chose * w[:, None]).sum(axis=0) / (1.0 + (v["n_voters"] - 1.0) * v["rho"]),
                           v["s_comp"])  # fmt: skip


def _confident_learning(
    choice_probs: Any, gold_index: Any, m: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    probs = np.asarray(choice_probs, dtype=np.float64)
    if probs.ndim != 3 or probs.shape[:2] != (m, n) or probs.shape[2] < 2:
        raise InputError(
            f"`choice_probs` must have shape ({m}, {n}, n_choices >= 2); got {probs.shape}."
        )
    gi = np.asarray(gold_index)
    if gi.shape != (n,) or gi.dtype.kind not in "iu":
        raise InputError(
            f"`gold_index` must be {n} integer choice indices (-1 where unknown); got {gi.dtype} {gi.shape}."
        )
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(np.where(np.isfinite(probs), probs, np.nan), axis=0) if m else probs[0]
    usable = np.isfinite(mean).all(axis=1) & (gi >= 0) & (gi < probs.shape[2])
    flag = np.zeros(n, dtype=bool)
    score = np.zeros(n)
    if usable.sum() >= probs.shape[2] * 2:
        sub = mean[usable] / mean[usable].sum(axis=1, keepdims=True)
        res = find_label_issues(gi[usable], sub, filter_by="prune_by_noise_rate")
        idx = np.flatnonzero(usable)
        flag[idx] = res.is_issue
        score[idx] = np.where(res.is_issue, 1.0 - res.label_quality, 0.0)
    return flag, score


def audit_items(
    predictions: Any,
    gold: Any,
    *,
    models: Any = None,
    items: Any = None,
    answers: Any = None,
    method: str = "irt",
    abilities: Any = None,
    item_params: Any = None,
    weights: Any = None,
    n_choices: int | None = None,
    prior_error: float | str | None = None,
    error_correlation: float | str = "estimate",
    threshold: float = 0.5,
    blind: Any = None,
    choice_probs: Any = None,
    gold_index: Any = None,
    negative_discrimination: Any = None,
    misfit: Any = None,
) -> ItemAuditResult:
    """Score every item for a wrong gold answer from many models' answers, with the reasons.

    Parameters
    ----------
    predictions : array_like, shape (n_models, n_items)
        Each model's answer (str or int code); None, NaN, '' or a negative code where it gave none.
    gold : array_like, shape (n_items,)
        The gold answers, in the same vocabulary.
    models, items : sequence of str, optional
        Names of the rows and columns.
    answers : sequence of str, optional
        Names of integer answer codes: ``predictions`` and ``gold`` then hold codes into it.
    method : {'irt', 'vote'}, default 'irt'
        ``'irt'``: the answer model of abilities, item difficulties and per-item distractor
        attraction (Notes), whose ``p_wrong`` is calibrated on the simulations of
        ``benchmarks/labels.py --audit``. ``'vote'``: the weighted vote (kept for comparison; its
        ``p_wrong`` is a ranking score, far from calibrated when wrong answers share a distractor).
    abilities : array_like, shape (n_models,), optional
        Abilities of the models (e.g. the EAPs of :func:`assay.irt.fit` on the gold-scored matrix;
        baselines' entries are ignored). Default: the probit of each model's accuracy,
        standardised (an affine image of the 2PL ability scale when difficulties are normal).
    item_params : pair of arrays (discrimination, difficulty), optional
        A 2PL fit's item parameters on the same scale as ``abilities``: they start the EM of the
        item prior (faster convergence); the result does not depend on them otherwise.
    weights : array_like, shape (n_models,), optional
        ``method='vote'``: non-negative weight of each model's vote. Default: the
        one-coin log-odds of its accuracy, ``max(0, log((K-1) a / (1-a)))``; also used for the
        ``competing_share`` shown with any method.
    n_choices : int, optional
        K, the number of possible answers; default the number of distinct answers seen (at least 2).
    prior_error : float in [0, 1) or 'estimate', optional
        Prior probability that a gold answer is wrong. Default: ``'estimate'`` (EM) for
        ``method='irt'``, 0.05 for ``method='vote'``.
    error_correlation : float in [0, 1] or 'estimate', default 'estimate'
        ``method='vote'`` (and reported for both): correlation :math:`\\rho` of the models' errors; votes are divided by the design effect
        :math:`1 + (m_i - 1)\\rho` of the item's :math:`m_i` voters. ``'estimate'``: how much more
        often than chance two models that are both wrong give the same wrong answer.
    threshold : float in (0, 1], default 0.5
        Items with ``suspicion >= threshold`` are the suspects.
    blind : sequence of str or array of bool, optional
        Baseline models that lack the needed input (text-only runs of a vision benchmark, no-question
        runs, majority-answer runs). They do not vote; items they solve are reported.
    choice_probs : array_like, shape (n_models, n_items, n_choices), optional
        Per-choice probabilities (NaN where a model has none); their mean over models goes through
        :func:`find_label_issues` with ``gold_index``.
    gold_index : array_like of int, shape (n_items,), optional
        Gold choice index for ``choice_probs`` (-1 where unknown).
    negative_discrimination, misfit : array_like of bool, shape (n_items,), optional
        Items an IRT fit found with negative discrimination or misfit.

    Returns
    -------
    ItemAuditResult

    Notes
    -----
    ``method='irt'`` (:mod:`assay.labels._answers`): each item has a true answer ``t``; model
    ``m`` answers it with the 2PL probability :math:`\\sigma(a_i(\\theta_m - b_i))`, and a wrong
    answer goes with probability :math:`\\lambda_i` to the item's one attractive distractor
    (unknown) and otherwise uniformly to a wrong option. :math:`(a_i, b_i)` and :math:`\\lambda_i`
    are integrated over discrete priors whose weights, like the rate :math:`\\varepsilon` of wrong
    gold answers, are estimated by EM across items (a latent-class model with item effects; gold is
    ``t`` with probability :math:`1-\\varepsilon`, else another option uniformly). ``p_wrong`` is
    the exact posterior mass off gold. Strong models agreeing on a non-gold answer is strong
    evidence (the right-answer pattern must rise with ability); weak models agreeing on a popular
    distractor is explained by attraction. ``competing`` is the most probable non-gold answer.

    ``method='vote'``: each model is a "one-coin" rater (Dawid & Skene 1979): right with probability :math:`a_m`,
    otherwise one of the :math:`K-1` wrong answers uniformly. With independent raters, the
    posterior log-odds of answer c is its prior log-odds plus :math:`\\sum_m w_m [\\hat y_m = c]`
    with :math:`w_m = \\log((K-1) a_m/(1-a_m))` (Nitzan & Paroush 1982). The prior gives gold
    :math:`1-\\varepsilon` and each other answer :math:`\\varepsilon/(K-1)`;
    ``p_wrong`` is the posterior mass off gold. Errors of LLMs are correlated (shared
    misconceptions, tempting distractors): the vote sums are divided by the design effect
    :math:`1 + (m_i - 1)\\rho` (Kish 1965), with :math:`\\rho` the excess agreement of wrong
    answers over chance. Even so ``p_wrong`` is a ranking score more than a calibrated
    probability; treat the suspects as candidates for human review. :math:`a_m` is measured
    against the (noisy) gold and weights below chance are set to 0.

    References
    ----------
    Dawid & Skene (1979), Applied Statistics 28:20-28. Nitzan & Paroush (1982), International
    Economic Review 23:289-297. Northcutt, Athalye & Mueller (2021), "Pervasive Label Errors in
    Test Sets Destabilize Machine Learning Benchmarks", NeurIPS Datasets and Benchmarks.

    Examples
    --------
    >>> from assay.labels import audit_items
    >>> preds = [list("ABBD"), list("ABBD"), list("ABBC"), list("ACBD"), list("BBBD")]
    >>> res = audit_items(preds, list("ABCD"), items=["q1", "q2", "q3", "q4"], n_choices=4, method="vote",
    ...                   error_correlation=0)
    >>> [(r["item"], r["gold"], r["competing"], r["competing_votes"]) for r in res.suspects()]
    [('q3', 'C', 'B', 5)]
    """
    a = _audit_iv(predictions, gold, models, items, blind, answers)
    if method not in ("irt", "vote"):
        raise InputError(f"`method` must be 'irt' or 'vote'; got {method!r}.")
    if prior_error is None:
        prior_error = "estimate" if method == "irt" else 0.05
    if prior_error != "estimate":
        check_probability(prior_error, "prior_error")
        if prior_error >= 1:
            raise InputError(f"`prior_error` must be 'estimate' or in [0, 1); got {prior_error!r}.")
    elif method == "vote":
        raise InputError(
            "`prior_error='estimate'` needs method='irt'; give a number for method='vote'."
        )
    threshold = check_probability(threshold, "threshold", open_interval=False)
    if threshold <= 0:
        raise InputError(f"`threshold` must be in (0, 1]; got {threshold!r}.")
    m, n = a.pred.shape
    if n_choices is None:
        k = max(len(a.answers), 2)
    elif (
        isinstance(n_choices, bool) or not isinstance(n_choices, numbers.Integral) or n_choices < 2
    ):
        raise InputError(f"`n_choices` must be an integer >= 2; got {n_choices!r}.")
    else:
        k = int(n_choices)
    nd = _item_flags_iv(negative_discrimination, n, "negative_discrimination")
    mf = _item_flags_iv(misfit, n, "misfit")
    right = a.pred == a.gold[None, :]
    accuracy = right.mean(axis=1)
    w = _weights_iv(weights, accuracy, k, a.blind, n)
    rho = (
        _error_correlation(a, k) if error_correlation == "estimate" else _rho_iv(error_correlation)
    )
    v = _votes(a, w, rho)
    theta = np.full(m, np.nan)
    extra: dict[str, Any] = {}
    if method == "vote":
        p_wrong = _posterior_wrong(v, k, float(prior_error), n)
        eps = float(prior_error)
    else:
        voting = ~a.blind
        theta[voting] = _abilities_iv(abilities, accuracy, a.blind, n)
        post = answer_posterior(
            a.pred[voting], a.gold, theta[voting], k, item_params=_item_params_iv(item_params, n),
            prior_error=None if prior_error == "estimate" else float(prior_error),
        )  # fmt: skip
        p_wrong, eps = post.p_wrong, post.prior_error
        extra = {"attraction": post.attraction}
        _adopt_competing(v, post.best_other, a, w)
    p_blind = blind_posterior(a.pred[a.blind], a.gold)[0] if a.blind.any() else np.zeros(n)
    cl_flag, cl_score = (None, np.zeros(n))
    if choice_probs is not None:
        if gold_index is None:
            raise InputError("`choice_probs` needs `gold_index`, the gold choice of each item.")
        cl_flag, cl_score = _confident_learning(choice_probs, gold_index, m, n)
    suspicion = np.maximum(p_wrong, cl_score)
    order = np.lexsort((np.arange(n), -v["c_votes"], -suspicion))
    voters = ~a.blind
    return ItemAuditResult(
        items=a.items, models=a.models, answers=a.answers, gold=a.gold, predictions=a.pred,
        suspicion=suspicion, p_wrong=p_wrong, competing=v["competing"], competing_votes=v["c_votes"],
        gold_votes=v["v_gold"], n_voters=v["n_voters"],
        competing_share=np.divide(v["s_comp"], v["total_w"], out=np.zeros(n), where=v["total_w"] > 0),
        cl_flag=cl_flag, cl_score=cl_score, negative_discrimination=nd, misfit=mf,
        blind_solved=right[a.blind].sum(axis=0), n_blind=int(a.blind.sum()), p_blind_solvable=p_blind,
        all_correct=right[voters].all(axis=0), all_wrong=~right[voters].any(axis=0), weights=w,
        accuracy=accuracy, abilities=theta, n_choices=k, prior_error=eps, threshold=threshold,
        method=method, flag_error_rates=flag_rates(method, n_blind=int(a.blind.sum())), **extra,
        order=order, n_suspects=int((suspicion >= threshold).sum()), n_items=n, error_correlation=rho,
    )  # fmt: skip
