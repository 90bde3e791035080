"""Downloads, for real, from an HTTP server on 127.0.0.1 serving generated IDX files.

No test here contacts any other host: every mirror and checksum is injected.
"""

import gzip
import hashlib
import socket
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from scratchae.data import DownloadError, datasets, download, download_file, fetch, load_dataset, write_idx


def idx_file_bytes(tmp_path, array, name):
    return write_idx(tmp_path / name, array).read_bytes()


class Handler(BaseHTTPRequestHandler):
    """Serves ``files`` under a first path segment that says how to behave:

    /ok/<name>       the file
    /missing/<name>  404
    /corrupt/<name>  the file with one byte changed (checksum mismatch)
    /short/<name>    announces the full length, sends half, closes the connection
    /nolength/<name> sends half with no Content-Length, then closes
    """

    def __init__(self, *args, files, requests, **kwargs):
        self.files, self.requests = files, requests
        super().__init__(*args, **kwargs)

    def do_GET(self):
        self.requests.append(self.path)
        mode, _, name = self.path.strip("/").partition("/")
        data = self.files.get(name)
        if data is None or mode == "missing":
            self.send_error(404)
            return
        if mode == "corrupt":
            data = bytes([data[0] ^ 1]) + data[1:]
        body = data[: len(data) // 2] if mode in ("short", "nolength") else data
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if mode != "nolength":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def mnist_files(tmp_path_factory):
    """Small MNIST-like train and test IDX files, gzip, with their SHA-256."""
    rng = np.random.default_rng(0)
    folder = tmp_path_factory.mktemp("served")
    files = {}
    for prefix, n in (("train", 12), ("t10k", 5)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        files[f"{prefix}-images-idx3-ubyte.gz"] = idx_file_bytes(folder, images, f"{prefix}-images.gz")
        files[f"{prefix}-labels-idx1-ubyte.gz"] = idx_file_bytes(folder, labels, f"{prefix}-labels.gz")
    checksums = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    return files, checksums


@pytest.fixture(scope="module")
def running_server(mnist_files):
    files, _ = mnist_files
    requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, files=files, requests=requests))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def server(running_server):
    """The server's base URL and the list of paths requested during this test."""
    base, requests = running_server
    requests.clear()
    return base, requests


