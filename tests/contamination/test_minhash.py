"""MinHash and LSH against their known behaviour (simulation with known Jaccard similarity)."""

import numpy as np
import pytest

from assay._core import InputError
from assay.contamination import MinHasher, lsh_candidates


def pair_with_jaccard(rng, j: float, union: int = 400):
    """Two shingle sets with Jaccard similarity exactly j: |A & B| = j * |A | B|."""
    shared = int(round(j * union))
    only_a = (union - shared) // 2
    pool = rng.choice(2**62, size=union, replace=False).astype(np.uint64)
    a = pool[: shared + only_a]
    b = np.concatenate([pool[:shared], pool[shared + only_a :]])
    return a, b


def sigs(mh, sets):
    sh = np.concatenate(sets)
    owner = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    return mh.signatures_from_shingles(sh, owner, len(sets))


def test_estimate_is_unbiased_with_binomial_error():
    # Broder (1997): share of equal signature entries ~ Binomial(num_perm, J) / num_perm
    rng = np.random.default_rng(0)
    mh = MinHasher(num_perm=128, bands=16)
    for j in (0.1, 0.5, 0.8, 0.95):
        est = []
        for _ in range(40):
            s = sigs(mh, pair_with_jaccard(rng, j))
            est.append(np.mean(s[0] == s[1]))
        se = np.sqrt(j * (1 - j) / 128 / 40)
        assert abs(np.mean(est) - j) < 4 * se
        assert np.std(est) == pytest.approx(np.sqrt(j * (1 - j) / 128), rel=0.35)


def test_lsh_candidate_rate_follows_the_s_curve():
    # Leskovec, Rajaraman & Ullman, Mining of Massive Datasets, 3.4: P = 1 - (1 - s^r)^b
    rng = np.random.default_rng(1)
    mh = MinHasher(num_perm=64, bands=16)  # r = 4
    for s in (0.3, 0.5, 0.7):
        hits = 0
        trials = 150
        for _ in range(trials):
            sig = sigs(mh, pair_with_jaccard(rng, s))
            keys = mh.band_keys(sig)
            docs, items = lsh_candidates(keys[1:], keys[:1])
            hits += len(docs) > 0
        p = 1 - (1 - s**4) ** 16
        assert abs(hits / trials - p) < 4 * np.sqrt(p * (1 - p) / trials) + 0.02


def test_texts_and_near_duplicates():
    mh = MinHasher(num_perm=128, bands=32, shingle=3)
    base = " ".join(f"word{i}" for i in range(200))
    near = base.replace("word100", "other")
    far = " ".join(f"word{i}" for i in range(300, 500))
    sig = mh.signatures([base, near, far, "", "just two"])
    assert np.mean(sig[0] == sig[1]) > 0.9
    assert np.mean(sig[0] == sig[2]) < 0.1
    assert np.all(sig[3] == np.uint64(2**64 - 1))  # empty text
    assert np.any(sig[4] != np.uint64(2**64 - 1))  # shorter than a shingle: one shingle
    docs, items = lsh_candidates(mh.band_keys(sig[1:3]), mh.band_keys(sig[:1]))
    assert docs.tolist() == [0] and items.tolist() == [0]


def test_errors():
    with pytest.raises(
        InputError, match="`num_perm` must be a multiple of `bands`; got num_perm=100, bands=16"
    ):
        MinHasher(num_perm=100, bands=16)
    with pytest.raises(InputError, match=r"`threshold` must be in \[0, 1\]; got 1.5"):
        MinHasher(threshold=1.5)
    with pytest.raises(InputError, match="`shingle` must be an integer >= 1; got 0"):
        MinHasher(shingle=0)
