"""Post-hoc recalibration: fit a map from scores to calibrated probabilities, cross-fitted.

Multiclass maps act on logits (or log-probabilities) of shape (n, K): temperature, vector and
matrix scaling, and the correctness-aware temperature. Binary maps act on a confidence per answer
and its correctness: Platt, isotonic, histogram binning, beta calibration and a binary
temperature. A fitted :class:`Calibrator` is plain numbers: it is saved as JSON (never pickle)
and applied to new logs with :meth:`Calibrator.predict`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np
from scipy.optimize import isotonic_regression, minimize, minimize_scalar
from scipy.special import expit, log_softmax, logit, softmax

from assay._core import InputError, Result
from assay._core._validation import check_array, check_choice, check_positive_int, check_rng
from assay.calibration import _engine as E

__all__ = [
    "BINARY_METHODS",
    "MULTICLASS_METHODS",
    "Calibrator",
    "RecalibrationResult",
    "fit_calibrator",
    "recalibrate",
]

MULTICLASS_METHODS = ("temperature", "vector", "matrix", "ca-temperature")
BINARY_METHODS = ("platt", "isotonic", "histogram", "beta", "temperature", "ca-temperature")
_FORMAT = "assay.calibrator/1"
_ROWS = 8192  # rows per chunk in the temperature passes (fits in cache)


# --------------------------------------------------------------------------------------------
# Temperature scaling: Newton's method on beta = 1 / T (the NLL is convex in beta)
# --------------------------------------------------------------------------------------------


def _temperature_pass(z: np.ndarray, zmax: np.ndarray, zy: np.ndarray, beta: float):
    """NLL, gradient and curvature in beta, one chunked pass over the logits."""
    nll = grad = hess = 0.0
    for start in range(0, z.shape[0], _ROWS):
        zs = (
            np.asarray(z[start : start + _ROWS], dtype=np.float64)
            - zmax[start : start + _ROWS, None]
        )
        e = np.exp(beta * zs)
        s0 = e.sum(axis=1)
        e *= zs
        s1 = e.sum(axis=1)
        e *= zs
        s2 = e.sum(axis=1)
        mean = s1 / s0
        ys = zy[start : start + _ROWS] - zmax[start : start + _ROWS]
        nll += float(np.sum(np.log(s0) - beta * ys))
        grad += float(np.sum(mean - ys))
        hess += float(np.sum(s2 / s0 - mean**2))
    n = z.shape[0]
    return nll / n, grad / n, hess / n


def _fit_temperature(z: np.ndarray, labels: np.ndarray, *, tol: float = 1e-12) -> float:
    """Temperature minimising the NLL of softmax(z / T); Newton from a 1/16 subsample's optimum."""
    zmax = z.max(axis=1).astype(np.float64)
    zy = z[np.arange(z.shape[0]), labels].astype(np.float64)
    beta = 1.0
    if z.shape[0] > 65_536:  # a cheap start: the optimum on every 16th row
        beta = 1.0 / _fit_temperature(z[::16], labels[::16], tol=1e-6)
    for _ in range(100):
        _, g, h = _temperature_pass(z, zmax, zy, beta)
        if not (h > 0 and math.isfinite(g)):
            break
        step = g / h
        new = beta - step
        while new <= 0:  # keep beta positive
            step /= 2
            new = beta - step
        beta = new
        if abs(step) <= tol * max(1.0, beta):
            break
    return 1.0 / beta


def _as_logits(x: np.ndarray, kind: str) -> np.ndarray:
    if kind == "logits":
        return x
    return np.log(np.clip(x, E.EPS, 1.0))


# --------------------------------------------------------------------------------------------
# Vector and matrix scaling (Guo et al. 2017), correctness-aware temperature
# --------------------------------------------------------------------------------------------