@pytest.fixture
def refused_url():
    """A 127.0.0.1 URL where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def no_local_data(tmp_path, monkeypatch):
    """Isolate the look-up: no $SCRATCHAE_DATA, an empty cache, no system directories."""
    monkeypatch.delenv("SCRATCHAE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "SYSTEM_DIRS", ())


NAME = "t10k-labels-idx1-ubyte.gz"


def test_download_succeeds_and_leaves_only_the_file(tmp_path, server, mnist_files):
    base, requests = server
    files, checksums = mnist_files
    target = tmp_path / "out"
    path = download_file(NAME, target, mirrors=[f"{base}/ok/"], sha256=checksums[NAME], progress=False)
    assert path == target / NAME
    assert path.read_bytes() == files[NAME]
    assert sorted(p.name for p in target.iterdir()) == [NAME]
    assert requests == [f"/ok/{NAME}"]


def test_mirror_without_trailing_slash(tmp_path, server, mnist_files):
    base, _ = server
    path = download_file(NAME, tmp_path, mirrors=[f"{base}/ok"], sha256=mnist_files[1][NAME], progress=False)
    assert path.read_bytes() == mnist_files[0][NAME]


def test_checksum_mismatch_is_rejected_and_nothing_is_left(tmp_path, server, mnist_files):
    base, _ = server
    with pytest.raises(DownloadError, match="SHA-256 mismatch"):
        download_file(NAME, tmp_path, mirrors=[f"{base}/corrupt/"], sha256=mnist_files[1][NAME], progress=False)
    assert list(tmp_path.iterdir()) == []


def test_wrong_expected_checksum_is_rejected(tmp_path, server):
    base, _ = server
    with pytest.raises(DownloadError, match="SHA-256 mismatch"):
        download_file(NAME, tmp_path, mirrors=[f"{base}/ok/"], sha256="0" * 64, progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("first", ["404", "refused", "corrupt", "short"])
def test_failing_first_mirror_then_the_second_works(tmp_path, server, mnist_files, refused_url, first):
    base, requests = server
    files, checksums = mnist_files
    bad = {"404": f"{base}/missing/", "refused": refused_url, "corrupt": f"{base}/corrupt/", "short": f"{base}/short/"}[
        first
    ]
    path = download_file(NAME, tmp_path, mirrors=[bad, f"{base}/ok/"], sha256=checksums[NAME], progress=False)
    assert path.read_bytes() == files[NAME]
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]
    assert requests[-1] == f"/ok/{NAME}"


@pytest.mark.parametrize("mode", ["short", "nolength"])
def test_interrupted_transfer_leaves_nothing(tmp_path, server, mnist_files, mode):
    base, _ = server
    name = "train-images-idx3-ubyte.gz"  # the largest file, cut in the middle
    with pytest.raises(DownloadError, match=r"interrupted|mismatch"):
        download_file(name, tmp_path, mirrors=[f"{base}/{mode}/"], sha256=mnist_files[1][name], progress=False)
    assert list(tmp_path.iterdir()) == []


def test_all_mirrors_failing_names_each_one(tmp_path, server, mnist_files, refused_url):
    base, _ = server
    mirrors = [f"{base}/missing/", refused_url, f"{base}/short/"]
    with pytest.raises(DownloadError) as info:
        download_file(NAME, tmp_path, mirrors=mirrors, sha256=mnist_files[1][NAME], progress=False)
    message = str(info.value)
    assert "HTTP 404" in message and "cannot connect" in message and "interrupted" in message
    assert all(mirror + NAME in message for mirror in mirrors)
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_download_leaves_nothing(tmp_path, server, mnist_files, monkeypatch):
    base, _ = server

    class InterruptingBar:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            raise KeyboardInterrupt

    monkeypatch.setattr(download, "tqdm", InterruptingBar)
    with pytest.raises(KeyboardInterrupt):
        download_file(NAME, tmp_path, mirrors=[f"{base}/ok/"], sha256=mnist_files[1][NAME])
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_replaced_only_by_a_verified_one(tmp_path, server, mnist_files):
    base, _ = server
    old = tmp_path / NAME
    old.write_bytes(b"old contents")
    with pytest.raises(DownloadError):
        download_file(NAME, tmp_path, mirrors=[f"{base}/corrupt/"], sha256=mnist_files[1][NAME], progress=False)
    assert old.read_bytes() == b"old contents"
    download_file(NAME, tmp_path, mirrors=[f"{base}/ok/"], sha256=mnist_files[1][NAME], progress=False)
    assert old.read_bytes() == mnist_files[0][NAME]


def test_progress_bar_is_drawn(tmp_path, server, mnist_files, capsys):
    base, _ = server
    download_file(NAME, tmp_path, mirrors=[f"{base}/ok/"], sha256=mnist_files[1][NAME], progress=True)
    assert NAME in capsys.readouterr().err


def test_load_dataset_downloads_missing_files(tmp_path, server, mnist_files, monkeypatch, no_local_data):
    base, requests = server
    files, checksums = mnist_files
    monkeypatch.setitem(download.MIRRORS, "mnist", (f"{base}/missing/", f"{base}/ok/"))
    monkeypatch.setitem(download.SHA256, "mnist", checksums)
    root = tmp_path / "data"

    test = load_dataset("mnist", "test", root=root, download=True)
    assert sorted(p.name for p in (root / "mnist").iterdir()) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    expected = np.frombuffer(gzip.decompress(files["t10k-images-idx3-ubyte.gz"])[16:], np.uint8)
    np.testing.assert_array_equal(test.images.ravel(), expected.astype(np.float32) / 255)
    assert test.images.shape == (5, 1, 28, 28) and test.labels.dtype == np.int64

    count = len(requests)
    again = load_dataset("mnist", "test", root=root, download=True)  # found now: no request
    assert len(requests) == count and len(again) == 5


def test_fetch_downloads_into_the_cache_by_default(server, mnist_files, no_local_data, tmp_path):
    base, _ = server
    fetched = fetch("mnist", mirrors=[f"{base}/ok/"], checksums=mnist_files[1], progress=False)
    cache = tmp_path / "cache" / "scratchae" / "mnist"
    assert sorted(fetched) == sorted(cache / name for name in mnist_files[0])
    assert len(load_dataset("mnist", "train")) == 12
    assert fetch("mnist", mirrors=["http://127.0.0.1:9/never-used/"], checksums={}) == []


def test_failed_download_through_load_dataset_leaves_nothing(tmp_path, server, mnist_files, monkeypatch, no_local_data):
    base, _ = server
    monkeypatch.setitem(download.MIRRORS, "mnist", (f"{base}/corrupt/",))
    monkeypatch.setitem(download.SHA256, "mnist", mnist_files[1])
    with pytest.raises(DownloadError):
        load_dataset("mnist", "train", root=tmp_path / "data", download=True)
    assert list((tmp_path / "data" / "mnist").iterdir()) == []


def test_offline_error_lists_files_places_and_how_to_get_them(tmp_path, no_local_data, monkeypatch):
    monkeypatch.setenv("SCRATCHAE_DATA", str(tmp_path / "env"))
    with pytest.raises(FileNotFoundError) as info:
        load_dataset("fashion-mnist", "test", root=tmp_path / "mine")
    message = str(info.value)
    for expected in [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        str(tmp_path / "mine"),
        str(tmp_path / "env" / "fashion-mnist"),
        str(tmp_path / "cache" / "scratchae" / "fashion-mnist"),
        "apt-get install dataset-fashion-mnist",
        "download=True",
    ]:
        assert expected in message


def test_offline_error_says_which_file_is_missing(tmp_path, no_local_data, mnist_files):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(mnist_files[0]["t10k-images-idx3-ubyte.gz"])
    with pytest.raises(FileNotFoundError, match=r"mine  \(missing t10k-labels-idx1-ubyte\)"):
        load_dataset("mnist", "test", root=folder)


def test_published_checksum_tables_are_complete():
    for name in ("mnist", "fashion-mnist"):
        assert len(download.MIRRORS[name]) >= 2
        assert set(download.SHA256[name]) == {f"{stem}.gz" for split in datasets.FILES.values() for stem in split}
        assert all(len(h) == 64 and int(h, 16) >= 0 for h in download.SHA256[name].values())
