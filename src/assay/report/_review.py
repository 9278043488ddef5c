"""The item audit on the long table, and the human-review round trip.

``audit_responses`` turns one task of the long table into the arrays :func:`assay.labels.audit_items`
takes (answers as integer codes, per-choice probabilities, question text); ``write_suspects`` writes
the suspects for reviewers as CSV or JSON; ``read_review`` reads the reviewed file back and
``apply_review`` re-scores the long table with the confirmed errors left out or corrected.

Review file columns: ``item`` (required), ``task`` (required when the results hold several
tasks), ``verdict`` and ``corrected``. Verdicts:

- ``error``: the gold answer is wrong. With a ``corrected`` answer, every response to the item is
  re-scored against it (1 when the prediction equals it, else 0; a response without a prediction
  is wrong whatever the gold answer, so it scores 0 and stays: the item set does not change);
  without one the item is left out. ``corrected`` must be an answer the item can have (one of
  its targets or predictions, or a choice letter/index when the logs have per-choice
  log-probabilities); anything else is refused, naming the record.
- ``ambiguous`` or ``broken``: the item has no single right answer; it is left out.
- ``ok``: the gold answer is right; nothing changes.
- empty or ``unsure``: not reviewed; nothing changes.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay._core import InputError
from assay.io import ReadResult
from assay.labels import ItemAuditResult, audit_items

__all__ = [
    "VERDICTS",
    "AuditInput",
    "ReviewOutcome",
    "ReviewSummary",
    "apply_review",
    "apply_review_file",
    "review_result",
    "audit_input",
    "audit_responses",
    "read_review",
    "suspect_rows",
    "write_suspects",
]

VERDICTS = {"error": "error", "wrong": "error", "ambiguous": "exclude", "broken": "exclude",
            "ok": "ok", "correct": "ok", "": "none", "unsure": "none"}  # fmt: skip
"""Accepted verdicts (case-insensitive) and what each does."""

SUSPECT_COLUMNS = ("task", "item", "subject", "gold", "competing", "competing_votes", "gold_votes",
                   "n_voters", "p_wrong", "suspicion", "reasons", "question", "verdict",
                   "corrected")  # fmt: skip


# --------------------------------------------------------------------------------------------
# From the long table to the audit's arrays
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AuditInput:
    """One task of the long table as arrays: what :func:`assay.labels.audit_items` takes."""

    task: str
    metric: str
    models: tuple[str, ...]
    items: tuple[str, ...]
    answers: tuple[str, ...]
    predictions: np.ndarray  # (n_models, n_items) codes into answers, -1 none
    gold: np.ndarray  # (n_items,) codes, -1 none
    choice_probs: np.ndarray | None  # (n_models, n_items, n_choices), NaN where absent
    gold_index: np.ndarray | None  # (n_items,) gold choice index, -1 where unknown
    questions: tuple[str | None, ...]
    n_rows: int
    subjects: tuple[str | None, ...] = ()


def _codes(column: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list]:
    """Dictionary codes (-1 for null) and the dictionary."""
    enc = pc.dictionary_encode(column)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    idx = np.asarray(pc.fill_null(enc.indices, -1), dtype=np.int64)
    return idx, enc.dictionary.to_pylist()


def _choice_index(gold: np.ndarray) -> np.ndarray:
    """Gold choice index from a target that is an integer ('2') or a letter ('C'); -1 otherwise."""
    text = np.char.upper(gold.astype(str))
    digits = np.char.isdigit(text)
    out = np.full(gold.size, -1, dtype=np.int64)
    out[digits] = text[digits].astype(np.int64)
    letter = (np.char.str_len(text) == 1) & np.char.isalpha(text) & (text >= "A") & (text <= "Z")
    out[letter] = (
        np.frombuffer(text[letter].astype("S1").tobytes(), dtype=np.uint8).astype(np.int64) - 65
    )
    return out


def _pick(table: pa.Table, column: str, value: str | None, what: str) -> str:
    values = sorted(set(pc.unique(table.column(column)).to_pylist()))
    if value is None:
        if len(values) != 1:
            raise InputError(
                f"the results hold several {what}s ({', '.join(values)}); choose one with `{column}`."
            )
        return values[0]
    if value not in values:
        raise InputError(
            f"`{column}` {value!r} is not in the results; they hold: {', '.join(values) or 'none'}."
        )
    return value


def _sorted_codes(column: pa.ChunkedArray) -> tuple[np.ndarray, tuple[str, ...]]:
    codes, names = _codes(column)
    order = np.argsort(np.array(names, dtype=object))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[codes], tuple(names[k] for k in order)


@dataclasses.dataclass(frozen=True)
class _LogProbs:
    row: np.ndarray  # row of each flattened value
    pos: np.ndarray  # choice position of each value
    value: np.ndarray
    argmax: np.ndarray  # per row, -1 where the row has none
    width: int


def _logprobs(col: pa.ChunkedArray, n_rows: int) -> _LogProbs | None:
    """Flatten per-choice log-probabilities; softmax and arg-max per row, vectorised."""
    if col.null_count == n_rows:
        return None
    col = col.combine_chunks()
    lens = np.asarray(pc.fill_null(pc.list_value_length(col), 0), dtype=np.int64)
    value = np.asarray(pc.list_flatten(col), dtype=np.float64)
    has = np.flatnonzero(lens > 0)
    if has.size == 0:
        return None
    row = np.repeat(np.arange(n_rows), lens)
    starts = np.concatenate([[0], np.cumsum(lens[has])[:-1]])
    top = np.maximum.reduceat(value, starts)
    shifted = np.exp(value - np.repeat(top, lens[has]))
    total = np.add.reduceat(shifted, starts)
    pos = np.arange(value.size) - np.repeat(starts, lens[has])
    at_max = np.flatnonzero(value == np.repeat(top, lens[has]))
    first_rows, first = np.unique(row[at_max], return_index=True)
    argmax = np.full(n_rows, -1, dtype=np.int64)
    argmax[first_rows] = pos[at_max[first]]
    return _LogProbs(row, pos, shifted / np.repeat(total, lens[has]), argmax, int(lens.max()))


def audit_input(
    responses: pa.Table, *, task: str | None = None, metric: str | None = None
) -> AuditInput:
    """Arrange one task's predictions, gold answers and choice probabilities for the audit.

    Rows of sample 0 are used. A row without a prediction but with ``choice_logprobs`` gets the
    arg-max choice as its prediction, written the way the task's targets are (index or letter).
    Targets must agree across models; an item whose target differs raises.
    """
    task = _pick(responses, "task", task, "task")
    t = responses.filter(pc.equal(responses.column("task"), task))
    metric = _pick(t, "metric", metric, "metric")
    t = t.filter(pc.and_(pc.equal(t.column("metric"), metric), pc.equal(t.column("sample"), 0)))
    n_rows = t.num_rows
    mi, models = _sorted_codes(t.column("model"))
    ii, items = _sorted_codes(t.column("item"))
    target = pc.utf8_trim_whitespace(t.column("target").combine_chunks())
    pred = pc.utf8_trim_whitespace(t.column("prediction").combine_chunks())
    lp = _logprobs(t.column("choice_logprobs"), n_rows)
    if lp is not None and pred.null_count:
        tgt = np.asarray(target.to_numpy(zero_copy_only=False), dtype=object)
        known = np.unique(tgt[np.not_equal(tgt, None)].astype(str))
        letters = bool(np.char.isalpha(known).any()) if known.size else False
        derived = np.where(lp.argmax >= 0, lp.argmax, 0)
        as_text = np.array([chr(65 + k) for k in range(26)] if letters else [str(k) for k in range(lp.width)],
                           dtype=object)[np.minimum(derived, (25 if letters else lp.width - 1))]  # fmt: skip
        fill = pa.array(np.where(lp.argmax >= 0, as_text, None), pa.string())
        pred = pc.coalesce(pred, fill)
    codes, answers = _codes(pa.concat_arrays([pred.cast(pa.string()), target.cast(pa.string())]))
    p_codes, t_codes = codes[:n_rows], codes[n_rows:]
    predictions = np.full((len(models), len(items)), -1, dtype=np.int64)
    predictions[mi, ii] = p_codes
    gold = _item_gold(t_codes, ii, len(items), task, items, answers)
    probs = gold_index = None
    if lp is not None and lp.width >= 2:
        probs = np.full((len(models), len(items), lp.width), np.nan)
        probs[mi[lp.row], ii[lp.row], lp.pos] = lp.value
        gold_index = _choice_index(
            np.array([answers[g] if g >= 0 else "" for g in gold], dtype=object)
        )
    return AuditInput(task, metric, models, items, tuple(map(str, answers)), predictions, gold, probs, gold_index,
                      _item_text(t, ii, len(items)), n_rows,
                      _item_text(t, ii, len(items), "subject"))  # fmt: skip


def _item_gold(
    t_codes: np.ndarray, ii: np.ndarray, n: int, task: str, items: tuple, answers: list
) -> np.ndarray:
    """One gold code per item (-1 without one); an item with two different targets raises."""
    has = t_codes >= 0
    pairs = np.unique(np.stack([ii[has], t_codes[has]]), axis=1)
    dup = np.flatnonzero(np.diff(pairs[0]) == 0)
    if dup.size:
        k = int(pairs[0, dup[0]])
        raise InputError(f"task {task!r}: item {items[k]!r} has different targets across models "
                         f"({answers[pairs[1, dup[0]]]!r} and {answers[pairs[1, dup[0] + 1]]!r}); "
                         "the audit needs one gold answer per item.", field="target")  # fmt: skip
    gold = np.full(n, -1, dtype=np.int64)
    gold[pairs[0]] = pairs[1]
    return gold


def _item_text(
    t: pa.Table, ii: np.ndarray, n: int, column: str = "input"
) -> tuple[str | None, ...]:
    """The first non-null value of ``column`` for each item (question text, subject)."""
    col = t.column(column)
    if col.null_count == t.num_rows:
        return (None,) * n
    rows = np.flatnonzero(~np.asarray(col.is_null()))
    first_items, first = np.unique(ii[rows], return_index=True)
    out = np.full(n, None, dtype=object)
    out[first_items] = col.take(pa.array(rows[first])).to_pylist()
    return tuple(out.tolist())


def audit_responses(
    responses: pa.Table,
    *,
    task: str | None = None,
    metric: str | None = None,
    blind: Any = None,
    **options: Any,
) -> tuple[ItemAuditResult, AuditInput]:
    """:func:`assay.labels.audit_items` on one task of the long table (items with a gold answer).

    ``blind`` names baseline models; ``options`` go to ``audit_items`` (``n_choices``,
    ``prior_error``, ``threshold``, ``weights``, ...). Choice probabilities are used when the
    logs have ``choice_logprobs``.
    """
    data = audit_input(responses, task=task, metric=metric)
    keep = np.flatnonzero(data.gold >= 0)
    if keep.size == 0:
        raise InputError(f"task {data.task!r} has no target (gold answer) in the results; the audit needs one.",
                         field="target")  # fmt: skip
    if blind is not None:
        unknown = sorted(set(blind) - set(data.models))
        if unknown:
            raise InputError(f"blind baseline(s) {', '.join(map(repr, unknown))} are not among the models of task "
                             f"{data.task!r}: {', '.join(data.models)}.")  # fmt: skip
    if keep.size < data.gold.size:
        data = _subset_items(data, keep)
    extra = {}
    if data.choice_probs is not None and "choice_probs" not in options:
        extra = {"choice_probs": data.choice_probs, "gold_index": data.gold_index}
    result = audit_items(data.predictions, data.gold, models=data.models, items=data.items, answers=data.answers,
                         blind=blind, **extra, **options)  # fmt: skip
    return result, data


def _subset_items(data: AuditInput, keep: np.ndarray) -> AuditInput:
    return dataclasses.replace(
        data, items=tuple(data.items[k] for k in keep), predictions=data.predictions[:, keep], gold=data.gold[keep],
        choice_probs=None if data.choice_probs is None else data.choice_probs[:, keep],
        gold_index=None if data.gold_index is None else data.gold_index[keep],
        questions=tuple(data.questions[k] for k in keep),
        subjects=tuple(data.subjects[k] for k in keep) if data.subjects else (),
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Suspects out, reviews in
# --------------------------------------------------------------------------------------------


def suspect_rows(
    result: ItemAuditResult, data: AuditInput, *, top: int | None = None
) -> list[dict[str, Any]]:
    """One row per suspect for reviewers (the columns of :data:`SUSPECT_COLUMNS`)."""
    index = {it: k for k, it in enumerate(data.items)}
    rows = []
    for s in result.suspects(top):
        rows.append({
            "task": data.task, "item": s["item"],
            "subject": (data.subjects[index[s["item"]]] if data.subjects else None) or "",
            "gold": s["gold"], "competing": s["competing"] or "",
            "competing_votes": s["competing_votes"], "gold_votes": s["gold_votes"], "n_voters": s["n_voters"],
            "p_wrong": round(s["p_wrong"], 4), "suspicion": round(s["suspicion"], 4),
            "reasons": "; ".join(r["text"] for r in s["reasons"]),
            "question": data.questions[index[s["item"]]] or "", "verdict": "", "corrected": "",
        })  # fmt: skip
    return rows


def write_suspects(rows: list[dict[str, Any]], path: str | os.PathLike) -> str:
    """Write suspect rows as CSV (``.csv``, ``.tsv``) or JSON (``.json``); return the path."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".tsv", ".json"):
        raise InputError(
            f"the suspects file must end in .csv, .tsv or .json; got {p.name!r}.", path=str(p)
        )
    if suffix == ".json":
        p.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return str(p)
    with p.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=list(SUSPECT_COLUMNS), delimiter="\t" if suffix == ".tsv" else ","
        )
        writer.writeheader()
        writer.writerows(rows)
    return str(p)


