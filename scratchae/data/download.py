"""Download a file from a list of mirrors, verified by SHA-256 before it is kept.

The bytes go to a temporary file next to the target and are renamed into place (``os.replace``,
atomic on one file system) only after the whole file arrived and its SHA-256 matched. A failed,
interrupted or corrupted download therefore never leaves a file that looks valid: it leaves nothing.
Only the standard library's ``urllib`` is used; ``tqdm`` draws the progress bar.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from tqdm.auto import tqdm

# The usual public mirrors, tried in turn.
MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",  # PyTorch's mirror
        "https://storage.googleapis.com/cvdf-datasets/mnist/",  # TensorFlow's mirror
        "http://yann.lecun.com/exdb/mnist/",  # the original
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
}

# SHA-256 of the official files (the MD5s torchvision checks belong to these same files).
# The Debian package dataset-fashion-mnist ships the same images recompressed, so its .gz files
# have other hashes; files found on disk are validated by read_idx, not by these hashes.
SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
}

_CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """Every mirror failed; the message lists each URL and why."""


def download_file(
    filename: str,
    directory: str | os.PathLike,
    *,
    mirrors: Sequence[str],
    sha256: str,
    progress: bool = True,
    timeout: float = 30.0,
) -> Path:
    """Download ``filename`` from the first mirror that serves it with the expected SHA-256.

    Parameters
    ----------
    filename : str
        Name of the file on the mirrors and on disk.
    directory : str or os.PathLike
        Where to put it (created if needed).
    mirrors : sequence of str
        Base URLs, tried in turn; the file's URL is ``mirror + filename``.
    sha256 : str
        Expected hex SHA-256 of the file; a file that differs is rejected.
    progress : bool
        Show a tqdm progress bar on stderr.
    timeout : float
        Seconds to wait for a connection or for data.

    Returns
    -------
    pathlib.Path
        ``directory / filename``, complete and verified.

    Raises
    ------
    DownloadError
        When no mirror delivered a verified file; the message lists every URL and its failure.
        Nothing is left in ``directory`` in that case.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / filename
    failures = []
    for mirror in mirrors:
        url = mirror if mirror.endswith("/") else mirror + "/"
        url += filename
        try:
            _fetch_verified(url, target, sha256.lower(), progress, timeout)
            return target
        except (OSError, http.client.HTTPException, ValueError) as error:
            failures.append(f"  {url}: {_describe(error)}")
    raise DownloadError(f"could not download {filename} into {directory}; tried:\n" + "\n".join(failures))


def _fetch_verified(url: str, target: Path, sha256: str, progress: bool, timeout: float) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            expected_bytes = int(length) if length is not None else None
            received = 0
            with tqdm(
                total=expected_bytes,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=target.name,
                disable=not progress,
                leave=False,
            ) as bar:
                while chunk := _read_chunk(response, received, expected_bytes):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        if expected_bytes is not None and received != expected_bytes:
            raise ValueError(f"transfer interrupted: got {received} of {expected_bytes} bytes")
        if digest.hexdigest() != sha256:
            raise ValueError(
                f"SHA-256 mismatch: expected {sha256}, got {digest.hexdigest()} "
                f"({received} bytes); the file was discarded"
            )
        os.replace(temporary, target)
    except BaseException:  # also Ctrl-C: never leave a partial file behind
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_chunk(response, received: int, expected_bytes: int | None) -> bytes:
    try:
        return response.read(_CHUNK)
    except http.client.IncompleteRead:  # the server closed the connection before the end
        raise ValueError(f"transfer interrupted: got {received} of {expected_bytes} bytes") from None


def _describe(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"cannot connect ({error.reason})"
    return f"{type(error).__name__}: {error}" if not isinstance(error, ValueError) else str(error)
