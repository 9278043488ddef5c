"""IRT benchmark: our 2PL against girth and py-irt, our time at 1,000 x 10,000, anchor errors on MMLU-Pro.

Run from the project root:

    python benchmarks/irt.py            # 200 x 500 vs girth and py-irt, then 1,000 x 10,000
    python benchmarks/irt.py --lomo     # also leave-one-model-out anchor errors on MMLU-Pro (slow)
    python benchmarks/irt.py --only-anchors --lomo --lomo-seeds 5,6,7,8,9 --lomo-methods auto
                                        # the default design on fresh anchor seeds
    python benchmarks/irt.py --bound    # anchor errors when the 2PL is true (simulation, known truth)
    python benchmarks/irt.py --only-anchors --peer   # tinyBenchmarks' procedure and random subsets
    python benchmarks/irt.py --only-anchors --adaptive   # adaptive-test interval coverage
    python benchmarks/irt.py --only-anchors --adaptive --misfit   # ... with/without person misfit
    python benchmarks/irt.py --misfit-by-length   # person misfit by test length on MMLU-Pro
    python benchmarks/irt.py --profile  # CPU seconds by stage of the 1,000 x 10,000 fit
    python benchmarks/irt.py --speed [--save F.npz] [--reference F.npz]   # time that fit once
    python benchmarks/irt.py --sizes    # subset_sizes as the report runs it: time and result

Simulated data: theta ~ N(0, 1), a ~ U(0.8, 2.5), b ~ N(0, 1) clipped to [-2.5, 2.5], 0/1 responses.
Recovery is the Pearson correlation of the estimates with the generating values; ability coverage
is the share of 95% intervals that contain the true ability standardised to the sample's mean 0
and SD 1 (the scale the fit identifies).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
import warnings

import numpy as np


def simulate(n_persons: int, n_items: int, seed: int):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n_persons)
    a = rng.uniform(0.8, 2.5, n_items)
    b = np.clip(rng.normal(size=n_items), -2.5, 2.5)
    y = (rng.random((n_persons, n_items)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))).astype(
        float
    )
    return y, theta, a, b


def recovery(a_hat, b_hat, t_hat, a, b, theta) -> str:
    r = [np.corrcoef(x, y)[0, 1] for x, y in ((a_hat, a), (b_hat, b), (t_hat, theta))]
    rmse = float(np.sqrt(np.mean((b_hat - b) ** 2)))
    return f"corr a {r[0]:.4f}  corr b {r[1]:.4f}  corr theta {r[2]:.4f}  RMSE b {rmse:.3f}"


def ours(y, **kw):
    from assay import irt

    t0 = time.perf_counter()
    f = irt.fit(y, **kw)
    return f, time.perf_counter() - t0


def run_girth(y):
    import girth

    t0 = time.perf_counter()
    g = girth.twopl_mml(y.T.astype(int))
    return g, time.perf_counter() - t0


def run_py_irt(y, epochs: int = 2000):
    import pandas as pd
    from py_irt.config import IrtConfig
    from py_irt.dataset import Dataset
    from py_irt.training import IrtModelTrainer

    cols = [f"q{i}" for i in range(y.shape[1])]
    df = pd.DataFrame(y.astype(int), columns=cols)
    df.insert(0, "subject_id", [f"s{i}" for i in range(y.shape[0])])
    t0 = time.perf_counter()
    ds = Dataset.from_pandas(df, subject_column="subject_id", item_columns=cols)
    trainer = IrtModelTrainer(
        data_path=None,
        config=IrtConfig(model_type="2pl", epochs=epochs, seed=0),
        dataset=ds,
        verbose=False,
    )
    trainer.train(device="cpu")
    p = trainer.last_params
    elapsed = time.perf_counter() - t0
    item_ix = {v: int(k) for k, v in p["item_ids"].items()}
    subj_ix = {v: int(k) for k, v in p["subject_ids"].items()}
    order_i = [item_ix[c] for c in cols]
    order_s = [subj_ix[f"s{i}"] for i in range(y.shape[0])]
    return (
        np.asarray(p["disc"])[order_i],
        np.asarray(p["diff"])[order_i],
        np.asarray(p["ability"])[order_s],
    ), elapsed


def head_to_head() -> None:
    y, theta, a, b = simulate(200, 500, seed=0)
    print("== 2PL on 200 models x 500 items (simulated) ==")
    f, t_ours = ours(y)
    print(
        f"assay.irt.fit (numpy, MML-EM)   {t_ours:8.2f} s   {recovery(f.discrimination, f.difficulty, f.ability.estimate, a, b, theta)}"
    )
    g, t_girth = run_girth(y)
    print(
        f"girth.twopl_mml                 {t_girth:8.2f} s   {recovery(g['Discrimination'], g['Difficulty'], g['Ability'], a, b, theta)}"
    )
    print(f"speed-up over girth: {t_girth / t_ours:.0f}x")
    if importlib.util.find_spec("py_irt") is None:
        print(
            "py-irt: not installed (pip install --no-deps py-irt ordered-set toml; its pins would downgrade pandas, rich, typer)"
        )
        return
    try:
        (pa_, pb, pt), t_py = run_py_irt(y)
    except Exception as exc:  # noqa: BLE001 - report whatever stops the peer library
        print(f"py-irt failed: {type(exc).__name__}: {exc}")
        return
    print(f"py-irt 2PL (SVI, 2000 epochs)   {t_py:8.2f} s   {recovery(pa_, pb, pt, a, b, theta)}")
    print(f"speed-up over py-irt: {t_py / t_ours:.0f}x")


def large() -> None:
    y, theta, a, b = simulate(1000, 10_000, seed=1)
    print("== 2PL on 1,000 models x 10,000 items (simulated) ==")
    f, t = ours(y)
    ts = (theta - theta.mean()) / theta.std()
    cover = np.mean((f.ability.ci_low <= ts) & (ts <= f.ability.ci_high))
    cover_raw = np.mean((f.ability.ci_low <= theta) & (theta <= f.ability.ci_high))
    print(
        f"assay.irt.fit (numpy, {'float32' if y.size >= 1e7 else 'float64'})   {t:8.2f} s   "
        f"{recovery(f.discrimination, f.difficulty, f.ability.estimate, a, b, theta)}"
    )
    print(
        f"  95% ability intervals cover the standardised true ability {100 * cover:.1f}% "
        f"(the unstandardised one {100 * cover_raw:.1f}%); {f.n_iter} EM steps; item SEs: {f.se_method}"
    )
    f2, t2 = ours(y, standard_errors=False)
    print(f"  without item standard errors: {t2:.2f} s")
    print("torch backend at 10,000 x 100,000: no GPU was lent to this session, so it was not run.")


def profile_large() -> None:
    """Where the 1,000 x 10,000 fit spends its CPU time (process time, so other jobs do not count)."""
    import assay.irt._fit as F
    import assay.irt._mml as E
    from assay import irt

    spent: dict[str, float] = {}
    saved = []

    def wrap(mod, name):
        f = getattr(mod, name)
        saved.append((mod, name, f))

        def timed(*a, **k):
            t = time.process_time()
            try:
                return f(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - t

        setattr(mod, name, timed)

    for mod, name in (
        (F._mml, "em_binary"),
        (E.B, "em_step"),
        (F, "binary_posterior"),
        (F, "rescale"),
        (F, "_binary_se"),
        (F, "_abilities"),
    ):
        wrap(mod, name)
    try:
        y, *_ = simulate(1000, 10_000, seed=1)
        t0, c0 = time.perf_counter(), time.process_time()
        f = irt.fit(y)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        for mod, name, f0 in saved:
            setattr(mod, name, f0)
    post = spent["binary_posterior"] + spent["rescale"]
    other = cpu - spent["em_binary"] - post - spent["_binary_se"] - spent["_abilities"]
    print(
        f"== 1,000 x 10,000 2PL fit: {wall:.1f} s wall, {cpu:.1f} s CPU, {f.n_iter} EM steps, "
        f"load {os.getloadavg()[0]:.1f}; CPU seconds by stage =="
    )
    print(
        f"EM {spent['em_binary']:.2f} (EM steps {spent['em_step']:.2f}); adaptive posteriors "
        f"{post:.2f} (one pass; rescaling after standardisation {spent['rescale']:.2f}); "
        f"item SEs (Louis) {spent['_binary_se']:.2f}; abilities {spent['_abilities']:.2f}; "
        f"other {other:.2f}"
    )


def speed(*, save: str | None = None, reference: str | None = None) -> None:
    """Time the 1,000 x 10,000 2PL fit once (seed 1) and compare it with a saved earlier result."""
    from assay import irt

    y, theta, a, b = simulate(1000, 10_000, seed=1)
    load0 = os.getloadavg()
    t0, c0 = time.perf_counter(), time.process_time()
    f = irt.fit(y)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    load1 = os.getloadavg()
    print(
        f"== 2PL MML on 1,000 x 10,000 (simulated, seed 1): {wall:.2f} s wall, {cpu:.2f} s CPU "
        f"(both cores), load average {load0[0]:.2f} before / {load1[0]:.2f} after on "
        f"{os.cpu_count()} cores; {f.n_iter} EM steps =="
    )
    print(f"  {recovery(f.discrimination, f.difficulty, f.ability.estimate, a, b, theta)}")
    est = {
        "a": f.discrimination,
        "b": f.difficulty,
        "a_se": f.discrimination_se,
        "b_se": f.difficulty_se,
        "theta": f.ability.estimate,
        "theta_se": f.ability.se,
        "loglik": np.array(f.loglik),
    }
    if reference:
        ref = np.load(reference)
        for k, v in est.items():
            diff = float(np.max(np.abs(v - ref[k])))
            print(f"  max |{k} - reference| = {diff:.2e}")
    if save:
        np.savez(save, **est)
        print(f"  estimates saved to {save}")


LOMO_METHODS = ("auto", "info-stratified", "info-cluster", "cluster-info", "stratified", "cluster")
LOMO_SEEDS = (0, 1, 2, 3, 4)


def lomo(ks=(50, 100, 200, 400), *, methods=LOMO_METHODS, seeds=LOMO_SEEDS) -> None:
    """Leave-one-model-out MAE on MMLU-Pro: mean (and SD) over anchor seeds, every method and k.

    Each fold's 2PL reference fit (28 models) is made once and shared by every design; the
    held-out model plays no part in it, in the anchors or in gp-IRT's mix. 'auto' is run under
    its own name (the library resolves it per k, as ``select_anchors`` does).
    """
    from assay import datasets
    from assay.io import build_matrix
    from assay.irt._inputs import as_scores
    from assay.irt._subset import _lomo_errors

    load0 = os.getloadavg()[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = build_matrix(datasets.mmlu_pro(), "mmlu_pro", "acc", missing="keep")
        values, items, models = as_scores(m)
        runs = [(k, meth, s) for meth in methods for k in ks for s in seeds]
        if "information" in methods:  # deterministic: one seed, k = 200
            runs = [r for r in runs if r[1] != "information"] + [(200, "information", seeds[0])]
        t0 = time.perf_counter()
        _, errors = _lomo_errors(values, items, models, runs)
    print(
        f"== MMLU-Pro, {len(models)} models: leave-one-model-out MAE of anchor estimates "
        f"(accuracy points; mean over seeds {tuple(seeds)}, SD across seeds in brackets; "
        f"{time.perf_counter() - t0:.0f} s; load average {load0:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores) =="
    )
    print(
        f"{'k':>4} {'anchors':16} {'p-IRT':>12} {'gp-IRT':>12} {'mean':>12} {'max |err| p-IRT':>16}"
    )
    for meth in methods:
        for k in ks:
            ss = [s for (kk, mm, s) in runs if kk == k and mm == meth]
            if not ss:
                continue
            cells = []
            for e in ("irt", "gp-irt", "mean"):
                maes = [100 * np.mean(np.abs(errors[(k, meth, s)][e])) for s in ss]
                sd = f"({np.std(maes, ddof=1):.2f})" if len(maes) > 1 else ""
                cells.append(f"{np.mean(maes):6.2f} {sd:>6}")
            mx = max(100 * np.max(np.abs(errors[(k, meth, s)]["irt"])) for s in ss)
            print(f"{k:4d} {meth:16} " + " ".join(cells) + f" {mx:16.1f}", flush=True)


BOUND_SEEDS = (0, 1, 2, 3, 4)


def bound(ks=(100, 200, 400)) -> None:
    """What 200 anchors can do on MMLU-Pro-shaped data when the 2PL is true (simulation, known truth).

    Each fold of the leave-one-model-out scheme becomes a simulation: the 2PL fitted to the 28
    reference models gives item parameters and reference abilities; the held-out model's ability
    is its EAP from all its real answers; fresh 0/1 responses are drawn from that 2PL with the
    real pattern of missing answers, and the held-out model's truth is its simulated accuracy.
    The anchors and the p-IRT estimate are then made twice with the library's own
    ``select_anchors`` and ``estimate_accuracy``: with the generating item parameters known
    ("known items") and with them re-estimated from the 28 simulated reference models
    ("estimated items"), which is the real situation without any model misfit.
    """
    import dataclasses

    from assay import datasets, irt
    from assay.io import build_matrix
    from assay.irt._inputs import as_scores
    from assay.irt._subset import SUBSET_PRIOR

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = build_matrix(datasets.mmlu_pro(), "mmlu_pro", "acc", missing="keep")
        values, items, models = as_scores(m)
        n = len(models)
        errs: dict[tuple[str, str, int], list[float]] = {}
        t0 = time.perf_counter()
        for held in range(n):
            keep = np.arange(n) != held
            ref = values[keep]
            ok = ~np.isnan(ref).all(0) & ~np.isnan(values[held])
            ref = ref[:, ok]
            real = irt.fit(ref, standard_errors=False, prior=SUBSET_PRIOR)
            theta_new = irt.abilities(real, values[held : held + 1, ok]).estimate
            theta = np.concatenate([real.ability.estimate, theta_new])
            rng = np.random.default_rng(1000 + held)
            p = real.probability(theta)
            sim = (rng.random(p.shape) < p).astype(float)
            sim[:-1][np.isnan(ref)] = np.nan
            sim_ref, sim_new = sim[:-1], sim[-1]
            truth = float(sim_new.mean())
            refit = irt.fit(sim_ref, standard_errors=False, prior=SUBSET_PRIOR)
            known = dataclasses.replace(
                refit,
                discrimination=real.discrimination,
                intercept=real.intercept,
                difficulty=real.difficulty,
                ability=dataclasses.replace(refit.ability, estimate=real.ability.estimate),
            )
            for label, f in (("known items", known), ("estimated items", refit)):
                for meth in ("info-stratified", "stratified"):
                    for k in ks:
                        for seed in BOUND_SEEDS:
                            sub = irt.select_anchors(sim_ref, k, method=meth, fit=f, rng=seed)
                            est = irt.estimate_accuracy(
                                sub, sim_new[None, sub.indices], method="irt"
                            ).estimate[0]
                            errs.setdefault((label, meth, k), []).append(est - truth)
    print(
        f"== MMLU-Pro-shaped simulation, 2PL true ({n} folds, anchor seeds {BOUND_SEEDS}, "
        f"{time.perf_counter() - t0:.0f} s): MAE of p-IRT in accuracy points =="
    )
    print(f"{'items':16} {'anchors':16} " + " ".join(f"{'k=' + str(k):>7}" for k in ks))
    for label in ("known items", "estimated items"):
        for meth in ("info-stratified", "stratified"):
            cells = " ".join(f"{100 * np.mean(np.abs(errs[(label, meth, k)])):7.2f}" for k in ks)
            print(f"{label:16} {meth:16} {cells}", flush=True)


PEER_SEEDS = (0, 1, 2, 3, 4)


def _mmlu_pro_values():
    from assay import datasets
    from assay.io import build_matrix
    from assay.irt._inputs import as_scores

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = build_matrix(datasets.mmlu_pro(), "mmlu_pro", "acc", missing="keep")
    return as_scores(m)


def peer(ks=(50, 100, 200, 400), *, epochs=2000, dims=(5, 10), folds=None, log=None) -> dict:
    """tinyBenchmarks' procedure and random subsets on our leave-one-model-out folds and seeds.

    Each fold (held-out model m) uses the same items as ``--lomo`` (those m answered and some
    reference model did) and the 28 other models as training models. tinyBenchmarks' steps
    (``benchmarks/_vendor/tinybenchmarks``): choose D among ``dims`` by the notebook's validation
    (every fifth training model held out, abilities from the even items, error on the odd ones),
    whose error also gives gp-IRT's lambda; fit py-irt's multidim 2PL to all training models; for
    each k and seed, anchors by k-means on the items' IRT embeddings (``random_state`` = seed);
    the anchor-weighted mean, p-IRT and gp-IRT of the held-out model. Random: k items drawn
    uniformly without replacement (``numpy.random.default_rng(seed)``), their plain mean.
    """
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "_vendor"))
    from tinybenchmarks import pyirt_fit, tb

    from assay import irt
    from assay.irt._subset import SUBSET_PRIOR

    values, items, models = _mmlu_pro_values()
    n = len(models)
    folds = range(n) if folds is None else folds
    errs: dict = {}
    chosen = []
    t0 = time.perf_counter()
    for m in folds:
        keep = np.arange(n) != m
        ref = values[keep]
        ok = ~np.isnan(ref).all(0) & ~np.isnan(values[m])
        ytr, yte = ref[:, ok], values[m, ok]
        truth = float(yte.mean())
        val_ind = list(range(0, ytr.shape[0], 5))
        train_ind = [i for i in range(ytr.shape[0]) if i not in val_ind]
        val_err = {}
        for d in dims:
            A, B, _ = pyirt_fit.fit_fast(ytr[train_ind], d, epochs=epochs)
            val_err[d] = tb.validation_error(ytr[val_ind], A, B)
        d = min(val_err, key=val_err.get) if len(dims) > 1 else dims[0]
        chosen.append(d)
        A, B, _ = pyirt_fit.fit_fast(ytr, d, epochs=epochs)
        ours = irt.fit(ytr, standard_errors=False, prior=SUBSET_PRIOR)  # as --lomo's folds
        for k in ks:
            for seed in PEER_SEEDS:
                sub = irt.select_anchors(ytr, k, fit=ours, rng=seed)
                est = irt.estimate_accuracy(sub, yte[None, sub.indices], method="irt")
                errs.setdefault(("assay", "irt", k), []).append(est.estimate[0] - truth)
            lambd = tb.gpirt_lambda(ytr, val_err[d], k)
            for seed in PEER_SEEDS:
                points, weights = tb.anchor_points(A, B, k, seed)
                for e, v in tb.estimates(yte, points, weights, A, B, lambd).items():
                    errs.setdefault(("tinyBenchmarks", e, k), []).append(v - truth)
                pick = np.random.default_rng(seed).choice(yte.size, size=k, replace=False)
                errs.setdefault(("random", "mean", k), []).append(float(yte[pick].mean()) - truth)
        msg = (
            f"fold {m} ({models[m]}): D = {d} (validation error {val_err}), "
            f"{time.perf_counter() - t0:.0f} s"
        )
        print(msg, flush=True)
    print(
        f"== MMLU-Pro, leave-one-model-out, {len(list(folds))} folds x seeds {PEER_SEEDS}: "
        f"MAE in accuracy points (py-irt {_version('py-irt')}, {epochs} epochs, D chosen from "
        f"{dims}: {dict(zip(*np.unique(chosen, return_counts=True), strict=True))}; "
        f"{time.perf_counter() - t0:.0f} s) =="
    )
    print(f"{'procedure':16} {'estimator':10} " + " ".join(f"{'k=' + str(k):>7}" for k in ks))
    for who, e in (
        ("assay", "irt"),
        ("tinyBenchmarks", "irt"),
        ("tinyBenchmarks", "gp-irt"),
        ("tinyBenchmarks", "mean"),
        ("random", "mean"),
    ):
        cells = " ".join(f"{100 * np.mean(np.abs(errs[(who, e, k)])):7.2f}" for k in ks)
        print(f"{who:16} {e:10} {cells}", flush=True)
    return errs


ADAPTIVE_VARIANTS = (
    ("weak", {"item_uncertainty": "none", "misfit": "none"}),
    ("weak", {"item_uncertainty": "posterior", "misfit": "none"}),
    ("subset", {"item_uncertainty": "none", "misfit": "none"}),
    ("subset", {"item_uncertainty": "normal", "misfit": "none"}),
    ("subset", {"item_uncertainty": "posterior", "misfit": "none"}),
    ("subset", {"item_uncertainty": "posterior", "misfit": "none", "min_items": 30}),
    ("subset", {"item_uncertainty": "posterior", "misfit": "references"}),
)
# --misfit: only the default with scores (item posteriors + person misfit) and the same without
MISFIT_VARIANTS = (
    ("subset", {"item_uncertainty": "posterior", "misfit": "none"}),
    ("subset", {"item_uncertainty": "posterior", "misfit": "references"}),
)
MD_CORRELATION = 0.8  # simulated-md: subject abilities correlated 0.8 (14 MMLU-Pro subjects)


def _mode_abilities(a, d, y, prior_sd=1.0, iters=30):
    """Posterior modes under N(0, prior_sd^2) of every row of ``y`` (NaN: unanswered), Newton."""
    from scipy import special

    obs = ~np.isnan(y)
    yy = np.where(obs, y, 0.0)
    t = np.zeros(y.shape[0])
    for _ in range(iters):
        p = special.expit(t[:, None] * a[None] + d[None])
        g = (obs * (yy - p) * a).sum(1) - t / prior_sd**2
        h = (obs * p * (1 - p) * a * a).sum(1) + 1 / prior_sd**2
        t = t + np.clip(g / h, -1, 1)
    return t


def _md_answers(gen, general, subjects, rng):
    """Answers when each model's ability differs by subject (correlation ``MD_CORRELATION``)."""
    from scipy import special

    _, code = np.unique(subjects.astype(str), return_inverse=True)
    rho = MD_CORRELATION
    dev = rng.normal(size=(general.size, code.max() + 1))
    th = np.sqrt(rho) * general[:, None] + np.sqrt(1 - rho) * dev  # (models, subjects)
    p = special.expit(gen.discrimination[None] * th[:, code] + gen.intercept[None])
    return (rng.random(p.shape) < p).astype(float)


