"""Where a benchmark ran: the CPU model, for every result file to name its machine.

Every script of this folder writes the CPU model into its results; they read
it here, so that all tables name a machine the same way.
"""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

__all__ = ["cpu_model"]


def cpu_model() -> str:
    """The CPU's model name: ``/proc/cpuinfo``'s ``model name``, else ``lscpu``'s, else ``platform.processor()``."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or platform.machine() or "unknown CPU"
