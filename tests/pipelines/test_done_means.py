"""The issue's checks on the llm-decontaminator data (Yang et al. 2023, arXiv:2311.04850).

- HumanEval problems planted verbatim into other code are all found; the clean code corpus
  (CodeAlpaca) gets no n-gram flag.
- On the Python rephrasings of HumanEval, the n-gram stage finds few and the embedding stage many.
- On CodeAlpaca, the embedding stage's top-1 candidates above its threshold are checked against the
  paper's GPT-4 judge verdicts shipped with the data (18 True here; 21 in the paper).
"""

import http.server
import json
import os
import re
import threading

import numpy as np
import pytest

from assay.contamination import build_index
from assay.pipelines import JudgeConfig, ScanOptions, run_scan

from .conftest import DATA

pytestmark = pytest.mark.slow


def load(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def split(problem: str) -> tuple[str, str]:
    """HumanEval prompt (up to the docstring's end) and canonical solution."""
    ends = [m.end() for m in re.finditer(r"(\"\"\"|''')\s*\n", problem)]
    return problem[: ends[-1]], problem[ends[-1] :]


@pytest.fixture(scope="module")
def data():
    he = [r["text"] for r in load("HumanEval.jsonl")]
    ca = load("CodeAlpacaDB.jsonl")
    return {
        "he": he,
        "py": [r["text"] for r in load("humaneval_python.jsonl")],
        "train": sorted({r["train"][0] for r in ca}),
        "verdict": [r["results"][0] for r in ca],
        "pair": [r["train"][0] for r in ca],
    }


def write(path, texts):
    with open(path, "w", encoding="utf-8") as fh:
        for t in texts:
            fh.write(json.dumps({"text": t}) + "\n")
    return str(path)


def test_planted_found_and_clean_corpus_unflagged(tmp_path, data):
    prompts, solutions = zip(*map(split, data["he"]), strict=True)
    idx = build_index(prompts, targets=solutions, benchmarks="humaneval")
    train = data["train"]
    planted = [
        train[i % len(train)] + "\n\n" + data["he"][i] + "\n" + train[(i + 7) % len(train)]
        for i in range(164)
    ]
    res = run_scan(write(tmp_path / "dirty.jsonl", planted + train), idx, workers=1)
    assert res.counts()["input_and_answer"] == 164
    clean = run_scan(write(tmp_path / "clean.jsonl", train), idx, workers=1)
    assert clean.counts()["clean"] == 164 and clean.benchmarks[0].estimate == 0


def test_rephrasings_ngram_against_embedding_recall(tmp_path, data):
    idx = build_index(data["he"])
    res = run_scan(
        write(tmp_path / "py.jsonl", data["py"]),
        idx,
        workers=1,
        options=ScanOptions(embed=True, embed_k=1),
        embedding_threshold=0.8,
    )
    # 17 of the paper's 164 rephrasings are empty strings: recall over the 147 that exist
    has = np.array([bool(t.strip()) for t in data["py"]])
    assert has.sum() == 147
    own = [any(e["row"] == i for e in v.evidence) for i, v in enumerate(res.items)]
    own_ngram = np.mean(np.array(own)[has])
    top1_own = np.array([v.neighbours[0]["row"] == i for i, v in enumerate(res.items)])[has]
    above = np.array([v.embedding_score >= 0.8 for v in res.items])[has]
    print(
        f"rephrasings: n-gram recall {own_ngram:.3f}, embedding top-1 recall {top1_own.mean():.3f}, "
        f"at >= 0.8: {(top1_own & above).mean():.3f}"
    )
    # the paper's point: rephrasing defeats 13-gram overlap but not embedding similarity
    assert own_ngram < 0.05
    assert top1_own.mean() > 0.75 and top1_own.mean() > 10 * own_ngram


def test_codealpaca_candidates_against_the_papers_judge(tmp_path, data):
    truth = {i for i, v in enumerate(data["verdict"]) if v}
    pair_of = dict(zip(data["he"], data["pair"], strict=True))
    same = {(data["he"][i][:200], pair_of[data["he"][i]][:200]) for i in truth}

    class Judge(http.server.BaseHTTPRequestHandler):
        # answers as the paper's GPT-4 judge did for the pairs it saw; False otherwise
        def do_POST(self):  # noqa: N802
            prompt = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["messages"][
                0
            ]["content"]
            yes = any(a in prompt and b in prompt for a, b in same)
            data_ = json.dumps(
                {"choices": [{"message": {"content": "True" if yes else "False"}}]}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data_)))
            self.end_headers()
            self.wfile.write(data_)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Judge)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        judge = JudgeConfig(
            base_url=f"http://127.0.0.1:{srv.server_address[1]}/v1", model="gpt-4", min_score=0.8
        )
        idx = build_index(data["he"])
        res = run_scan(
            write(tmp_path / "ca.jsonl", data["train"]),
            idx,
            workers=1,
            judge=judge,
            options=ScanOptions(embed=True, embed_k=1, keep_text_min=0.8),
            embedding_threshold=0.8,
            out=str(tmp_path / "out"),
        )
    finally:
        srv.shutdown()
        srv.server_close()
    flagged = {i for i, v in enumerate(res.items) if "embedding" in v.stages}
    confirmed = {i for i, v in enumerate(res.items) if "judge" in v.stages}
    print(
        f"CodeAlpaca: {len(flagged)} items at top-1 cosine >= 0.8; {len(flagged & truth)} of the "
        f"{len(truth)} the paper's judge confirmed; judge stage confirms {len(confirmed)}"
    )
    assert len(flagged & truth) / len(truth) >= 0.75  # recall of the judge's positives
    assert len(flagged & truth) / len(flagged) >= 0.5  # most candidates are real
    same_doc = {
        i
        for i in flagged
        if data["train"][res.items[i].neighbours[0]["row"]] == pair_of[data["he"][i]]
    }
    assert confirmed == flagged & truth & same_doc, [
        res.items[i].judge for i in (flagged & truth & same_doc) - confirmed
    ]
    assert all(res.items[i].status == "input" for i in confirmed)
