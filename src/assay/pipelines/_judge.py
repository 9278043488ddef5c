"""An LLM judge over embedding candidates, through any OpenAI-compatible chat endpoint.

As in LLM-decontaminator (Yang et al. 2023, arXiv:2311.04850): the embedding stage proposes the
training documents closest to a test item and a strong model decides whether each is the same
item rephrased. The API key is read from an environment variable at call time and is never
written to the cache, a manifest, a log or the report.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

from assay._core import InputError

__all__ = ["JudgeConfig", "judge_candidates", "judge_preview", "redact", "safe_url"]

PROMPT = (
    "You compare a benchmark test item with a document from a training set. Answer True if the "
    "document is the same problem as the test item, possibly rephrased, translated, with renamed "
    "variables or reordered sentences; answer False if it is a different problem. Answer with "
    "the single word True or False.\n\nTest item:\n{item}\n\nTraining document:\n{doc}\n"
)
_MAX_CHARS = 6000
_ANSWER = re.compile(r"^\W*(true|false)\b", re.IGNORECASE)
# A bearer token, or a key of the usual shape (sk-..., sk-proj-...), wherever it appears.
_TOKEN = re.compile(r"(?i)\b(bearer)\s+[^\s'\"]+|\bsk-[A-Za-z0-9_\-]{8,}")
REDACTED = "[REDACTED]"


@dataclasses.dataclass(frozen=True)
class JudgeConfig:
    """Where and how to ask the judge.

    Parameters
    ----------
    base_url : str
        The endpoint's base URL, e.g. ``http://127.0.0.1:8000/v1`` (vLLM, llama.cpp) or
        ``https://api.openai.com/v1``; ``/chat/completions`` is appended.
    model : str
        Model name sent to the endpoint.
    api_key_env : str, default 'OPENAI_API_KEY'
        Environment variable holding the key (none is sent when it is unset).
    min_score : float, default 0.5
        Only candidates with at least this cosine similarity are judged.
    price_in, price_out : float, default 0
        Price per million input and output tokens, for the cost preview.
    timeout : float, default 60
    cache : str, optional
        JSONL file of verdicts keyed by a hash of model and prompt (reused across runs).
    """

    base_url: str
    model: str
    api_key_env: str = "OPENAI_API_KEY"
    min_score: float = 0.5
    price_in: float = 0.0
    price_out: float = 0.0
    timeout: float = 60.0
    cache: str | None = None

    def __post_init__(self) -> None:
        if not re.match(r"^https?://", self.base_url or ""):
            raise InputError(
                f"`base_url` must start with http:// or https://; got {self.base_url!r}."
            )
        if not self.model:
            raise InputError("`model` must name the judge model; got an empty name.")

    def to_dict(self) -> dict[str, Any]:
        """Settings without secrets (the key itself is never held here; a password or key-like
        query parameter in ``base_url`` is shown as [REDACTED])."""
        return {**dataclasses.asdict(self), "base_url": safe_url(self.base_url)}


def _pairs(
    index_inputs: Sequence[str], neighbours, min_score: float
) -> list[tuple[int, int, str, str, dict]]:
    out = []
    for i, (scores, refs) in enumerate(zip(neighbours.scores, neighbours.refs, strict=True)):
        for j, (s, ref) in enumerate(zip(scores, refs, strict=False)):
            if s >= min_score and ref.get("text") is not None:
                out.append((i, j, index_inputs[i], ref["text"], ref))
    return out


def _prompt(item: str, doc: str) -> str:
    return PROMPT.format(item=item[:_MAX_CHARS], doc=doc[:_MAX_CHARS])


def _key(model: str, prompt: str) -> str:
    return hashlib.sha256(json.dumps([model, prompt]).encode()).hexdigest()


def _load_cache(path: str | None) -> dict[str, dict[str, Any]]:
    if not path or not os.path.exists(path):
        return {}
    out = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            try:
                rec = json.loads(line)
                out[str(rec["key"])] = {
                    "verdict": rec["verdict"],
                    "answer": str(rec.get("answer", "")),
                }
            except (json.JSONDecodeError, KeyError, TypeError):
                raise InputError("not a verdict cache line.", path=path, record=n) from None
            if not isinstance(out[str(rec["key"])]["verdict"], bool):
                raise InputError(
                    "the verdict must be true or false.", path=path, record=n, field="verdict"
                )
    return out


def judge_preview(inputs: Sequence[str], neighbours, config: JudgeConfig) -> dict[str, Any]:
    """What the judge stage would cost: calls, cached verdicts, estimated tokens and price.

    Tokens are estimated as characters / 4 (input) and 2 per answer (output).
    """
    pairs = _pairs(inputs, neighbours, config.min_score)
    cache = _load_cache(config.cache)
    todo = [p for p in pairs if _key(config.model, _prompt(p[2], p[3])) not in cache]
    tokens_in = sum(len(_prompt(p[2], p[3])) for p in todo) // 4
    tokens_out = 2 * len(todo)
    cost = (tokens_in * config.price_in + tokens_out * config.price_out) / 1e6
    return {
        "n_candidates": len(pairs),
        "n_cached": len(pairs) - len(todo),
        "n_calls": len(todo),
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "cost": cost,
        "model": config.model,
        "base_url": safe_url(config.base_url),
    }


def judge_candidates(
    inputs: Sequence[str], neighbours, config: JudgeConfig
) -> dict[int, list[dict[str, Any]]]:
    """Ask the judge about every candidate; verdicts per item index.

    Each verdict is ``{"shard", "row", "score", "verdict": True/False/None, "error": str/None,
    "cached": bool}``. An endpoint that cannot be reached or answers something other than
    True/False gives ``verdict=None`` with the reason in ``error``; the other items still get
    their verdicts.
    """
    pairs = _pairs(inputs, neighbours, config.min_score)
    cache = _load_cache(config.cache)
    secret = os.environ.get(config.api_key_env) or None
    out: dict[int, list[dict[str, Any]]] = {}
    new_lines = []
    for i, j, item, doc, ref in pairs:
        prompt = _prompt(item, doc)
        key = _key(config.model, prompt)
        rec = {
            "shard": ref["shard"],
            "row": ref["row"],
            "score": float(neighbours.scores[i, j]),
            "verdict": None,
            "error": None,
            "cached": key in cache,
        }
        if key in cache:
            rec["verdict"] = cache[key]["verdict"]
        else:
            answer, error = _ask(config, prompt, secret)
            if error is None:
                m = _ANSWER.match(answer)
                if m:
                    rec["verdict"] = m.group(1).lower() == "true"
                    kept = redact(answer, secret)[:40]
                    cache[key] = {"verdict": rec["verdict"], "answer": kept}
                    new_lines.append({"key": key, "verdict": rec["verdict"], "answer": kept})
                else:
                    shown = redact(answer, secret)[:80]
                    error = f"the judge answered neither True nor False: {shown!r}"
            rec["error"] = None if error is None else redact(error, secret)
        out.setdefault(i, []).append(rec)
    if config.cache and new_lines:
        with open(config.cache, "a", encoding="utf-8") as fh:
            for line in new_lines:
                fh.write(json.dumps(line, sort_keys=True) + "\n")
    return out


def redact(text: str, secret: str | None = None) -> str:
    """``text`` with the API key and any bearer token or ``sk-...`` key replaced by [REDACTED].

    Applied to everything the judge stage stores or prints that came from the endpoint, so that a
    key echoed back (by a proxy, a debugging server or a hostile endpoint) is never written.
    """
    if secret:
        text = text.replace(secret, REDACTED)
    return _TOKEN.sub(lambda m: f"{m.group(1)} {REDACTED}" if m.group(1) else REDACTED, text)


_SECRET_PARAM = re.compile(r"(?i)key|token|secret|auth|sig|pass")


def safe_url(url: str) -> str:
    """``url`` with a userinfo password and key-like query values replaced by [REDACTED]."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", f":{REDACTED}@", 1)
    query = urllib.parse.urlencode(
        [
            (k, REDACTED if _SECRET_PARAM.search(k) else v)
            for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="[]",
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: urllib would copy ``Authorization`` to wherever it points."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, PLR0913
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def _ask(config: JudgeConfig, prompt: str, secret: str | None) -> tuple[str, str | None]:
    body = json.dumps(
        {
            "model": config.model,
            "temperature": 0,
            "max_tokens": 8,
            "messages": [{"role": "user", "content": prompt}],
        }
    ).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    url = config.base_url.rstrip("/") + "/chat/completions"
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(req, timeout=config.timeout) as resp:
            data = json.loads(resp.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            target = _origin(urllib.parse.urljoin(url, exc.headers.get("Location") or ""))
            return "", (
                f"the judge endpoint answered HTTP {exc.code}, a redirect to {target}; redirects "
                "are not followed (the key is sent only to the URL given): pass the final URL"
            )
        return "", f"the judge endpoint answered HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return "", f"the judge endpoint could not be reached ({type(reason).__name__})"
    except (json.JSONDecodeError, RecursionError):
        return "", "the judge endpoint did not answer JSON"
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return "", "the judge's answer has no choices[0].message.content"
    if not isinstance(content, str):
        return "", "the judge's answer content is not text"
    return content.strip(), None
