"""Array backends for the estimation loops: numpy (default) and torch (CPU or GPU).

The EM and joint-ML loops are written once against the small set of operations below, so that the
same code runs on numpy arrays or on torch tensors on any device. torch is imported only when the
torch backend is asked for (``assay[torch]``).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
from scipy import special

from assay._core import InputError

__all__ = ["BACKENDS", "get_backend"]

BACKENDS = ("numpy", "torch")
_BLOCK = 1024  # terms per float32 partial sum in _NumpyOps.mv
_ROWS = 128  # rows per float32 partial sum in _NumpyOps.tmv


class _NumpyOps:
    """Numpy implementation of the operations the estimation loops use."""

    name = "numpy"

    def __init__(self, dtype: Any = np.float64) -> None:
        self.dtype = np.dtype(dtype)
        self.np_dtype = self.dtype
        self.device = "cpu"

    def asarray(self, x: Any) -> np.ndarray:
        return np.asarray(x, dtype=self.dtype)

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x, dtype=np.float64)

    def f64(self, x: Any) -> np.ndarray:
        """``x`` in float64 (the EM keeps its small person x node and item x node arrays there)."""
        return np.asarray(x, dtype=np.float64)

    def work(self, x: Any) -> np.ndarray:
        """``x`` in the working precision (that of the big response matrix)."""
        return np.asarray(x, dtype=self.dtype)

    def zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.zeros(shape, dtype=self.dtype)

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    abs = staticmethod(np.abs)

    @staticmethod
    def sigmoid(x: np.ndarray) -> np.ndarray:
        # 1 / (1 + exp(-x)): accurate in both tails (exp(-x) = inf gives 0), twice as fast as expit
        with np.errstate(over="ignore"):
            out = np.exp(-x)
        out += 1.0
        return np.reciprocal(out, out=out)

    @staticmethod
    def mv(A: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``A @ x`` for a vector ``x``, in ``A``'s precision with float64 sums of 1024-long blocks.

        numpy's own loops rather than BLAS: a matrix-vector product is bound by memory, and on a
        machine whose cores are busy BLAS threads wait on one another (3 times slower here).
        numpy's loops add sequentially, so float32 sums are kept to blocks of 1024 terms.
        """
        x = np.asarray(x, dtype=A.dtype)
        k = A.shape[1] - A.shape[1] % _BLOCK
        out = np.einsum("pi,i->p", A[:, k:], x[k:]).astype(np.float64)
        if k:
            part = np.einsum(
                "pbj,bj->pb", A[:, :k].reshape(A.shape[0], -1, _BLOCK), x[:k].reshape(-1, _BLOCK)
            )
            out += part.sum(1, dtype=np.float64)
        return out.astype(A.dtype, copy=False)

    @staticmethod
    def tmv(A: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``A.T @ x`` for a vector ``x`` (numpy's loops, float64 sums of 128-row blocks).

        A loop over blocks of rows, not over rows: each block is one vectorised product, and
        the blocks keep the float32 partial sums short.
        """
        x = np.asarray(x, dtype=A.dtype)
        out = np.zeros(A.shape[1])
        for j in range(0, A.shape[0], _ROWS):
            out += np.einsum("pi,p->i", A[j : j + _ROWS], x[j : j + _ROWS])
        return out.astype(A.dtype, copy=False)

    @staticmethod
    def sigmoid_(x: np.ndarray) -> np.ndarray:
        """sigmoid in place (``x`` is overwritten and returned)."""
        np.negative(x, out=x)
        with np.errstate(over="ignore"):
            np.exp(x, out=x)
        x += 1.0
        return np.reciprocal(x, out=x)

    @staticmethod
    def softplus_rowsum(z: np.ndarray, M: np.ndarray | None) -> np.ndarray:
        """``sum_i M_i log(1 + exp(z_i))`` per row, overwriting ``z``.

        ``softplus(z) = (z + |z|) / 2 + log1p(exp(-|z|))``: exact in both tails, in place.
        """

        def rows(x):  # float64 sums: the terms run to the thousands and partly cancel
            if M is None:
                return x.sum(1, dtype=np.float64)
            return np.einsum("pi,pi->p", x, M, dtype=np.float64)

        out = 0.5 * rows(z)
        np.abs(z, out=z)
        out += 0.5 * rows(z)
        np.negative(z, out=z)
        np.exp(z, out=z)
        np.log1p(z, out=z)
        return out + rows(z)

    @staticmethod
    def log_sigmoid(x: np.ndarray) -> np.ndarray:
        # min(x, 0) - log1p(exp(-|x|)): exact in both tails, and about 15 times faster than
        # -np.logaddexp(0, -x) in float32 (numpy has no fast float32 logaddexp)
        out = np.exp(-np.abs(x))
        np.log1p(out, out=out)
        return np.minimum(x, 0.0) - out

    @staticmethod
    def logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
        return special.logsumexp(x, axis=axis)

    @staticmethod
    def sum(x: np.ndarray, axis: int | None = None) -> np.ndarray:
        return np.sum(x, axis=axis)

    @staticmethod
    def normalise_log(L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of ``exp(L)`` normalised to sum 1, and the rows' log-sum-exp (one ``exp`` pass)."""
        top = L.max(1)
        E = np.exp(L - top[:, None])
        total = E.sum(1)
        return E / total[:, None], top + np.log(total)

    @staticmethod
    def clip(x: np.ndarray, low: float, high: float) -> np.ndarray:
        return np.clip(x, low, high)

    @staticmethod
    def maximum(x: np.ndarray, value: float) -> np.ndarray:
        return np.maximum(x, value)

    @staticmethod
    def stack(xs: list[np.ndarray], axis: int = -1) -> np.ndarray:
        return np.stack(xs, axis=axis)

    @staticmethod
    def solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.shape[-1] == 2:  # Cramer's rule: 10 times faster than a batched LAPACK solve
            det = a[..., 0, 0] * a[..., 1, 1] - a[..., 0, 1] * a[..., 1, 0]
            if np.all(np.abs(det) > 1e-6 * np.abs(a[..., 0, 0] * a[..., 1, 1])):
                x0 = (a[..., 1, 1] * b[..., 0] - a[..., 0, 1] * b[..., 1]) / det
                x1 = (a[..., 0, 0] * b[..., 1] - a[..., 1, 0] * b[..., 0]) / det
                return np.stack([x0, x1], axis=-1)
        return np.linalg.solve(a, b[..., None])[..., 0]

    @staticmethod
    def max_abs(x: np.ndarray) -> float:
        return float(np.max(np.abs(x))) if x.size else 0.0

    @staticmethod
    def item(x: Any) -> float:
        return float(x)


class _TorchOps:
    """torch implementation (CPU or GPU) of the same operations."""

    name = "torch"

    def __init__(self, device: str | None = None, dtype: str = "float64") -> None:
        import torch

        self.torch = torch
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.dtype = getattr(torch, dtype)
        self.np_dtype = np.dtype(dtype)

    def asarray(self, x: Any):
        if isinstance(x, self.torch.Tensor):
            return x.to(device=self.device, dtype=self.dtype)
        return self.torch.as_tensor(np.asarray(x), device=self.device, dtype=self.dtype)

    def to_numpy(self, x: Any) -> np.ndarray:
        if isinstance(x, self.torch.Tensor):
            return x.detach().to("cpu", dtype=self.torch.float64).numpy()
        return np.asarray(x, dtype=np.float64)

    def f64(self, x: Any):
        if isinstance(x, self.torch.Tensor):
            return x.to(device=self.device, dtype=self.torch.float64)
        return self.torch.as_tensor(np.asarray(x), device=self.device, dtype=self.torch.float64)

    def work(self, x: Any):
        return self.asarray(x)

    def zeros(self, shape: tuple[int, ...]):
        return self.torch.zeros(shape, device=self.device, dtype=self.dtype)

    def exp(self, x):
        return self.torch.exp(x)

    def log(self, x):
        return self.torch.log(x)

    def sqrt(self, x):
        return self.torch.sqrt(x)

    def abs(self, x):
        return self.torch.abs(x)

    def sigmoid(self, x):
        return self.torch.sigmoid(x)

    def log_sigmoid(self, x):
        return self.torch.nn.functional.logsigmoid(x)

    def sigmoid_(self, x):
        return x.sigmoid_()

    def mv(self, A, x):
        return A @ x.to(A.dtype)

    def tmv(self, A, x):
        return A.T @ x.to(A.dtype)

    def softplus_rowsum(self, z, M):
        sp = self.torch.nn.functional.softplus(z)
        return (sp if M is None else sp * M).sum(1)

    def logsumexp(self, x, axis: int):
        return self.torch.logsumexp(x, dim=axis)

    def normalise_log(self, L):
        lse = self.torch.logsumexp(L, dim=1)
        return self.torch.exp(L - lse[:, None]), lse

    def sum(self, x, axis: int | None = None):
        return self.torch.sum(x) if axis is None else self.torch.sum(x, dim=axis)

    def clip(self, x, low: float, high: float):
        return self.torch.clamp(x, low, high)

    def maximum(self, x, value: float):
        return self.torch.clamp(x, min=value)

    def stack(self, xs, axis: int = -1):
        return self.torch.stack(xs, dim=axis)

    def solve(self, a, b):
        return self.torch.linalg.solve(a, b.unsqueeze(-1)).squeeze(-1)

    def max_abs(self, x) -> float:
        return float(self.torch.max(self.torch.abs(x))) if x.numel() else 0.0

    def item(self, x) -> float:
        return float(x)


def get_backend(backend: Any, *, device: str | None = None, dtype: str = "float64") -> Any:
    """Return the operations of ``backend`` ('numpy' or 'torch'), or raise ``InputError``."""
    if backend not in BACKENDS:
        valid = ", ".join(repr(b) for b in BACKENDS)
        raise InputError(f"`backend` must be one of {valid}; got {backend!r}.")
    if dtype not in ("float32", "float64"):
        raise InputError(f"`dtype` must be 'float32' or 'float64'; got {dtype!r}.")
    if backend == "numpy":
        if device not in (None, "cpu"):
            raise InputError(
                f"`device` {device!r} needs backend='torch'; the numpy backend runs on the CPU."
            )
        return _NumpyOps(dtype)
    if importlib.util.find_spec("torch") is None:
        raise InputError("backend='torch' needs torch: install assay[torch].")
    try:
        return _TorchOps(device, dtype)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise InputError(f"`device` {device!r} is not usable by torch: {exc}") from None
