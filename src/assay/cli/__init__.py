"""The command line: parse options, call one library function, print or write.

Commands live in small modules and are imported only when used, so ``assay --help`` is fast.
To add a command, add its module and one line to :data:`COMMANDS`.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

from assay._core import __version__

__all__ = ["COMMANDS", "main"]

# command name -> (module, attribute, one-line help). Modules that do not exist yet are not listed.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "report": (
        "assay.cli._report",
        "report",
        "Read results and write the HTML, JSON and Markdown report.",
    ),
    "demo": (
        "assay.cli._report",
        "demo",
        "Run the report on the MMLU-Pro data shipped with assay.",
    ),
    "gate": (
        "assay.cli._gate",
        "gate",
        "Ship or block: is the candidate non-inferior to the baseline on every task?",
    ),
    "show": (
        "assay.cli._store",
        "show",
        "Summarise results: items, samples and mean score per model, task, metric.",
    ),
    "ingest": ("assay.cli._store", "ingest", "Add results files or folders to the store."),
    "runs": ("assay.cli._store", "runs", "List the runs in the store."),
    "rm": ("assay.cli._store", "rm", "Remove a run from the store."),
    "compare": (
        "assay.cli._stats",
        "compare",
        "Is B really better than A? Paired comparison item by item.",
    ),
    "leaderboard": (
        "assay.cli._stats",
        "leaderboard",
        "Models with intervals, rank intervals and tie groups.",
    ),
    "power": (
        "assay.cli._stats",
        "power",
        "Minimum detectable effect, or the items needed for one.",
    ),
    "contamination": (
        "assay.cli._contamination",
        "contamination",
        "Did the test set leak into training data? Index, scan, clean.",
    ),
    "irt": (
        "assay.cli._irt",
        "irt",
        "Item response theory: fit abilities, audit items (irt fit, irt items).",
    ),
    "subset": (
        "assay.cli._irt",
        "subset",
        "Anchor subsets: choose k items, estimate full accuracy (subset build, subset estimate).",
    ),
    "passk": ("assay.cli._sampling", "passk", "pass@k per model with a simultaneous band over k."),
    "curves": (
        "assay.cli._sampling",
        "curves",
        "Checkpoint curves: intervals, step tests, noise, outliers.",
    ),
    "audit": (
        "assay.cli._audit",
        "audit",
        "Audit items: suspect gold answers with reasons, for human review.",
    ),
    "calibration": (
        "assay.cli._calibration",
        "calibration",
        "Does confidence mean anything? ECE, Brier, risk-coverage, recalibration.",
    ),
    "agreement": (
        "assay.cli._agreement",
        "agreement",
        "Does a judge agree with humans, or raters with each other? Kappa, Krippendorff.",
    ),
    "ppi": (
        "assay.cli._ppi",
        "ppi",
        "A mean from few human labels and many judge labels (prediction-powered inference).",
    ),
    "bt": ("assay.cli._bt", "bt", "Bradley-Terry strengths from pairwise preferences."),
    "scaling": (
        "assay.cli._scaling",
        "scaling",
        "Score against training-data size: a power-law fit with an interval.",
    ),
}


def _available() -> dict[str, tuple[str, str, str]]:
    return {
        name: spec
        for name, spec in COMMANDS.items()
        if importlib.util.find_spec(spec[0]) is not None
    }


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_available())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = _available().get(cmd_name)
        if spec is None:
            return None
        return getattr(importlib.import_module(spec[0]), spec[1])

    def resolve_command(self, ctx: click.Context, args: list[str]):
        """An unknown command gets the closest names, as an unknown model does."""
        name = args[0] if args else None
        if name is not None and not name.startswith("-") and self.get_command(ctx, name) is None:
            import difflib

            close = difflib.get_close_matches(name, list(_available()), n=3, cutoff=0.5)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            raise click.UsageError(f"no such command {name!r}.{hint}", ctx)
        return super().resolve_command(ctx, args)

    def main(self, *args, **kwargs):
        """Usage errors print as one lower-case 'error:' line, like every other error of assay."""
        import sys

        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("aborted", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            usage = getattr(exc, "ctx", None)
            if isinstance(exc, click.UsageError) and usage is not None:
                click.echo(usage.get_usage(), err=True)
                click.echo(f"Try '{usage.command_path} --help' for help.", err=True)
            click.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, spec[2]) for name, spec in _available().items()]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="assay")
def main() -> None:
    """assay: what your evaluation results really say.

    Reads the per-item logs of lm-evaluation-harness, Inspect, HELM, lighteval, OpenAI evals or a
    plain table, and tells you how precise each score is, which differences are real, which items
    are broken, and more. Start with `assay demo`.
    """
