"""The suite gate: intersection-union over tasks, Holm for "better" claims, and its config."""

import numpy as np
import pytest

from assay._core import InputError
from assay.stats import GateTask, adjust_pvalues, gate_config, noninferiority, suite_gate


def _pair(rng, n, p, diff):
    """Paired binary scores: A correct with probability p, B with p + diff (known truth)."""
    u = rng.random(n)
    return (u < p).astype(float), (u < p + diff).astype(float)


def test_suite_passes_only_when_every_task_passes():
    rng = np.random.default_rng(0)
    tasks = []
    for k, diff in enumerate([0.0, 0.0, -0.08]):
        a, b = _pair(rng, 1500, 0.5, diff)
        tasks.append(GateTask(task=f"t{k}", metric="acc", baseline=a, candidate=b))
    res = suite_gate(tasks, margin=2.0)
    assert not res.passed and res.blocked == ("t2/acc",)
    assert [t.passed for t in res.tasks] == [True, True, False]
    # each task's verdict is the single-task test at the same alpha (no adjustment: IUT)
    single = noninferiority(tasks[0].baseline, tasks[0].candidate, margin=0.02)
    assert res.tasks[0].bound == pytest.approx(100 * single.bound)
    assert res.tasks[0].pvalue == pytest.approx(single.pvalue)
    ok = suite_gate(tasks[:2], margin=2.0)
    assert ok.passed and ok.blocked == ()


def test_twenty_tasks_error_rates_with_known_truth():
    # Known truth, 20 tasks of 400 items (benchmarks/gate.py runs the larger version). The least
    # favourable null of the intersection-union test is one task exactly at the margin and the
    # others clearly fine: the gate may pass at most alpha of the time. With all 20 at the
    # margin it passes almost never; with all 20 equal to the baseline it passes nearly always.
    rng = np.random.default_rng(1)
    margin = 0.05

    def run(diffs):
        tasks = [
            GateTask(task=f"t{k}", baseline=a, candidate=b)
            for k, (a, b) in enumerate(_pair(rng, 400, 0.6, d) for d in diffs)
        ]
        return suite_gate(tasks, margin=100 * margin).passed

    one_bad = np.mean([run([-margin] + [0.1] * 19) for _ in range(200)])
    all_bad = np.mean([run([-margin] * 20) for _ in range(20)])
    good = np.mean([run([0.0] * 20) for _ in range(20)])
    assert one_bad <= 0.05 + 0.04  # 200 draws: 99% binomial band above 5%
    assert all_bad == 0.0
    assert good >= 0.9


def test_better_claims_control_the_familywise_error():
    # Known truth: all 10 tasks equal. A "better" claim on any task (or on the average) is a
    # false claim; with Holm over the family the chance of any false claim stays near alpha.
    rng = np.random.default_rng(2)
    reps, false = 200, 0
    for _ in range(reps):
        tasks = [GateTask(task=f"t{k}", baseline=a, candidate=b)
                 for k, (a, b) in enumerate(_pair(rng, 300, 0.5, 0.0) for _ in range(10))]  # fmt: skip
        for t in tasks:  # independent noise so the tasks are not identical
            t.candidate[:] = (rng.random(300) < 0.5).astype(float)
        res = suite_gate(tasks, margin=5.0, claims=("any", "average"))
        false += bool(res.better_on) or res.average.shown
    assert false / reps <= 0.05 + 0.04


def test_claims_are_holm_adjusted_together():
    # Reference: assay.stats.adjust_pvalues (tested against statsmodels' multipletests).
    rng = np.random.default_rng(3)
    tasks = [GateTask(task=f"t{k}", baseline=a, candidate=b)
             for k, (a, b) in enumerate(_pair(rng, 800, 0.5, d) for d in (0.06, 0.0, 0.03))]  # fmt: skip
    res = suite_gate(tasks, margin=5.0, claims=("any", "average"))
    family = [t.superiority_pvalue for t in res.tasks] + [res.average.pvalue]
    adj = adjust_pvalues(np.array(family), method="holm")
    assert [t.better for t in res.tasks] == adj.reject[:3].tolist()
    assert res.average.pvalue_adjusted == pytest.approx(adj.pvalues_adjusted[-1])
    assert res.better_on == tuple(t.name for t in res.tasks if t.better)


