"""Write the lighteval fixtures with lighteval's own EvaluationTracker (no model is run).

Run it with a lighteval installed in a throwaway virtual environment outside the repository:

    python -m venv /tmp/venv-lighteval
    /tmp/venv-lighteval/bin/pip install torch==2.13.0 lighteval==0.13.0
    /tmp/venv-lighteval/bin/python tests/data/logs/lighteval/make_fixtures.py   # -> nested/

    python -m venv /tmp/venv-lighteval-old
    /tmp/venv-lighteval-old/bin/pip install torch==2.13.0 lighteval==0.8.1
    /tmp/venv-lighteval-old/bin/python tests/data/logs/lighteval/make_fixtures.py   # -> flat/

lighteval >= 0.10 writes the nested details layout (columns ``doc``, ``model_response``,
``metric``); older versions write the flat one (``example``, ``choices``, ``gold_index``,
``predictions``, ``metrics``, ...). The script detects which one it runs under.

For each made-up model it builds two small tasks (a 4-way multiple-choice task scored by
log-likelihood, and a generative task scored by exact match), makes model responses by hand,
scores them with lighteval's own metric code, logs them through the tracker's loggers exactly
as lighteval's pipeline does, and calls ``EvaluationTracker.save()``, which writes
``results/<model>/results_<date>.json`` and ``details/<model>/<date>/details_<task>_<date>.parquet``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import lighteval

HERE = Path(__file__).resolve().parent

# Made-up questions. Multiple choice: (question, choices, gold index), with a subject kept in the
# document's task-specific metadata (Doc.specific).
SUBJECTS = ["biology", "physics", "astronomy", "biology", "biology"]
MC_ITEMS = [
    ("Which gas do plants take in for photosynthesis?", [" oxygen", " carbon dioxide", " helium", " neon"], 1),
    ("What is the boiling point of water at sea level in Celsius?", [" 50", " 90", " 100", " 120"], 2),
    ("Which planet is closest to the Sun?", [" Venus", " Earth", " Mars", " Mercury"], 3),
    ("What do bees make?", [" honey", " silk", " wax paper", " milk"], 0),
    ("How many legs does a spider have?", [" six", " eight", " ten", " four"], 1),
]
# Generative: (question, gold answer).
GEN_ITEMS = [
    ("What is 2 + 3?", "5"),
    ("What is 7 * 6?", "42"),
    ("What is 10 - 4?", "6"),
    ("What is 9 / 3?", "3"),
]
# Per model: per-choice log-likelihoods of each MC item, and the generated answers.
MODELS = {
    "org/model-a": {
        "mc": [
            [-4.1, -0.7, -6.0, -5.5],  # picks 1: right
            [-3.0, -2.5, -0.9, -2.0],  # picks 2: right
            [-1.2, -2.0, -2.2, -1.9],  # picks 0: wrong
            [-0.3, -3.3, -2.8, -4.0],  # picks 0: right
            [-1.5, -1.1, -2.6, -2.4],  # picks 1: right
        ],
        "gen": ["5", "42", "7", "3"],
    },
    "org/model-b": {
        "mc": [
            [-0.8, -1.9, -4.0, -4.4],  # picks 0: wrong
            [-2.2, -1.7, -1.0, -3.1],  # picks 2: right
            [-2.5, -2.1, -2.9, -0.6],  # picks 3: right
            [-1.9, -0.9, -2.0, -3.5],  # picks 1: wrong
            [-2.0, -0.4, -2.2, -1.8],  # picks 1: right
        ],
        "gen": ["5", "41", "6", "3"],
    },
}


def _newer() -> bool:
    major, minor = (int(x) for x in lighteval.__version__.split(".")[:2])
    return (major, minor) >= (0, 10)


def _make_nested(out: Path) -> None:
    """lighteval >= 0.10: Detail(doc, model_response, metric)."""
    from lighteval.logging.evaluation_tracker import EvaluationTracker
    from lighteval.metrics import apply_metric
    from lighteval.metrics.metrics import Metrics
    from lighteval.models.dummy.dummy_model import DummyModelConfig
    from lighteval.models.model_output import ModelResponse
    from lighteval.tasks.lighteval_task import LightevalTask, LightevalTaskConfig
    from lighteval.tasks.requests import Doc

    def prompt(line, task_name=None):  # never called: no dataset is loaded
        raise NotImplementedError

    mc_cfg = LightevalTaskConfig(
        name="science_mc", prompt_function=prompt, hf_repo="made-up/science", hf_subset="default",
        metrics=[Metrics.loglikelihood_acc], num_fewshots=0,
    )
    gen_cfg = LightevalTaskConfig(
        name="arith_gen", prompt_function=prompt, hf_repo="made-up/arith", hf_subset="default",
        metrics=[Metrics.exact_match], num_fewshots=0, generation_size=8,
    )
    tasks = {cfg.full_name: LightevalTask(cfg) for cfg in (mc_cfg, gen_cfg)}

    for model_name, answers in MODELS.items():
        tracker = EvaluationTracker(output_dir=str(out), save_details=True)
        tracker.general_config_logger.log_model_info(model_config=DummyModelConfig(model_name=model_name))
        tracker.general_config_logger.log_args_info(num_fewshot_seeds=1, max_samples=None, job_id="0")
        tracker.task_config_logger.log(tasks)
        for name, task in tasks.items():
            tracker.versions_logger.log(name, task.version)

        mc_task = tasks[mc_cfg.full_name]
        docs = [
            Doc(query=f"Question: {q}\nAnswer:", choices=ch, gold_index=g, id=str(i), task_name=mc_task.full_name,
                specific={"subject": SUBJECTS[i]})
            for i, (q, ch, g) in enumerate(MC_ITEMS)
        ]
        responses = [
            ModelResponse(input=d.query, logprobs=lp, argmax_logits_eq_gold=[False] * len(lp))
            for d, lp in zip(docs, answers["mc"])
        ]
        _log(tracker, mc_task, docs, responses, apply_metric)

        gen_task = tasks[gen_cfg.full_name]
        docs = [
            Doc(query=f"{q} Answer:", choices=[a], gold_index=0, id=str(i), task_name=gen_task.full_name)
            for i, (q, a) in enumerate(GEN_ITEMS)
        ]
        responses = [ModelResponse(input=d.query, text=[t]) for d, t in zip(docs, answers["gen"])]
        _log(tracker, gen_task, docs, responses, apply_metric)

        tracker.general_config_logger.log_end_time()
        tracker.metrics_logger.aggregate(task_dict=tasks, bootstrap_iters=10)
        tracker.details_logger.aggregate()
        tracker.save()


def _log(tracker, task, docs, responses, apply_metric) -> None:
    outputs = apply_metric(docs=docs, responses=responses, metrics=list(task.metrics))
    for output, doc, response in zip(outputs, docs, responses):
        tracker.metrics_logger.log(task.full_name, output)
        tracker.details_logger.log(task.full_name, doc, response, output)


def _make_flat(out: Path) -> None:
    """lighteval < 0.10: a flat Detail filled by DetailsLogger.log(task_name, task, doc, outputs, metrics)."""
    from lighteval.logging.evaluation_tracker import EvaluationTracker
    from lighteval.metrics import apply_generative_metric, apply_multichoice_metric
    from lighteval.metrics.metrics import Metrics
    from lighteval.models.abstract_model import ModelInfo
    from lighteval.models.model_output import GenerativeResponse, LoglikelihoodResponse
    from lighteval.tasks.lighteval_task import LightevalTask, LightevalTaskConfig
    from lighteval.tasks.requests import Doc

    def prompt(line, task_name=None):  # never called: no dataset is loaded
        raise NotImplementedError

    mc_cfg = LightevalTaskConfig(
        name="science_mc", prompt_function=prompt, hf_repo="made-up/science", hf_subset="default",
        metric=[Metrics.loglikelihood_acc], suite=["custom"],
    )
    gen_cfg = LightevalTaskConfig(
        name="arith_gen", prompt_function=prompt, hf_repo="made-up/arith", hf_subset="default",
        metric=[Metrics.exact_match], suite=["custom"], generation_size=8,
    )
    # As lighteval's Registry.get_task_dict keys them: "suite|task"; logged names add "|fewshot".
    tasks = {f"custom|{cfg.name}": LightevalTask(f"custom|{cfg.name}", cfg) for cfg in (mc_cfg, gen_cfg)}

    for model_name, answers in MODELS.items():
        tracker = EvaluationTracker(output_dir=str(out), save_details=True)
        tracker.general_config_logger.log_model_info(
            generation_parameters={"temperature": 0.0}, model_info=ModelInfo(model_name=model_name)
        )
        tracker.general_config_logger.log_args_info(
            num_fewshot_seeds=1, override_batch_size=None, max_samples=None, job_id="0"
        )
        tracker.task_config_logger.log(tasks)
        for name, task in tasks.items():
            tracker.versions_logger.log(name, task.version)

        name = "custom|science_mc|0"
        task = tasks["custom|science_mc"]
        docs = [
            Doc(query=f"Question: {q}\nAnswer:", choices=ch, gold_index=g, task_name=name,
                ctx=f"Question: {q}\nAnswer:", num_asked_few_shots=0, num_effective_few_shots=0,
                specific={"subject": subject})
            for (q, ch, g), subject in zip(MC_ITEMS, SUBJECTS)
        ]
        responses = [[LoglikelihoodResponse(result=(x, False)) for x in lp] for lp in answers["mc"]]
        ids = [f"{i}_0" for i in range(len(docs))]
        outputs = apply_multichoice_metric(ids, responses, docs, list(task.metrics))
        _log_flat(tracker, name, task, docs, responses, outputs)

        name = "custom|arith_gen|0"
        task = tasks["custom|arith_gen"]
        docs = [
            Doc(query=f"{q} Answer:", choices=[a], gold_index=0, task_name=name, ctx=f"{q} Answer:",
                num_asked_few_shots=0, num_effective_few_shots=0)
            for q, a in GEN_ITEMS
        ]
        responses = [[GenerativeResponse(result=[t])] for t in answers["gen"]]
        ids = [f"{i}_0" for i in range(len(docs))]
        outputs = apply_generative_metric(ids, responses, docs, list(task.metrics))
        _log_flat(tracker, name, task, docs, responses, outputs)

        tracker.general_config_logger.log_end_time()
        tracker.metrics_logger.aggregate(task_dict=tasks, bootstrap_iters=10)
        tracker.details_logger.aggregate()
        tracker.save()


def _log_flat(tracker, name, task, docs, responses, outputs) -> None:
    for output, doc, response in zip(outputs, docs, responses):
        tracker.metrics_logger.log(name, output)
        tracker.details_logger.log(name, task, doc, response, output)


def main() -> None:
    out = HERE / ("nested" if _newer() else "flat")
    if out.exists():
        shutil.rmtree(out)
    (_make_nested if _newer() else _make_flat)(out)
    print(f"lighteval {lighteval.__version__}: wrote {sorted(str(p.relative_to(HERE)) for p in out.rglob('*.*'))}")


if __name__ == "__main__":
    main()
