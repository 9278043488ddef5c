"""The weighted engine behind every calibration metric: one code path for estimates and resamples.

A bootstrap resample of ``n`` items is a vector of integer weights (how often each item was drawn).
Every metric here is written as a function of weighted sums over items, bins and tie groups, so
the point estimate is the metric at weights 1 and a batch of ``B`` resamples is the metric at a
``(B, n)`` weight matrix, computed with numpy in one pass (no Python loop over resamples).

Binning conventions (shared with the docs and the report):

* equal-width bins: ``n_bins`` intervals ``[k/n_bins, (k+1)/n_bins)``, the last one closed, as
  ``numpy.histogram`` and netcal use them;
* equal-mass bins: the items sorted by confidence are split into ``n_bins`` runs of as equal a
  size as possible (the first ``N mod n_bins`` runs one longer, as ``numpy.array_split``), so each
  bin holds ``N / n_bins`` items even with tied confidences; in a resample, the copies of an item
  are positions in the sorted order like any other.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.signal import fftconvolve
from scipy.special import xlogy

__all__: list[str] = []

#: Elements of one (B, n) chunk of resample weights (bounds the engine's memory).
CHUNK_ELEMENTS = 2_000_000
#: Probabilities are clipped to [EPS, 1 - EPS] before logarithms (float64 machine epsilon, as
#: scikit-learn's ``log_loss`` does for float64 input).
EPS = float(np.finfo(np.float64).eps)
#: Grid points of the smooth ECE's kernel smoother.
SMOOTH_GRID = 2001


# --------------------------------------------------------------------------------------------
# Prepared data
# --------------------------------------------------------------------------------------------


def width_index(conf: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-width bin of each confidence: ``[k/n_bins, (k+1)/n_bins)``, last bin closed.

    ``floor(f * n_bins)``, corrected by one where rounding puts ``f`` on the wrong side of an
    edge of ``numpy.linspace(0, 1, n_bins + 1)`` (so bins are exactly numpy.histogram's).
    """
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = (conf * n_bins).astype(np.intp)
    np.minimum(idx, n_bins - 1, out=idx)
    idx -= conf < edges[idx]
    idx += conf >= edges[idx + 1]
    np.minimum(idx, n_bins - 1, out=idx)
    return idx


class Prepared:
    """Validated arrays, sorted by confidence once, and the designs every resample shares.

    Every per-answer array is stored in descending order of confidence, so that resample
    weights need no reordering: weights are exchangeable, and a chunk of weights drawn in this
    order is a bootstrap of the answers. ``perm`` maps the caller's order to this one (a paired
    comparison draws weights in the caller's order and takes ``w[:, perm]``).

    Parameters
    ----------
    conf : ndarray, shape (n,)
        Confidences in [0, 1] (float64).
    correct : ndarray, shape (n,)
        Outcomes 0/1 (float64).
    n_bins : int
    threshold : float
        Confidence threshold of "wrong at high confidence".
    coverage : float
        Coverage of "accuracy at coverage".
    y_prob, y_true : optional
        Full class probabilities (n, K) and labels (n,), for the multiclass metrics.
    """

    def __init__(self, conf, correct, *, n_bins, threshold, coverage, y_prob=None, y_true=None):
        self.perm = np.argsort(conf, kind="stable")[::-1].copy()
        self.conf = conf = conf[self.perm]
        self.correct = correct = correct[self.perm]
        self.n = conf.size
        self.n_bins = n_bins
        self.threshold = threshold
        self.coverage = coverage
        self.width_idx = width_index(conf, n_bins)
        self.group_starts = np.flatnonzero(np.r_[True, conf[1:] != conf[:-1]])
        self.ties = self.group_starts.size < self.n
        self.high = (conf >= threshold).astype(np.float64)
        q = np.clip(conf, EPS, 1.0 - EPS)
        # per-answer columns summed by one matrix product
        self.columns = np.stack([
            np.ones(self.n), conf, correct, (conf - correct) ** 2,
            -(correct * np.log(q) + (1.0 - correct) * np.log1p(-q)),
            self.high, self.high * (1.0 - correct),
        ], axis=1)  # fmt: skip
        self.width_design = bin_design(self.width_idx, n_bins, conf, correct)
        self.y_prob = None if y_prob is None else y_prob[self.perm]
        self.y_true = None if y_true is None else y_true[self.perm]
        self.sigma: float | None = None  # smooth-ECE bandwidth, fixed at the point estimate
        self.smooth_grid: int = SMOOTH_GRID
        self._smooth_design = None
        self._multi = None

    def multiclass(self):
        """Designs of the multiclass metrics (built on first use)."""
        if self._multi is None and self.y_prob is not None:
            probs, labels, nb = self.y_prob, self.y_true, self.n_bins
            k = probs.shape[1]
            rows = np.arange(self.n)
            top = bin_design(
                probs.argmax(axis=1) * nb + self.width_idx, k * nb, self.conf, self.correct
            )
            classwise = [
                bin_design(
                    width_index(probs[:, j], nb), nb, probs[:, j], (labels == j).astype(float)
                )
                for j in range(k)
            ]
            onehot = np.zeros_like(probs)
            onehot[rows, labels] = 1.0
            extra = np.stack([-np.log(np.clip(probs[rows, labels], EPS, 1.0)),
                              np.sum((probs - onehot) ** 2, axis=1)], axis=1)  # fmt: skip
            self._multi = {"top": top, "classwise": classwise, "columns": extra}
        return self._multi

    def smooth_design(self):
        """Sparse (n, grid) matrix spreading each residual linearly onto the smoothing grid."""
        if self._smooth_design is None:
            self._smooth_design = residual_design(self.conf, self.correct, self.smooth_grid)
        return self._smooth_design