def adaptive(
    *,
    n_sim: int = 100,
    folds=None,
    sim_folds=(0, 6, 12, 18, 24),
    target_se: float = 0.3,
    variants=ADAPTIVE_VARIANTS,
) -> None:
    """Coverage of ``irt.adaptive_test``'s 95% ability interval, simulated and on MMLU-Pro.

    Real: each MMLU-Pro model in turn is held out; the item bank is fitted to the other 28
    (default weak prior, or the subset prior ``a ~ N(1, 0.5^2)``), and the held-out model's
    adaptive interval should cover its ability fitted on all 29 models with the same prior,
    put on the 28-model scale (the bank standardises abilities over its own 28 models: the
    all-models abilities are linked by the mean and SD of the other 28). Simulated (known
    truth): on ``sim_folds`` the subset-prior fit to the 28 references generates fresh
    references (their real missing pattern) and ``n_sim`` new models at abilities drawn from
    N(0, 1); the bank is refitted to the simulated references and the intervals of the new
    models should cover their generating abilities. Simulated-md (the 2PL false, known
    truth): the same, but every model's ability differs by MMLU-Pro subject (14 abilities
    correlated ``MD_CORRELATION`` around its general one); the truth is the ability all items
    measure on the bank's scale (each new model's posterior mode on all its answers under the
    subset-prior bank fitted to the simulated references, as a reference's own truth in the
    misfit calibration is its ability in the bank's fit). Every variant gets the bank's reference
    scores; ``item_uncertainty`` and ``misfit`` say whether they are used.
    """
    from assay import irt
    from assay.irt._subset import SUBSET_PRIOR

    priors = {"weak": "weak", "subset": SUBSET_PRIOR}
    priors = {k: v for k, v in priors.items() if any(name == k for name, _ in variants)}
    values, items, models = _mmlu_pro_values()
    subjects = _mmlu_pro_subjects()
    n = len(models)
    folds = range(n) if folds is None else folds
    t0 = time.perf_counter()
    full = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, prior in priors.items():
            full[name] = irt.fit(values, prior=prior, standard_errors=False).ability
    rec: dict = {}
    with_se = any(kw.get("item_uncertainty") == "normal" for _, kw in variants)

    def run(key, bank, scores, tests):
        for ans, truth in tests:
            r = irt.adaptive_test(bank, ans, scores=scores, target_se=target_se, **key[2])
            rec.setdefault((key[0], key[1], tuple(key[2].items())), []).append(
                (r.ci_low <= truth <= r.ci_high, r.n, r.estimate - truth, r.se, r.misfit_sd)
            )

    for m in folds:
        keep = np.arange(n) != m
        ref = values[keep]
        ok = ~np.isnan(ref).all(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            banks = {
                name: irt.fit(ref[:, ok], prior=p, standard_errors=with_se and name == "subset")
                for name, p in priors.items()
            }
            y_new = values[m, ok]
            ans = np.where(np.isnan(y_new), 0.0, y_new)  # unanswered counts as wrong
            for name, kw in variants:
                e, s = full[name].estimate[keep], full[name].se[keep]
                mu, sd = e.mean(), np.sqrt(np.mean(e**2 + s**2) - e.mean() ** 2)
                truth = (full[name].estimate[m] - mu) / sd
                run(("real", name, kw), banks[name], ref[:, ok], [(ans, truth)])
            if m not in sim_folds:
                _adaptive_table(rec, m, t0, target_se, n_sim)
                continue
            # simulation with known truth: the subset-prior bank generates the data
            gen = banks["subset"]
            rng = np.random.default_rng(2000 + m)
            th_new = rng.normal(size=n_sim)
            p = gen.probability(np.concatenate([gen.ability.estimate, th_new]))
            sim = (rng.random(p.shape) < p).astype(float)
            sim_ref = sim[: n - 1]
            sim_ref[np.isnan(ref[:, ok])] = np.nan
            sbanks = {
                name: irt.fit(sim_ref, prior=pr, standard_errors=with_se and name == "subset")
                for name, pr in priors.items()
            }
            tests = [(sim[n - 1 + j], th_new[j]) for j in range(n_sim)]
            for name, kw in variants:
                run(("simulated", name, kw), sbanks[name], sim_ref, tests)
            # the 2PL false: abilities by subject, truth = the ability all items measure
            general = np.concatenate([gen.ability.estimate, th_new])
            md = _md_answers(gen, general, subjects[ok], rng)
            md_ref = md[: n - 1]
            md_ref[np.isnan(ref[:, ok])] = np.nan
            mbanks = {
                name: irt.fit(md_ref, prior=pr, standard_errors=with_se and name == "subset")
                for name, pr in priors.items()
            }
            # the ability all items measure, on the bank's scale: as each reference's own
            # (its ability in the bank's fit), the new model's posterior mode on all items
            mb = mbanks["subset"]
            truth_md = _mode_abilities(mb.discrimination, mb.intercept, md[n - 1 :])
            tests = [(md[n - 1 + j], truth_md[j]) for j in range(n_sim)]
            for name, kw in variants:
                run(("simulated-md", name, kw), mbanks[name], md_ref, tests)
        _adaptive_table(rec, m, t0, target_se, n_sim)


def misfit_by_length(lengths=(5, 10, 15, 20, 30, 40, 60, 80, 100, 120)) -> None:
    """How person misfit depends on test length on MMLU-Pro: additive or multiplicative?

    The 29-model ``SUBSET_PRIOR`` bank with its scores (item posteriors); each model takes the
    adaptive test on the bank without its answers (the calibration of ``adaptive_test``'s
    misfit term, run to 120 items), and its estimate after ``k`` items is compared with its
    ability in the bank's fit: ``d = theta_k - theta_all``, ``sd`` the test's posterior SD.
    """
    from assay import irt
    from assay.irt import _adaptive, _misfit
    from assay.irt._subset import SUBSET_PRIOR

    values, items, models = _mmlu_pro_values()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = irt.fit(values, items=items, models=models, prior=SUBSET_PRIOR, standard_errors=False)
    mode, bank, vals = _adaptive._bank(fit, values, "posterior")
    paths = _misfit.reference_paths(fit, vals, mode, bank, se_floor=0.0, length=max(lengths))
    print(
        f"== MMLU-Pro, {paths.length.size} models each tested on the bank without it "
        f"({time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.1f}) =="
    )
    print(
        f"{'items':>5} {'RMS sd':>7} {'RMS d':>6} {'mean d2 - sd2':>13} {'mean z2':>7} {'|z| < 1.96':>10}"
    )
    for k in lengths:
        d, sd = paths.diff[:, k - 1], paths.se[:, k - 1]
        print(
            f"{k:5d} {np.sqrt(np.mean(sd**2)):7.3f} {np.sqrt(np.mean(d**2)):6.3f} "
            f"{np.mean(d**2 - sd**2):13.4f} {np.mean((d / sd) ** 2):7.2f} "
            f"{100 * np.mean(np.abs(d / sd) < 1.96):9.1f}%",
            flush=True,
        )


def _mmlu_pro_subjects():
    from assay import datasets
    from assay.io import build_matrix

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = build_matrix(datasets.mmlu_pro(), "mmlu_pro", "acc", missing="keep")
    return np.asarray(m.subject, dtype=object)


def _adaptive_table(rec, m, t0, target_se, n_sim) -> None:
    n_real = len(next(iter(rec.values())))
    print(
        f"== after fold {m}: adaptive_test, target SE {target_se}, 95% intervals: coverage "
        f"(MMLU-Pro: {n_real} held-out models; simulated: {n_sim} new models per simulated "
        f"fold; {time.perf_counter() - t0:.0f} s; load {os.getloadavg()[0]:.1f}) =="
    )
    print(
        f"{'data':12} {'bank prior':10} {'options':62} {'coverage':>8} {'items':>6} {'RMSE':>6} "
        f"{'mean z2':>7} {'misfit':>6}"
    )
    for (data, name, kw), v in sorted(rec.items(), key=lambda kv: kv[0][0]):
        cov, k, err, se, tau = (np.array(x, dtype=float) for x in zip(*v, strict=True))
        opts = ", ".join(f"{a}={b}" for a, b in kw) or "-"
        print(
            f"{data:12} {name:10} {opts:62} {100 * cov.mean():7.1f}% {np.median(k):6.0f} "
            f"{np.sqrt(np.mean(err**2)):6.2f} {np.mean((err / se) ** 2):7.2f} "
            f"{np.nanmedian(tau) if np.isfinite(tau).any() else float('nan'):6.3f}  (n={cov.size})",
            flush=True,
        )


def slope_bias() -> None:
    """Why item uncertainty does not rescue adaptive coverage: item SEs and the selected slopes.

    28 reference models x 3,000 items from a 2PL (a ~ U(0.5, 2.5), b ~ N(0, 1.5^2)), fitted with
    ``SUBSET_PRIOR``; the truth is put on the fit's scale (the references' abilities standardised
    to mean 0, SD 1), then the estimates' errors are compared with their standard errors.
    """
    from scipy import special

    from assay import irt
    from assay.irt._subset import SUBSET_PRIOR

    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 2.5, 3000)
    b = rng.normal(0, 1.5, 3000)
    th = rng.normal(size=28)
    y = (rng.random((28, 3000)) < special.expit(a * (th[:, None] - b))).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = irt.fit(y, prior=SUBSET_PRIOR)
    m, s = th.mean(), th.std()
    a_t, b_t = a * s, (b - m) / s  # the same curves on the references' standardised scale
    za = (f.discrimination - a_t) / f.discrimination_se
    zb = (f.difficulty - b_t) / f.difficulty_se
    top = np.argsort(-f.discrimination)[:200]
    print(
        "== 28 x 3,000 2PL, SUBSET_PRIOR fit: RMS of (estimate - truth) / SE: "
        f"slopes {np.sqrt(np.mean(za**2)):.2f}, difficulties {np.sqrt(np.mean(zb**2)):.2f} "
        f"(1 if the SEs were right); the 200 largest estimated slopes: mean estimate "
        f"{f.discrimination[top].mean():.2f}, true {a_t[top].mean():.2f} =="
    )


