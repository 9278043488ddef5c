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
        "data": "HumanEval against CRUXEval and CodeAlpaca code; copies with 2% or "
        "10% of their words replaced",
        "false_flag_rate": 0.0,
        "n_clean": 164,
        "n_planted": 164,
        "recall_edited_10pct": 0.0,
        "recall_edited_2pct": 0.07317073170731707,
    },
    "ngram_13": {
        "data": "HumanEval (164) against CRUXEval and CodeAlpaca code: clean, with verbatim "
        "copies planted, with the paper's Python rephrasings (the 147 not empty)",
        "false_flag_rate": 0.0,
        "n_clean": 164,
        "n_planted": 164,
        "n_rephrasings": 147,
        "recall_copies": 1.0,
        "recall_rephrasings": 0.006802721088435374,
    },
    "ngram_8": {
        "data": "HumanEval (164) against CRUXEval and CodeAlpaca code: clean, with verbatim "
        "copies planted, with the paper's Python rephrasings (the 147 not empty)",
        "false_flag_rate": 0.012195121951219513,
        "n_clean": 164,
        "n_planted": 164,
        "n_rephrasings": 147,
        "recall_copies": 1.0,
        "recall_rephrasings": 0.061224489795918366,
    },
    "rephrase": {
        "confidence_level": 0.95,
        "data": "HumanEval (164) with the paper's Python rephrasings of a random share of "
        "the 147 items that have one (17 are empty) planted into clean code: "
        "CRUXEval (different problems), or CRUXEval and the CodeAlpaca samples the "
        "paper's judge did not confirm (similar problems); all-MiniLM-L6-v2, 20 "
        "neighbours; null: 500 corpus documents as pseudo-queries",
        "draws": 100,
        "f_null": {
            "similar_problems": {
                "0%": {
                    "count_bias": 30.66666666666667,
                    "false_flag_rate": 0.1951219512195122,
                    "lower_bound": 21.0,
                    "lower_bound_coverage": 0.0,
                    "planted": 0.0,
                    "recall": None,
                },
                "10%": {
                    "count_bias": 14.539999999999996,
                    "false_flag_rate": 0.19579991195892152,
                    "lower_bound": 19.36,
                    "lower_bound_coverage": 0.19,
                    "planted": 14.56,
                    "recall": 0.2616823619706746,
                },
                "100%": {
                    "count_bias": -111.8888888888889,
                    "false_flag_rate": 0.5294117647058824,
                    "lower_bound": 55.0,
                    "lower_bound_coverage": 1.0,
                    "planted": 147.0,
                    "recall": 0.47619047619047616,
                },
                "50%": {
                    "count_bias": -42.09666666666668,
                    "false_flag_rate": 0.2064582399394004,
                    "lower_bound": 23.0,
                    "lower_bound_coverage": 1.0,
                    "planted": 73.03,
                    "recall": 0.2865959724562961,
                },
            },
            "unrelated_code": {
                "0%": {
                    "count_bias": 0.0,
                    "false_flag_rate": 0.0,
                    "lower_bound": 0.0,
                    "lower_bound_coverage": 1.0,
                    "planted": 0.0,
                    "recall": None,
                },
                "10%": {
                    "count_bias": -7.617777777777786,
                    "false_flag_rate": 0.021205072674738593,
                    "lower_bound": 3.6,
                    "lower_bound_coverage": 1.0,
                    "planted": 14.56,
                    "recall": 0.5106719740527789,
                },
                "100%": {
                    "count_bias": -79.66666666666667,
                    "false_flag_rate": 0.058823529411764705,
                    "lower_bound": 87.0,
                    "lower_bound_coverage": 1.0,
                    "planted": 147.0,
                    "recall": 0.7278911564625851,
                },
                "50%": {
                    "count_bias": -30.452222222222225,
                    "false_flag_rate": 0.08259384784882406,
                    "lower_bound": 35.35,
                    "lower_bound_coverage": 1.0,
                    "planted": 73.03,
                    "recall": 0.6135873301520085,
                },
            },
        },
        "false_flag_rate": 0.2621951219512195,
        "n_items": 164,
        "n_null": 500,
        "n_rephrasings": 147,
        "similar_problems": {
            "0%": {
                "count_bias": 38.0,
                "false_flag_rate": 0.2621951219512195,
                "lower_bound": 23.0,
                "lower_bound_coverage": 0.0,
                "planted": 0.0,
                "recall": None,
            },
            "10%": {
                "count_bias": 27.0,
                "false_flag_rate": 0.24052429754376053,
                "lower_bound": 21.4,
                "lower_bound_coverage": 0.11,
                "planted": 14.56,
                "recall": 0.34813645143985705,
            },
            "100%": {
                "count_bias": -57.0,
                "false_flag_rate": 0.5294117647058824,
                "lower_bound": 49.0,
                "lower_bound_coverage": 1.0,
                "planted": 147.0,
                "recall": 0.6258503401360545,
            },
            "50%": {
                "count_bias": -13.25,
                "false_flag_rate": 0.2856151747398703,
                "lower_bound": 26.18,
                "lower_bound_coverage": 1.0,
                "planted": 73.03,
                "recall": 0.4647174144651847,
            },
        },
        "threshold": 0.5,
        "unrelated_code": {
            "0%": {
                "count_bias": 0.0,
                "false_flag_rate": 0.0,
                "lower_bound": 0.0,
                "lower_bound_coverage": 1.0,
                "planted": 0.0,
                "recall": None,
            },
            "10%": {
                "count_bias": -6.44,
                "false_flag_rate": 0.04213459973901783,
                "lower_bound": 5.09,
                "lower_bound_coverage": 0.99,
                "planted": 14.56,
                "recall": 0.5303691070281628,
            },
            "100%": {
                "count_bias": -27.0,
                "false_flag_rate": 0.29411764705882354,
                "lower_bound": 89.0,
                "lower_bound_coverage": 1.0,
                "planted": 147.0,
                "recall": 0.9115646258503401,
            },
            "50%": {
                "count_bias": -13.27,
                "false_flag_rate": 0.15424926850058132,
                "lower_bound": 39.58,
                "lower_bound_coverage": 1.0,
                "planted": 73.03,
                "recall": 0.7358743904187678,
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
