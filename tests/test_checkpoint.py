"""Checkpoints: exact round trip, plain npz without pickle, atomic writes, clear errors for bad files."""

import io
import json
import os
import zipfile

import numpy as np
import pytest

from scratchae import optim
from scratchae.models import build
from scratchae.training import CheckpointError, Trainer, load_checkpoint, load_into, restore, save_checkpoint
from tests.helpers_models import images


def trained(tmp_path, encoding_dim=8):
    model = build("linear", {"encoding_dim": encoding_dim}, rng=np.random.default_rng(0))
    trainer = Trainer(model, checkpoint=tmp_path / "checkpoint.npz", config={"dataset": "synthetic"}, progress=False)
    trainer.fit(images(40), images(20, seed=1), epochs=2)
    return trainer, tmp_path / "checkpoint.npz"


def test_round_trip_is_exact(tmp_path):
    trainer, path = trained(tmp_path)
    saved = load_checkpoint(path)
    for k, v in trainer.model.state_dict().items():
        assert saved.model_state[k].dtype == v.dtype
        np.testing.assert_array_equal(saved.model_state[k], v)
    for k, v in trainer.optimizer.state_dict().items():
        np.testing.assert_array_equal(saved.optimizer_state[k], v)
    assert saved.epoch == 2
    assert saved.history == trainer.history
    assert saved.config == json.loads(json.dumps(trainer.config()))  # tuples come back as lists


def test_restore_rebuilds_model_and_optimizer(tmp_path):
    trainer, path = trained(tmp_path)
    model, optimizer = restore(path)
    assert type(model) is type(trainer.model) and model.config() == {"encoding_dim": 8}
    x = images(3, seed=5)
    np.testing.assert_array_equal(model(x), trainer.model(x))
    assert optimizer.step_count == trainer.optimizer.step_count == 4


def test_the_file_is_a_plain_npz_readable_without_pickle(tmp_path):
    _, path = trained(tmp_path)
    with np.load(path, allow_pickle=False) as archive:
        keys = set(archive.files)
        assert {
            "model/fc1.weight",
            "optimizer/step",
            "optimizer/0.exp_avg",
            "meta/config",
            "meta/history",
            "meta/epoch",
        } <= keys
        assert all(archive[k].dtype != object for k in keys)


def test_a_failed_write_leaves_the_previous_checkpoint_and_no_temporary_file(tmp_path, monkeypatch):
    trainer, path = trained(tmp_path)
    before = path.read_bytes()

    def crash(file, **arrays):
        file.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        trainer.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["checkpoint.npz"]


def test_the_next_save_removes_leftovers_of_killed_writes_but_not_a_running_one(tmp_path):
    trainer, path = trained(tmp_path)
    killed = tmp_path / ".checkpoint.npz.abc123.tmp"  # a save that was killed two minutes ago
    running = tmp_path / ".checkpoint.npz.def456.tmp"  # a save still running elsewhere
    other = tmp_path / ".other.npz.abc123.tmp"  # another checkpoint's business
    for leftover in (killed, running, other):
        leftover.write_bytes(b"half a checkpoint")
    two_minutes_ago = os.path.getmtime(path) - 120
    os.utime(killed, (two_minutes_ago, two_minutes_ago))
    os.utime(other, (two_minutes_ago, two_minutes_ago))
    trainer.save(path)
    assert sorted(os.listdir(tmp_path)) == sorted(["checkpoint.npz", running.name, other.name])
    load_checkpoint(path)


def test_loading_into_a_different_model_lists_every_mismatch(tmp_path):
    _, path = trained(tmp_path, encoding_dim=8)
    other = build("linear", {"encoding_dim": 16})
    before = other.state_dict()
    with pytest.raises(CheckpointError) as info:
        load_into(other, load_checkpoint(path), source=str(path))
    message = str(info.value)
    assert "'linear'" in message and "LinearAutoencoder" in message
    for key in ("fc1.weight", "fc1.bias", "fc2.weight"):
        assert f"shape mismatch for {key!r}" in message
    assert "fc2.bias" not in message  # (784,) fits
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_unknown_model_in_config_is_a_clear_error(tmp_path):
    model = build("linear")
    save_checkpoint(tmp_path / "x.npz", model, epoch=0, config={"model": "gan"})
    with pytest.raises(CheckpointError, match="unknown model 'gan'"):
        restore(tmp_path / "x.npz")


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint("/nonexistent/checkpoint.npz")


