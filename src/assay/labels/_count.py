"""Confident learning, stage 1: per-class thresholds, the confident joint and the noise matrices.

The computations follow Northcutt, Jiang & Chuang (2021), "Confident Learning: Estimating
Uncertainty in Dataset Labels", JAIR 70:1373-1411, and reproduce cleanlab 2.x bit for bit (the same
thresholds, the same tie rules, the same rounding) so that :func:`assay.labels.find_label_issues`
flags exactly the examples that ``cleanlab.filter.find_label_issues`` flags.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np

from assay._core import InputError, Result

__all__ = ["NoiseResult", "confident_joint", "confident_thresholds", "estimate_noise"]

#: Fuzzy comparison used for thresholds and for "the model agrees with the given label".
_EPS = 1e-6
#: Lower bound of a per-class threshold (it must exceed ``_EPS``).
_THRESHOLD_FLOOR = 2 * _EPS
#: Threshold of a class no example is labelled with: no probability reaches it.
_ABSENT_THRESHOLD = 2
_TINY = 1e-100


@dataclasses.dataclass(frozen=True)
class _Labels:
    """Validated inputs: integer labels, probabilities in their own float dtype, rows by label."""

    y: np.ndarray  # (n,) int64 in [0, k)
    p: np.ndarray  # (n, k) C-contiguous float32 or float64, rows as given (no transposed copy)
    self_confidence: np.ndarray  # (n,) p[i, y_i]
    order: np.ndarray  # (n,) row indices grouped by label, ascending within a label
    counts: np.ndarray  # (k,) examples per given label

    @property
    def n_classes(self) -> int:
        return self.p.shape[1]

    @functools.cached_property
    def bounds(self) -> np.ndarray:
        """(k + 1,) offsets: the rows labelled c are ``order[bounds[c]:bounds[c + 1]]``."""
        return np.concatenate(([0], np.cumsum(self.counts)))

    @functools.cached_property
    def rows(self) -> tuple[np.ndarray, ...]:
        """rows[c]: ascending indices of the examples labelled c (views into ``order``)."""
        b = self.bounds
        return tuple(self.order[b[c] : b[c + 1]] for c in range(self.n_classes))

    @functools.cached_property
    def self_confidence_by_label(self) -> np.ndarray:
        """``self_confidence[order]``: label c's values are the slice ``bounds[c]:bounds[c + 1]``."""
        return self.self_confidence.take(self.order)


