"""A model of many models' answers that knows right from popular.

Each item has a true answer ``t``. Model ``m`` answers it right with the 2PL probability
``sigma(a (theta_m - b))``; a wrong answer goes, with probability ``lambda``, to the item's one
attractive distractor ``d`` (unknown, uniform over the wrong options) and otherwise to a wrong option
uniformly. The item's ``(a, b)`` come from a discrete prior over a grid and its ``lambda`` from a
discrete prior over attraction levels; both priors' weights, and the rate ``epsilon`` at which the
gold answer differs from ``t``, are estimated by EM across the items (empirical Bayes, a latent-class
model with item effects in the sense of Dawid and Skene 1979). The abilities ``theta`` come from a 2PL
fit of the gold-scored matrix (:func:`assay.irt.fit`) unless given.

Agreement of strong models on a non-gold answer is then strong evidence (the correct-answer pattern
must rise with ability), while agreement of weak models on a popular distractor is explained by the
attraction term; the posterior over ``t`` is computed exactly for every answer seen plus the unseen
ones.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import sparse, special

__all__ = ["AnswerPosterior", "answer_posterior"]

_A_GRID = np.array([0.1, 0.3, 0.6, 1.0, 1.6, 2.5, 4.0])
_B_GRID = np.linspace(-6.0, 6.0, 17)
_LAMBDA = np.array([0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9])
_ALPHA = np.array([0.03, 0.1, 0.3, 1.0, 3.0])  # Dirichlet concentrations of the wrong answers


@dataclasses.dataclass(frozen=True)
class AnswerPosterior:
    """The answer model's posterior (internal; :func:`audit_items` exposes it)."""

    p_wrong: np.ndarray  # (n_items,) P(true answer != gold)
    best_other: np.ndarray  # (n_items,) code of the most probable non-gold answer, -1 if none seen
    p_best_other: np.ndarray  # (n_items,) its posterior probability
    prior_error: float  # epsilon (estimated or given)
    attraction: dict[str, list[float]]  # levels and their estimated weights
    n_iter: int
    theta: np.ndarray  # abilities used, one per voting model


def _rows(pred: np.ndarray, gold: np.ndarray, k: int):
    """Candidate answers per item: every answer seen, gold if unseen, one row for the unseen rest.

    Returns the rows (sorted by item) as arrays and the row of each observed (model, item) answer.
    """
    m, n = pred.shape
    n_codes = int(max(pred.max(initial=-1), gold.max(initial=-1))) + 1
    mi, ii = np.nonzero(pred >= 0)
    keys = ii.astype(np.int64) * (n_codes + 2) + pred[mi, ii]
    ukeys, inv, cnt = np.unique(keys, return_inverse=True, return_counts=True)
    s_item, s_code = ukeys // (n_codes + 2), ukeys % (n_codes + 2)
    n_seen = np.bincount(s_item, minlength=n)
    gold_seen = np.zeros(n, dtype=bool)
    gold_seen[s_item[s_code == gold[s_item]]] = True
    k_i = np.maximum(k, n_seen + ~gold_seen)  # effective options: junk answers widen the set
    mult_unseen = k_i - n_seen - ~gold_seen
    g_items = np.flatnonzero(~gold_seen)
    u_items = np.flatnonzero(mult_unseen > 0)
    item = np.concatenate([s_item, g_items, u_items])
    code = np.concatenate([s_code, gold[g_items], np.full(u_items.size, -2)])
    count = np.concatenate([cnt, np.zeros(g_items.size + u_items.size, dtype=np.int64)])
    mult = np.concatenate([np.ones(s_item.size + g_items.size), mult_unseen[u_items]])
    order = np.lexsort((np.arange(item.size), item))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    rows = {"item": item[order], "code": code[order], "count": count[order], "mult": mult[order],
            "seen": np.concatenate([np.ones(s_item.size, bool), np.zeros(g_items.size + u_items.size, bool)])[order],
            "k": k_i}  # fmt: skip
    return rows, rank[inv], mi, ii


