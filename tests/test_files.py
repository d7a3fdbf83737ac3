"""Reading untrusted line files within a bound (diagnoser._files.bounded_lines)."""

from __future__ import annotations

import io

import pytest

from diagnoser._files import LineReadError, bounded_lines


class _Recorder(io.BytesIO):
    """Remembers the largest read asked for."""

    largest = 0

    def readline(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        self.largest = max(self.largest, size or 0)
        return super().readline(size)


def test_a_long_line_is_refused_whole_and_the_numbering_goes_on():
    data = b"first\n" + b"x" * 1000 + b"\nthird\nlast without newline"
    handle = _Recorder(data)
    got = list(bounded_lines(handle, limit=64))
    assert got == [(1, b"first\n"), (2, None), (3, b"third\n"), (4, b"last without newline")]
    assert handle.largest <= 65  # never asked for the whole long line


def test_a_line_of_exactly_the_limit_is_kept():
    assert list(bounded_lines(io.BytesIO(b"y" * 8 + b"\n"), limit=9)) == [(1, b"y" * 8 + b"\n")]
    assert list(bounded_lines(io.BytesIO(b"y" * 10 + b"\n"), limit=9)) == [(1, None)]


def test_a_failing_read_names_its_line():
    class Broken(io.BytesIO):
        calls = 0

        def readline(self, size: int | None = -1) -> bytes:  # type: ignore[override]
            self.calls += 1
            if self.calls == 3:
                raise OSError(5, "Input/output error")
            return super().readline(size)

    with pytest.raises(LineReadError) as caught:
        list(bounded_lines(Broken(b"a\nb\nc\n"), limit=16))
    assert caught.value.line == 3 and caught.value.strerror == "Input/output error"
