"""The examples in the docstrings of assay.labels run and give what they show."""

from __future__ import annotations

import doctest

import pytest

from assay.labels import _audit, _count, _filter, _rank, _stability


@pytest.mark.parametrize(
    "module", [_audit, _count, _filter, _rank, _stability], ids=lambda m: m.__name__
)
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