def _attraction_loglik(rows: dict, n_obs: np.ndarray) -> np.ndarray:
    """log P(wrong answers | t = row's answer, lambda) for each row and attraction level."""
    item, count, seen, k_i = rows["item"], rows["count"], rows["seen"], rows["k"]
    n_rows = item.size
    lam = _LAMBDA[None, :]
    kk = (k_i[item] - 1.0)[:, None]
    log_u = np.log1p(-lam) - np.log(kk)  # log P(a given wrong option | not the attractor)
    log_r = np.log(lam + (1 - lam) / kk) - log_u  # log of the attractor's odds ratio, >= 0
    # per item: log sum_j r^{n_j} over seen answers, leaving out the row's own answer
    starts = np.flatnonzero(np.r_[True, item[1:] != item[:-1]])
    v = np.where(seen[:, None], count[:, None] * log_r, -np.inf)
    excl = np.full((n_rows, _LAMBDA.size), -np.inf)
    ends = np.r_[starts[1:], n_rows]
    # prefix/suffix log-sum-exp within each item (items have few rows; loop over offsets)
    max_len = int((ends - starts).max()) if n_rows else 0
    pre = np.full((n_rows, _LAMBDA.size), -np.inf)
    suf = np.full((n_rows, _LAMBDA.size), -np.inf)
    pos = np.arange(n_rows) - np.repeat(starts, ends - starts)
    length = np.repeat(ends - starts, ends - starts)
    for j in range(1, max_len):
        sel = np.flatnonzero(pos == j)
        pre[sel] = np.logaddexp(pre[sel - 1], v[sel - 1])
    for j in range(1, max_len):
        sel = np.flatnonzero(pos == length - 1 - j)
        suf[sel] = np.logaddexp(suf[sel + 1], v[sel + 1])
    excl = np.logaddexp(pre, suf)
    n_seen = np.bincount(item, weights=seen, minlength=k_i.size)
    zeros = k_i[item] - 1.0 - (n_seen[item] - seen)  # wrong options nobody chose
    with np.errstate(divide="ignore"):
        log_s = np.logaddexp(excl, np.log(np.maximum(zeros, 0.0))[:, None])
    n_wrong = (n_obs[item] - count)[:, None]
    return n_wrong * log_u + log_s - np.log(kk)


def _dirichlet_loglik(rows: dict, n_obs: np.ndarray) -> np.ndarray:
    """log P(wrong answers | t = row's answer) under a symmetric Dirichlet-multinomial, per alpha.

    Wrong answers spread over the K-1 wrong options with probabilities drawn from Dirichlet(alpha):
    small alpha lets one, two or more distractors take most of them (what one attractor cannot).
    """
    item, count, seen, k_i = rows["item"], rows["count"], rows["seen"], rows["k"]
    al = _ALPHA[None, :]
    kk = (k_i[item] - 1.0)[:, None]
    term = np.where(seen[:, None], special.gammaln(al + count[:, None]) - special.gammaln(al), 0.0)
    per_item = np.zeros((k_i.size, _ALPHA.size))
    np.add.at(per_item, item, term)
    n_wrong = (n_obs[item] - count)[:, None]
    return (special.gammaln(kk * al) - special.gammaln(kk * al + n_wrong)
            + per_item[item] - term)  # fmt: skip


def _grouped_loglik(rows: dict, pred_rows: np.ndarray, mi: np.ndarray, obs: np.ndarray,
                    theta: np.ndarray) -> np.ndarray:  # fmt: skip
    """Dirichlet-multinomials of their own for the wrong answers of the stronger and the weaker half.

    Strong models may share a misconception (a distractor of their own); this component lets the
    EM weigh how often their wrong answers part from the weaker models', as seen mostly on items
    whose gold is right.
    """
    strong = theta > np.median(theta)
    out = np.zeros((rows["item"].size, _ALPHA.size))
    for group in (strong, ~strong):
        g_rows = dict(rows, count=np.bincount(pred_rows[group[mi]], minlength=rows["item"].size))
        out += _dirichlet_loglik(g_rows, obs[group].sum(axis=0))
    return out


