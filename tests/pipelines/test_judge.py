"""The LLM judge against a tiny OpenAI-compatible server on 127.0.0.1 (no outside network)."""

import http.server
import json
import os
import socket
import threading

import numpy as np
import pytest

from assay._core import InputError
from assay.contamination import TopK
from assay.pipelines import JudgeConfig, judge_candidates, judge_preview

SECRET = "sk-test-never-written-0123456789"


class Handler(http.server.BaseHTTPRequestHandler):
    calls: list = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][0]["content"]
        Handler.calls.append(
            {"auth": self.headers.get("Authorization"), "path": self.path, "model": body["model"]}
        )
        if "GARBLE" in prompt:
            answer = "Well, it depends."
        elif "BROKEN" in prompt:
            self.send_response(500)
            self.end_headers()
            return
        else:
            answer = "True." if "SAME" in prompt else "False"
        data = json.dumps(
            {"choices": [{"message": {"role": "assistant", "content": answer}}]}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Handler.calls = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()
    srv.server_close()


def neighbours():
    docs = ["SAME problem rephrased", "a different problem", "GARBLE", "BROKEN", "SAME but far"]
    scores = np.array([[0.9, 0.7], [0.8, 0.6], [0.95, 0.2]])
    refs = [
        [{"shard": 0, "row": 0, "text": docs[0]}, {"shard": 0, "row": 1, "text": docs[1]}],
        [{"shard": 1, "row": 0, "text": docs[2]}, {"shard": 1, "row": 1, "text": docs[3]}],
        [{"shard": 2, "row": 0, "text": docs[4]}, {"shard": 2, "row": 1, "text": docs[1]}],
    ]
    return TopK(scores, refs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_verdicts_errors_cache_and_key(server, tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGE_KEY", SECRET)
    cache = str(tmp_path / "verdicts.jsonl")
    cfg = JudgeConfig(
        base_url=server,
        model="judge-1",
        api_key_env="JUDGE_KEY",
        cache=cache,
        min_score=0.5,
        price_in=1.0,
        price_out=2.0,
    )
    items = ["item zero", "item one", "item two"]
    preview = judge_preview(items, neighbours(), cfg)
    assert (preview["n_candidates"], preview["n_calls"], preview["n_cached"]) == (5, 5, 0)
    assert preview["cost"] == pytest.approx((preview["tokens_in"] * 1.0 + 10 * 2.0) / 1e6)
    out = judge_candidates(items, neighbours(), cfg)
    assert [r["verdict"] for r in out[0]] == [True, False]
    assert out[1][0]["verdict"] is None and "neither True nor False" in out[1][0]["error"]
    assert (
        out[1][1]["verdict"] is None
        and out[1][1]["error"] == "the judge endpoint answered HTTP 500"
    )
    assert [r["verdict"] for r in out[2]] == [True]  # the 0.2 neighbour is below min_score
    assert len(Handler.calls) == 5
    assert {c["auth"] for c in Handler.calls} == {f"Bearer {SECRET}"}
    assert {c["path"] for c in Handler.calls} == {"/v1/chat/completions"}
    # cached verdicts are not asked again; failures are
    again = judge_candidates(items, neighbours(), cfg)
    assert len(Handler.calls) == 7 and again[0][0]["cached"] and not again[1][0]["cached"]
    assert judge_preview(items, neighbours(), cfg)["n_cached"] == 3
    assert SECRET not in open(cache).read()
    assert SECRET not in json.dumps(cfg.to_dict())


def test_unreachable_judge_is_reported_per_item(tmp_path):
    cfg = JudgeConfig(
        base_url=f"http://127.0.0.1:{free_port()}/v1", model="m", timeout=2, min_score=0.85
    )
    out = judge_candidates(["a", "b", "c"], neighbours(), cfg)
    assert sorted(out) == [0, 2]  # only candidates at or above min_score
    for recs in out.values():
        for r in recs:
            assert r["verdict"] is None and r["error"].startswith(
                "the judge endpoint could not be reached"
            )


def test_config_and_cache_errors(tmp_path):
    with pytest.raises(
        InputError, match="`base_url` must start with http:// or https://; got 'ftp://x'"
    ):
        JudgeConfig(base_url="ftp://x", model="m")
    with pytest.raises(InputError, match="`model` must name the judge model"):
        JudgeConfig(base_url="http://x", model="")
    bad = tmp_path / "cache.jsonl"
    bad.write_text('{"key": "k", "verdict": "maybe"}\n')
    with pytest.raises(
        InputError, match="cache.jsonl: line 1: field 'verdict': the verdict must be true or false"
    ):
        judge_preview(
            ["a", "b", "c"],
            neighbours(),
            JudgeConfig(base_url="http://x", model="m", cache=str(bad)),
        )
    bad.write_text("not json\n")
    with pytest.raises(InputError, match="cache.jsonl: line 1: not a verdict cache line"):
        judge_preview(
            ["a", "b", "c"],
            neighbours(),
            JudgeConfig(base_url="http://x", model="m", cache=str(bad)),
        )


def test_no_key_sends_no_header(server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    judge_candidates(
        ["a", "b", "c"], neighbours(), JudgeConfig(base_url=server, model="m", min_score=0.9)
    )
    assert Handler.calls and all(c["auth"] is None for c in Handler.calls)
    assert os.environ.get("OPENAI_API_KEY") is None
