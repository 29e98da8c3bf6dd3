"""The AR(1) helper and the keyed random streams."""

import numpy as np
import pytest

from ercot_dart.synth.rng import Stream, ar1, stream


@pytest.mark.parametrize("phi", [0.3, 0.846, 0.93, 0.9835, 0.999])
def test_ar1_matches_the_recursion(phi: float) -> None:
    shocks = np.random.default_rng(1).standard_normal((700, 3))
    start = np.array([1.0, -2.0, 0.5])
    expected, x = np.empty_like(shocks), start
    for t in range(len(shocks)):
        x = phi * x + np.sqrt(1 - phi**2) * shocks[t]
        expected[t] = x
    np.testing.assert_allclose(ar1(start, phi, shocks), expected, atol=1e-10)


def test_ar1_keeps_unit_variance() -> None:
    path = ar1(np.array(0.0), 0.95, np.random.default_rng(2).standard_normal(200_000))
    assert path[1000:].std() == pytest.approx(1.0, abs=0.03)


def test_a_stream_depends_only_on_its_keys() -> None:
    a = stream(7, Stream.SCED, 739_000).standard_normal(5)
    b = stream(7, Stream.SCED, 739_000).standard_normal(5)
    c = stream(7, Stream.SCED, 739_001).standard_normal(5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