def _fit_affine(z: np.ndarray, labels: np.ndarray, *, full: bool, reg: float) -> dict[str, list]:
    """Minimise NLL of softmax(z W + b) (matrix) or softmax(z * w + b) (vector) by L-BFGS."""
    n, k = z.shape
    onehot = np.zeros((n, k))
    onehot[np.arange(n), labels] = 1.0

    def unpack(theta):
        if full:
            return theta[: k * k].reshape(k, k), theta[k * k :]
        return theta[:k], theta[k:]

    def fun(theta):
        w, b = unpack(theta)
        s = z @ w + b if full else z * w + b
        lp = log_softmax(s, axis=1)
        d = (np.exp(lp) - onehot) / n
        off = w - np.eye(k) if full else w - 1.0
        loss = -np.sum(lp[np.arange(n), labels]) / n + 0.5 * reg * np.sum(off**2)
        gw = (z.T @ d if full else np.sum(d * z, axis=0)) + reg * off
        return loss, np.concatenate([gw.ravel(), d.sum(axis=0)])

    theta0 = np.concatenate([(np.eye(k) if full else np.ones(k)).ravel(), np.zeros(k)])
    res = minimize(
        fun,
        theta0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 300, "ftol": 1e-10, "gtol": 1e-8},
    )
    w, b = unpack(res.x)
    return {"weights": w.tolist(), "bias": b.tolist()}


def _fit_ca_temperature(z: np.ndarray, labels: np.ndarray) -> float:
    """Temperature minimising the squared gap between top-label confidence and correctness."""
    correct = (np.argmax(z, axis=1) == labels).astype(np.float64)

    def loss(log_t):
        conf = np.exp(np.max(log_softmax(z / np.exp(log_t), axis=1), axis=1))
        return float(np.mean((conf - correct) ** 2))

    return float(np.exp(minimize_scalar(loss, bounds=(-5.0, 5.0), method="bounded",
                                        options={"xatol": 1e-10}).x))  # fmt: skip


# --------------------------------------------------------------------------------------------
# Binary maps
# --------------------------------------------------------------------------------------------


def _logistic(
    features: np.ndarray, y: np.ndarray, *, lower: list[float] | None = None
) -> np.ndarray:
    """Maximum-likelihood logistic regression (coefficients, then intercept), bounds optional."""
    x = np.column_stack([features, np.ones(features.shape[0])])

    def fun(theta):
        s = x @ theta
        # log(1 + e^s) - y s, stably
        loss = np.mean(np.logaddexp(0.0, s) - y * s)
        return loss, x.T @ (expit(s) - y) / y.size

    bounds = None if lower is None else [(lo, None) for lo in lower] + [(None, None)]
    theta0 = np.r_[np.ones(features.shape[1]), 0.0]
    res = minimize(fun, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 1000, "gtol": 1e-10, "ftol": 1e-15})  # fmt: skip
    return res.x


def _binary_features(conf: np.ndarray) -> np.ndarray:
    return logit(np.clip(conf, E.EPS, 1.0 - E.EPS))


def _fit_binary(method: str, conf: np.ndarray, y: np.ndarray, n_bins: int) -> dict[str, Any]:
    if method == "platt":
        a, b = _logistic(_binary_features(conf)[:, None], y)
        return {"a": float(a), "b": float(b)}
    if method == "beta":
        q = np.clip(conf, E.EPS, 1.0 - E.EPS)
        a, b, c = _logistic(np.column_stack([np.log(q), -np.log1p(-q)]), y, lower=[0.0, 0.0])
        return {"a": float(a), "b": float(b), "c": float(c)}
    if method == "temperature":
        x = _binary_features(conf)
        res = minimize_scalar(lambda lt: float(np.mean(np.logaddexp(0, x / np.exp(lt)) - y * x / np.exp(lt))),
                              bounds=(-5.0, 5.0), method="bounded", options={"xatol": 1e-10})  # fmt: skip
        return {"temperature": float(np.exp(res.x))}
    if method == "ca-temperature":
        x = _binary_features(conf)
        res = minimize_scalar(lambda lt: float(np.mean((expit(x / np.exp(lt)) - y) ** 2)),
                              bounds=(-5.0, 5.0), method="bounded", options={"xatol": 1e-10})  # fmt: skip
        return {"temperature": float(np.exp(res.x))}
    if method == "isotonic":
        xs, inv = np.unique(conf, return_inverse=True)
        wsum = np.bincount(inv).astype(np.float64)
        ymean = np.bincount(inv, weights=y) / wsum
        fit = isotonic_regression(ymean, weights=wsum, increasing=True).x
        return {"x": xs.tolist(), "y": fit.tolist()}
    # histogram binning over equal-mass bins of the fitting confidences
    order = np.sort(conf)
    parts = np.array_split(order, min(n_bins, conf.size))
    edges = [float((parts[i][-1] + parts[i + 1][0]) / 2.0) for i in range(len(parts) - 1)]
    idx = np.searchsorted(np.asarray(edges), conf, side="left")
    counts = np.bincount(idx, minlength=len(parts))
    values = np.bincount(idx, weights=y, minlength=len(parts)) / np.maximum(counts, 1)
    return {"edges": edges, "values": values.tolist()}


