"""Tests of hashx.codes: sign quantisation and bit packing."""

import numpy as np
import pytest

import hashx
from hashx.codes import binarize, pack_codes, unpack_codes
from hashx.exceptions import HashxError

NBITS = [8, 16, 24, 32, 48, 64, 128, 256]


def test_top_level_reexports_are_the_same_objects():
    assert hashx.binarize is binarize
    assert hashx.pack_codes is pack_codes
    assert hashx.unpack_codes is unpack_codes


def test_binarize_hand_computed():
    x = np.array([[0.3, -0.2, 0.0, -0.0], [-5.0, 2.0, 1e-30, -1e-30]])
    expected = np.array([[1, -1, 1, 1], [-1, 1, 1, -1]], dtype=np.int8)
    out = binarize(x)
    assert out.dtype == np.int8
    np.testing.assert_array_equal(out, expected)


def test_binarize_zero_maps_to_plus_one_for_integers():
    np.testing.assert_array_equal(binarize(np.array([[0, -3, 4]])), [[1, -1, 1]])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_binarize_rejects_non_finite(bad):
    x = np.zeros((2, 8))
    x[1, 3] = bad
    with pytest.raises(ValueError, match="'x' parameter of binarize must hold only finite values"):
        binarize(x)


def test_binarize_rejects_non_array():
    with pytest.raises(TypeError, match="numpy.ndarray"):
        binarize([[0.1, -0.1]])


def _slow_pack(bits01):
    """Obvious reference: bit j of a row goes to byte j // 8, position 7 - j % 8."""
    n, nbits = bits01.shape
    out = np.zeros((n, nbits // 8), dtype=np.uint8)
    for i in range(n):
        for j in range(nbits):
            if bits01[i, j]:
                out[i, j // 8] |= 1 << (7 - j % 8)
    return out


@pytest.mark.parametrize("nbits", NBITS)
def test_pack_matches_slow_reference_and_round_trips(nbits):
    rng = np.random.default_rng(nbits)
    bits01 = rng.integers(0, 2, size=(13, nbits)).astype(np.int8)
    signed = (2 * bits01 - 1).astype(np.int8)
    expected = _slow_pack(bits01)
    for form in (bits01, signed, bits01.astype(bool), signed.astype(np.int64)):
        packed = pack_codes(form)
        assert packed.dtype == np.uint8 and packed.shape == (13, nbits // 8)
        np.testing.assert_array_equal(packed, expected)
    np.testing.assert_array_equal(unpack_codes(expected, nbits), signed)
    np.testing.assert_array_equal(unpack_codes(expected, nbits, signed=False), bits01)


def test_pack_hand_computed_msb_first():
    bits = np.array([[1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(pack_codes(bits), [[0x81, 0x7F]])


def test_pack_of_binarized_real_codes():
    x = np.array([[0.5, -1, 0, -0.1, 2, 3, -4, 0.0]])
    np.testing.assert_array_equal(pack_codes(binarize(x)), [[0b10101101]])


def test_pack_empty_rows():
    out = pack_codes(np.zeros((0, 16), dtype=np.int8))
    assert out.shape == (0, 2) and out.dtype == np.uint8


@pytest.mark.parametrize("width", [0, 7, 12, 33])
def test_pack_rejects_widths_not_multiple_of_8(width):
    with pytest.raises(ValueError, match="multiple of 8|>= 8"):
        pack_codes(np.ones((2, width), dtype=np.int8))


def test_pack_rejects_ambiguous_values():
    with pytest.raises(ValueError, match=r"either only \+1/-1 or only 0/1"):
        pack_codes(np.array([[1, 0, -1, 1, 1, 1, 1, 1]]))
    with pytest.raises(ValueError, match="either only"):
        pack_codes(np.array([[2, 0, 1, 1, 1, 1, 1, 1]]))


def test_pack_rejects_floats_without_casting():
    with pytest.raises(TypeError, match="integer"):
        pack_codes(np.ones((2, 8), dtype=np.float32))


def test_unpack_rejects_wrong_dtype_and_width():
    with pytest.raises(TypeError, match="dtype uint8"):
        unpack_codes(np.zeros((2, 8), dtype=np.int8), 64)
    with pytest.raises(ValueError, match=r"shape \(n, 8\) for nbits=64"):
        unpack_codes(np.zeros((2, 4), dtype=np.uint8), 64)
    with pytest.raises(ValueError, match="multiple of 8"):
        unpack_codes(np.zeros((2, 4), dtype=np.uint8), 30)


def test_errors_are_hashx_errors():
    with pytest.raises(HashxError):
        pack_codes(np.ones((1, 5), dtype=np.int8))
