"""Fuzzing load_checkpoint: corrupted checkpoints give a CheckpointError (a ValueError) naming the file, never
another exception, never an absurd allocation, and never execute anything.

Corruptions: truncation, flipped bytes, renamed/missing/extra entries, entries whose .npy header declares
a huge shape, and object arrays (pickles) -- including one whose unpickling would run code.
"""

import io
import os
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from scratchae import manual_seed, optim
from scratchae.models import build
from scratchae.training import CheckpointError, load_checkpoint, save_checkpoint
from scratchae.training.checkpoint import load_into

PEAK_LIMIT = 8_000_000  # bytes: about 10x the checkpoint itself


class Bytes(bytes):
    def __repr__(self):  # hypothesis prints its arguments: not 600 kB of them
        return f"<{len(self)} bytes>"


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """The bytes of a valid checkpoint of the linear autoencoder with Adam state."""
    manual_seed(0)
    model = build("linear")
    adam = optim.Adam(model.parameters())
    model.zero_grad()
    for p in model.parameters():
        p.grad[...] = 0.01
    adam.step()
    path = tmp_path_factory.mktemp("good") / "checkpoint.npz"
    save_checkpoint(path, model, adam, epoch=3, config={"model": "linear", "seed": 0}, history={"epoch": [1, 2, 3]})
    return Bytes(path.read_bytes())


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def npy(array, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


MUTATIONS = [
    "truncate",
    "flip",
    "flip directory",
    "rename",
    "drop",
    "extra",
    "huge shape",
    "object array",
    "wrong dtype",
    "not npy",
]


def mutate(draw, data: bytes, mutation: str) -> bytes:
    rng = draw(st.randoms(use_true_random=False))
    if not data:
        return data
    if mutation == "truncate":
        return data[: rng.randrange(len(data))]
    if mutation in ("flip", "flip directory"):
        data = bytearray(data)
        start = data.rfind(b"PK\x01\x02") if mutation == "flip directory" else 0  # the central directory
        for _ in range(rng.randint(1, 4)):
            at, bits = rng.randrange(max(start, 0), len(data)), rng.randint(1, 255)
            note(f"flip byte {at} of {len(data)} with {bits:#04x}")
            data[at] ^= bits
        return bytes(data)
    try:
        members = entries(data)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return data  # already broken by an earlier mutation: nothing to restructure
    if not members:
        return data
    name = rng.choice(sorted(members))
    if mutation == "rename":
        members[name.replace("/", "/x", 1)] = members.pop(name)
    elif mutation == "drop":
        del members[name]
    elif mutation == "extra":
        members["model/extra.weight.npy"] = npy(np.zeros(3, np.float32))
    elif mutation == "huge shape":  # a .npy header that declares 2**40 floats but holds a few
        header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }"
        header += " " * (118 - len(header)) + "\n"
        members[name] = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(16)
    elif mutation == "object array":
        members[name] = npy(np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    elif mutation == "wrong dtype":
        members[name] = npy(np.zeros((2, 3), np.int16))
    elif mutation == "not npy":
        members[name[:-4] + ".txt"] = members.pop(name)
    return zipped(members)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=2), st.data())
def test_corrupted_checkpoint_loads_or_raises_checkpoint_error(tmp_path, good, mutations, data):
    damaged = good
    for mutation in mutations:
        damaged = mutate(data.draw, damaged, mutation)
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(damaged)
    tracemalloc.start()
    try:
        try:
            saved = load_checkpoint(path)
        except CheckpointError as error:
            assert str(path) in str(error)
            event("refused")
            saved = None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT, f"load_checkpoint peaked at {peak} bytes"
    if saved is not None:  # it loaded: every array is a plain numeric or string array, never an object
        event("loaded")
        assert all(not v.dtype.hasobject for v in {**saved.model_state, **saved.optimizer_state}.values())
        model = build("linear")
        try:
            load_into(model, saved, optim.Adam(model.parameters()), source=str(path))
            event("fits the model")
        except CheckpointError as error:
            assert str(path) in str(error)


