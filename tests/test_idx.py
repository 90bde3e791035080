"""IDX reader/writer: round trips, the byte layout, and every way a file can be broken."""

import gzip
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from scratchae.data import read_idx, write_idx
from scratchae.data.idx import TYPE_CODES

FASHION = Path("/usr/share/datasets/fashion-mnist")

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
SHAPES = [(7,), (3, 5), (4, 28, 28), (2, 3, 4, 5)]


def random_array(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    return rng.standard_normal(shape).astype(dtype)


def idx_bytes(type_code, dims, payload=b""):
    return bytes([0, 0, type_code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload


def write(path, data, compress):
    if compress:
        with gzip.open(path, "wb") as stream:
            stream.write(data)
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip(tmp_path, dtype, shape, compress):
    array = random_array(dtype, shape)
    path = write_idx(tmp_path / ("a.idx.gz" if compress else "a.idx"), array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    assert back.shape == shape
    np.testing.assert_array_equal(back, array)


def test_round_trip_of_an_empty_dimension(tmp_path):
    back = read_idx(write_idx(tmp_path / "e.idx", np.zeros((0, 28, 28), np.uint8)))
    assert back.shape == (0, 28, 28)


def test_byte_layout_matches_the_format(tmp_path):
    # an int16 (2, 3) array, written by hand: big-endian header and payload
    values = np.array([[1, -2, 300], [-32768, 32767, 0]], dtype=np.int16)
    by_hand = idx_bytes(0x0B, (2, 3), struct.pack(">6h", *values.ravel()))
    assert write_idx(tmp_path / "w.idx", values).read_bytes() == by_hand
    np.testing.assert_array_equal(read_idx(write(tmp_path / "h.idx", by_hand, False)), values)


def test_float_payload_is_big_endian(tmp_path):
    path = write(tmp_path / "f.idx", idx_bytes(0x0D, (2,), struct.pack(">2f", 1.5, -0.25)), True)
    np.testing.assert_array_equal(read_idx(path), np.array([1.5, -0.25], np.float32))


def test_compression_is_detected_from_content_not_name(tmp_path):
    array = random_array(np.uint8, (3, 4))
    raw_named_gz = write_idx(tmp_path / "raw.gz", array, compress=False)
    gz_named_raw = write_idx(tmp_path / "gz.idx", array, compress=True)
    np.testing.assert_array_equal(read_idx(raw_named_gz), array)
    np.testing.assert_array_equal(read_idx(gz_named_raw), array)


def test_write_refuses_unsupported_arrays(tmp_path):
    with pytest.raises(TypeError, match="uint16"):
        write_idx(tmp_path / "x.idx", np.zeros(3, np.uint16))
    with pytest.raises(ValueError, match="ndim 0"):
        write_idx(tmp_path / "x.idx", np.array(3, np.uint8))


# --- corruption: each case raises ValueError naming the file and the problem ---------------------

GOOD = idx_bytes(0x08, (3, 2, 2), bytes(range(12)))

CORRUPT = {
    "empty": (b"", "truncated"),
    "truncated header": (GOOD[:2], "truncated"),
    "truncated dims": (GOOD[:10], "truncated"),
    "truncated data": (GOOD[:-1], "truncated"),
    "bad magic": (b"\x08\x03" + GOOD[2:], "bad magic"),
    "text file": (b"hello, world\n", "bad magic"),
    "unknown type code": (bytes([0, 0, 0x07]) + GOOD[3:], "type code 0x07"),
    "zero dimensions": (bytes([0, 0, 0x08, 0]) + GOOD[4:], "0 dimensions"),
    "wrong ndim": (bytes([0, 0, 0x08, 2]) + GOOD[4:], "trailing"),  # reads (3, 2): 6 bytes, 14 there
    "more dims than data": (bytes([0, 0, 0x08, 4]) + GOOD[4:], "truncated"),
    "dims larger than data": (idx_bytes(0x08, (4, 2, 2), bytes(range(12))), "truncated"),
    "dims smaller than data": (idx_bytes(0x08, (2, 2, 2), bytes(range(12))), "trailing"),
    "trailing bytes": (GOOD + b"\x00", "trailing"),
    "wrong element size": (bytes([0, 0, 0x0C]) + GOOD[3:], "truncated"),  # int32 needs 48 bytes
}


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("case", CORRUPT)
def test_corrupt_file_is_refused(tmp_path, case, compress):
    data, problem = CORRUPT[case]
    path = write(tmp_path / "broken-idx1-ubyte", data, compress)
    with pytest.raises(ValueError, match=problem) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_good_file_of_the_corruption_cases_reads(tmp_path):
    # the corruption cases are derived from this file: make sure it is itself valid
    np.testing.assert_array_equal(
        read_idx(write(tmp_path / "ok", GOOD, True)), np.arange(12, dtype=np.uint8).reshape(3, 2, 2)
    )


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_huge_declared_dims_fail_without_allocating(tmp_path, compress):
    path = write(tmp_path / "huge", idx_bytes(0x0E, (2**32 - 1,) * 3, bytes(64)), compress)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="declares") as info:
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value)
    assert peak < 1_000_000, f"read_idx allocated {peak} bytes for a refused file"


def test_gzip_that_declares_more_than_it_holds_reads_only_what_is_there(tmp_path):
    # 1 GB declared, within the deflate bound of a ~1 MB file: refused after reading what exists
    rng = np.random.default_rng(0)
    path = write(tmp_path / "big", idx_bytes(0x08, (1000, 1000, 1000), rng.bytes(1_000_000)), True)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="truncated"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


@pytest.mark.parametrize("damage", ["garbage after magic", "cut stream", "flipped bytes"])
def test_bad_gzip_is_refused(tmp_path, damage):
    compressed = gzip.compress(GOOD + bytes(5000), mtime=0)
    if damage == "garbage after magic":
        data = b"\x1f\x8b" + b"not deflate at all" * 3
    elif damage == "cut stream":
        data = compressed[: len(compressed) // 2]
    else:  # corrupt the deflate body: the CRC or the stream structure must catch it
        body = bytearray(compressed)
        for i in range(12, len(body) - 8, 7):
            body[i] ^= 0xFF
        data = bytes(body)
    path = tmp_path / "bad.gz"
    path.write_bytes(data)
    with pytest.raises(ValueError) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_every_type_code_is_big_endian():
    assert all(dtype.byteorder in (">", "|") for dtype in TYPE_CODES.values())


@pytest.mark.skipif(not FASHION.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_reads_the_real_fashion_mnist_labels():
    labels = read_idx(FASHION / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10_000,) and labels.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(labels), np.full(10, 1000))
