"""Quadrature rules for the N(0, 1) ability distribution."""

from __future__ import annotations

import numpy as np

__all__ = ["adaptive_nodes", "normal_quadrature"]


def normal_quadrature(n_quad: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Hermite nodes and log-weights for integrals against the N(0, 1) density.

    ``sum(exp(logw) * f(nodes))`` approximates ``E f(theta)`` for ``theta ~ N(0, 1)``; it is exact for
    polynomials of degree below ``2 * n_quad``.
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_quad)
    weights = weights / np.sqrt(2.0 * np.pi)
    keep = weights > 1e-300
    return nodes[keep], np.log(weights[keep])


def adaptive_nodes(
    center: np.ndarray, scale: np.ndarray, n_nodes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Person-specific Gauss-Hermite nodes ``center + scale * x`` (Liu and Pierce 1994).

    Returns the nodes, shape (n_persons, n_nodes), and the log of the weights that turn a sum over
    them into an integral over the real line: ``log w(x) + x**2 / 2 + log(scale)`` in the
    probabilists' convention, so that ``sum(exp(logw + log f(nodes)))`` approximates
    ``integral f(theta) d theta``.
    """
    x, w = np.polynomial.hermite_e.hermegauss(n_nodes)
    nodes = center[:, None] + scale[:, None] * x[None, :]
    logw = np.log(w)[None, :] + 0.5 * x[None, :] ** 2 + np.log(scale)[:, None]
    return nodes, logw