def _apply_binary(method: str, params: dict[str, Any], conf: np.ndarray) -> np.ndarray:
    if method == "platt":
        return expit(params["a"] * _binary_features(conf) + params["b"])
    if method == "beta":
        q = np.clip(conf, E.EPS, 1.0 - E.EPS)
        return expit(params["a"] * np.log(q) - params["b"] * np.log1p(-q) + params["c"])
    if method in ("temperature", "ca-temperature"):
        return expit(_binary_features(conf) / params["temperature"])
    if method == "isotonic":
        return np.interp(conf, np.asarray(params["x"]), np.asarray(params["y"]))
    idx = np.searchsorted(np.asarray(params["edges"]), conf, side="left")
    return np.asarray(params["values"])[idx]


# --------------------------------------------------------------------------------------------
# The calibrator object, its JSON form, and its validation
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class Calibrator(Result):
    """A fitted recalibration map: plain numbers, saved as JSON, applied to new scores.

    Attributes
    ----------
    method : str
        One of :data:`MULTICLASS_METHODS` or :data:`BINARY_METHODS`.
    kind : {"multiclass", "binary"}
        Multiclass maps take scores (n, K); binary maps take a confidence per answer (n,).
    input : {"logits", "probs", "confidence"}
        What :meth:`predict` expects (probabilities are turned into log-probabilities).
    params : dict
        The fitted parameters (``temperature``; ``weights``/``bias``; ``a``/``b``/``c``;
        isotonic ``x``/``y``; histogram ``edges``/``values``).
    n_classes : int or None
    n_fit : int
        Answers the map was fitted on.
    """

    method: str
    kind: str
    input: str
    params: dict[str, Any]
    n_classes: int | None
    n_fit: int

    def predict(self, x: Any) -> np.ndarray:
        """Calibrated probabilities: (n, K) for a multiclass map, (n,) for a binary one."""
        if self.kind == "binary":
            conf = check_array(x, "x", ndim=1)
            if (conf < 0).any() or (conf > 1).any():
                raise InputError("`x` must hold confidences in [0, 1] for a binary calibrator.")
            return _apply_binary(self.method, self.params, conf)
        z = check_array(x, "x", ndim=2)
        if z.shape[1] != self.n_classes:
            raise InputError(f"`x` must have {self.n_classes} columns (classes); got {z.shape[1]}.")
        z = _as_logits(z, self.input)
        if self.method in ("temperature", "ca-temperature"):
            return softmax(z / self.params["temperature"], axis=1)
        w, b = np.asarray(self.params["weights"]), np.asarray(self.params["bias"])
        return softmax((z @ w if self.method == "matrix" else z * w) + b, axis=1)

    def to_json(self) -> str:
        """The calibrator as a JSON document (format ``assay.calibrator/1``)."""
        return json.dumps({"format": _FORMAT, **self.to_dict()}, sort_keys=True, allow_nan=False)

    @classmethod
    def from_json(cls, text: str, *, path: str | None = None) -> Calibrator:
        """Read a calibrator written by :meth:`to_json`; every field is checked, nothing executed."""
        try:
            doc = json.loads(text)
        except (ValueError, TypeError) as exc:
            raise InputError(f"not a JSON document ({exc}).", path=path) from None
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise InputError(
                f"not an assay calibrator (expected format {_FORMAT!r}).", path=path, field="format"
            )
        return _calibrator_from_doc(doc, path)


def _field(doc: dict, name: str, kind: type | tuple, path: str | None):
    value = doc.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InputError(f"missing or of the wrong type (got {value!r}).", path=path, field=name)
    return value


