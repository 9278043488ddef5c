"""Measured false-flag rates and recall of each contamination stage, cited beside each verdict.

A flag is a claim: these are its error rates, measured on data where the truth is known by
``python benchmarks/contamination.py --flags`` (the numbers and the data are described in
docs/contamination.md, "How often is a flag wrong?"). They are measured, not derived: a scan of
other text can do better or worse, and the report says where they come from.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["FLAG_RATES", "flag_rates"]

SOURCE = "python benchmarks/contamination.py --flags"

# Filled from the output of SOURCE (see benchmarks/README.md). Rates are shares of items; n is the
# number of items each share is taken over.
FLAG_RATES: dict[str, dict[str, Any]] = {
    "near_duplicate": {
        "data": "HumanEval against CRUXEval and CodeAlpaca code; copies with 2% "
        "or 10% of their words replaced",
        "false_flag_rate": 0.0,
        "n_clean": 164,
        "n_planted": 164,
        "recall_edited_10pct": 0.0,
        "recall_edited_2pct": 0.07317073170731707,
    },
    "ngram_13": {
        "data": "HumanEval (164) against CRUXEval and CodeAlpaca code: clean, with "
        "verbatim copies planted, with the paper's Python rephrasings",
        "false_flag_rate": 0.0,
        "n_clean": 164,
        "n_planted": 164,
        "recall_copies": 1.0,
        "recall_rephrasings": 0.006097560975609756,
    },
    "ngram_8": {
        "data": "HumanEval (164) against CRUXEval and CodeAlpaca code: clean, with "
        "verbatim copies planted, with the paper's Python rephrasings",
        "false_flag_rate": 0.012195121951219513,
        "n_clean": 164,
        "n_planted": 164,
        "recall_copies": 1.0,
        "recall_rephrasings": 0.06097560975609756,
    },
    "rephrase": {
        "data": "HumanEval (164) with the paper's Python rephrasings of a random share "
        "of the items planted into clean code: CRUXEval (different problems), "
        "or CRUXEval and the CodeAlpaca samples the paper's judge did not "
        "confirm (similar problems); all-MiniLM-L6-v2, 20 neighbours",
        "draws": 20,
        "false_flag_rate": 0.1951219512195122,
        "n_items": 164,
        "similar_problems": {
            "0%": {
                "count_bias": 30.66666666666667,
                "false_flag_rate": 0.1951219512195122,
                "interval_coverage": 0.0,
                "recall": None,
            },
            "10%": {
                "count_bias": 14.033333333333328,
                "false_flag_rate": 0.2037085905919887,
                "interval_coverage": 0.35,
                "recall": 0.3031336223247147,
            },
            "100%": {
                "count_bias": -128.8888888888889,
                "false_flag_rate": None,
                "interval_coverage": 0.0,
                "recall": 0.4817073170731707,
            },
            "50%": {
                "count_bias": -50.99444444444445,
                "false_flag_rate": 0.1789016115425019,
                "interval_coverage": 0.0,
                "recall": 0.30081193291909597,
            },
        },
        "threshold": 0.5,
        "unrelated_code": {
            "0%": {
                "count_bias": 0.0,
                "false_flag_rate": 0.0,
                "interval_coverage": 1.0,
                "recall": None,
            },
            "10%": {
                "count_bias": -10.111111111111118,
                "false_flag_rate": 0.021731352753268023,
                "interval_coverage": 0.6,
                "recall": 0.5083726079618023,
            },
            "100%": {
                "count_bias": -96.66666666666667,
                "false_flag_rate": None,
                "interval_coverage": 0.0,
                "recall": 0.6585365853658537,
            },
            "50%": {
                "count_bias": -39.10555555555556,
                "false_flag_rate": 0.09534637257729085,
                "interval_coverage": 0.0,
                "recall": 0.5605567448958386,
            },
        },
    },
}


def flag_rates(recipe_name: str = "gpt3") -> dict[str, Any]:
    """The measured rates for the stages of a scan with the named recipe (a copy).

    The n-gram rates are those of the recipe's n (13 for 'gpt3', 8 for 'tulu3' and 'open-r1'; a
    'custom' recipe has none measured).
    """
    out: dict[str, Any] = {"source": SOURCE}
    key = {"gpt3": "ngram_13", "tulu3": "ngram_8", "open-r1": "ngram_8"}.get(recipe_name)
    if key and key in FLAG_RATES:
        out["ngram"] = copy.deepcopy(FLAG_RATES[key])
    for stage in ("near_duplicate", "rephrase"):
        if stage in FLAG_RATES:
            out[stage] = copy.deepcopy(FLAG_RATES[stage])
    return out