def test_points_units_margins_directions_and_weights():
    rng = np.random.default_rng(4)
    a, b = _pair(rng, 500, 0.5, 0.0)
    loss_a = rng.normal(2.0, 0.3, 500)
    tasks = [
        GateTask(task="acc", baseline=a, candidate=b, margin=10.0),
        GateTask(task="loss", metric="nll", baseline=loss_a, candidate=loss_a - 0.05,
                 direction="lower", margin=0.01),
    ]  # fmt: skip
    res = suite_gate(tasks, margin=0.1)
    acc, loss = res.tasks
    assert acc.units == "points" and acc.margin == 10.0 and acc.passed
    assert loss.units == "nll" and loss.estimate == pytest.approx(0.05) and loss.passed
    assert loss.mean_baseline == pytest.approx(loss_a.mean())
    with pytest.raises(InputError, match="the 'average' claim needs every task in the same units"):
        suite_gate(tasks, claims=("average",))


def test_suite_bad_input():
    a = np.array([1.0, 0, 1, 0])
    with pytest.raises(InputError, match="`tasks` must be a non-empty sequence"):
        suite_gate([])
    with pytest.raises(InputError, match="`tasks` lists 't' twice"):
        suite_gate([GateTask(task="t", baseline=a, candidate=a)] * 2)
    with pytest.raises(InputError, match=r"`tasks\[0\].weight` must be a positive number"):
        suite_gate([GateTask(task="t", baseline=a, candidate=a, weight=0)])
    with pytest.raises(InputError, match="`claims` must be one of 'any', 'average'; got 'all'"):
        suite_gate([GateTask(task="t", baseline=a, candidate=a)], claims=("all",))


def test_config_merges_task_and_metric_tables():
    cfg = gate_config(
        {
            "gate": {
                "margin": 1.0,
                "exclude": ["drop"],
                "tasks": {"t": {"margin": 2.0, "weight": 3}, "t/loss": {"direction": "lower"}},
            }
        }
    )
    s = cfg.settings("t", "loss")
    assert (s.margin, s.weight, s.direction, s.exclude) == (2.0, 3.0, "lower", False)
    assert cfg.settings("t", "acc").direction == "higher"
    assert cfg.settings("drop", "acc").exclude
    only = gate_config({"include": ["t/acc"]})
    assert not only.settings("t", "acc").exclude and only.settings("t", "loss").exclude


@pytest.mark.parametrize(
    "mapping,message",
    [
        ({"margins": 1}, "unknown key(s) 'margins'; expected alpha, claims"),
        ({"margin": -1}, "`margin` must be a non-negative number; got -1"),
        ({"alpha": 5}, "`alpha` must be a number in (0, 1); got 5"),
        ({"claims": ["all"]}, "`claims` entries must be 'any' or 'average'; got 'all'"),
        ({"exclude": "t"}, "`exclude` must be a list of names; got 't'"),
        ({"tasks": {"t": {"direction": "up"}}}, "`tasks.t.direction` must be 'higher' or 'lower'"),
        ({"tasks": {"t": {"weight": 0}}}, "`tasks.t.weight` must be a positive number; got 0"),
        ({"tasks": {"t": {"exclude": "yes"}}}, "`tasks.t.exclude` must be true or false"),
        ({"tasks": {"t": {"mragin": 1}}}, "unknown key(s) 'mragin' in `tasks.t`"),
        ({"tasks": {"t": 3}}, "`tasks.t` must be a table; got 3"),
    ],
)
def test_config_errors_name_key_and_value(mapping, message):
    with pytest.raises(InputError, match="gate config: " + __import__("re").escape(message)):
        gate_config(mapping)


def test_a_task_with_too_few_shared_items_blocks_and_says_why():
    rng = np.random.default_rng(5)
    a, b = _pair(rng, 300, 0.5, 0.0)
    lone_a = np.array([1.0, np.nan, np.nan])
    lone_b = np.array([1.0, 0.0, np.nan])
    res = suite_gate(
        [GateTask(task="ok", baseline=a, candidate=b),
         GateTask(task="lone", baseline=lone_a, candidate=lone_b)],
        margin=10.0, claims=("any", "average"),
    )  # fmt: skip
    assert res.blocked == ("lone",) and not res.passed
    lone = res.tasks[1]
    assert lone.n == 1 and lone.n_omitted == 2 and "too few items" in lone.method
    assert lone.better is False and not res.average.shown
    assert res.to_dict()["tasks"][1]["estimate"] is None  # JSON-safe
