"""The judge's key never leaves for another host and is never stored (issue 14).

Two tiny HTTP servers on 127.0.0.1 (different ports, so different origins): the endpoint the user
named redirects to the other one, or echoes the key back in its answer. No outside network.
"""

import http.server
import json
import threading

import numpy as np
import pytest

from assay.contamination import TopK
from assay.pipelines import JudgeConfig, judge_candidates, judge_preview
from assay.pipelines._judge import redact, safe_url

SECRET = "sk-test-never-leaves-0123456789abcdef"


def _serve(handler):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class Other(http.server.BaseHTTPRequestHandler):
    """The host a hostile or misconfigured endpoint redirects to: records what it receives."""

    seen: list = []

    def _record(self):
        Other.seen.append(dict(self.headers))
        data = json.dumps({"choices": [{"message": {"content": "True"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _record  # noqa: N815

    def log_message(self, *args):
        pass


def _endpoint(mode, other_url):
    class Endpoint(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            if mode.startswith("redirect"):
                self.send_response(int(mode[-3:]))
                self.send_header("Location", other_url + "/v1/chat/completions")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            auth = self.headers.get("Authorization", "")
            content = f"{'True ' if mode == 'echo-true' else ''}I got {auth}; key={SECRET}"
            data = json.dumps({"choices": [{"message": {"content": content}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Endpoint


@pytest.fixture
def other():
    Other.seen = []
    srv = _serve(Other)
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _run(mode, other_url, tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGE_KEY", SECRET)
    srv = _serve(_endpoint(mode, other_url))
    try:
        cfg = JudgeConfig(
            base_url=f"http://127.0.0.1:{srv.server_address[1]}/v1",
            model="m",
            api_key_env="JUDGE_KEY",
            cache=str(tmp_path / "cache.jsonl"),
        )
        refs = [[{"shard": 0, "row": 0, "text": "doc"}]]
        return judge_candidates(["item"], TopK(np.array([[0.9]]), refs), cfg)
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_to_another_host_never_gets_the_key(code, other, tmp_path, monkeypatch):
    out = _run(f"redirect{code}", other, tmp_path, monkeypatch)
    # urllib follows 301/302/303 and copies Authorization: the other port got "Bearer sk-..."
    assert Other.seen == []
    rec = out[0][0]
    assert rec["verdict"] is None
    assert rec["error"] == (
        f"the judge endpoint answered HTTP {code}, a redirect to {other}; redirects are not "
        "followed (the key is sent only to the URL given): pass the final URL"
    )


@pytest.mark.parametrize("mode", ["echo", "echo-true"])
def test_an_echoed_key_is_never_stored(mode, other, tmp_path, monkeypatch):
    out = _run(mode, other, tmp_path, monkeypatch)
    rec = out[0][0]
    stored = json.dumps(out)
    cache = (tmp_path / "cache.jsonl").read_text() if mode == "echo-true" else ""
    for text in (stored, cache):
        assert SECRET not in text and "Bearer sk-" not in text
    if mode == "echo":
        assert rec["error"].startswith("the judge answered neither True nor False: 'I got Bearer")
        assert "[REDACTED]" in rec["error"]
    else:
        assert rec["verdict"] is True and "[REDACTED]" in cache


def test_redact():
    assert redact(f"x {SECRET} y", SECRET) == "x [REDACTED] y"
    assert redact("Authorization: Bearer abc.def-ghi", None) == "Authorization: Bearer [REDACTED]"
    assert redact("key sk-proj-AbCdEf123456 here") == "key [REDACTED] here"
    assert redact("a normal answer: True") == "a normal answer: True"


def test_a_key_in_the_url_is_not_shown():
    url = f"https://user:{SECRET}@judge.example/v1?api_key={SECRET}&model=m"
    cfg = JudgeConfig(base_url=url, model="m")
    refs = [[{"shard": 0, "row": 0, "text": "doc"}]]
    preview = judge_preview(["item"], TopK(np.array([[0.9]]), refs), cfg)
    for shown in (cfg.to_dict()["base_url"], preview["base_url"]):
        assert SECRET not in shown
        assert shown == "https://user:[REDACTED]@judge.example/v1?api_key=[REDACTED]&model=m"
    assert safe_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"
