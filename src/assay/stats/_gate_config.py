"""The gate's configuration: per-task margins, directions, weights and exclusions.

A team keeps it in its repository as TOML (read with :mod:`tomllib` by the caller); this module
validates the parsed mapping, so every error names the key, the value and what was expected.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from typing import Any

from assay._core import InputError

__all__ = ["GateConfig", "TaskSettings", "gate_config"]

_TOP_KEYS = ("alpha", "claims", "exclude", "include", "margin", "tasks")
_TASK_KEYS = ("direction", "exclude", "margin", "weight")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TaskSettings:
    """What the gate uses for one (task, metric)."""

    margin: float | None = None
    direction: str = "higher"
    weight: float = 1.0
    exclude: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class GateConfig:
    """A validated gate configuration.

    Attributes
    ----------
    margin, alpha : float or None
        Suite defaults (None: the caller's).
    claims : tuple of str
    include, exclude : tuple of str
        Task names or ``task/metric`` keys decided over (all shared ones when ``include`` is
        empty) and left out.
    tasks : dict of str to TaskSettings
        Settings keyed by task name or ``task/metric``; the latter wins.
    """

    margin: float | None = None
    alpha: float | None = None
    claims: tuple = ()
    include: tuple = ()
    exclude: tuple = ()
    tasks: dict = dataclasses.field(default_factory=dict)

    def settings(self, task: str, metric: str) -> TaskSettings:
        """The settings of ``task``/``metric``: the task's table, then the task/metric table."""
        merged: dict[str, Any] = {}
        for key in (task, f"{task}/{metric}"):
            if key in self.tasks:
                merged.update(self.tasks[key])
        if task in self.exclude or f"{task}/{metric}" in self.exclude:
            merged["exclude"] = True
        if self.include and task not in self.include and f"{task}/{metric}" not in self.include:
            merged["exclude"] = True
        return TaskSettings(**merged)


def _number(value: Any, where: str, *, positive: bool = False) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):
        need = "a positive number" if positive else "a non-negative number"
        raise InputError(f"gate config: `{where}` must be {need}; got {value!r}.")
    return float(value)


def _names(value: Any, where: str) -> tuple:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"gate config: `{where}` must be a list of names; got {value!r}.")
    return tuple(value)


def _task_table(key: str, table: Any) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise InputError(f"gate config: `tasks.{key}` must be a table; got {table!r}.")
    unknown = sorted(set(table) - set(_TASK_KEYS))
    if unknown:
        raise InputError(
            f"gate config: unknown key(s) {', '.join(map(repr, unknown))} in `tasks.{key}`; "
            f"expected {', '.join(_TASK_KEYS)}."
        )
    out: dict[str, Any] = {}
    if "margin" in table:
        out["margin"] = _number(table["margin"], f"tasks.{key}.margin")
    if "weight" in table:
        out["weight"] = _number(table["weight"], f"tasks.{key}.weight", positive=True)
    if "direction" in table:
        if table["direction"] not in ("higher", "lower"):
            raise InputError(
                f"gate config: `tasks.{key}.direction` must be 'higher' or 'lower'; got "
                f"{table['direction']!r}."
            )
        out["direction"] = table["direction"]
    if "exclude" in table:
        if not isinstance(table["exclude"], bool):
            raise InputError(
                f"gate config: `tasks.{key}.exclude` must be true or false; got "
                f"{table['exclude']!r}."
            )
        out["exclude"] = table["exclude"]
    return out


def gate_config(mapping: Mapping[str, Any] | None) -> GateConfig:
    """Validate a parsed gate configuration (the TOML file as a dict).

    Parameters
    ----------
    mapping : mapping or None
        Top-level keys ``margin``, ``alpha``, ``claims`` (``["any", "average"]``), ``include``,
        ``exclude`` (lists of task or ``task/metric`` names) and ``tasks``: one table per task
        or ``task/metric`` with ``margin``, ``direction`` (``"higher"``/``"lower"``), ``weight``
        and ``exclude``. A ``[gate]`` table holding these keys is accepted too, so the settings
        can live in a shared file.

    Returns
    -------
    GateConfig

    Examples
    --------
    >>> cfg = gate_config({"margin": 1.0, "tasks": {"toxicity/score": {"direction": "lower"}}})
    >>> cfg.settings("toxicity", "score").direction, cfg.margin
    ('lower', 1.0)
    """
    if mapping is None:
        return GateConfig()
    if not isinstance(mapping, Mapping):
        raise InputError(f"gate config must be a table; got {type(mapping).__name__}.")
    if "gate" in mapping and isinstance(mapping["gate"], Mapping):
        mapping = mapping["gate"]
    unknown = sorted(set(mapping) - set(_TOP_KEYS))
    if unknown:
        raise InputError(
            f"gate config: unknown key(s) {', '.join(map(repr, unknown))}; expected "
            f"{', '.join(_TOP_KEYS)}."
        )
    kw: dict[str, Any] = {}
    if "margin" in mapping:
        kw["margin"] = _number(mapping["margin"], "margin")
    if "alpha" in mapping:
        alpha = mapping["alpha"]
        if not (isinstance(alpha, float) and 0 < alpha < 1):
            raise InputError(f"gate config: `alpha` must be a number in (0, 1); got {alpha!r}.")
        kw["alpha"] = float(alpha)
    if "claims" in mapping:
        claims = _names(mapping["claims"], "claims")
        bad = [c for c in claims if c not in ("any", "average")]
        if bad:
            raise InputError(
                f"gate config: `claims` entries must be 'any' or 'average'; got {bad[0]!r}."
            )
        kw["claims"] = claims
    for key in ("include", "exclude"):
        if key in mapping:
            kw[key] = _names(mapping[key], key)
    tasks = mapping.get("tasks", {})
    if not isinstance(tasks, Mapping):
        raise InputError(f"gate config: `tasks` must be a table of tables; got {tasks!r}.")
    kw["tasks"] = {str(k): _task_table(str(k), v) for k, v in tasks.items()}
    return GateConfig(**kw)
