"""Fuzzing read_idx: randomly corrupted IDX files (raw and gzip) either load or raise a ValueError naming the file.

Each case starts from a valid file, applies one to three random corruptions (truncation, flipped bytes,
a wrong magic number, a different number of dimensions, huge declared dimensions, trailing bytes, damage
to the gzip stream or its CRC/size trailer), and reads it. The only acceptable outcomes:

- an array whose shape, dtype and values are exactly what the (possibly corrupted) header and payload
  declare, checked against an independent decoding of the bytes; or
- a ValueError whose message names the file;

and in both cases no allocation beyond a small bound, whatever the header claims.
"""

import gzip
import re
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scratchae.data import read_idx, write_idx
from scratchae.data.idx import TYPE_CODES

PEAK_LIMIT = 2_000_000  # bytes; every fuzzed file is under 3 kB, so even 1032x that stays far below
MUTATIONS = ["truncate", "flip", "flip header", "magic", "ndim", "huge dim", "append", "gzip body", "gzip trailer"]


@st.composite
def idx_files(draw):
    code = draw(st.sampled_from(sorted(TYPE_CODES)))
    shape = tuple(draw(st.lists(st.integers(0, 6), min_size=1, max_size=4)))
    seed = draw(st.integers(0, 2**32 - 1))
    array = np.random.default_rng(seed).integers(0, 100, shape).astype(TYPE_CODES[code])
    return array, draw(st.booleans()), draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3))


def mutate(draw, content: bytes, compressed: bytes | None, mutation: str) -> tuple[bytes, bytes | None]:
    """Apply one corruption to the IDX bytes (``content``) or, for a gzip file, to the compressed bytes."""

    def anywhere(data: bytes) -> int:  # uniform: hypothesis alone would favour cutting at 0
        return draw(st.randoms(use_true_random=False)).randrange(max(len(data), 1))

    def flipped(data: bytes, start: int = 0, stop: int | None = None) -> bytes:
        data = bytearray(data)
        start, stop = max(start, 0), len(data) if stop is None else min(stop, len(data))
        if stop > start:
            for _ in range(draw(st.integers(1, 4))):
                data[draw(st.integers(start, stop - 1))] ^= draw(st.integers(1, 255))
        return bytes(data)

    target = compressed if compressed is not None else content
    if mutation == "truncate":
        target = target[: anywhere(target)]
    elif mutation == "flip":
        target = flipped(target)
    elif mutation == "append":
        target = target + draw(st.binary(min_size=1, max_size=16))
    elif mutation in ("gzip body", "gzip trailer"):
        if compressed is None:
            return content, None
        target = flipped(target, 10, len(target) - 8) if mutation == "gzip body" else flipped(target, len(target) - 8)
    else:  # header mutations act on the IDX bytes (if the header is still there), then recompress
        if len(content) < 4:
            return content, compressed
        content = bytearray(content)
        if mutation == "flip header":
            content = bytearray(flipped(bytes(content), 0, 4 + 4 * content[3]))
        elif mutation == "magic":
            content[:4] = draw(st.binary(min_size=4, max_size=4))
        elif mutation == "ndim":
            content[3] = draw(st.sampled_from([0, 1, 2, 3, 5, 33, 64, 65, 255]))
        elif mutation == "huge dim" and 0 < content[3] and len(content) >= 4 + 4 * content[3]:
            which = draw(st.integers(0, content[3] - 1))
            content[4 + 4 * which : 8 + 4 * which] = struct.pack(">I", draw(st.integers(2**20, 2**32 - 1)))
        content = bytes(content)
        return content, (gzip.compress(content, mtime=0) if compressed is not None else None)
    return (content, target) if compressed is not None else (target, None)


def decode(content: bytes):
    """Independent decoding of well-formed IDX bytes: (shape, big-endian dtype, payload)."""
    code, ndim = content[2], content[3]
    dims = struct.unpack(f">{ndim}I", content[4 : 4 + 4 * ndim])
    return dims, TYPE_CODES[code], content[4 + 4 * ndim :]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(idx_files(), st.data())
def test_corrupted_idx_loads_exactly_or_raises_value_error(tmp_path, case, data):
    array, compress, mutations = case
    content = (write_idx(tmp_path / "seed.idx", array, compress=False)).read_bytes()
    compressed = gzip.compress(content, mtime=0) if compress else None
    for mutation in mutations:
        content, compressed = mutate(data.draw, content, compressed, mutation)
    path = tmp_path / "fuzzed-idx3-ubyte"
    path.write_bytes(compressed if compressed is not None else content)

    tracemalloc.start()
    try:
        try:
            loaded = read_idx(path)
        except ValueError as error:
            assert str(path) in str(error), f"the message does not name the file: {error}"
            loaded = None
            event("refused: " + re.sub(r"0x[0-9a-f]+|\d+", "N", str(error).split(": ", 1)[1])[:40])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT, f"read_idx peaked at {peak} bytes for a {path.stat().st_size}-byte file"

    if loaded is not None:  # it loaded: it must be exactly what the bytes say
        event("loaded")
        if compressed is not None:
            content = gzip.decompress(path.read_bytes())  # raises if read_idx accepted a broken stream
        dims, dtype, payload = decode(content)
        assert loaded.shape == dims
        assert loaded.dtype == dtype.newbyteorder("=")
        np.testing.assert_array_equal(loaded, np.frombuffer(payload, dtype).reshape(dims))


@pytest.mark.parametrize("ndim", [65, 255])
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_more_dimensions_than_numpy_supports_are_refused_by_name(tmp_path, ndim, compress):
    # every dimension 1 except one 0: a consistent, tiny file that NumPy still cannot represent
    content = bytes([0, 0, 0x08, ndim]) + struct.pack(f">{ndim}I", 0, *([1] * (ndim - 1)))
    path = tmp_path / "many-dims"
    path.write_bytes(gzip.compress(content) if compress else content)
    with pytest.raises(ValueError, match=f"{ndim} dimensions") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_the_fuzzer_produces_both_outcomes(tmp_path):
    # a flipped payload byte of a raw file still loads (with other values); a flipped magic byte does not
    content = write_idx(tmp_path / "a.idx", np.arange(6, dtype=np.uint8).reshape(2, 3)).read_bytes()
    (tmp_path / "payload").write_bytes(content[:-1] + b"\xff")
    assert read_idx(tmp_path / "payload")[1, 2] == 255
    (tmp_path / "magic").write_bytes(b"\x01" + content[1:])
    with pytest.raises(ValueError, match="bad magic"):
        read_idx(tmp_path / "magic")


def test_an_empty_array_of_an_impossible_shape_is_refused_by_name(tmp_path):
    # found by the fuzzer: a 0 among dimensions whose product overflows; the file itself is consistent
    # (0 bytes of data), but NumPy refuses the shape with an "array is too big" ValueError of its own
    dims = (2, 0x40554000, 0, 0x404F8000, 0)
    path = tmp_path / "impossible-idx"
    path.write_bytes(bytes([0, 0, 0x0E, len(dims)]) + struct.pack(">5I", *dims))
    with pytest.raises(ValueError, match="a shape NumPy cannot represent") as info:
        read_idx(path)
    assert str(path) in str(info.value)
