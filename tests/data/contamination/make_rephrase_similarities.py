"""Write rephrase_similarities.npz: all-MiniLM-L6-v2 cosines of the HumanEval items that the rephrase
tests need, so that they run on the real planted data without the model.

    PYTHONPATH=src python tests/data/contamination/make_rephrase_similarities.py

Embeddings as in ``python benchmarks/contamination.py --flags`` (HumanEval.jsonl texts, the
Python rephrasings, CRUXEval code and the CodeAlpaca samples the paper's judge did not confirm);
float16 (cosines change by under 1e-3).

- ``he_py`` (164, 164): item i against rephrasing j;
- ``he_crux_top``, ``he_ca_top`` (164, 30): each item's 30 largest cosines to the CRUXEval
  functions and to the unconfirmed CodeAlpaca samples (their union's top 20 is the top 20 of
  these two lists together);
- ``null_unrelated``, ``null_similar`` (500, 20): 500 documents drawn (seed 0) from CRUXEval, or
  from CRUXEval and CodeAlpaca, against the rest of that corpus (themselves and exact copies left
  out): the pseudo-queries of the empirical null (the planted rephrasings are not among them).
"""

import json
import os

import numpy as np

from assay.pipelines._embed import encode

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def top(q, docs, k, self_out=False):
    sims = q @ docs.T
    if self_out:
        sims[sims >= 1 - 1e-4] = -np.inf
    return -np.sort(-sims, axis=1)[:, :k]


def main():
    he = encode([r["text"] for r in load("HumanEval.jsonl")])
    py = encode([r["text"] for r in load("humaneval_python.jsonl")])
    ca = load("CodeAlpacaDB.jsonl")
    confirmed = {r["train"][0] for r in ca if r["results"][0]}
    crux = encode([r["code"] for r in load("cruxeval.jsonl")])
    alpaca = encode(sorted({r["train"][0] for r in ca} - confirmed))
    both = np.vstack([crux, alpaca])
    rng = np.random.default_rng(0)
    out = {
        "he_py": he @ py.T,
        "he_crux_top": top(he, crux, 30),
        "he_ca_top": top(he, alpaca, 30),
        "null_unrelated": top(crux[rng.choice(len(crux), 500, replace=False)], crux, 20, True),
        "null_similar": top(both[rng.choice(len(both), 500, replace=False)], both, 20, True),
    }
    np.savez_compressed(
        os.path.join(HERE, "rephrase_similarities.npz"),
        **{k: v.astype(np.float16) for k, v in out.items()},
    )


if __name__ == "__main__":
    main()
