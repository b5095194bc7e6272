"""Where a benchmark ran: the CPU model, for every result file to name its machine.

Every script of this folder writes the CPU model into its results; they read
it here, so that all tables name a machine the same way.  A virtual machine
often reports only a generic name ("Intel(R) Xeon(R) Processor" covers
Skylake to Emerald Rapids), so :func:`cpu_id` adds the vendor, family, model
and stepping that tell those apart.
"""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

__all__ = ["cpu_model", "cpu_id"]


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


#: /proc/cpuinfo fields that identify a CPU generation, each with the word :func:`cpu_id` puts before its
#: value ("" for none), in the order it names them.
_ID_FIELDS = {"vendor_id": "", "cpu family": "family", "model": "model", "stepping": "stepping"}


def cpu_id(text: str | None = None) -> str:
    """``"GenuineIntel family 6 model 167 stepping 1"`` from ``/proc/cpuinfo`` (or ``text``); ``""`` if unknown.

    Only the first processor's block is read; fields it lacks are left out.
    """
    if text is None:
        try:
            text = Path("/proc/cpuinfo").read_text()
        except OSError:
            return ""
    found = {}
    for line in text.splitlines():
        if not line.strip():
            if found:
                break  # the end of the first processor's block
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if sep and key in _ID_FIELDS and key not in found:
            found[key] = value.strip()
    return " ".join(f"{label} {found[key]}".strip() for key, label in _ID_FIELDS.items() if key in found)