def sizes(*, full: bool = False) -> None:
    """How many items tell the same story on MMLU-Pro: the fast folds (report default) and their cost.

    Times ``irt.subset_sizes`` as the report's IRT section runs it (each fold's items
    re-estimated at the abilities of one fit of all models, the audit's weak-prior fit; one
    anchor seed), the same with three seeds, and with ``full`` the exact scheme (a new fit per
    fold, three seeds), in one process. CPU seconds are the process's, so other jobs on the
    machine do not count.
    """
    from assay import irt
    from assay.report._sections.irt import SUBSET_SIZES

    values, items, models = _mmlu_pro_values()
    ks = tuple(k for k in SUBSET_SIZES if k < values.shape[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c0, t0 = time.process_time(), time.perf_counter()
        fit = irt.fit(values, items=items, models=models)  # the audit's fit (weak prior)
        print(f"all-models fit (the audit's): {time.process_time() - c0:.1f} s CPU", flush=True)
        variants = [("items", (0,)), ("items", (0, 1, 2))] + ([("full", (0, 1, 2))] if full else [])
        for refit, seeds in variants:
            c0, t0 = time.process_time(), time.perf_counter()
            res = irt.subset_sizes(
                values,
                ks,
                items=items,
                models=models,
                seeds=seeds,
                refit=refit,
                fit=fit if refit == "items" else None,
            )
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
            print(
                f"== refit={refit!r}, seeds {seeds}: {cpu:.1f} s CPU, {wall:.1f} s wall; "
                f"{res.n_separated} separated pairs; k_needed {res.k_needed}, MAE there "
                f"{100 * (res.error_at_k or float('nan')):.2f} points =="
            )
            for r in res.rows():
                print(
                    f"  k={r['k']:5d}  MAE {100 * r['mae']:5.2f}  RMSE {100 * r['rmse']:5.2f}  "
                    f"max {100 * r['max_abs']:5.1f}  pairs kept {100 * (r['pairs_kept'] or 0):5.1f}%"
                    f"  tau {r['kendall_tau']:.2f}",
                    flush=True,
                )


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lomo", action="store_true", help="also run the MMLU-Pro anchor validation (slow)"
    )
    parser.add_argument(
        "--lomo-methods",
        default=",".join(LOMO_METHODS),
        help="--lomo: anchor designs to run (comma-separated; add 'information' for k = 200)",
    )
    parser.add_argument(
        "--lomo-seeds", default="0,1,2,3,4", help="--lomo: anchor seeds (e.g. 5,6,7,8,9)"
    )
    parser.add_argument(
        "--bound",
        action="store_true",
        help="also run the MMLU-Pro-shaped simulation in which the 2PL is true",
    )
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also run tinyBenchmarks' procedure and random subsets on the same folds (slow)",
    )
    parser.add_argument("--peer-epochs", type=int, default=2000, help="py-irt epochs (2000)")
    parser.add_argument(
        "--peer-dims", default="5,10", help="IRT dimensions tinyBenchmarks chooses from (5,10)"
    )
    parser.add_argument("--folds", default=None, help="only these folds, e.g. 0,1,2 (--peer)")
    parser.add_argument(
        "--slope-bias", action="store_true", help="only the item-SE and selected-slope check"
    )
    parser.add_argument(
        "--profile", action="store_true", help="only the CPU split of the 1,000 x 10,000 fit"
    )
    parser.add_argument(
        "--speed",
        action="store_true",
        help="only time the 1,000 x 10,000 fit once, with the load average",
    )
    parser.add_argument("--save", default=None, help="--speed: save the estimates to this .npz")
    parser.add_argument(
        "--reference", default=None, help="--speed: compare with estimates saved by --save"
    )
    parser.add_argument(
        "--adaptive", action="store_true", help="also measure adaptive-test coverage (slow)"
    )
    parser.add_argument(
        "--misfit",
        action="store_true",
        help="with --adaptive: only item posteriors with and without the person-misfit term",
    )
    parser.add_argument(
        "--sim-folds", default="0,6,12,18,24", help="with --adaptive: the simulated folds"
    )
    parser.add_argument(
        "--misfit-by-length",
        action="store_true",
        help="only: person misfit on MMLU-Pro by adaptive-test length (a few minutes)",
    )
    parser.add_argument(
        "--sizes",
        action="store_true",
        help="only the cost and result of subset_sizes as the report runs it (add --sizes-full)",
    )
    parser.add_argument(
        "--sizes-full", action="store_true", help="with --sizes: also a new fit per fold (slow)"
    )
    parser.add_argument("--skip-peers", action="store_true", help="skip girth and py-irt")
    parser.add_argument(
        "--only-anchors", action="store_true", help="run only --lomo/--bound (skip the timings)"
    )
    args = parser.parse_args()
    if args.profile:
        profile_large()
        return
    if args.speed:
        speed(save=args.save, reference=args.reference)
        return
    if args.slope_bias:
        slope_bias()
        return
    if args.misfit_by_length:
        misfit_by_length()
        return
    if args.sizes:
        sizes(full=args.sizes_full)
        return
    if not args.only_anchors:
        if not args.skip_peers:
            head_to_head()
        large()
    if args.lomo:
        lomo(
            methods=tuple(args.lomo_methods.split(",")),
            seeds=tuple(int(x) for x in args.lomo_seeds.split(",")),
        )
    if args.bound:
        bound()
    if args.adaptive:
        adaptive(
            folds=None if args.folds is None else [int(f) for f in args.folds.split(",")],
            sim_folds=tuple(int(f) for f in args.sim_folds.split(",") if f),
            variants=MISFIT_VARIANTS if args.misfit else ADAPTIVE_VARIANTS,
        )
    if args.peer:
        peer(
            epochs=args.peer_epochs,
            dims=tuple(int(d) for d in args.peer_dims.split(",")),
            folds=None if args.folds is None else [int(f) for f in args.folds.split(",")],
        )


if __name__ == "__main__":
    main()