def _rewrite(path, entries):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def _npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _entries(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_damaged_files_give_a_clear_error(tmp_path, damage):
    _, path = trained(tmp_path)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[len(data) // 3] ^= 0xFF
    elif damage == "garbage":
        data = bytearray(b"not a zip file at all" * 10)
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checkpoint"):
        load_checkpoint(path)


def test_an_object_array_is_never_unpickled(tmp_path):
    _, path = trained(tmp_path)
    entries = _entries(path)
    entries["model/evil.npy"] = _npy(np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _rewrite(path, entries)
    with pytest.raises(CheckpointError, match="Python objects"):
        load_checkpoint(path)


def test_a_header_declaring_a_huge_array_is_refused_before_allocating(tmp_path):
    _, path = trained(tmp_path)
    entries = _entries(path)
    small = _npy(np.zeros(4, np.float32))
    entries["model/fc1.bias.npy"] = small.replace(b"(4,)", b"(4000000000000,)".ljust(4)).ljust(len(small))
    header_padded = entries["model/fc1.bias.npy"]
    _rewrite(path, entries)
    assert b"4000000000000" in header_padded
    with pytest.raises(CheckpointError, match="declares shape"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("meta/format.npy", np.array("something else"), "meta/format"),
        ("meta/version.npy", np.array(99), "version"),
        ("meta/epoch.npy", np.array(-1), "meta/epoch"),
        ("meta/config.npy", np.array("{not json"), "not valid JSON"),
        ("meta/history.npy", np.array(3.0), "should be a string"),
    ],
)
def test_inconsistent_metadata_is_named(tmp_path, key, value, message):
    _, path = trained(tmp_path)
    entries = _entries(path)
    entries[key] = _npy(value)
    _rewrite(path, entries)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def test_optimizer_state_must_fit_too(tmp_path):
    _, path = trained(tmp_path)
    saved = load_checkpoint(path)
    model = build("linear", {"encoding_dim": 8})
    sgd = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(CheckpointError, match="momentum_buffer"):
        load_into(model, saved, sgd)


def test_loading_a_linear_checkpoint_into_a_conv_model_names_missing_and_unexpected_keys(tmp_path):
    _, path = trained(tmp_path)
    with pytest.raises(CheckpointError) as info:
        load_into(build("conv"), load_checkpoint(path), source=str(path))
    message = str(info.value)
    assert str(path) in message and "ConvAutoencoder" in message
    for key in ("conv1.weight", "conv2.bias", "t_conv1.weight", "t_conv2.bias"):
        assert f"missing key {key!r}" in message
    for key in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"):
        assert f"unexpected key {key!r}" in message


@pytest.mark.parametrize("name", ["conv", "upsample", "denoise", "deep-conv"])
def test_every_model_round_trips_through_a_checkpoint(tmp_path, name):
    model = build(name, rng=np.random.default_rng(0))
    save_checkpoint(
        tmp_path / "m.npz",
        model,
        optim.Adam(model.parameters()),
        epoch=0,
        config={"model": name, "model_config": model.config(), "dtype": "float32"},
    )
    restored, optimizer = restore(tmp_path / "m.npz")
    assert type(restored) is type(model) and optimizer is not None
    x = images(2)
    np.testing.assert_array_equal(restored(x), model(x))


def test_batch_normalization_buffers_round_trip_with_their_types(tmp_path):
    trainer = Trainer(build("deep-conv", rng=np.random.default_rng(0)), checkpoint=tmp_path / "c.npz", progress=False)
    trainer.fit(images(40), images(10, seed=1), epochs=1)  # two steps: running statistics moved
    state = trainer.model.state_dict()
    assert state["bn1.num_batches_tracked"] == 2 and np.abs(state["bn2.running_mean"]).max() > 0
    saved = load_checkpoint(tmp_path / "c.npz")
    for key in ("bn1.running_mean", "bn5.running_var", "bn4.num_batches_tracked"):
        assert saved.model_state[key].dtype == state[key].dtype and saved.model_state[key].shape == state[key].shape
        np.testing.assert_array_equal(saved.model_state[key], state[key])
    assert saved.model_state["bn4.num_batches_tracked"].dtype == np.int64
    model, _ = restore(tmp_path / "c.npz")
    model.eval()
    trainer.model.eval()
    x = images(3, seed=2)
    np.testing.assert_array_equal(model(x), trainer.model(x))  # evaluation reads the restored statistics
    model.bn2.running_var.data[...] = 1.0
    assert not np.array_equal(model(x), trainer.model(x))  # (and they matter)
