"""Normalisation and recipes, against the reference code of lm-evaluation-harness and open-r1."""

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay._core import InputError
from assay.contamination import PRESETS, hash_texts, normalize, recipe, tokenize

ALPHABET = (
    string.ascii_letters
    + string.digits
    + string.punctuation
    + " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
    + "\xa0\u2003\x85\u3000"
    + "ÉéßİıΣς中文"
    + "\x01\x07"
)
texts = st.text(alphabet=ALPHABET, max_size=80)


def janitor_words(s: str) -> list[str]:
    # lm-evaluation-harness, lm_eval/decontamination/janitor.py (MIT): Janitor.normalize_string
    # with the default delete_chars=string.punctuation, then word_ngrams' s.split().
    table = str.maketrans(
        string.ascii_lowercase + string.ascii_uppercase,
        string.ascii_lowercase * 2,
        string.punctuation,
    )
    return s.translate(table).split()


def open_r1_words(text: str) -> list[str]:
    # huggingface/open-r1, scripts/decontaminate.py (Apache-2.0): normalize_string, then split().
    text = text.lower().strip()
    text = re.sub(r"\s+", " ", text)
    text = text.translate(str.maketrans("", "", string.punctuation))
    return text.split()


@settings(max_examples=300, deadline=None)
@given(texts)
def test_words_match_open_r1(text):
    assert tokenize(text) == open_r1_words(text)
    assert normalize(text) == " ".join(open_r1_words(text))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.printable, max_size=80))
def test_words_match_janitor_on_ascii(text):
    # the janitor lowercases ASCII only; on ASCII text the recipes agree exactly
    assert tokenize(text) == janitor_words(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_vectorised_words_are_the_reference_words(docs):
    # the fast path must see exactly the words of tokenize(): same count per document
    batch = hash_texts(docs)
    assert [int(n) for n in batch.doc_start[1:] - batch.doc_start[:-1]] == [
        len(tokenize(d)) for d in docs
    ]


def test_examples():
    assert normalize("Hello,   World! It's 4:30.") == "hello world its 430"
    assert tokenize("a - b") == ["a", "b"]  # a word of punctuation only disappears
    assert normalize("Straße\u00a0ÉTÉ") == "straße été"


def test_presets():
    assert PRESETS["gpt3"].n == 13 and PRESETS["gpt3"].window == 200
    assert PRESETS["gpt3"].min_fragment == 200 and PRESETS["gpt3"].max_splits == 10
    assert PRESETS["tulu3"].n == 8 and PRESETS["open-r1"].n == 8
    assert recipe("gpt3") is PRESETS["gpt3"]
    custom = recipe("gpt3", n=10)
    assert custom.n == 10 and custom.name == "custom"
    assert recipe("gpt3", n=13).name == "gpt3"


def test_recipe_errors():
    with pytest.raises(
        InputError, match="`preset` must be one of 'gpt3', 'tulu3', 'open-r1'; got 'gpt4'"
    ):
        recipe("gpt4")
    with pytest.raises(InputError, match="unknown recipe option 'size'"):
        recipe("gpt3", size=3)
    with pytest.raises(InputError, match="`n` must be an integer >= 1; got 0"):
        recipe("gpt3", n=0)
    with pytest.raises(InputError, match="`window` must be an integer >= 0; got -1"):
        recipe("gpt3", window=-1)