def _numbers(params: dict, name: str, path: str | None, *, ndim: int = 1) -> np.ndarray:
    try:
        arr = np.asarray(params.get(name), dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.empty(0)
    if arr.ndim != ndim or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise InputError(
            f"must be a finite {ndim}-D list of numbers.", path=path, field=f"params.{name}"
        )
    return arr


def _calibrator_from_doc(doc: dict, path: str | None) -> Calibrator:
    method = _field(doc, "method", str, path)
    kind = _field(doc, "kind", str, path)
    methods = MULTICLASS_METHODS if kind == "multiclass" else BINARY_METHODS
    if kind not in ("multiclass", "binary") or method not in methods:
        raise InputError(f"unknown method {method!r} for kind {kind!r}.", path=path, field="method")
    inp = _field(doc, "input", str, path)
    if inp not in (("logits", "probs") if kind == "multiclass" else ("confidence",)):
        raise InputError(f"unknown input {inp!r} for kind {kind!r}.", path=path, field="input")
    params = _field(doc, "params", dict, path)
    n_fit = _field(doc, "n_fit", int, path)
    k = doc.get("n_classes")
    if kind == "multiclass" and (not isinstance(k, int) or isinstance(k, bool) or k < 2):
        raise InputError(f"must be an integer >= 2; got {k!r}.", path=path, field="n_classes")
    if method in ("temperature", "ca-temperature"):
        t = _numbers({"t": [params.get("temperature")]}, "t", path)[0]
        if t <= 0:
            raise InputError(f"must be positive; got {t!r}.", path=path, field="params.temperature")
        clean: dict[str, Any] = {"temperature": float(t)}
    elif method in ("vector", "matrix"):
        w = _numbers(params, "weights", path, ndim=2 if method == "matrix" else 1)
        b = _numbers(params, "bias", path)
        if b.size != k or w.shape != ((k, k) if method == "matrix" else (k,)):
            raise InputError(
                f"shapes do not match n_classes={k}.", path=path, field="params.weights"
            )
        clean = {"weights": w.tolist(), "bias": b.tolist()}
    elif method in ("platt", "beta"):
        names = ("a", "b") if method == "platt" else ("a", "b", "c")
        vals = _numbers({"v": [params.get(nm) for nm in names]}, "v", path)
        clean = dict(zip(names, map(float, vals)))
    elif method == "isotonic":
        x, y = _numbers(params, "x", path), _numbers(params, "y", path)
        if x.size != y.size or np.any(np.diff(x) <= 0) or np.any(np.diff(y) < 0):
            raise InputError("x must increase and y must not decrease, with equal lengths.", path=path,
                             field="params.x")  # fmt: skip
        clean = {"x": x.tolist(), "y": y.tolist()}
    else:
        values = _numbers(params, "values", path)
        edges = (
            np.asarray(params.get("edges", []), dtype=np.float64)
            if isinstance(params.get("edges"), list)
            else None
        )
        if edges is None or edges.size != values.size - 1 or np.any(np.diff(edges) < 0):
            raise InputError(
                "needs len(values) - 1 non-decreasing edges.", path=path, field="params.edges"
            )
        clean = {"edges": edges.tolist(), "values": values.tolist()}
    return Calibrator(method=method, kind=kind, input=inp, params=clean,
                      n_classes=k if kind == "multiclass" else None, n_fit=n_fit)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def _fit_iv(x, y, method, input, n_bins):  # noqa: A002
    arr = check_array(x, "x", ndim=(1, 2))
    n_bins = check_positive_int(n_bins, "n_bins")
    if arr.ndim == 1:
        check_choice(method, "method", BINARY_METHODS)
        if (arr < 0).any() or (arr > 1).any():
            raise InputError(
                "`x` must hold confidences in [0, 1] (1-D input is a binary calibration)."
            )
        yy = check_array(y, "y", ndim=1, binary=True)
        kind, inp = "binary", "confidence"
    else:
        check_choice(method, "method", MULTICLASS_METHODS)
        inp = check_choice(input, "input", ("logits", "probs"))
        if inp == "probs" and ((arr < 0).any() or (arr > 1).any()):
            raise InputError("`x` must hold probabilities in [0, 1] with input='probs'.")
        yy = np.asarray(y)
        if (
            not np.issubdtype(yy.dtype, np.integer)
            or yy.ndim != 1
            or (yy < 0).any()
            or (yy >= arr.shape[1]).any()
        ):
            raise InputError(
                f"`y` must be integer class labels in 0..{arr.shape[1] - 1}, one per row."
            )
        kind = "multiclass"
    if yy.shape[0] != arr.shape[0]:
        raise InputError(
            f"`x` and `y` must have one entry per answer; got {arr.shape[0]} and {yy.shape[0]}."
        )
    return arr, yy, kind, inp, n_bins


def _fit(arr, yy, method, kind, inp, n_bins) -> Calibrator:
    if kind == "binary":
        params = _fit_binary(method, arr, yy.astype(np.float64), n_bins)
        return Calibrator(
            method=method, kind=kind, input=inp, params=params, n_classes=None, n_fit=arr.size
        )
    z = _as_logits(arr, inp)
    labels = yy.astype(np.int64)
    if method == "temperature":
        params = {"temperature": _fit_temperature(z, labels)}
    elif method == "ca-temperature":
        params = {"temperature": _fit_ca_temperature(z, labels)}
    else:
        params = _fit_affine(z, labels, full=method == "matrix", reg=0.0)
    return Calibrator(method=method, kind=kind, input=inp, params=params, n_classes=z.shape[1],
                      n_fit=z.shape[0])  # fmt: skip


def fit_calibrator(x: Any, y: Any, *, method: str = "temperature", input: str = "logits",  # noqa: A002
                   n_bins: int = 15) -> Calibrator:  # fmt: skip
    """Fit a recalibration map on all of ``x`` (use :func:`recalibrate` to evaluate it honestly).

    Parameters
    ----------
    x : array_like
        (n, K) logits or probabilities for a multiclass map; (n,) confidences for a binary map.
    y : array_like, shape (n,)
        Integer class labels (multiclass) or 0/1 correctness (binary).
    method : str, default "temperature"
        Multiclass: ``temperature``, ``vector``, ``matrix``, ``ca-temperature``.
        Binary: ``platt``, ``isotonic``, ``histogram``, ``beta``, ``temperature``,
        ``ca-temperature``.
    input : {"logits", "probs"}, default "logits"
        For a multiclass map: probabilities are mapped to log-probabilities first (clipped at
        float64 epsilon), which leaves temperature scaling unchanged.
    n_bins : int, default 15
        Bins of histogram binning.

    Returns
    -------
    Calibrator

    Notes
    -----
    - temperature (Guo et al. 2017): :math:`\\mathrm{softmax}(z/T)`, :math:`T` minimising the NLL;
      the NLL is convex in :math:`\\beta = 1/T`, solved by Newton's method in float64 whatever
      the input dtype (netcal's ``TemperatureScaling`` returns T = 1 on float32 input);
    - vector / matrix scaling (Guo et al. 2017): :math:`\\mathrm{softmax}(z \\odot w + b)` /
      :math:`\\mathrm{softmax}(z W + b)`, NLL by L-BFGS;
    - ca-temperature: the temperature that minimises the squared gap between the top-label
      confidence and correctness, the correctness-aware objective of Liu et al. (2024) without
      their input transformations (which need the raw inputs, absent from evaluation logs);
    - platt (Platt 1999): :math:`\\sigma(a\\,\\mathrm{logit}(f) + b)` by maximum likelihood
      (without Platt's target smoothing); beta (Kull, Silva Filho & Flach 2017):
      :math:`\\sigma(a \\ln f - b \\ln(1-f) + c)`, :math:`a, b \\ge 0`; isotonic: pool adjacent
      violators on the distinct confidences (ties averaged), interpolated linearly between
      them and clipped outside, as scikit-learn's ``IsotonicRegression``; histogram binning
      (Zadrozny & Elkan 2001): accuracy of equal-mass bins, edges half-way between bins.

    References
    ----------
    .. [1] C. Guo, G. Pleiss, Y. Sun, K. Q. Weinberger, "On Calibration of Modern Neural
       Networks", ICML 2017.
    .. [2] M. Kull, T. Silva Filho, P. Flach, "Beta calibration", AISTATS 2017.
    .. [3] Y. Liu, L. Wang, Y. Zou, J. Zou, L. Zheng, "Optimizing Calibration by Gaining Aware
       of Prediction Correctness", arXiv:2404.13016, 2024.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(4000, 5)) * 3
    >>> y = np.array([rng.choice(5, p=p) for p in np.exp(z / 3) / np.exp(z / 3).sum(1, keepdims=True)])
    >>> round(fit_calibrator(z, y).params["temperature"], 1)  # the data were made at T = 3
    3.0
    """
    arr, yy, kind, inp, n_bins = _fit_iv(x, y, method, input, n_bins)
    return _fit(arr, yy, method, kind, inp, n_bins)


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecalibrationResult(Result):
    """Cross-fitted recalibration: out-of-fold calibrated probabilities and before/after metrics.

    Attributes
    ----------
    method : str
    n_folds : int
    calibrator : Calibrator
        Fitted on all answers, for applying to new logs.
    before, after : dict of str to float
        ``ece``, ``nll``, ``brier`` (top-label confidence against correctness) before and after,
        the "after" values computed on out-of-fold predictions only.
    calibrated : ndarray
        Out-of-fold calibrated probabilities, same shape as the input; off ``to_dict()``.
    n : int
    """

    _array_fields = ("calibrated",)

    method: str
    n_folds: int
    calibrator: Calibrator
    before: dict[str, float]
    after: dict[str, float]
    n: int
    calibrated: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0), repr=False)