@dataclasses.dataclass(frozen=True)
class _Verdict:
    task: str | None
    item: str
    action: str  # 'error', 'exclude', 'ok', 'none'
    corrected: str | None
    record: int


def _review_records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise InputError("a review JSON file must hold a list of objects.", path=str(path))
            return [(k + 1, r) for k, r in enumerate(data)]
        if suffix in (".csv", ".tsv"):
            with path.open(newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
                return [(k + 2, r) for k, r in enumerate(reader)]  # line 1 is the header
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read the review file: {exc}", path=str(path)) from None
    raise InputError(
        f"the review file must end in .csv, .tsv or .json; got {path.name!r}.", path=str(path)
    )


def read_review(path: str | os.PathLike) -> list[_Verdict]:
    """Read a reviewed suspects file; errors name the file, the line (record) and the field."""
    p = Path(path)
    if not p.is_file():
        raise InputError("no such review file.", path=str(p))
    out = []
    for line, rec in _review_records(p):
        item = rec.get("item")
        if item is None or str(item).strip() == "":
            raise InputError(
                "every reviewed row needs an item id.", path=str(p), record=line, field="item"
            )
        verdict = str(rec.get("verdict") or "").strip().lower()
        if verdict not in VERDICTS:
            raise InputError(f"unknown verdict {rec.get('verdict')!r}; use one of: "
                             f"{', '.join(repr(v) for v in VERDICTS if v)} (or leave it empty).",
                             path=str(p), record=line, field="verdict")  # fmt: skip
        corrected = str(rec.get("corrected") or "").strip() or None
        action = VERDICTS[verdict]
        if corrected is not None and action != "error":
            raise InputError(f"a corrected answer ({corrected!r}) needs the verdict 'error'; got {verdict or 'none'!r}.",
                             path=str(p), record=line, field="corrected")  # fmt: skip
        task = str(rec.get("task") or "").strip() or None
        out.append(_Verdict(task, str(item).strip(), action, corrected, line))
    return out


@dataclasses.dataclass(frozen=True)
class ReviewSummary:
    """What a review changed."""

    source: str
    reviewed: int
    confirmed_errors: int
    corrected: int
    excluded_items: int
    confirmed_ok: int
    rows_rescored: int
    rows_removed: int
    unmatched: tuple[str, ...]
    rows_unanswered: int = 0

    def note(self) -> str:
        text = (f"Human review ({self.source}): {self.reviewed} item verdict(s); {self.confirmed_errors} confirmed "
                f"label error(s), {self.corrected} re-scored against the corrected answer, "
                f"{self.excluded_items} item(s) left out; {self.confirmed_ok} confirmed correct. "
                f"{self.rows_rescored} response(s) re-scored ({self.rows_unanswered} without a prediction scored 0), "
                f"{self.rows_removed} removed with the items left out.")  # fmt: skip
        if self.unmatched:
            text += f" {len(self.unmatched)} reviewed item(s) are not in these results (e.g. {', '.join(self.unmatched[:3])})."
        return text


def apply_review(
    responses: pa.Table, review: list[_Verdict] | str | os.PathLike, *, source: str | None = None
) -> tuple[pa.Table, ReviewSummary]:
    """Re-score the long table with a review's confirmed errors corrected or left out.

    Returns the new table and a :class:`ReviewSummary` (its ``note()`` says what changed).
    """
    if not isinstance(review, list):
        source = source or Path(review).name
        review = read_review(review)
    tasks = sorted(v for v in pc.unique(responses.column("task")).to_pylist() if v is not None)
    key = pc.binary_join_element_wise(responses.column("task"), responses.column("item"), "\x1f")
    present = set(pc.unique(key).to_pylist())
    drop, fix, unmatched, seen = set(), {}, [], set()
    for v in review:
        if v.task is None and len(tasks) > 1:
            raise InputError(f"the results hold several tasks ({', '.join(tasks)}); say which in a 'task' column.",
                             path=source, record=v.record, field="task")  # fmt: skip
        k = f"{v.task or tasks[0]}\x1f{v.item}"
        if k in seen:
            raise InputError(
                f"item {v.item!r} is reviewed twice.", path=source, record=v.record, field="item"
            )
        seen.add(k)
        if k not in present:
            unmatched.append(v.item)
        elif v.action == "exclude" or (v.action == "error" and v.corrected is None):
            drop.add(k)
        elif v.action == "error":
            fix[k] = v.corrected
    _check_corrections(responses, key, fix, review, source)
    out, rescored, removed, unanswered = _rescore(responses, key, drop, fix)
    errors = sum(v.action == "error" for v in review)
    summary = ReviewSummary(source or "review", sum(v.action != "none" for v in review), errors, len(fix),
                            len(drop), sum(v.action == "ok" for v in review), rescored, removed,
                            tuple(unmatched), unanswered)  # fmt: skip
    return out, summary


def _answers_of(t: pa.Table, key: pa.ChunkedArray, k: str) -> set[str]:
    """The answers item ``k`` can have: its targets and predictions, and choice labels."""
    rows = t.filter(pc.equal(key, k))
    seen = set()
    for col in ("target", "prediction"):
        seen |= {str(v).strip() for v in rows.column(col).to_pylist() if v is not None}
    widths = pc.list_value_length(rows.column("choice_logprobs")).to_pylist()
    width = max((w for w in widths if w is not None), default=0)
    if width:
        letters = any(v.isalpha() for v in seen)
        seen |= {chr(65 + j) for j in range(min(width, 26))} if letters else set()
        seen |= {str(j) for j in range(width)} if not letters else set()
    return seen


def _check_corrections(t, key, fix: dict, review: list, source) -> None:
    record = {f"{v.task or ''}\x1f{v.item}": v.record for v in review}
    for k, corrected in fix.items():
        allowed = _answers_of(t, key, k)
        if str(corrected).strip() not in allowed:
            task, item = k.split("\x1f", 1)
            shown = ", ".join(sorted(allowed)[:12]) or "none"
            raise InputError(
                f"item {item!r}: the corrected answer {corrected!r} is not an answer this item can "
                f"have (seen: {shown}).",
                path=source,
                record=record.get(k, record.get(f"\x1f{item}")),
                field="corrected",
            )


def _rescore(
    t: pa.Table, key: pa.ChunkedArray, drop: set, fix: dict
) -> tuple[pa.Table, int, int, int]:
    """Drop the excluded items; re-score the corrected ones (no prediction: wrong, score 0)."""
    if not drop and not fix:
        return t, 0, 0, 0
    in_drop = (
        np.asarray(pc.is_in(key, pa.array(sorted(drop), pa.string())))
        if drop
        else np.zeros(t.num_rows, bool)
    )
    in_fix = (
        np.asarray(pc.is_in(key, pa.array(sorted(fix), pa.string())))
        if fix
        else np.zeros(t.num_rows, bool)
    )
    keep = ~in_drop
    rows = np.flatnonzero(in_fix & keep)
    unanswered = 0
    if rows.size:
        pred = _predictions(t.take(pa.array(rows)))
        null = np.asarray(t.column("score").is_null()).copy()
        score = np.asarray(pc.fill_null(t.column("score"), np.nan), dtype=np.float64).copy()
        target = np.asarray(t.column("target").to_numpy(zero_copy_only=False), dtype=object).copy()
        new = np.array([fix[k] for k in key.take(pa.array(rows)).to_pylist()], dtype=object)
        answered = np.array([p is not None for p in pred])
        same = np.array([p is not None and p == str(c) for p, c in zip(pred, new, strict=True)])
        score[rows] = same.astype(np.float64)  # a missing prediction is wrong whatever the gold
        unanswered = int((~answered).sum())
        null[rows] = False
        target[rows] = new
        t = t.set_column(
            t.schema.get_field_index("score"), "score", pa.array(score, pa.float64(), mask=null)
        )
        t = t.set_column(
            t.schema.get_field_index("target"), "target", pa.array(target, pa.string())
        )
    return t.filter(pa.array(keep)), int(rows.size), int((~keep).sum()), unanswered


def _predictions(rows: pa.Table) -> list[str | None]:
    """Each row's answer: its prediction, else the arg-max choice of its log-probabilities (written
    as the targets are, letter or index), else None (no answer)."""
    pred = [None if p is None else str(p).strip() for p in rows.column("prediction").to_pylist()]
    lps = rows.column("choice_logprobs").to_pylist()
    targets = [str(x) for x in rows.column("target").to_pylist() if x is not None]
    letters = any(x.strip().isalpha() for x in targets)
    for j, (p, lp) in enumerate(zip(pred, lps, strict=True)):
        if p is None and lp:
            k = int(np.argmax(np.asarray(lp, dtype=float)))
            pred[j] = chr(65 + k) if letters else str(k)
    return pred


@dataclasses.dataclass(frozen=True)
class ReviewOutcome:
    """A review applied to results: what changed, each item's verdict, and the results before."""

    summary: ReviewSummary
    verdicts: dict[tuple[str, str], str]  # (task, item) -> 'error' | 'exclude' | 'ok'
    before: ReadResult


def review_result(result: ReadResult, path: str | os.PathLike) -> tuple[ReadResult, ReviewOutcome]:
    """The results re-scored by a review file, and the :class:`ReviewOutcome` the report shows."""
    review = read_review(path)
    table, summary = apply_review(result.responses, review, source=Path(path).name)
    tasks = sorted(
        v for v in pc.unique(result.responses.column("task")).to_pylist() if v is not None
    )
    verdicts = {
        (v.task or (tasks[0] if tasks else ""), v.item): v.action
        for v in review
        if v.action != "none"
    }
    after = dataclasses.replace(result, responses=table, notes=[*result.notes, summary.note()])
    return after, ReviewOutcome(summary=summary, verdicts=verdicts, before=result)


def apply_review_file(result: ReadResult, path: str | os.PathLike) -> ReadResult:
    """``assay report --review FILE``: the results re-scored by the review, with a note that says so."""
    return review_result(result, path)[0]
