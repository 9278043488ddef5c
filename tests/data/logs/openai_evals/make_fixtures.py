"""Write the OpenAI evals fixtures with the harness's own `oaieval` run and LocalRecorder.

No model is called. Run it with `evals` installed in a throwaway virtual environment outside the
repository:

    python -m venv /tmp/venv-evals
    /tmp/venv-evals/bin/pip install evals==3.0.1.post1
    /tmp/venv-evals/bin/python tests/data/logs/openai_evals/make_fixtures.py

For each made-up model ("completion function") and each of two made-up evals, it calls
``evals.cli.oaieval.run`` exactly as the ``oaieval`` command does, with ``--record_path`` pointing
here. The evals use the harness's own eval classes on a small samples file written to a temporary
registry: ``evals.elsuite.basic.match:Match`` (records ``sampling`` and ``match`` events) and
``evals.elsuite.basic.fuzzy_match:FuzzyMatch`` (records ``sampling``, ``match`` and ``metrics``
events). The completion function, :class:`CannedCompletionFn` below, answers from a fixed table
and records a ``sampling`` event the way evals' OpenAI completion functions do.

The harness draws ``run_id`` and ``created_at`` from the clock and ``os.urandom``, so a re-run
writes different ids and times; everything else is the same.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Keep the OpenAI client away from the network: nothing here should call an API.
os.environ.setdefault("OPENAI_API_KEY", "sk-not-used")
os.environ["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"
os.environ["EVALS_SEQUENTIAL"] = "1"  # deterministic event order
os.environ["EVALS_THREADS"] = "1"
os.environ["EVALS_SHOW_EVAL_PROGRESS"] = ""

from evals.api import CompletionFn, CompletionResult  # noqa: E402
from evals.record import record_sampling  # noqa: E402

SYSTEM = "Answer with the answer only."
ARITH = [("2 + 3 =", "5"), ("7 * 6 =", "42"), ("10 - 4 =", "6"), ("9 / 3 =", "3"), ("8 + 8 =", "16")]
CAPITALS = [
    ("What is the capital of France?", ["Paris"]),
    ("What is the capital of Japan?", ["Tokyo"]),
    ("What is the capital of Australia?", ["Canberra"]),
]
# What each made-up model answers, keyed by the user message.
ANSWERS = {
    "model-a": {
        "2 + 3 =": "5", "7 * 6 =": "42", "10 - 4 =": "7", "9 / 3 =": "3", "8 + 8 =": "16",
        "What is the capital of France?": "Paris", "What is the capital of Japan?": "Tokyo",
        "What is the capital of Australia?": "Sydney",
    },
    "model-b": {
        "2 + 3 =": "5", "7 * 6 =": "48", "10 - 4 =": "6", "9 / 3 =": "3", "8 + 8 =": "18",
        "What is the capital of France?": "The capital is Paris",
        "What is the capital of Japan?": "Kyoto",
        "What is the capital of Australia?": "Canberra",
    },
}


class CannedResult(CompletionResult):
    def __init__(self, text: str) -> None:
        self.text = text

    def get_completions(self) -> list[str]:
        return [self.text]


class CannedCompletionFn(CompletionFn):
    """A completion function that answers from a fixed table instead of calling a model."""

    def __init__(self, model: str, registry=None, **_kwargs) -> None:
        self.model = model

    def __call__(self, prompt, **kwargs) -> CannedResult:
        question = prompt[-1]["content"] if isinstance(prompt, list) else str(prompt)
        text = ANSWERS[self.model][question]
        record_sampling(prompt=prompt, sampled=[text], model=self.model)
        return CannedResult(text)


def _write_registry(root: Path) -> None:
    (root / "evals").mkdir(parents=True)
    (root / "completion_fns").mkdir()
    for name, items in (("arith", ARITH), ("capitals", CAPITALS)):
        (root / "data" / name).mkdir(parents=True)
        with open(root / "data" / name / "samples.jsonl", "w") as fh:
            for question, ideal in items:
                messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
                fh.write(json.dumps({"input": messages, "ideal": ideal}) + "\n")
    (root / "evals" / "made_up.yaml").write_text(
        "arith:\n  id: arith.dev.v0\n  metrics: [accuracy]\n"
        "arith.dev.v0:\n  class: evals.elsuite.basic.match:Match\n  args:\n    samples_jsonl: arith/samples.jsonl\n"
        "capitals:\n  id: capitals.dev.v0\n  metrics: [accuracy, f1_score]\n"
        "capitals.dev.v0:\n  class: evals.elsuite.basic.fuzzy_match:FuzzyMatch\n"
        "  args:\n    samples_jsonl: capitals/samples.jsonl\n"
    )
    (root / "completion_fns" / "canned.yaml").write_text(
        "".join(
            f"canned/{m}:\n  class: make_fixtures:CannedCompletionFn\n  args:\n    model: {m}\n" for m in ANSWERS
        )
    )


def main() -> None:
    from evals.cli import oaieval
    from evals.registry import Registry

    sys.path.insert(0, str(HERE))  # so that the registry can import make_fixtures:CannedCompletionFn
    for old in HERE.glob("*.jsonl"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        _write_registry(Path(tmp))
        for model in ANSWERS:
            for eval_name in ("arith", "capitals"):
                registry = Registry()
                registry.add_registry_paths([tmp])
                registry.__dict__["api_model_ids"] = []  # never list the OpenAI API's models
                record = HERE / f"{eval_name}_{model}.jsonl"
                args = oaieval.get_parser().parse_args(
                    [f"canned/{model}", eval_name, "--record_path", str(record), "--user", "assay-fixtures"]
                )
                run_id = oaieval.run(args, registry=registry)
                print(f"wrote {record.name} (run {run_id})")
    # As with the oaieval command, the recorders write their buffered events from an atexit hook
    # (RecorderBase.__init__ registers flush_events), so the events follow the final report.


if __name__ == "__main__":
    main()
