"""scratchae.memory: the allocator setting that Trainer makes before training."""

import sys

import pytest

from scratchae import memory


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(memory, "_done", False)


def test_keep_freed_memory_works_on_linux_glibc_and_is_idempotent(fresh):
    if not sys.platform.startswith("linux"):
        pytest.skip("glibc only")
    assert memory.keep_freed_memory() is True
    assert memory.keep_freed_memory() is True


def test_keep_freed_memory_does_nothing_elsewhere(fresh, monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert memory.keep_freed_memory() is False
    assert memory._done is False
