"""Runs ``hashx`` in this process with crash instrumentation, for tests/test_crash_safety.py (not a test module).

Usage: ``python crash_driver.py LOG KILL_AT_WRITE -- hashx arguments...``

* every epoch start and every atomic write is appended to LOG (``epoch N`` / ``write NAME``);
* with KILL_AT_WRITE = k > 0, the process kills itself with SIGKILL in the middle of the k-th
  atomic write of a checkpoint (half of the data written to the temporary file), the worst moment
  for a checkpoint; 0 leaves it to the test to kill the process from outside.
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    log_path, kill_at = sys.argv[1], int(sys.argv[2])
    argv = sys.argv[sys.argv.index("--") + 1:]
    import hashx._atomic as atomic
    import hashx.train.checkpoint as checkpoint
    from hashx.train.method import Method

    def log(line):
        with open(log_path, "a") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    original_train_epoch = {}

    def patch_epochs():
        from hashx.methods import METHODS

        for _, cls in METHODS.items():
            if cls.train_epoch not in original_train_epoch.values():
                fn = cls.train_epoch
                original_train_epoch[cls] = fn

                def wrapped(self, epoch, data, _fn=fn):
                    log(f"epoch {epoch}")
                    return _fn(self, epoch, data)

                cls.train_epoch = wrapped

    patch_epochs()
    assert issubclass(Method, object)
    writes = {"checkpoints": 0}
    real_atomic_write = atomic.atomic_write

    class _Killer:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            half = len(data) // 2
            self.f.write(data[:half])
            self.f.flush()
            os.kill(os.getpid(), signal.SIGKILL)

        def __getattr__(self, name):
            return getattr(self.f, name)

    import contextlib

    @contextlib.contextmanager
    def instrumented(path, mode="wb"):
        name = os.path.basename(str(path))
        log(f"write {name}")
        with real_atomic_write(path, mode) as f:
            if name.endswith(".pt"):
                writes["checkpoints"] += 1
                if writes["checkpoints"] == kill_at:
                    yield _Killer(f)
                    return
            yield f

    atomic.atomic_write = instrumented
    checkpoint.atomic_write = instrumented
    from hashx_cli.main import main as hashx_main

    hashx_main(argv)


if __name__ == "__main__":
    main()
