"""The IDX file format of MNIST and Fashion-MNIST: a tiny header, then one big-endian array.

Layout (LeCun et al., http://yann.lecun.com/exdb/mnist/)::

    bytes 0-1   0x00 0x00                     the magic number starts with two zero bytes
    byte  2     element type code             0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                                              0x0D float32, 0x0E float64
    byte  3     ndim                          number of dimensions
    then        ndim x uint32 (big-endian)    the size of each dimension
    then        prod(dims) elements           big-endian, C order

:func:`read_idx` checks every part of this header against the file before it allocates the array,
so a truncated, corrupt or mislabeled file raises a ``ValueError`` that names the file and the
problem, and nothing is half-loaded.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

# element type code -> big-endian dtype, as the IDX format defines them
TYPE_CODES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF_KIND = {(dtype.kind, dtype.itemsize): code for code, dtype in TYPE_CODES.items()}

_GZIP_MAGIC = b"\x1f\x8b"
# deflate cannot compress better than about 1032:1, so a gzip file of n bytes never holds more
_MAX_DEFLATE_RATIO = 1032
_CHUNK = 1 << 20
# NumPy arrays have at most 64 dimensions (32 before NumPy 2); the IDX header allows 255
_MAX_NDIM = 64 if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else 32


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into a NumPy array.

    Compression is detected from the file's first bytes, not from its name.

    Parameters
    ----------
    path : str or os.PathLike
        The file, e.g. ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    numpy.ndarray
        An array with the shape stored in the header and the native-endian version of the stored
        element type (``uint8`` for MNIST images and labels).

    Raises
    ------
    ValueError
        If the magic number, the element type code, the number of dimensions or the length of the
        data disagree with each other or with the file, if there are bytes after the data, or if the
        gzip stream is corrupt. The message names the file and what is wrong.
    """
    path = Path(path)
    size_on_disk = path.stat().st_size
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    try:
        if compressed:
            with gzip.open(path, "rb") as stream:
                return _read_stream(stream, path, max_bytes=_MAX_DEFLATE_RATIO * size_on_disk + 64, exact_bytes=None)
        with open(path, "rb") as stream:
            return _read_stream(stream, path, max_bytes=size_on_disk, exact_bytes=size_on_disk)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise ValueError(f"{path}: not a valid gzip file ({error})") from None


def _read_stream(stream, path: Path, *, max_bytes: int, exact_bytes: int | None) -> np.ndarray:
    magic = _read_exactly(stream, 4, path, "the 4-byte magic number")
    if magic[0] != 0 or magic[1] != 0:
        raise ValueError(
            f"{path}: bad magic number 0x{magic.hex()}: an IDX file starts with two zero bytes (is this an IDX file?)"
        )
    type_code, ndim = magic[2], magic[3]
    if type_code not in TYPE_CODES:
        known = ", ".join(f"0x{code:02X}" for code in TYPE_CODES)
        raise ValueError(f"{path}: unknown element type code 0x{type_code:02X} (known: {known})")
    if ndim == 0:
        raise ValueError(f"{path}: the header declares 0 dimensions; an IDX array has at least 1")
    if ndim > _MAX_NDIM:
        raise ValueError(
            f"{path}: the header declares {ndim} dimensions; NumPy arrays have at most "
            f"{_MAX_NDIM} (is the header corrupt?)"
        )
    dims = struct.unpack(f">{ndim}I", _read_exactly(stream, 4 * ndim, path, f"the sizes of {ndim} dimensions"))
    dtype = TYPE_CODES[type_code]
    header_bytes = 4 + 4 * ndim
    data_bytes = int(np.prod(dims, dtype=object)) * dtype.itemsize  # exact, no overflow
    declared = f"{ndim} dimensions {tuple(dims)} of {dtype.name} = {data_bytes} bytes of data"

    if exact_bytes is not None and header_bytes + data_bytes != exact_bytes:
        problem = "is truncated" if header_bytes + data_bytes > exact_bytes else "has trailing bytes"
        raise ValueError(
            f"{path}: the header declares {declared}, but the file holds "
            f"{exact_bytes - header_bytes} bytes after the header: it {problem}"
        )
    if header_bytes + data_bytes > max_bytes:
        raise ValueError(
            f"{path}: the header declares {declared}, more than a compressed file of "
            f"this size can hold: the file is truncated or the header is corrupt"
        )

    data = bytearray()
    while len(data) < data_bytes:  # grow with the data actually there, not with the header's claim
        chunk = stream.read(min(_CHUNK, data_bytes - len(data)))
        if not chunk:
            raise ValueError(
                f"{path}: the header declares {declared}, but the data ends after "
                f"{len(data)} bytes: the file is truncated"
            )
        data += chunk
    if stream.read(1):
        raise ValueError(f"{path}: the header declares {declared}, but more bytes follow: the file has trailing bytes")
    try:
        array = np.frombuffer(data, dtype=dtype).reshape(dims)
    except ValueError as error:  # e.g. a 0 next to sizes whose product overflows: "array is too big"
        raise ValueError(f"{path}: the header declares {declared}, a shape NumPy cannot represent ({error})") from None
    return array.astype(dtype.newbyteorder("="), copy=dtype.itemsize > 1)


def _read_exactly(stream, count: int, path: Path, what: str) -> bytes:
    data = stream.read(count)
    if len(data) != count:
        raise ValueError(f"{path}: the file ends after {len(data)} of the {count} bytes of {what}: it is truncated")
    return data


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file.

    Parameters
    ----------
    path : str or os.PathLike
        Where to write. Existing files are replaced.
    array : numpy.ndarray
        At least one dimension; dtype uint8, int8, int16, int32, float32 or float64.
    compress : bool, optional
        Write gzip. By default, when ``path`` ends with ``.gz``.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _CODE_OF_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise TypeError(
            f"write_idx: IDX cannot store dtype {array.dtype} (use uint8, int8, int16, int32, float32 or float64)"
        )
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"write_idx: IDX stores 1 to 255 dimensions, got an array of ndim {array.ndim}")
    if any(size >= 2**32 for size in array.shape):
        raise ValueError(f"write_idx: every dimension must be < 2**32, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = np.ascontiguousarray(array, dtype=TYPE_CODES[code]).tobytes()
    if compress is None:
        compress = path.name.endswith(".gz")
    if compress:
        # mtime=0 makes the bytes depend only on the array, so hashes of written files are stable
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as stream:
            stream.write(header + payload)
    else:
        path.write_bytes(header + payload)
    return path