# --------------------------------------------------------------------------------------------
# Weighted sums
# --------------------------------------------------------------------------------------------


def bin_design(idx: np.ndarray, n_out: int, conf: np.ndarray, correct: np.ndarray):
    """Sparse (n, 3 * n_out) design: weighted product gives bin counts, confidence and outcome sums."""
    n = idx.size
    rows = np.tile(np.arange(n), 3)
    cols = np.concatenate([idx, idx + n_out, idx + 2 * n_out])
    vals = np.concatenate([np.ones(n), conf, correct])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, 3 * n_out))


def _bins(w: np.ndarray, design) -> np.ndarray:
    """(3, B, n_out): counts, confidence sums and outcome sums per bin, for weights ``w``."""
    out = np.asarray(w @ design)
    return out.reshape(w.shape[0], 3, -1).transpose(1, 0, 2)


def _rowwise_searchsorted(a: np.ndarray, q: np.ndarray, side: str) -> np.ndarray:
    """``searchsorted`` of each row of ``q`` in the matching non-decreasing row of ``a``."""
    b, m = a.shape
    lo = min(float(a.min()), float(q.min()))
    span = max(float(a.max()), float(q.max())) - lo + 1.0
    off = (np.arange(b) * span)[:, None]
    pos = np.searchsorted((a - lo + off).ravel(), (q - lo + off).ravel(), side=side)
    return pos.reshape(q.shape) - (np.arange(b) * m)[:, None]


def mass_bins(p: Prepared, w: np.ndarray) -> np.ndarray:
    """Equal-mass bins of each resample: (3, B, n_bins) counts, confidence and outcome sums.

    The bins of Kumar, Liang & Ma's ``calibration.get_equal_bins`` applied to each resample
    (its copies of an answer being tied values): the ``N`` sorted copies are cut into runs of
    ``numpy.array_split`` sizes (cut ``k`` at position :math:`P_k = k \\lfloor N/b \\rfloor +
    \\min(k, N \\bmod b)` from the least confident), each edge is the midpoint of the values
    either side of its cut, and an answer falls in the first bin whose edge is at or above its
    confidence. A run of tied confidences at a cut therefore goes whole into the lower bin, and
    bins whose edges coincide merge (they are empty here, which contributes nothing). With
    fewer copies than bins every copy gets its own cut, as the package's ``num_bins = N``.
    """
    b, n = w.shape
    nb = p.n_bins
    conf = p.conf[::-1]  # ascending; the weights are in descending order of confidence
    wa = w[:, ::-1]
    c_incl = np.cumsum(wa, axis=1)
    total = c_incl[:, -1]
    base = np.floor(total / nb)
    rem = total - base * nb
    k = np.arange(1, nb)
    cuts = base[:, None] * k[None, :] + np.minimum(k[None, :], rem[:, None])  # (B, nb - 1)
    # the copy at sorted position t is the first answer whose cumulative weight exceeds t
    last = np.minimum(_rowwise_searchsorted(c_incl, cuts - 1.0, side="right"), n - 1)
    first = np.minimum(_rowwise_searchsorted(c_incl, cuts, side="right"), n - 1)
    edge = (conf[last] + conf[first]) / 2.0
    edge = np.where((cuts >= 1) & (cuts < total[:, None]), edge, np.inf)
    upto = np.searchsorted(conf, edge, side="right")  # answers with confidence <= each edge
    idx = np.concatenate([np.zeros((b, 1), np.intp), upto, np.full((b, 1), n, np.intp)], axis=1)
    rows = np.arange(b)[:, None]
    out = np.empty((3, b, nb))
    for j, v in enumerate((None, conf, p.correct[::-1])):
        cv = c_incl if v is None else np.cumsum(wa * v[None, :], axis=1)
        prefix = np.concatenate([np.zeros((b, 1)), cv], axis=1)
        out[j] = np.diff(prefix[rows, idx], axis=1)
    return out


