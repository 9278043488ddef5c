"""`assay gate`: ship or block. Exit 0 pass, 1 block (or not settled yet), 2 usage or input error."""

from __future__ import annotations

import sys

import click

from assay.cli._common import collect_read_options, load_result, read_options, store_option

__all__ = ["gate"]


def _read_config(path: str | None):
    if path is None:
        return None
    import tomllib

    from assay._core import InputError

    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"gate config {path}: not valid TOML ({exc}).") from None
    except OSError as exc:
        raise InputError(f"gate config {path}: cannot be read ({exc.strerror}).") from None


@click.command("gate")
@click.argument("results", nargs=-1, type=click.Path(exists=True))
@store_option
@click.option(
    "--baseline",
    required=True,
    help="The model to protect (a name, or a glob pattern: several matches are several runs).",
)
@click.option(
    "--candidate",
    required=True,
    help="The model that must not be worse (a name or a glob pattern, as --baseline).",
)
@click.option(
    "--task",
    "tasks",
    multiple=True,
    help="Decide over this task or task/metric only (repeatable). Default: every shared one.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML file with per-task margins, directions, weights and exclusions (docs/gate.md).",
)
@click.option(
    "--margin",
    type=float,
    default=None,
    help="Default non-inferiority margin in points (percentage points for 0/1 scores). [0.5]",
)
@click.option("--alpha", type=float, default=None, help="One-sided level of each task. [0.05]")
@click.option(
    "--claim",
    "claims",
    multiple=True,
    type=click.Choice(["any", "average"]),
    help="Also test 'better on at least one task' or 'better on the average' (Holm, FWER).",
)
@click.option(
    "--split-by",
    type=click.Choice(["subject", "cluster"]),
    default=None,
    help="Treat each subject (or cluster) of a task as a task of its own.",
)
@click.option(
    "--samples-are-runs",
    is_flag=True,
    help="The sample axis holds reruns or seeds (a random effect), not repeats of one run.",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "exact", "score", "t"]),
    default="auto",
    show_default=True,
    help="Per-task test: auto = exact for 0/1 scores up to 100 items, Tango's score test above, "
    "paired t otherwise; exact holds the level at any n but is slow beyond a few hundred items.",
)
@click.option(
    "--sequential",
    is_flag=True,
    help="Anytime-valid decision for an evaluation still running: check as often as you like.",
)
@click.option(
    "--json", "json_path", default=None, help="Write the verdict as JSON here (default: stdout)."
)
@click.option(
    "--markdown", "markdown_path", default=None, help="Write a pull-request comment here."
)
@read_options
def gate(
    results,
    store_path,
    baseline,
    candidate,
    tasks,
    config_path,
    margin,
    alpha,
    claims,
    split_by,
    samples_are_runs,
    method,
    sequential,
    json_path,
    markdown_path,
    **kwargs,
):
    """Ship or block: is CANDIDATE non-inferior to BASELINE on every task of the suite?

    Exit 0 when it is (pass), 1 when it is not shown on some task (block; with --sequential also
    while the verdict is not settled), 2 on a usage or input error. The verdict is JSON.
    """
    from assay._core import AssayError

    try:
        from assay.report._gate import gate_result, render_gate_markdown

        result = load_result(results, store_path, collect_read_options(kwargs))
        verdict = gate_result(
            result,
            baseline=baseline,
            candidate=candidate,
            margin=margin,
            alpha=alpha,
            config=_read_config(config_path),
            tasks=list(tasks) or None,
            split_by=split_by,
            samples_are_runs=samples_are_runs,
            claims=tuple(claims),
            sequential=sequential,
            method=method,
        )
    except AssayError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    from assay.report._model import canonical_json

    text = canonical_json(verdict)
    if json_path:
        with open(json_path, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)
    if markdown_path:
        with open(markdown_path, "w", encoding="utf-8") as fh:
            fh.write(render_gate_markdown(verdict))
    click.echo(verdict["message"], err=True)
    sys.exit(0 if verdict["passed"] else 1)
