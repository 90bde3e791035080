"""Checkpoints: one ``.npz`` file holding everything needed to resume training bit for bit.

Layout of the archive (every entry a plain NumPy array; nothing is pickled):

============================  ==================================================================
``model/<name>``              each parameter, keyed by its PyTorch-style name (``fc1.weight``)
``optimizer/<name>``          the optimizer's flat state (``step``, ``0.exp_avg``, ...)
``meta/format``               ``"scratchae-checkpoint"`` (a 0-d string array)
``meta/version``              format version (int)
``meta/epoch``                number of completed epochs (int)
``meta/config``               JSON: model name and arguments, dtype, training settings, seed
``meta/history``              JSON: per-epoch losses and timings
============================  ==================================================================

The randomness of training (shuffling, denoising noise, a VAE's sampling noise) in epoch ``e`` is drawn
from a generator seeded with ``(seed, 0, e)``; the seed in ``meta/config`` and the epoch are therefore the whole random
state needed to continue exactly where an uninterrupted run would be.

A checkpoint is written atomically: to a temporary file in the same directory, flushed to disk
(``fsync``), then renamed over the old one with :func:`os.replace`. A crash at any moment leaves either
the old checkpoint or the new one, never half of one. It is read with a size check on every entry
before any array is allocated, and with ``allow_pickle=False``.
"""

from __future__ import annotations

import glob
import io
import json
import math
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass, field

import numpy as np

FORMAT = "scratchae-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A file that is not a readable scratchae checkpoint, or one that does not fit the model."""


@dataclass
class Checkpoint:
    """The contents of a checkpoint file."""

    model_state: dict[str, np.ndarray]
    optimizer_state: dict[str, np.ndarray]
    epoch: int
    config: dict
    history: dict = field(default_factory=dict)


def _json_array(value) -> np.ndarray:
    return np.array(json.dumps(value, sort_keys=True))


def save_checkpoint(path, model, optimizer=None, *, epoch: int, config: dict, history: dict | None = None) -> str:
    """Write ``model`` (and ``optimizer``) to ``path`` atomically; returns the path.

    Parameters
    ----------
    path : str or os.PathLike
        Destination (conventionally ending in ``.npz``). Its directory must exist.
    model : scratchae.nn.Module
    optimizer : scratchae.optim.Optimizer, optional
    epoch : int
        Number of completed epochs.
    config : dict
        JSON-serializable description of the model and the training (see :mod:`scratchae.training`).
    history : dict, optional
        JSON-serializable training history.
    """
    path = os.fspath(path)
    arrays = {f"model/{k}": v for k, v in model.state_dict().items()}
    if optimizer is not None:
        arrays.update({f"optimizer/{k}": v for k, v in optimizer.state_dict().items()})
    arrays["meta/format"] = np.array(FORMAT)
    arrays["meta/version"] = np.array(VERSION, dtype=np.int64)
    arrays["meta/epoch"] = np.array(int(epoch), dtype=np.int64)
    arrays["meta/config"] = _json_array(config)
    arrays["meta/history"] = _json_array(history or {})

    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)
    _remove_stale_temporaries(directory, os.path.basename(path))
    return path


#: a temporary file older than this is a leftover of a write that was killed, not one in progress
STALE_SECONDS = 60.0


def _remove_stale_temporaries(directory: str, name: str) -> list[str]:
    """Delete ``.NAME.*.tmp`` files that a killed save left behind; returns their paths.

    Only files older than :data:`STALE_SECONDS` go, so that a save still running in another process
    keeps its temporary file.
    """
    removed = []
    now = time.time()
    for leftover in glob.glob(os.path.join(glob.escape(directory), f".{glob.escape(name)}.*.tmp")):
        try:
            if now - os.path.getmtime(leftover) > STALE_SECONDS:
                os.unlink(leftover)
                removed.append(leftover)
        except OSError:
            pass  # already gone, or not ours to remove: the checkpoint itself is written either way
    return removed


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- reading ----------------------------------------------------------------------------------------
def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, archive_size: int) -> np.ndarray:
    """One ``.npy`` entry, after checking that its header declares no more data than the entry holds."""
    # np.savez stores entries uncompressed. Checking the sizes first keeps zipfile from allocating a read
    # buffer of whatever size a corrupt directory claims (up to 1 GiB at a time).
    if info.compress_type != zipfile.ZIP_STORED:
        raise CheckpointError(f"entry {info.filename!r} is compressed; checkpoints store their arrays as is")
    if info.compress_size != info.file_size or info.file_size > archive_size:
        raise CheckpointError(
            f"entry {info.filename!r} declares {info.compress_size} bytes stored for "
            f"{info.file_size} bytes of data, in a file of {archive_size} bytes"
        )
    with archive.open(info) as f:
        major, _ = np.lib.format.read_magic(f)
        read_header = {1: np.lib.format.read_array_header_1_0, 2: np.lib.format.read_array_header_2_0}
        if major not in read_header:
            raise CheckpointError(f"entry {info.filename!r} has unsupported .npy version {major}")
        try:
            shape, _, dtype = read_header[major](f)
        except Exception as error:  # noqa: BLE001 (NumPy parses the header's text: a flipped byte can raise anything)
            raise CheckpointError(
                f"entry {info.filename!r} has a corrupt .npy header ({type(error).__name__}: {error})"
            ) from None
        if dtype.hasobject:
            raise CheckpointError(f"entry {info.filename!r} holds Python objects, which are never loaded")
        header_size = f.tell()
    declared = math.prod(shape) * dtype.itemsize
    if header_size + declared != info.file_size:
        raise CheckpointError(
            f"entry {info.filename!r} declares shape {shape} of {dtype} ({declared} bytes) but holds "
            f"{info.file_size - header_size} bytes of data"
        )
    data = archive.read(info)  # checks the CRC
    return np.load(io.BytesIO(data), allow_pickle=False)