_WIDTH = frozenset({"ece", "mce", "brier_reliability", "brier_resolution", "brier_uncertainty"})
_MASS = frozenset({"ece_mass", "debiased_l2_ce"})
_GROUPS = frozenset({"auroc", "auprc", "aurc", "excess_aurc", "accuracy_at_coverage"})


def stats(p: Prepared, w: np.ndarray, names: frozenset[str]) -> dict[str, np.ndarray]:
    """Sufficient statistics of one chunk of weights ``w`` (B, n) for the metrics in ``names``."""
    cols = w @ p.columns
    s: dict[str, np.ndarray] = {
        "N": cols[:, 0], "sum_conf": cols[:, 1], "sum_correct": cols[:, 2], "sum_sq": cols[:, 3],
        "sum_nll": cols[:, 4], "high": cols[:, 5], "high_wrong": cols[:, 6],
    }  # fmt: skip
    if names & _WIDTH:
        s["width"] = _bins(w, p.width_design)
    if names & _MASS:
        s["mass"] = mass_bins(p, w)
    if names & _GROUPS:
        wc = w * p.correct[None, :]
        if p.ties:
            gw = np.add.reduceat(w, p.group_starts, axis=1)
            gc = np.add.reduceat(wc, p.group_starts, axis=1)
        else:
            gw, gc = w, wc
        s["g_w"], s["g_c"] = gw, gc
        s["seen"] = np.cumsum(gw, axis=1)
        s["right"] = np.cumsum(gc, axis=1)
    if "smooth_ece" in names:
        s["smooth_ece"] = smooth_ece_at(w, p.smooth_design(), p.sigma)
    if p.y_prob is not None and names & set(MULTICLASS_METRICS):
        m = p.multiclass()
        if "top_label_ece" in names:
            s["top"] = _bins(w, m["top"])
        if "classwise_ece" in names:
            s["classwise"] = np.mean(
                [_ece_from(_bins(w, d), s["N"]) for d in m["classwise"]], axis=0
            )
        extra = w @ m["columns"]
        s["sum_nll_multi"], s["sum_sq_multi"] = extra[:, 0], extra[:, 1]
    return s


# --------------------------------------------------------------------------------------------
# Metrics as functions of the statistics
# --------------------------------------------------------------------------------------------


def _div(a, b):
    return np.divide(a, b, out=np.full(np.broadcast(a, b).shape, np.nan), where=b > 0)


def _ece_from(bins: np.ndarray, n: np.ndarray) -> np.ndarray:
    cnt, sc, sy = bins
    return np.abs(sc - sy).sum(axis=1) / n


def _mce_from(bins: np.ndarray) -> np.ndarray:
    cnt, sc, sy = bins
    gap = np.where(cnt > 0, np.abs(_div(sc, cnt) - _div(sy, cnt)), -np.inf)
    return gap.max(axis=1)


def _debiased_l2(bins: np.ndarray, n: np.ndarray) -> np.ndarray:
    cnt, sc, sy = bins
    acc = _div(sy, cnt)
    gap2 = (_div(sc, cnt) - acc) ** 2 - _div(acc * (1.0 - acc), cnt - 1.0)
    term = np.where(cnt >= 2, cnt * gap2, 0.0)
    return np.sqrt(np.maximum(term.sum(axis=1) / n, 0.0))


def _brier_parts(s) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cnt, sc, sy = s["width"]
    n = s["N"]
    base = s["sum_correct"] / n
    rel = np.where(cnt > 0, cnt * (_div(sc, cnt) - _div(sy, cnt)) ** 2, 0.0).sum(axis=1) / n
    res = np.where(cnt > 0, cnt * (_div(sy, cnt) - base[:, None]) ** 2, 0.0).sum(axis=1) / n
    return rel, res, base * (1.0 - base)


