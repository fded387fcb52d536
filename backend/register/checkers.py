"""Worker processes that check chunks of a feed file while the importer writes (Linux, fork).

Why not `concurrent.futures`: its feeder and result threads live in the writer's process and need
its GIL for every chunk; while the writer is inside SQLite they wait for it, and the checkers wait
for them (a quarter of the import's wall time was spent so). Here the writer's process has no
thread: chunk `i` goes to checker `i % n` as a 24-byte descriptor (first line, offset, length),
the checker reads those bytes from the file itself (`pread` on the inherited descriptor), and
sends back the pickled outcome on its own pipe, which the writer reads when it needs chunk `i`.
A checker is at most a few chunks ahead: its pipe (1 MiB when the system allows it) is the bound,
so the memory stays flat.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import struct
import traceback
from collections.abc import Callable

_TASK = struct.Struct("qqq")  # first line number, offset, length
_SIZE = struct.Struct("q")  # length of the pickled outcome; negative: a traceback follows
_PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


class CheckerFailed(RuntimeError):
    """A checker process died or raised: the import cannot go on (nothing is committed)."""


class Checkers:
    """`n` forked checker processes running `check(first_line, block) -> bytes` on chunks of `fd`."""

    def __init__(self, fd: int, n: int, check: Callable[[int, bytes], bytes]) -> None:
        self.pids: list[int] = []
        self.tasks: list[int] = []  # write ends, one per checker
        self.results: list[int] = []  # read ends
        parent = os.getpid()
        try:
            for _ in range(n):
                task_r, task_w = os.pipe()
                result_r, result_w = os.pipe()
                try:
                    fcntl.fcntl(result_w, _F_SETPIPE_SZ, _PIPE_BYTES)
                except OSError:
                    pass  # the default 64 KiB only makes the checkers wait a little more
                pid = os.fork()
                if pid == 0:  # the checker: never returns into the importer's code
                    status = 1
                    try:
                        os.close(task_w)
                        os.close(result_r)
                        for other in (*self.tasks, *self.results):
                            os.close(other)
                        _die_with_parent(parent)
                        _serve(fd, task_r, result_w, check)
                        status = 0
                    finally:
                        os._exit(status)
                os.close(task_r)
                os.close(result_w)
                self.pids.append(pid)
                self.tasks.append(task_w)
                self.results.append(result_r)
        except BaseException:
            self.close(failed=True)
            raise

    def send(self, index: int, first: int, offset: int, length: int) -> None:
        """Chunk number `index` (0, 1, 2… in file order) goes to checker `index % n`."""
        os.write(self.tasks[index % len(self.tasks)], _TASK.pack(first, offset, length))

    def receive(self, index: int) -> bytes | bytearray:
        """The pickled outcome of chunk `index` (chunks must be received in the order sent)."""
        fd = self.results[index % len(self.results)]
        try:
            size = _SIZE.unpack(_read_exactly(fd, _SIZE.size))[0]
        except EOFError:
            raise CheckerFailed("a checker process died") from None
        if size < 0:
            raise CheckerFailed(_read_exactly(fd, -size).decode("utf-8", "replace"))
        return _read_exactly(fd, size)

    def close(self, failed: bool = False) -> None:
        """Done (the checkers see the end of their tasks and exit) or failed (they are killed)."""
        for fd in (*self.tasks, *self.results):
            os.close(fd)
        self.tasks, self.results = [], []
        for pid in self.pids:
            if failed:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.waitpid(pid, 0)
        self.pids = []

    def __enter__(self) -> Checkers:
        return self

    def __exit__(self, kind: type | None, *_: object) -> None:
        self.close(failed=kind is not None)


def _serve(fd: int, tasks: int, results: int, check: Callable[[int, bytes], bytes]) -> None:
    while True:
        try:
            task = _read_exactly(tasks, _TASK.size)
        except EOFError:
            return  # the importer is done
        first, offset, length = _TASK.unpack(task)
        try:
            block = os.pread(fd, length, offset)
            if len(block) != length:
                raise CheckerFailed(f"the file changed during the import (read {len(block)} of {length} bytes)")
            outcome = check(first, block)
        except Exception:
            text = traceback.format_exc().encode()
            _write_all(results, _SIZE.pack(-len(text)) + text)
            raise
        _write_all(results, _SIZE.pack(len(outcome)))
        _write_all(results, outcome)


def _read_exactly(fd: int, size: int) -> bytes | bytearray:
    buffer = bytearray(size)
    view = memoryview(buffer)
    done = 0
    while done < size:
        got = os.readv(fd, [view[done:]])
        if got == 0:
            raise EOFError if done == 0 else CheckerFailed("a checker process stopped mid-message")
        done += got
    return bytes(buffer) if size < 64 else buffer  # pickle reads a bytearray as well


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _die_with_parent(parent: int) -> None:
    """A checker must not outlive an importer killed with kill -9 (it would wait forever for work)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
