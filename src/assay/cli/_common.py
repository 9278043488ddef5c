"""Helpers shared by the commands: error handling, store option, JSON output."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from assay._core import AssayError

__all__ = ["STORE_ENV", "default_store_path", "echo_json", "handle_errors", "store_option"]

STORE_ENV = "ASSAY_STORE"


def default_store_path() -> str:
    """The store path: ``$ASSAY_STORE`` or ``.assay/results.duckdb`` under the working directory."""
    return os.environ.get(STORE_ENV) or os.path.join(".assay", "results.duckdb")


def store_option(f: Callable) -> Callable:
    return click.option(
        "--store",
        "store_path",
        type=click.Path(dir_okay=False),
        default=None,
        help=f"Results store (DuckDB file). Default: ${STORE_ENV} or .assay/results.duckdb.",
    )(f)


def handle_errors(f: Callable) -> Callable:
    """Turn assay's own errors into a one-line message and exit code 2, never a traceback."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except AssayError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)

    return wrapper


def echo_json(data: Any) -> None:
    """Print JSON with sorted keys (stable for scripts)."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False))