def _top_metrics(probs: np.ndarray, y: np.ndarray, kind: str, n_bins: int) -> dict[str, float]:
    from assay.calibration._metrics import point_metrics

    if kind == "binary":
        return point_metrics(probs, y, metrics=["ece", "nll", "brier"], n_bins=n_bins)
    v = point_metrics(y_prob=probs, y_true=y, metrics=["ece", "nll_multiclass", "brier_multiclass"],
                      n_bins=n_bins)  # fmt: skip
    return {"ece": v["ece"], "nll": v["nll_multiclass"], "brier": v["brier_multiclass"]}


def recalibrate(
    x: Any,
    y: Any,
    *,
    method: str = "temperature",
    input: str = "logits",  # noqa: A002
    n_folds: int = 5,
    n_bins: int = 15,
    rng: Any = None,
) -> RecalibrationResult:
    """Fit a recalibration map and evaluate it out of sample by ``n_folds``-fold cross-fitting.

    Each answer's calibrated probability comes from a map fitted on the other folds, so the
    "after" metrics are honest; the returned ``calibrator`` is refitted on all answers.
    Arguments as :func:`fit_calibrator`, plus ``n_folds`` (>= 2) and ``rng`` for the fold split.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> f = rng.uniform(0.6, 1.0, 3000)
    >>> y = (rng.random(3000) < f - 0.2).astype(float)   # 20 points overconfident
    >>> res = recalibrate(f, y, method="isotonic", rng=0)
    >>> bool(res.after["ece"] < res.before["ece"] / 3)
    True
    """
    arr, yy, kind, inp, n_bins = _fit_iv(x, y, method, input, n_bins)
    n_folds = check_positive_int(n_folds, "n_folds", minimum=2)
    if n_folds > arr.shape[0]:
        raise InputError(f"`n_folds` ({n_folds}) exceeds the number of answers ({arr.shape[0]}).")
    rng = check_rng(rng)
    fold = np.empty(arr.shape[0], dtype=np.int64)
    fold[rng.permutation(arr.shape[0])] = np.arange(arr.shape[0]) % n_folds
    out = np.empty(arr.shape, dtype=np.float64) if kind == "binary" else np.empty(arr.shape)
    for f in range(n_folds):
        test = fold == f
        cal = _fit(arr[~test], yy[~test], method, kind, inp, n_bins)
        out[test] = cal.predict(arr[test])
    if kind == "binary":
        before = _top_metrics(arr, yy, kind, n_bins)
    else:
        probs = softmax(_as_logits(arr, inp), axis=1)
        before = _top_metrics(probs, yy, kind, n_bins)
    return RecalibrationResult(method=method, n_folds=n_folds, calibrator=_fit(arr, yy, method, kind, inp, n_bins),
                               before=before, after=_top_metrics(out, yy, kind, n_bins), n=arr.shape[0],
                               calibrated=out)  # fmt: skip