def _read_arrays(path: str) -> dict[str, np.ndarray]:
    archive_size = os.path.getsize(path)
    with zipfile.ZipFile(path) as archive:
        arrays = {}
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                raise CheckpointError(f"unexpected entry {info.filename!r}")
            arrays[info.filename[: -len(".npy")]] = _read_entry(archive, info, archive_size)
    return arrays


def _meta_string(arrays, key) -> str:
    value = arrays.get(key)
    if value is None:
        raise CheckpointError(f"missing entry {key!r}")
    if value.shape != () or value.dtype.kind != "U":
        raise CheckpointError(f"entry {key!r} should be a string, got {value.dtype} of shape {value.shape}")
    return str(value)


def _meta_json(arrays, key):
    try:
        return json.loads(_meta_string(arrays, key))
    except json.JSONDecodeError as error:
        raise CheckpointError(f"entry {key!r} is not valid JSON: {error}") from None


def load_checkpoint(path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    CheckpointError
        (a ValueError) If the file is not a complete, uncorrupted scratchae checkpoint; the message names
        the file and what is wrong.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        arrays = _read_arrays(path)
        if _meta_string(arrays, "meta/format") != FORMAT:
            raise CheckpointError(f"meta/format is not {FORMAT!r}")
        version = arrays.get("meta/version")
        if version is None or version.shape != () or version.dtype.kind != "i" or int(version) != VERSION:
            raise CheckpointError(f"unsupported format version {version!r} (this library reads {VERSION})")
        epoch = arrays.get("meta/epoch")
        if epoch is None or epoch.shape != () or epoch.dtype.kind != "i" or int(epoch) < 0:
            raise CheckpointError(f"meta/epoch should be a non-negative integer, got {epoch!r}")
        config = _meta_json(arrays, "meta/config")
        history = _meta_json(arrays, "meta/history")
        if not isinstance(config, dict) or not isinstance(history, dict):
            raise CheckpointError("meta/config and meta/history should be JSON objects")
    except CheckpointError as error:
        raise CheckpointError(f"{path} is not a valid scratchae checkpoint: {error}") from None
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
        KeyError,
        NotImplementedError,
        RuntimeError,
        OverflowError,
    ) as error:
        raise CheckpointError(
            f"{path} is not a readable scratchae checkpoint ({type(error).__name__}: {error})"
        ) from None
    return Checkpoint(
        model_state={k[len("model/") :]: v for k, v in arrays.items() if k.startswith("model/")},
        optimizer_state={k[len("optimizer/") :]: v for k, v in arrays.items() if k.startswith("optimizer/")},
        epoch=int(epoch),
        config=config,
        history=history,
    )


def load_into(model, checkpoint: Checkpoint, optimizer=None, *, source: str = "checkpoint") -> None:
    """Copy a checkpoint's weights (and optimizer state) into existing objects.

    Raises
    ------
    CheckpointError
        If the checkpoint was written for another architecture; the message lists every missing key,
        unexpected key and shape mismatch, and nothing is changed.
    """
    weights_before = model.state_dict()
    try:
        model.load_state_dict(checkpoint.model_state)
        if optimizer is not None:
            optimizer.load_state_dict(checkpoint.optimizer_state)
    except ValueError as error:
        model.load_state_dict(weights_before)  # the optimizer state did not fit: undo the weights too
        written_for = checkpoint.config.get("model", "an unknown model")
        raise CheckpointError(
            f"{source} was written for {written_for!r} and does not fit {type(model).__name__}: {error}"
        ) from None