class Exploit:
    """Unpickling this creates a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.parametrize("entry", ["model/fc1.weight.npy", "meta/config.npy", "optimizer/step.npy"])
def test_a_pickle_in_a_checkpoint_is_never_executed(tmp_path, good, entry):
    marker = tmp_path / "pwned"
    members = entries(good)
    members[entry] = npy(np.array([Exploit(marker)], dtype=object), allow_pickle=True)
    path = tmp_path / "malicious.npz"
    path.write_bytes(zipped(members))
    with pytest.raises(CheckpointError, match=f"{path}.*Python objects, which are never loaded"):
        load_checkpoint(path)
    with pytest.raises(ValueError, match="allow_pickle=False"):  # NumPy's own guard, the second line of defense
        np.load(path, allow_pickle=False)[entry[:-4]]
    assert not marker.exists()
    # the exploit does work when it is allowed to: the test would notice
    np.load(path, allow_pickle=True)[entry[:-4]]
    assert marker.exists()


@pytest.mark.parametrize("size", [2**24, 2**32 - 256])
def test_a_directory_claiming_huge_entries_is_refused_without_allocating(tmp_path, good, size):
    # the central directory's "compressed size" of the last entry, raised: zipfile would allocate a
    # read buffer of that size (up to 1 GiB) before noticing the file is shorter
    data = bytearray(good)
    entry = data.rfind(b"PK\x01\x02")
    data[entry + 20 : entry + 24] = struct.pack("<I", size)
    path = tmp_path / "huge.npz"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=f"{path}.*declares {size} bytes stored"):
            load_checkpoint(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT


def test_a_valid_checkpoint_survives_the_round_trip(tmp_path, good):
    path = tmp_path / "good.npz"
    path.write_bytes(good)
    saved = load_checkpoint(path)
    assert saved.epoch == 3 and saved.history == {"epoch": [1, 2, 3]}
    model = build("linear")
    load_into(model, saved, optim.Adam(model.parameters()))


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "nothing.npz")


def test_a_directory_is_refused_by_name(tmp_path):
    with pytest.raises((CheckpointError, IsADirectoryError)) as info:
        load_checkpoint(tmp_path)
    assert str(tmp_path) in str(info.value)
    assert os.path.isdir(tmp_path)


@pytest.mark.parametrize(
    "key,bad,problem",
    [
        ("optimizer/step", np.zeros((2, 3), np.int16), "'step' should be a non-negative integer, got int16 of shape"),
        ("optimizer/step", np.array(-1), "'step' should be a non-negative integer"),
        ("optimizer/step", np.array(2.5), "'step' should be a non-negative integer, got float64"),
        ("optimizer/0.exp_avg", np.full((32, 784), "x"), "'0.exp_avg' should be numeric, got <U1"),
        ("model/fc1.bias", np.full(32, "x"), "'fc1.bias' should be numeric, got <U1"),
    ],
)
def test_state_of_the_wrong_kind_is_refused_and_nothing_changes(tmp_path, good, key, bad, problem):
    members = entries(good)
    members[key + ".npy"] = npy(bad)
    path = tmp_path / "odd.npz"
    path.write_bytes(zipped(members))
    saved = load_checkpoint(path)  # a well-formed file: the problem is only that it does not fit
    model = build("linear")
    adam = optim.Adam(model.parameters())
    before = model.state_dict(), adam.state_dict()
    with pytest.raises(CheckpointError, match=f"{path}.*{problem}"):
        load_into(model, saved, adam, source=str(path))
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[0][name])
    for name, value in adam.state_dict().items():
        np.testing.assert_array_equal(value, before[1][name])


@pytest.mark.parametrize("at,bits", [(79, 0x20), (78, 0x01)])
def test_a_corrupt_npy_header_is_a_checkpoint_error(tmp_path, good, at, bits):
    # bytes 78-79 are the start of the first entry's header text, "{'descr': ...": NumPy's parser of
    # that text raised tokenize.TokenError (not a ValueError) for one of these flips
    data = bytearray(good)
    assert data[70:76] == b"\x93NUMPY"
    data[at] ^= bits
    path = tmp_path / "header.npz"
    path.write_bytes(data)
    with pytest.raises(CheckpointError, match=f"{path}.*corrupt .npy header"):
        load_checkpoint(path)
