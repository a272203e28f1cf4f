"""The one compiler of generated code registers its source for tracebacks."""

from __future__ import annotations

import linecache
import traceback

import pytest

from resell_core._construct import compile_function


def test_generated_source_shows_in_tracebacks() -> None:
    fail = compile_function(
        "fail", "<resell_core test fail>", "def fail():\n    raise ValueError('x')\n", {}
    )
    with pytest.raises(ValueError, match="x") as caught:
        fail()
    text = "".join(traceback.format_exception(caught.value))
    assert "raise ValueError('x')" in text
    assert linecache.getline("<resell_core test fail>", 2).strip() == "raise ValueError('x')"


def test_two_sources_under_one_name_keep_their_own_lines() -> None:
    one = compile_function("f", "<resell_core test twin>", "def f():\n    return 1\n", {})
    two = compile_function("f", "<resell_core test twin>", "def f():\n    return 2\n", {})
    assert (one(), two()) == (1, 2)
    assert one.__code__.co_filename != two.__code__.co_filename
    assert linecache.getline(two.__code__.co_filename, 2).strip() == "return 2"
