"""Benchmark of assay.labels.find_label_issues against cleanlab's, on 1,000,000 x 10 probabilities,
and (``--audit``) the error rates of the item audit's flags on simulations with known truth.

Run from the project root:

    python benchmarks/labels.py            # 1,000,000 examples, 10 classes, 5% planted noise
    python benchmarks/labels.py --n 100000 # smaller
    python benchmarks/labels.py --audit    # the item audit's flags: reliability, precision, recall

``--audit`` simulates (``assay.labels._simulate.simulate_answers``) 12,000 ten-option items answered by
10, 29 or 100 models (2PL), with wrong answers drawn to one attractive distractor per item with
probability 0, 0.3, 0.6 or 0.8, and 0, 2, 5 or 10% of gold answers planted wrong; it prints, for the
answer model (``method='irt'``, abilities from the probit of accuracy, and with 29 models also from
an IRT fit) and the weighted vote (``method='vote'``), the items flagged at the default threshold,
their precision and recall, the share of clean items flagged, and the reliability table of
P(gold wrong); then the blind-baseline screen on 0, 5 or 20% items solvable without the question.

Prints, for each ``filter_by`` setting, the median of ``--repeat`` (default 7) wall times of
``cleanlab.filter.find_label_issues`` (its defaults otherwise: ``n_jobs=None`` uses every core)
and of ``assay.labels.find_label_issues`` on the same arrays in the same process, their ratio,
whether the flags are identical, and the recall and precision of the planted errors. The two
libraries' repetitions alternate (cleanlab first on even repetitions, assay first on odd ones), so
that both see the same load on a shared machine; "paired" is the median over repetitions of the
ratio of the two adjacent runs, "range" its smallest and largest value. The load average is printed
before and after. Asserts nothing (a benchmark is not a test).

The data: true classes uniform over 10; logits N(0, 1) with +2.5 on the true class, softmaxed;
then 5% of the labels replaced by a different class chosen uniformly (the planted noise).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

FILTERS = (
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)


def make_data(n: int, k: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), true] += 2.5
    prob = np.exp(logits)
    prob /= prob.sum(axis=1, keepdims=True)
    given = true.copy()
    flip = rng.random(n) < noise
    given[flip] = (given[flip] + rng.integers(1, k, int(flip.sum()))) % k
    return given, prob, flip


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def interleaved(fn_a, fn_b, repeat: int) -> tuple[np.ndarray, np.ndarray, object, object]:
    """Wall times of ``repeat`` runs of each function, alternating which one runs first."""
    t_a, t_b = np.empty(repeat), np.empty(repeat)
    out_a = out_b = None
    for r in range(repeat):
        if r % 2 == 0:
            t_a[r], out_a = _timed(fn_a)
            t_b[r], out_b = _timed(fn_b)
        else:
            t_b[r], out_b = _timed(fn_b)
            t_a[r], out_a = _timed(fn_a)
    return t_a, t_b, out_a, out_b


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
        return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} (1, 5, 15 min)"
    except OSError:  # not on every platform
        return "load average unavailable"


ATTRACTION = (0.0, 0.3, 0.6, 0.8)
GOLD_ERROR = (0.0, 0.02, 0.05, 0.10)
N_MODELS = (10, 29, 100)
BINS = (0.0, 0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 1.0001)


def audit_tables(n_items: int, seed: int, n_models: tuple[int, ...] = N_MODELS) -> None:
    from assay.irt import fit
    from assay.labels import audit_items
    from assay.labels._simulate import simulate_answers

    print(
        f"Item audit on simulations: {n_items:,} ten-option items, default threshold 0.5, seed {seed}"
    )
    print(f"{'models':>6}{'attract':>8}{'gold err':>9}  {'method':<10}{'eps est':>8}{'flagged':>8}{'planted':>8}"
          f"{'precision':>10}{'recall':>7}{'clean flagged':>14}{'seconds':>8}")  # fmt: skip
    pooled: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {m: [] for m in n_models}
    worst = {
        "irt": [0.0, 1.0, 1.0],
        "vote": [0.0, 1.0, 1.0],
    }  # clean flagged, precision, recall (29 models)
    for m in n_models:
        for attr in ATTRACTION:
            for err in GOLD_ERROR:
                sim = simulate_answers(m, n_items, attraction=attr, gold_error=err, rng=seed)
                runs = [("irt", {}), ("vote", {"method": "vote"})]
                if m == 29 and err == 0.05:
                    scores = (sim.predictions == sim.gold[None, :]).astype(float)
                    f = fit(scores, standard_errors=False)
                    runs.insert(1, ("irt+fit", {"abilities": f.ability.estimate,
                                                "item_params": (f.discrimination, f.difficulty)}))  # fmt: skip
                for name, kw in runs:
                    t0 = time.perf_counter()
                    res = audit_items(sim.predictions, sim.gold, n_choices=10, **kw)
                    sec = time.perf_counter() - t0
                    flag = res.is_suspect
                    tp = int((flag & sim.planted).sum())
                    n_pl = int(sim.planted.sum())
                    prec = tp / flag.sum() if flag.sum() else float("nan")
                    rec = tp / n_pl if n_pl else float("nan")
                    clean = float((flag & ~sim.planted).sum() / (~sim.planted).sum())
                    print(f"{m:>6}{attr:>8.1f}{err:>9.0%}  {name:<10}{res.prior_error:>8.3f}{int(flag.sum()):>8,}"
                          f"{n_pl:>8,}{prec:>10.3f}{rec:>7.3f}{clean:>13.2%} {sec:>8.1f}")  # fmt: skip
                    if name == "irt":
                        pooled[m].append((res.p_wrong, sim.planted))
                    if m == 29 and name in worst:
                        w = worst[name]
                        w[0] = max(w[0], clean)
                        if n_pl:
                            w[1] = min(
                                w[1], prec if flag.sum() else 1.0
                            )  # nothing flagged: no false flag
                            w[2] = min(w[2], rec)
    print(
        "\nReliability of P(gold wrong), method='irt', pooled over the 16 regimes per model count"
    )
    print(f"{'models':>6}{'bin':>14}{'items':>9}{'mean P':>9}{'observed':>10}")
    for m in n_models:
        p = np.concatenate([x for x, _ in pooled[m]])
        y = np.concatenate([z for _, z in pooled[m]])
        for lo, hi in zip(BINS[:-1], BINS[1:], strict=True):
            sel = (p >= lo) & (p < hi)
            if sel.any():
                print(f"{m:>6}{f'[{lo:.2f}, {min(hi, 1):.2f})':>14}{int(sel.sum()):>9,}{p[sel].mean():>9.3f}"
                      f"{y[sel].mean():>10.3f}")  # fmt: skip
    print(
        "\nWorst over regimes with 29 models (for assay.labels._rates.FLAG_ERROR_RATES['suspect']):"
    )
    for name, (clean, prec, rec) in worst.items():
        print(f"  {name}: false_flag_rate {clean:.4f}, precision {prec:.3f}, recall {rec:.3f}")
    misconception_table(n_items, seed)
    blind_table(n_items, seed)


def blind_table(n_items: int, seed: int) -> None:
    from assay.labels import audit_items
    from assay.labels._simulate import simulate_answers

    print(
        "\nSolvable without the question (blind baselines), 29 models, 30% attraction, no gold errors"
    )
    print(f"{'baselines':>9}{'solvable':>9}{'flagged':>8}{'precision':>10}{'recall':>7}{'clean flagged':>14}"
          f"{'old rule flags':>15}")  # fmt: skip
    for nb in (1, 2):
        worst = [0.0, 1.0, 1.0]
        for rate in (0.0, 0.05, 0.2):
            sim = simulate_answers(29, n_items, attraction=0.3, gold_error=0.0, n_blind=nb, solvable_rate=rate,
                                   rng=seed)  # fmt: skip
            preds = np.vstack([sim.predictions, sim.blind])
            res = audit_items(
                preds, sim.gold, n_choices=10, blind=np.r_[np.zeros(29, bool), np.ones(nb, bool)]
            )
            flag = res.p_blind_solvable >= res.threshold
            tp = int((flag & sim.solvable).sum())
            prec = tp / flag.sum() if flag.sum() else float("nan")
            rec = tp / sim.solvable.sum() if sim.solvable.sum() else float("nan")
            clean = float((flag & ~sim.solvable).sum() / (~sim.solvable).sum())
            worst[0] = max(worst[0], clean)
            if sim.solvable.sum():
                worst[1] = min(
                    worst[1], prec if flag.sum() else 1.0
                )  # nothing flagged: no false flag
                worst[2] = min(worst[2], rec)
            print(f"{nb:>9}{rate:>9.0%}{int(flag.sum()):>8,}{prec:>10.3f}{rec:>7.3f}{clean:>13.2%} "
                  f"{int((res.blind_solved > 0).sum()):>15,}")  # fmt: skip
        print(f"  blind_solvable, {nb} baseline(s): false_flag_rate {worst[0]:.4f}, precision {worst[1]:.3f}, "
              f"recall {worst[2]:.3f}")  # fmt: skip


def misconception_table(n_items: int, seed: int) -> None:
    """Strong models that err share a second distractor (a misconception) half the time."""
    from assay.labels import audit_items
    from assay.labels._simulate import simulate_answers

    print("\nShared misconception: wrong answers of above-median models go to a second distractor with "
          "probability 0.5 (30% attraction otherwise), 29 models")  # fmt: skip
    print(
        f"{'gold err':>8}  {'method':<6}{'flagged':>8}{'precision':>10}{'recall':>7}{'clean flagged':>14}"
    )
    for err in (0.0, 0.05):
        sim = simulate_answers(
            29, n_items, attraction=0.3, misconception=0.5, gold_error=err, rng=seed
        )
        for name, kw in (("irt", {}), ("vote", {"method": "vote"})):
            res = audit_items(sim.predictions, sim.gold, n_choices=10, **kw)
            flag = res.is_suspect
            tp = int((flag & sim.planted).sum())
            prec = tp / flag.sum() if flag.sum() else float("nan")
            rec = tp / sim.planted.sum() if sim.planted.sum() else float("nan")
            print(f"{err:>8.0%}  {name:<6}{int(flag.sum()):>8,}{prec:>10.3f}{rec:>7.3f}"
                  f"{(flag & ~sim.planted).mean():>13.2%}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--audit", action="store_true", help="the item audit's flag error rates instead"
    )
    parser.add_argument("--n-items", type=int, default=12_000)
    parser.add_argument(
        "--models", type=int, nargs="+", default=list(N_MODELS), help="with --audit"
    )
    parser.add_argument(
        "--part", choices=["all", "misconception", "blind"], default="all", help="with --audit"
    )
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--filters", nargs="+", choices=FILTERS, default=list(FILTERS), help="filter_by settings"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.audit:
        if args.part == "all":
            audit_tables(args.n_items, args.seed, tuple(args.models))
        else:
            {"misconception": misconception_table, "blind": blind_table}[args.part](
                args.n_items, args.seed
            )
        return

    import cleanlab
    from cleanlab.filter import find_label_issues as cl_find

    from assay.labels import find_label_issues

    given, prob, planted = make_data(args.n, args.k, args.noise, args.seed)
    print(f"{args.n:,} x {args.k} predicted probabilities, {planted.mean():.1%} planted label noise; "
          f"cleanlab {cleanlab.__version__}, median of {args.repeat} interleaved runs each; "
          f"{os.cpu_count()} cores, {load_average()}")  # fmt: skip
    print(f"{'filter_by':<24}{'cleanlab s':>11}{'assay s':>9}{'ratio':>7}{'paired':>8}{'range':>12}"
          "  identical  flagged  recall  precision")  # fmt: skip
    for filter_by in args.filters:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_cl, t_us, ref, res = interleaved(
                lambda fb=filter_by: cl_find(given, prob, filter_by=fb),
                lambda fb=filter_by: find_label_issues(given, prob, filter_by=fb),
                args.repeat,
            )
        paired = t_cl / t_us
        same = bool(np.array_equal(ref, res.is_issue))
        hits = int((res.is_issue & planted).sum())
        print(
            f"{filter_by:<24}{np.median(t_cl):>11.3f}{np.median(t_us):>9.3f}"
            f"{np.median(t_cl) / np.median(t_us):>6.1f}x{np.median(paired):>7.1f}x"
            f"{f'{paired.min():.1f}-{paired.max():.1f}x':>12}  {str(same):<9}{res.n_issues:>9,}"
            f"{hits / planted.sum():>8.3f}{hits / max(res.n_issues, 1):>11.3f}"
        )
    print(f"after: {load_average()}")


if __name__ == "__main__":
    main()
