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
        "confidence_level": 0.95,
        "data": "HumanEval (164) with the paper's Python rephrasings of a random share "
        "of the items planted into clean code: CRUXEval (different problems), "
        "or CRUXEval and the CodeAlpaca samples the paper's judge did not "
        "confirm (similar problems); all-MiniLM-L6-v2, 20 neighbours; null: 500 "
        "corpus documents as pseudo-queries",
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
                    "count_bias": 13.069999999999995,
                    "false_flag_rate": 0.19431569267025306,
                    "lower_bound": 19.36,
                    "lower_bound_coverage": 0.27,
                    "planted": 16.03,
                    "recall": 0.2693075376747809,
                },
                "100%": {
                    "count_bias": -128.8888888888889,
                    "false_flag_rate": None,
                    "lower_bound": 55.0,
                    "lower_bound_coverage": 1.0,
                    "planted": 164.0,
                    "recall": 0.4817073170731707,
                },
                "50%": {
                    "count_bias": -50.79666666666668,
                    "false_flag_rate": 0.1832356678496451,
                    "lower_bound": 23.0,
                    "lower_bound_coverage": 1.0,
                    "planted": 81.73,
                    "recall": 0.3010034021873865,
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
                    "count_bias": -9.087777777777786,
                    "false_flag_rate": 0.02126538973847656,
                    "lower_bound": 3.6,
                    "lower_bound_coverage": 1.0,
                    "planted": 16.03,
                    "recall": 0.4696793145290419,
                },
                "100%": {
                    "count_bias": -96.66666666666667,
                    "false_flag_rate": None,
                    "lower_bound": 87.0,
                    "lower_bound_coverage": 1.0,
                    "planted": 164.0,
                    "recall": 0.6585365853658537,
                },
                "50%": {
                    "count_bias": -39.15222222222223,
                    "false_flag_rate": 0.08804070853625862,
                    "lower_bound": 35.35,
                    "lower_bound_coverage": 1.0,
                    "planted": 81.73,
                    "recall": 0.5515331313955365,
                },
            },
        },
        "false_flag_rate": 0.2621951219512195,
        "n_items": 164,
        "n_null": 500,
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
                "count_bias": 24.81,
                "false_flag_rate": 0.23789552488434268,
                "lower_bound": 21.33,
                "lower_bound_coverage": 0.19,
                "planted": 16.03,
                "recall": 0.35576582222050995,
            },
            "100%": {
                "count_bias": -74.0,
                "false_flag_rate": None,
                "lower_bound": 56.0,
                "lower_bound_coverage": 1.0,
                "planted": 164.0,
                "recall": 0.6158536585365854,
            },
            "50%": {
                "count_bias": -22.75,
                "false_flag_rate": 0.2648595049428399,
                "lower_bound": 26.29,
                "lower_bound_coverage": 1.0,
                "planted": 81.73,
                "recall": 0.4713330542906111,
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
                "count_bias": -9.129999999999999,
                "false_flag_rate": 0.037187123027481735,
                "lower_bound": 4.93,
                "lower_bound_coverage": 1.0,
                "planted": 16.03,
                "recall": 0.4314417719120741,
            },
            "100%": {
                "count_bias": -48.0,
                "false_flag_rate": None,
                "lower_bound": 86.0,
                "lower_bound_coverage": 1.0,
                "planted": 164.0,
                "recall": 0.7926829268292683,
            },
            "50%": {
                "count_bias": -23.21,
                "false_flag_rate": 0.1598116725096907,
                "lower_bound": 39.85,
                "lower_bound_coverage": 1.0,
                "planted": 81.73,
                "recall": 0.6649686095432163,
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