def _auroc(s) -> np.ndarray:
    pos = s["g_c"]  # most confident first
    neg = s["g_w"] - pos
    below = neg.sum(axis=1, keepdims=True) - (
        s["seen"] - s["right"]
    )  # wrong answers less confident
    num = (pos * (below + 0.5 * neg)).sum(axis=1)
    return _div(num, pos.sum(axis=1) * neg.sum(axis=1))


def _precision(s) -> np.ndarray:
    seen = s["seen"]
    return np.divide(s["right"], seen, out=np.zeros_like(seen), where=seen > 0)


def _auprc(s) -> np.ndarray:
    return _div((s["g_c"] * _precision(s)).sum(axis=1), s["sum_correct"])


def _aurc(s) -> np.ndarray:
    risk = 1.0 - _precision(s)
    return (s["g_w"] * risk).sum(axis=1) / s["N"]


def optimal_aurc(risk: np.ndarray) -> np.ndarray:
    """AURC of a perfect ranking at overall risk ``r``: ``r + (1 - r) ln(1 - r)`` (Geifman et al.)."""
    return risk + xlogy(1.0 - risk, 1.0 - risk)


def _accuracy_at_coverage(s, coverage: float) -> np.ndarray:
    gw, gc, seen, right = s["g_w"], s["g_c"], s["seen"], s["right"]
    k = coverage * s["N"]
    g = _rowwise_searchsorted(seen, k[:, None], side="left")[:, 0]  # first group reaching k
    g = np.minimum(g, gw.shape[1] - 1)
    rows = np.arange(gw.shape[0])
    before_w = seen[rows, g] - gw[rows, g]
    before_c = right[rows, g] - gc[rows, g]
    part = (k - before_w) * _div(gc[rows, g], gw[rows, g])
    return (before_c + np.nan_to_num(part)) / k


def _metric_table():
    return {
        "accuracy": lambda s, p: s["sum_correct"] / s["N"],
        "mean_confidence": lambda s, p: s["sum_conf"] / s["N"],
        "overconfidence": lambda s, p: (s["sum_conf"] - s["sum_correct"]) / s["N"],
        "ece": lambda s, p: _ece_from(s["width"], s["N"]),
        "ece_mass": lambda s, p: _ece_from(s["mass"], s["N"]),
        "mce": lambda s, p: _mce_from(s["width"]),
        "debiased_l2_ce": lambda s, p: _debiased_l2(s["mass"], s["N"]),
        "smooth_ece": lambda s, p: s["smooth_ece"],
        "brier": lambda s, p: s["sum_sq"] / s["N"],
        "brier_reliability": lambda s, p: _brier_parts(s)[0],
        "brier_resolution": lambda s, p: _brier_parts(s)[1],
        "brier_uncertainty": lambda s, p: _brier_parts(s)[2],
        "nll": lambda s, p: s["sum_nll"] / s["N"],
        "auroc": lambda s, p: _auroc(s),
        "auprc": lambda s, p: _auprc(s),
        "aurc": lambda s, p: _aurc(s),
        "excess_aurc": lambda s, p: _aurc(s) - optimal_aurc(1.0 - s["sum_correct"] / s["N"]),
        "accuracy_at_coverage": lambda s, p: _accuracy_at_coverage(s, p.coverage),
        "wrong_at_high_confidence": lambda s, p: s["high_wrong"] / s["N"],
        "error_rate_at_high_confidence": lambda s, p: _div(s["high_wrong"], s["high"]),
        "top_label_ece": lambda s, p: _ece_from(s["top"], s["N"]),
        "classwise_ece": lambda s, p: s["classwise"],
        "nll_multiclass": lambda s, p: s["sum_nll_multi"] / s["N"],
        "brier_multiclass": lambda s, p: s["sum_sq_multi"] / s["N"],
    }


METRICS = _metric_table()
MULTICLASS_METRICS = ("top_label_ece", "classwise_ece", "nll_multiclass", "brier_multiclass")
BINARY_METRICS = tuple(m for m in METRICS if m not in MULTICLASS_METRICS)