def _correct_loglik(pred_rows: np.ndarray, mi: np.ndarray, ii: np.ndarray, obs: np.ndarray,
                    theta: np.ndarray, item: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """log P(right/wrong pattern | t = row's answer, atom g) for each row and grid atom."""
    a = np.repeat(_A_GRID, _B_GRID.size)
    b = np.tile(_B_GRID, _A_GRID.size)
    z = a[None, :] * (theta[:, None] - b[None, :])  # (m, G)
    log_q = -np.logaddexp(0.0, z)  # log(1 - sigma)
    x = sparse.csr_matrix((np.ones(mi.size), (pred_rows, mi)), shape=(n_rows, theta.size))
    ll = np.asarray(x @ z) + (obs.T.astype(np.float64) @ log_q)[item]
    return ll


def _grid_prior(item_params: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """Starting weights of the (a, b) atoms: a histogram of fitted item parameters, or uniform."""
    g = _A_GRID.size * _B_GRID.size
    if item_params is None:
        return np.full(g, 1.0 / g)
    a, b = (np.asarray(x, dtype=np.float64) for x in item_params)
    ok = np.isfinite(a) & np.isfinite(b)
    ia = np.abs(
        np.log(np.clip(a[ok], _A_GRID[0], None))[:, None] - np.log(_A_GRID)[None, :]
    ).argmin(1)
    ib = np.abs(np.clip(b[ok], _B_GRID[0], _B_GRID[-1])[:, None] - _B_GRID[None, :]).argmin(1)
    h = np.bincount(ia * _B_GRID.size + ib, minlength=g) + 0.5
    return h / h.sum()


def _levels(distractors: str, omega: np.ndarray) -> dict[str, list]:
    names = {"attractor": [f"one attractor, lambda {x:g}" for x in _LAMBDA],
             "dirichlet": [f"Dirichlet alpha {x:g}" for x in _ALPHA]}  # fmt: skip
    names["both"] = names["attractor"] + names["dirichlet"]
    names["grouped"] = names["both"] + [f"strong/weak halves apart, alpha {x:g}" for x in _ALPHA]
    return {"levels": names[distractors], "weights": omega.tolist()}


def answer_posterior(pred: np.ndarray, gold: np.ndarray, theta: np.ndarray, k: int, *,
                     prior_error: float | None = None, item_params: tuple[np.ndarray, np.ndarray] | None = None,
                     pi_steps: int = 5, max_iter: int = 600, tol: float = 1e-3,
                     distractors: str = "grouped") -> AnswerPosterior:  # fmt: skip
    """Posterior over each item's true answer; ``pred`` holds the voting models only.

    ``prior_error=None`` estimates epsilon by EM (kept in [1e-4, 0.5]).
    """
    m, n = pred.shape
    obs = pred >= 0
    n_obs = obs.sum(axis=0)
    rows, pred_rows, mi, ii = _rows(pred, gold, k)
    item, code, mult = rows["item"], rows["code"], rows["mult"]
    n_rows = item.size
    ll_c = _correct_loglik(pred_rows, mi, ii, obs, theta, item, n_rows)
    pi = _grid_prior(item_params)
    c_max = ll_c.max(axis=1, keepdims=True)
    e_c = np.exp(ll_c - c_max).astype(np.float32)
    ll_d = _attraction_loglik(rows, n_obs)
    if distractors == "dirichlet":
        ll_d = _dirichlet_loglik(rows, n_obs)
    elif distractors == "both":
        ll_d = np.hstack([ll_d, _dirichlet_loglik(rows, n_obs)])
    elif distractors == "grouped":
        ll_d = np.hstack(
            [ll_d, _dirichlet_loglik(rows, n_obs), _grouped_loglik(rows, pred_rows, mi, obs, theta)]
        )
    d_max = ll_d.max(axis=1, keepdims=True)
    e_d = np.exp(ll_d - d_max)
    is_gold = code == gold[item]
    sizes = np.diff(np.r_[np.flatnonzero(np.r_[True, item[1:] != item[:-1]]), n_rows])
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    log_mult = np.log(mult)
    log_k1 = np.log(rows["k"][item].astype(np.float64) - 1.0)
    base = c_max[:, 0] + d_max[:, 0]

    def posterior(log_mc: np.ndarray, om_: np.ndarray, eps_: float):
        """Posterior over each item's rows, the data log-likelihood and log P(wrong answers)."""
        md = e_d @ om_
        with np.errstate(divide="ignore"):
            log_prior = np.where(is_gold, np.log1p(-eps_), np.log(eps_) - log_k1 + log_mult)
        lj = log_prior + base + log_mc + np.log(md)
        norm = np.maximum.reduceat(lj, starts)
        w = np.exp(lj - np.repeat(norm, sizes))
        tot = np.add.reduceat(w, starts)
        return w / np.repeat(tot, sizes), float((norm + np.log(tot)).sum()), md

    def step(params: np.ndarray, log_mc: np.ndarray):
        """One EM step on (omega, eps) with the item prior held: new parameters, loglik, p_wrong."""
        post, loglik, md = posterior(log_mc, params[:-1], params[-1])
        new_om = params[:-1] * (e_d.T @ (post / md)) / n
        p_wrong = 1.0 - np.bincount(item, weights=post * is_gold, minlength=n)
        new_eps = (
            params[-1] if prior_error is not None else float(np.clip(p_wrong.mean(), 1e-4, 0.5))
        )
        return np.r_[new_om / new_om.sum(), new_eps], loglik, p_wrong

    def project(params: np.ndarray) -> np.ndarray:
        p = params.copy()
        p[:-1] = np.maximum(p[:-1], 1e-12)
        p[:-1] /= p[:-1].sum()
        p[-1] = np.clip(p[-1], 1e-4, 0.5) if prior_error is None else p[-1]
        return p

    eps0 = 0.05 if prior_error is None else float(prior_error)
    params = np.r_[np.full(ll_d.shape[1], 1.0 / ll_d.shape[1]), eps0]
    it, p_prev = 0, None
    for _ in range(pi_steps + 1):
        mc = (e_c @ pi.astype(np.float32)).astype(np.float64)
        log_mc = np.log(mc)
        # SQUAREM (Varadhan and Roland 2008) on (omega, eps): two EM steps, an extrapolation
        while it < max_iter:
            p1, _, pw0 = step(params, log_mc)
            p2, ll1, _ = step(p1, log_mc)
            r, v = p1 - params, p2 - 2 * p1 + params
            alpha = min(-np.sqrt((r @ r) / max(v @ v, 1e-300)), -1.0)
            new, ll, p_wrong = step(project(params - 2 * alpha * r + alpha**2 * v), log_mc)
            if not np.isfinite(ll) or ll < ll1:
                new, ll, p_wrong = step(p2, log_mc)
            it += 3
            params = new
            if np.abs(p_wrong - pw0).max() < tol:
                break
        post, _, _ = posterior(log_mc, params[:-1], params[-1])
        if p_prev is not None and np.abs(p_wrong - p_prev).max() < tol:
            break
        p_prev = p_wrong
        pi = pi * (e_c.T @ (post / mc).astype(np.float32)) / n  # one EM step on the item prior
        pi = pi / pi.sum()
    p_wrong = 1.0 - np.bincount(item, weights=post * is_gold, minlength=n)
    omega, eps = params[:-1], float(params[-1])
    p_wrong = np.clip(p_wrong, 0.0, 1.0)
    cand = (~is_gold) & rows["seen"]
    best_other = np.full(n, -1, dtype=np.int64)
    p_best = np.zeros(n)
    idx = np.flatnonzero(cand)
    if idx.size:
        o = idx[np.lexsort((-post[idx], item[idx]))]
        first_items, first = np.unique(item[o], return_index=True)
        best_other[first_items] = code[o[first]]
        p_best[first_items] = post[o[first]]
    return AnswerPosterior(p_wrong=p_wrong, best_other=best_other, p_best_other=p_best, prior_error=eps,
                           attraction=_levels(distractors, omega), n_iter=it,
                           theta=theta)  # fmt: skip
