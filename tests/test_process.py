"""The collector pause (backend/process.py): shared by threads, restores what it found, bounded."""

from __future__ import annotations

import gc
import threading

import pytest

from backend import process


@pytest.fixture(autouse=True)
def collector_back_on():
    yield
    gc.enable()


def test_overlapping_pauses_end_with_the_last():
    started, release = threading.Event(), threading.Event()

    def render() -> None:
        with process.collector_paused():
            started.set()
            release.wait(5)

    with process.collector_paused():
        other = threading.Thread(target=render)
        other.start()
        started.wait(5)
        assert not gc.isenabled()
    assert not gc.isenabled(), "the other thread's pause still holds"
    release.set()
    other.join(5)
    assert gc.isenabled()


def test_a_collector_disabled_by_someone_else_stays_disabled():
    gc.disable()
    with process.collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_long_overlapping_pause_collects_the_young_generations(monkeypatch):
    collected = []
    monkeypatch.setattr(process, "LONGEST_PAUSE_SECONDS", 0.0)
    monkeypatch.setattr(process.gc, "collect", lambda generation=2: collected.append(generation) or 0)
    outer = process.collector_paused()
    outer.__enter__()
    with process.collector_paused():
        pass
    assert collected == [1] and not gc.isenabled(), "collected while the outer pause goes on"
    outer.__exit__(None, None, None)
    assert gc.isenabled()