def evaluate(p: Prepared, w: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Metrics ``names`` at each row of weights ``w`` (B, n); returns (B, len(names))."""
    s = stats(p, w, frozenset(names))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([np.asarray(METRICS[m](s, p), dtype=np.float64) for m in names], axis=1)


# --------------------------------------------------------------------------------------------
# Resample weights
# --------------------------------------------------------------------------------------------


def resample_weights(n: int, n_resamples: int, rng: np.random.Generator, codes: np.ndarray | None):
    """Yield chunks of bootstrap weights, shape (b, n), b rows per chunk, n_resamples rows in all.

    Without clusters, a row counts how often each item was drawn in ``n`` draws with replacement.
    With cluster codes ``0..G-1``, ``G`` clusters are drawn with replacement and each item gets
    its cluster's count.
    """
    units = n if codes is None else int(codes.max()) + 1
    step = max(1, CHUNK_ELEMENTS // max(n, 1))
    for start in range(0, n_resamples, step):
        b = min(step, n_resamples - start)
        draws = rng.integers(0, units, size=(b, units))
        flat = (draws + units * np.arange(b)[:, None]).ravel()
        counts = np.bincount(flat, minlength=b * units).reshape(b, units).astype(np.float64)
        yield counts if codes is None else counts[:, codes]


# --------------------------------------------------------------------------------------------
# Smooth ECE (Błasiok & Nakkiran 2023)
# --------------------------------------------------------------------------------------------


def residual_design(conf: np.ndarray, correct: np.ndarray, grid: int):
    """Sparse (n, grid): each residual ``y - f`` split linearly between its two grid points."""
    pos = conf * (grid - 1)
    i0 = np.clip(pos.astype(np.int64), 0, grid - 2)
    frac = pos - i0
    r = correct - conf
    n = conf.size
    rows = np.tile(np.arange(n), 2)
    return sp.csr_matrix(
        (np.r_[r * (1.0 - frac), r * frac], (rows, np.r_[i0, i0 + 1])), shape=(n, grid)
    )


def _reflected_smooth(h: np.ndarray, sigma: float) -> np.ndarray:
    """Convolve rows of ``h`` with a Gaussian of sd ``sigma`` reflected at 0 and 1."""
    grid = h.shape[1]
    step = 1.0 / (grid - 1)
    # the mirror images about 0 and 1: a grid point on the boundary is its own image, so its
    # mass counts twice there (the reflected kernel phi(t - f) + phi(t + f) at f = 0); without
    # this, mass at exactly 0 or 1 would lose half its weight
    mid = h.copy()
    mid[:, 0] *= 2.0
    mid[:, -1] *= 2.0
    ext = np.concatenate([h[:, :0:-1], mid, h[:, -2::-1]], axis=1)  # covers [-1, 2]
    half = min(int(np.ceil(6.0 * sigma / step)), 2 * (grid - 1))
    t = np.arange(-half, half + 1) * step
    kern = np.exp(-0.5 * (t / sigma) ** 2) / (np.sqrt(2.0 * np.pi) * sigma)
    full = fftconvolve(ext, kern[None, :], mode="same", axes=1)
    return full[:, grid - 1 : 2 * grid - 1]


def _integral(h: np.ndarray, sigma: float) -> np.ndarray:
    s = np.abs(_reflected_smooth(h, sigma))
    step = 1.0 / (h.shape[1] - 1)
    return step * (s.sum(axis=1) - 0.5 * (s[:, 0] + s[:, -1]))


def smooth_ece_at(w: np.ndarray, design, sigma: float) -> np.ndarray:
    """smECE at a fixed bandwidth: ``∫ |(1/N) Σ w_i (y_i - f_i) K_σ(t, f_i)| dt`` per row of ``w``."""
    return _integral(np.asarray(w @ design), sigma) / w.sum(axis=1)


def smooth_grid_for(sigma: float) -> int:
    """Grid points for bandwidth ``sigma``: spacing at most σ/10, between 201 and SMOOTH_GRID."""
    return int(min(SMOOTH_GRID, max(201, np.ceil(10.0 / sigma) + 1)))


def smooth_ece_bandwidth(conf, correct, *, lower: float = 2e-3) -> float:
    """The fixed point ``σ* = smECE_σ*`` (smECE_σ decreases in σ), by bisection in log σ."""
    h = np.asarray(np.ones((1, conf.size)) @ residual_design(conf, correct, SMOOTH_GRID))

    def gap(sigma: float) -> float:
        return float(_integral(h, sigma)[0] / conf.size) - sigma

    if gap(lower) <= 0.0:
        return lower
    if gap(1.0) >= 0.0:
        return 1.0
    lo, hi = np.log(lower), 0.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if gap(float(np.exp(mid))) > 0.0:
            lo = mid
        else:
            hi = mid
    return float(np.exp(0.5 * (lo + hi)))


def fix_bandwidth(p: Prepared) -> None:
    """Set the smooth-ECE bandwidth of ``p`` at its fixed point, and the grid that suits it."""
    p.sigma = smooth_ece_bandwidth(p.conf, p.correct)
    p.smooth_grid = smooth_grid_for(p.sigma)
    p._smooth_design = None