def _labels_iv(y_true: Any, y_prob: Any) -> _Labels:
    """Check labels and probabilities; group the rows by given label."""
    p = np.asarray(y_prob)
    if p.dtype not in (np.float32, np.float64):
        try:
            p = np.asarray(p, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(
                f"`y_prob` must be a numeric array; got dtype {np.asarray(y_prob).dtype}."
            ) from None
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 2:
        raise InputError(
            f"`y_prob` must have shape (n_examples, n_classes) with n_classes >= 2; got {p.shape}."
        )
    p = np.ascontiguousarray(p)  # a copy only for column-major or strided input
    y = np.asarray(y_true)
    if y.ndim != 1 or y.shape[0] != p.shape[0]:
        raise InputError(
            f"`y_true` must have shape ({p.shape[0]},) to match `y_prob`; got {y.shape}."
        )
    if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        y = y.astype(np.int64)
    if y.dtype.kind not in "iu":
        raise InputError(
            f"`y_true` must hold integer class labels 0..{p.shape[1] - 1}; got dtype {y.dtype}."
        )
    y = y.astype(np.int64, copy=False)
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= p.shape[1]:
        bad = lo if lo < 0 else hi
        raise InputError(
            f"`y_true` holds the label {bad}; labels must lie in 0..{p.shape[1] - 1} (columns of `y_prob`)."
        )
    pmin, pmax, sc = _scan(p, y)
    if not (np.isfinite(pmin) and np.isfinite(pmax)):
        raise InputError(f"`y_prob` contains {int((~np.isfinite(p)).sum())} non-finite value(s).")
    if pmin < -_EPS or pmax > 1 + _EPS:
        raise InputError(
            f"`y_prob` must hold probabilities in [0, 1]; found values from {pmin:g} to {pmax:g}."
        )
    return _Labels(y, p, sc, *_group_rows(y, p.shape[1]))


#: Bytes of probabilities handled at a time by the passes over all rows (they stay in the L2 cache).
_CHUNK_BYTES = 1 << 20


def _chunks(p: np.ndarray) -> range:
    return range(0, p.shape[0], max(256, _CHUNK_BYTES // (p.shape[1] * p.itemsize)))


#: Up to this many classes, row maxima are running maxima over the columns of a chunk in cache
#: (numpy's ``max(axis=1)`` and ``argmax(axis=1)`` pay a call per row of a few values).
_COLUMN_LOOP = 32


def _row_argmax(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's arg-max (the first maximum, as ``p.argmax(axis=1)``) and its maximum.

    Up to 32 classes, a running maximum over the columns of a chunk in cache: a column takes over
    only where it is strictly greater, so the first maximum keeps its place.
    """
    n, k = p.shape
    if k > _COLUMN_LOOP:
        best = p.argmax(axis=1)
        return best, p[np.arange(n), best]
    best, top = np.empty(n, dtype=np.uint8), np.empty(n, dtype=p.dtype)
    chunks = _chunks(p)
    greater, step = np.empty(chunks.step, dtype=np.uint8), np.empty(chunks.step, dtype=np.uint8)
    for s in chunks:
        block, m, b = p[s : s + chunks.step], top[s : s + chunks.step], best[s : s + chunks.step]
        g, t = greater[: block.shape[0]], step[: block.shape[0]]
        np.copyto(m, block[:, 0])
        b.fill(0)
        for j in range(1, k):
            np.greater(block[:, j], m, out=g.view(bool))
            np.bitwise_xor(b, np.uint8(j), out=t)
            t *= g
            b ^= t  # b = j where the column is greater, else unchanged
            np.maximum(m, block[:, j], out=m)
    return best.astype(np.intp), top


def _scan(p: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Smallest and largest probability (NaN if any is NaN) and ``p[i, y_i]``, in one pass."""
    n, k = p.shape
    step = _chunks(p).step
    lows, highs = np.empty(len(_chunks(p))), np.empty(len(_chunks(p)))
    sc = np.empty(n, dtype=p.dtype)
    at = np.arange(0, step * k, k)
    for i, s in enumerate(_chunks(p)):
        block = p[s : s + step]
        lows[i], highs[i] = block.min(), block.max()
        np.take(block.ravel(), at[: block.shape[0]] + y[s : s + step], out=sc[s : s + step])
    return float(lows.min()), float(highs.max()), sc


def _group_rows(y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices grouped by label, ascending within each: one stable (radix) sort of narrow labels."""
    narrow = y.astype(np.uint8 if k <= 256 else np.uint16 if k <= 65536 else np.int64)
    order = np.argsort(narrow, kind="stable")
    counts = np.bincount(narrow, minlength=k).astype(np.int64)
    return order, counts


# --------------------------------------------------------------------------------------------
# Thresholds and the confident joint
# --------------------------------------------------------------------------------------------

#: Up to this many classes, which classes reach their thresholds is packed into one integer per row
#: and the count and the first of them are read from tables of 2**k entries.
_MAX_PACKED = 16
#: Rows per wide row in the threshold comparison (a long inner loop instead of one per row).
_WIDE = 64


def _thresholds(d: _Labels) -> np.ndarray:
    """t_c: mean predicted probability of class c over the examples labelled c (cleanlab's rule).

    Each mean is ``np.mean`` of the contiguous values in row order, as cleanlab's
    ``np.mean(pred_probs[:, c][labels == c])``, so the sums round the same way.
    """
    sc, b = d.self_confidence_by_label, d.bounds
    means = [
        np.mean(sc[b[c] : b[c + 1]]) if b[c + 1] > b[c] else _ABSENT_THRESHOLD
        for c in range(d.n_classes)
    ]
    return np.clip(means, a_min=_THRESHOLD_FLOOR, a_max=None)


def _reaches(p: np.ndarray, cut: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``p >= cut[None, :]`` into ``out``, compared on a wide view (far fewer inner loops)."""
    n, k = p.shape
    q = n - n % _WIDE
    if q:
        np.greater_equal(
            p[:q].reshape(-1, _WIDE * k), np.tile(cut, _WIDE), out=out[:q].reshape(-1, _WIDE * k)
        )
    np.greater_equal(p[q:], cut, out=out[q:])
    return out


#: Multiplying a little-endian word of eight 0/1 bytes by this moves byte i to bit 56 + i, with
#: no carry into bits 56-63 (the partial products of the other bytes fall below or overflow).
_GATHER_BITS = np.uint64(0x0102040810204080)


def _packed(flags: np.ndarray, n: int, k: int) -> np.ndarray:
    """Bit c of entry i is ``flags[i * k + c]`` (k <= 16): eight bytes of a row per multiply.

    ``flags`` holds the n x k 0/1 bytes row by row plus 8 bytes of slack, so that a word starting
    in the last row stays inside the buffer; bytes of the next row are masked off.
    """
    code = np.zeros(n, dtype=np.uint64)
    for start in range(0, k, 8):
        width = min(k - start, 8)
        word = np.ndarray((n,), dtype="<u8", buffer=flags, offset=start, strides=(k,))
        word = word & np.uint64((1 << (8 * width)) - 1) if width < 8 else word.copy()
        word *= _GATHER_BITS
        word >>= np.uint64(56)
        word <<= np.uint64(start)
        code |= word
    return code.view(np.int64)


@functools.lru_cache(maxsize=_MAX_PACKED)
def _bit_tables(k: int) -> tuple[np.ndarray, np.ndarray]:
    """For every k-bit pattern: its number of set bits and its lowest set bit (k if none)."""
    codes = np.arange(2**k)
    bits = (codes[:, None] >> np.arange(k)) & 1
    first = np.where(codes > 0, bits.argmax(axis=1), k)
    return bits.sum(axis=1).astype(np.uint8), first.astype(np.int16)


def _confident_cells(d: _Labels, thresholds: np.ndarray) -> np.ndarray:
    """Per row, ``given * (k + 1) + guess``: the confidently predicted class, or k for none.

    The guess is the first class at or above its threshold (``p >= t - 1e-6``), or the arg-max of
    the row when two or more are (cleanlab's rule). Up to 16 classes, a chunk of rows is compared,
    packed and looked up while it is in cache.
    """
    n, k = d.p.shape
    cut = thresholds - _EPS
    if k > _MAX_PACKED:
        above = _reaches(d.p, cut, np.empty((n, k), dtype=bool))
        n_above = above.sum(axis=1, dtype=np.uint8 if k < 256 else np.int64)
        guess = np.where(n_above > 0, above.argmax(axis=1), k)
        several = np.flatnonzero(n_above > 1)
        guess[several] = d.p[several].argmax(axis=1)
        return d.y * (k + 1) + guess
    n_set, first = _bit_tables(k)
    cells = np.empty(n, dtype=np.int16)  # k * (k + 1) + k < 2**15
    step = _chunks(d.p).step
    flags = np.zeros(step * k + 8, dtype=np.uint8)
    for s in _chunks(d.p):
        block = d.p[s : s + step]
        m = block.shape[0]
        _reaches(block, cut, flags[: m * k].view(bool).reshape(m, k))
        code = _packed(flags, m, k)
        guess = first.take(code)
        several = np.flatnonzero(n_set.take(code) > 1)
        guess[several] = block[several].argmax(axis=1)
        cells[s : s + step] = d.y[s : s + step] * (k + 1) + guess
    return cells


def _confident_counts(d: _Labels, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The uncalibrated confident joint C[given, true] and the off-diagonal example indices."""
    k = d.n_classes
    cell = _confident_cells(d, thresholds)  # column k: not confident
    joint = np.bincount(cell, minlength=k * (k + 1)).reshape(k, k + 1)[:, :k].copy()
    np.fill_diagonal(joint, joint.diagonal().clip(min=1))
    off = np.ones((k, k + 1), dtype=bool)
    off[:, k] = False
    np.fill_diagonal(off, False)
    return joint, np.flatnonzero(off.ravel().take(cell))


def _round_preserving_sum(values: np.ndarray) -> np.ndarray:
    """Round to integers keeping the (rounded) total, adjusting the largest remainders first."""
    floats = np.asarray(values, dtype=float)
    ints = floats.round()
    orig_sum = np.sum(floats).round()
    int_sum = np.sum(ints).round()
    while abs(int_sum - orig_sum) > _EPS:
        diff = np.round(orig_sum - int_sum)
        step = -1 if int(diff < 0.0) else 1
        changes = min(int(abs(diff)), len(values))
        ints[np.argsort(floats - ints)[::-step][:changes]] += step
        int_sum = np.sum(ints).round()
    return ints.astype(int)


def _round_rows(matrix: np.ndarray) -> np.ndarray:
    return np.array([_round_preserving_sum(row) for row in matrix], dtype=int).reshape(matrix.shape)


def _calibrate(joint: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Rescale row c of the confident joint to the number of examples labelled c, then round."""
    cal = (joint.T / np.clip(joint.sum(axis=1), a_min=_TINY, a_max=None) * counts).T
    cal = cal / np.clip(np.sum(cal), a_min=_TINY, a_max=None) * sum(counts)
    return _round_rows(cal)


def _clip_noise_rates(matrix: np.ndarray) -> np.ndarray:
    diagonal = np.diagonal(matrix).copy()
    out = np.clip(matrix, 0, 0.9999)
    np.fill_diagonal(out, diagonal)
    return out / np.clip(out.sum(axis=0), a_min=_TINY, a_max=None)


def _latent(joint: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prior of the true labels, P(given | true) and P(true | given) from a confident joint."""
    ps = counts / float(counts.sum())
    given_counts = joint.sum(axis=1).astype(float)
    true_counts = joint.sum(axis=0).astype(float)
    noise = joint / np.clip(true_counts, a_min=_TINY, a_max=None)
    inverse = joint.T / np.clip(given_counts, a_min=_TINY, a_max=None)
    py = inverse.diagonal() / np.clip(noise.diagonal(), a_min=_TINY, a_max=None) * ps
    py = np.clip(py, 1e-6, 1.0)
    py = py * 1.0 / np.clip(np.sum(py), a_min=_TINY, a_max=None)
    return py, _clip_noise_rates(noise), _clip_noise_rates(inverse)


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def confident_thresholds(y_true: Any, y_prob: Any) -> np.ndarray:
    """Per-class thresholds of confident learning.

    Parameters
    ----------
    y_true : array_like of int, shape (n_examples,)
        Given (possibly noisy) labels, 0..n_classes-1.
    y_prob : array_like, shape (n_examples, n_classes)
        Out-of-sample predicted probabilities.

    Returns
    -------
    ndarray of shape (n_classes,)
        :math:`t_c = \\frac{1}{|X_c|}\\sum_{x \\in X_c} \\hat p(c \\mid x)` over the examples
        :math:`X_c` labelled c (2 for a class no example has, so nothing reaches it), floored at 2e-6.

    References
    ----------
    Northcutt, Jiang & Chuang (2021), JAIR 70:1373-1411, eq. (2).

    Examples
    --------
    >>> from assay.labels import confident_thresholds
    >>> confident_thresholds([0, 0, 1], [[0.9, 0.1], [0.7, 0.3], [0.2, 0.8]]).round(2).tolist()
    [0.8, 0.8]
    """
    return _thresholds(_labels_iv(y_true, y_prob))


def confident_joint(y_true: Any, y_prob: Any, *, calibrate: bool = True) -> np.ndarray:
    """The confident joint: counts of (given label, confidently predicted true label).

    Parameters
    ----------
    y_true : array_like of int, shape (n_examples,)
    y_prob : array_like, shape (n_examples, n_classes)
    calibrate : bool, default True
        Rescale each row to the number of examples with that given label and the total to n,
        rounding so that row totals are kept (the paper's eq. 3).

    Returns
    -------
    ndarray of int, shape (n_classes, n_classes)
        ``C[i, j]``: examples labelled i whose confident class is j. An example counts when at
        least one class reaches its threshold (``p >= t - 1e-6``); with several, the likeliest.
        Every diagonal entry is at least 1.

    Examples
    --------
    >>> from assay.labels import confident_joint
    >>> confident_joint([0, 0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.1, 0.9]]).tolist()
    [[1, 1], [0, 2]]
    """
    if not isinstance(calibrate, bool):
        raise InputError(f"`calibrate` must be True or False; got {calibrate!r}.")
    d = _labels_iv(y_true, y_prob)
    joint, _ = _confident_counts(d, _thresholds(d))
    return _calibrate(joint, d.counts) if calibrate else joint


@dataclasses.dataclass(frozen=True, kw_only=True)
class NoiseResult(Result):
    """The latent label noise that the confident joint implies.

    Attributes
    ----------
    confident_joint : ndarray of int, shape (n_classes, n_classes)
        Calibrated counts ``C[given, true]``.
    joint : ndarray, shape (n_classes, n_classes)
        ``C / n``: the estimated joint distribution of given and true labels.
    noise_matrix : ndarray
        ``P(given = i | true = j)`` (columns sum to 1).
    inverse_noise_matrix : ndarray
        ``P(true = i | given = j)`` (columns sum to 1).
    py : ndarray, shape (n_classes,)
        Estimated distribution of the true labels.
    thresholds : ndarray, shape (n_classes,)
    noise_rate : float
        ``1 - trace(joint)``: the estimated fraction of wrong labels.
    n : int
    method : str
    """

    confident_joint: np.ndarray
    joint: np.ndarray
    noise_matrix: np.ndarray
    inverse_noise_matrix: np.ndarray
    py: np.ndarray
    thresholds: np.ndarray
    noise_rate: float
    n: int
    method: str = "confident-learning"


def _noise_from(d: _Labels, thresholds: np.ndarray, calibrated: np.ndarray) -> NoiseResult:
    joint = calibrated / np.clip(float(np.sum(calibrated)), a_min=_TINY, a_max=None)
    py, noise, inverse = _latent(calibrated, d.counts)
    return NoiseResult(
        confident_joint=calibrated, joint=joint, noise_matrix=noise, inverse_noise_matrix=inverse,
        py=py, thresholds=thresholds, noise_rate=float(1.0 - np.trace(joint)), n=int(d.y.size),
    )  # fmt: skip


def estimate_noise(y_true: Any, y_prob: Any) -> NoiseResult:
    """Estimate the noise matrix, its inverse and the true-label prior by confident learning.

    Parameters
    ----------
    y_true : array_like of int, shape (n_examples,)
        Given (possibly noisy) labels.
    y_prob : array_like, shape (n_examples, n_classes)
        Out-of-sample predicted probabilities.

    Returns
    -------
    NoiseResult

    Notes
    -----
    With the calibrated confident joint :math:`C`, :math:`\\hat Q = C/n`,
    :math:`P(\\tilde y = i \\mid y^* = j) = C_{ij} / \\sum_i C_{ij}` and
    :math:`P(y^* = i \\mid \\tilde y = j) = C_{ji} / \\sum_i C_{ji}`; noise rates are clipped below
    1 and columns renormalised; the prior is :math:`p(y^*=c) = P(y^*=c|\\tilde y=c) p(\\tilde y=c)
    / P(\\tilde y=c|y^*=c)` (cleanlab's ``py_method='cnt'``, without convergence iterations).

    References
    ----------
    Northcutt, Jiang & Chuang (2021), JAIR 70:1373-1411, sections 3.1-3.2.

    Examples
    --------
    >>> from assay.labels import estimate_noise
    >>> res = estimate_noise([0, 0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.1, 0.9]])
    >>> res.confident_joint.tolist(), res.noise_rate
    ([[1, 1], [0, 2]], 0.25)
    """
    d = _labels_iv(y_true, y_prob)
    thresholds = _thresholds(d)
    joint, _ = _confident_counts(d, thresholds)
    return _noise_from(d, thresholds, _calibrate(joint, d.counts))
