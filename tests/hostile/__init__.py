"""A corpus of hostile inputs for every hashx file reader, and the judge of each outcome.

Used by the fast tests (``tests/test_fuzz_*.py``, a fixed hypothesis profile),
the CLI contract tests (``tests/test_reliability_cli.py``) and the long run
(``benchmarks/fuzz_readers.py``).

An input is a folder of files written from a dict ``{file name: bytes}``.
Each reader *family* (:class:`Family`) knows valid seed inputs, hand-written
hostile cases, how to call the hashx reader, and an independent **reference**
reading of the same files: a decoder written from the documented format (or
the standard library's / numpy's / h5py's / scipy's own reading plus the
documented rules), which raises :class:`Rejected` when the documented rules
refuse the input.  :func:`judge` runs the reader on an input and classifies
the outcome:

``clear_error``
    a :class:`~hashx.exceptions.HashxError` whose message names the file;
``accepted_correct``
    a result equal to the reference reading;
``unclear_error``
    a HashxError that does not name the file;
``crash``
    any other exception (a traceback for the user), a MemoryError included;
``silent_wrong``
    a result that differs from the reference, or that the reference refuses;
``hang`` (long run only)
    no answer within the time limit; a process killed by a signal counts as ``crash``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from hashx.exceptions import HashxError

__all__ = ["Rejected", "Family", "OUTCOMES", "FAMILIES", "ACCEPTABLE", "judge", "mutate", "write_input", "family",
           "fuzz_settings"]

OUTCOMES = ("clear_error", "accepted_correct", "unclear_error", "crash", "silent_wrong", "hang")
#: The outcomes the contract allows.
ACCEPTABLE = ("clear_error", "accepted_correct")


def fuzz_settings(max_examples: int):
    """The suite's fixed hypothesis profile: derandomized (the same examples on every run, so CI is
    deterministic), no deadline (the machine is shared), ``max_examples`` inputs."""
    from hypothesis import HealthCheck, settings

    return settings(derandomize=True, deadline=None, max_examples=max_examples, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


class Rejected(Exception):
    """The reference reading refuses the input (the documented rules say it is invalid)."""


@dataclass
class Family:
    """One reader under test.

    Attributes
    ----------
    name : str
    primary : str
        The file that byte-level mutations change.
    seeds : callable () -> list of dict
        Valid inputs.
    hostile : callable () -> list of (label, dict)
        Hand-written hostile inputs (wrong shapes and dtypes, NaN/Inf, empty
        arrays, huge declared sizes, labels that are not 0/1, ...).
    read : callable (folder) -> object
        Calls the hashx reader.
    reference : callable (folder) -> object
        The independent reading; raises :class:`Rejected`.
    same : callable (got, want) -> bool
    names_variable : bool
        Whether the files hold named variables that clear errors should name.
    mutator : callable (bytes, random.Random) -> bytes, optional
        A format-aware mutation used for half of the mutations (e.g. damage one
        ``.npy`` member of an ``.npz`` and re-zip it with valid CRCs, so the
        damage reaches the array headers instead of stopping at the zip CRC).
    """

    name: str
    primary: str
    seeds: object
    hostile: object
    read: object
    reference: object
    same: object
    names_variable: bool = False
    mutator: object = None
    notes: str = field(default="")

    def mutate(self, files: dict, rng: random.Random) -> dict:
        """``files`` with the primary file damaged by :func:`mutate` or, half of the time, by ``mutator``."""
        files = dict(files)
        use_own = self.mutator is not None and rng.random() < 0.5
        files[self.primary] = (self.mutator if use_own else mutate)(files[self.primary], rng)
        return files


FAMILIES: dict = {}


def family(fam: Family) -> Family:
    FAMILIES[fam.name] = fam
    return fam


def write_input(folder, files: dict) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def judge(fam: Family, folder) -> tuple[str, str]:
    """Run ``fam``'s reader on the input in ``folder``: ``(outcome, detail)`` (module docstring)."""
    folder = Path(folder)
    try:
        got = fam.read(folder)
    except HashxError as exc:
        text = str(exc)
        named = any(name in text for name in [p.name for p in folder.iterdir()] + [str(folder)])
        return ("clear_error" if named else "unclear_error"), f"{type(exc).__name__}: {text[:300]}"
    except Exception as exc:  # a traceback for the user (MemoryError included)
        return "crash", f"{type(exc).__name__}: {str(exc)[:300]}"
    try:
        want = fam.reference(folder)
    except Rejected as exc:
        return "silent_wrong", f"accepted, but the reference refuses it: {exc}"
    if not fam.same(got, want):
        return "silent_wrong", "accepted with a result that differs from the reference reading"
    return "accepted_correct", ""


# -- byte-level mutations ---------------------------------------------------------
_EXTREMES = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 2**31 - 1, 2**31, 2**32 - 1, 2**40, 2**62, 2**63 - 1,
             2**64 - 1)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random damaging edit of ``data``: truncation, bit flips, overwritten or inserted or deleted
    bytes, a repeated block, or an integer field set to an extreme value (huge declared sizes)."""
    data = bytearray(data)
    n = len(data)
    op = rng.randrange(8)
    if n == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
    if op == 0:  # truncation
        return bytes(data[:rng.randrange(n)])
    if op == 1:  # flip 1-4 bits
        for _ in range(rng.randrange(1, 5)):
            i = rng.randrange(n)
            data[i] ^= 1 << rng.randrange(8)
        return bytes(data)
    if op == 2:  # overwrite 1-8 bytes with random values
        i = rng.randrange(n)
        for j in range(i, min(n, i + rng.randrange(1, 9))):
            data[j] = rng.randrange(256)
        return bytes(data)
    if op == 3:  # insert random bytes
        i = rng.randrange(n + 1)
        return bytes(data[:i] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 33))) + data[i:])
    if op == 4:  # delete a range
        i = rng.randrange(n)
        return bytes(data[:i] + data[i + rng.randrange(1, 65):])
    if op == 5:  # repeat a block
        i = rng.randrange(n)
        j = min(n, i + rng.randrange(1, 129))
        return bytes(data[:j] + data[i:j] + data[j:])
    if op == 6:  # an integer field (4 or 8 bytes, little- or big-endian) set to an extreme
        width = rng.choice((4, 8))
        if n < width:
            return bytes(data[:-1])
        i = rng.randrange(n - width + 1)
        value = rng.choice(_EXTREMES) % (1 << (8 * width))
        data[i:i + width] = value.to_bytes(width, rng.choice(("little", "big")))
        return bytes(data)
    # op == 7: a digit or a token of a text format replaced
    i = rng.randrange(n)
    data[i:i + 1] = rng.choice((b"9" * 20, b"-1", b"NaN", b"1e400", b"", b'"', b"[", b"{", b"\xff", b"0"))
    return bytes(data)


def _load_all() -> None:
    # the family modules register themselves
    from . import arrays, checkpoints, code_imports, codes, json_files, labels, splits  # noqa: F401


_load_all()
