"""The ``hashx`` command: a click group whose subcommands load on demand.

Subcommand modules are imported only when their command runs, so that
``hashx search`` never imports torch (or the training code) and starts fast.
"""

from __future__ import annotations

import importlib
import os
import sys

# numba's OpenMP workers spin while they wait by default; on a machine whose
# cores are busy with other work that makes a 2-thread search 10-25x slower
# (benchmarks/README.md).  The command sets the passive policy unless the user
# chose one; the library itself never touches the environment.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:  # Ctrl-C during the second or so these imports take: one line too, no traceback
    import click

    from hashx import __version__

    from ._errors import INTERRUPTED, USER_ERRORS, as_click_exception, interrupted
except KeyboardInterrupt:
    sys.stderr.write("Error: interrupted (Ctrl-C) while starting; nothing was read or written.\n")
    raise SystemExit(1) from None

__all__ = ["cli", "main"]

#: command name -> (module under hashx_cli.commands, one-line help)
COMMANDS = {
    "train": ("train", "Train a hashing method on a named dataset protocol."),
    "encode": ("encode", "Encode image or text data into a hashx code file."),
    "search": ("search", "Search a code file for the nearest codes by Hamming distance."),
    "eval": ("evaluate", "Evaluate query codes against database codes (MAP, P@k, PR)."),
    "bench": ("bench", "Train and evaluate methods x bits x seeds; write the paper-style table."),
    "data": ("data", "Inspect datasets, write, verify and export protocol splits."),
    "codes": ("codes", "Inspect code files; export to and import from faiss, .npy and MATLAB .mat."),
}

EXIT_CODES = """\b
Exit codes:
  0  success
  1  error: a missing or corrupted file, a wrong dataset layout, mismatched
     codes, a missing optional dependency, or an interruption (one line on
     stderr, no traceback)
  2  bad usage: unknown option or bad option value"""


class LazyGroup(click.Group):
    """A group that imports each subcommand's module only when it is used."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"hashx_cli.commands.{COMMANDS[name][0]}")
        return module.command

    def parse_args(self, ctx, args):
        # What the user gave the command (sub-command first), for --nproc to hand to its workers.
        ctx.meta["hashx.argv"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        # The single place where library errors and interruptions become "Error: ..." + exit 1.
        try:
            return super().invoke(ctx)
        except BaseException as exc:
            if interrupted(exc):
                raise click.ClickException(INTERRUPTED) from None
            if isinstance(exc, USER_ERRORS):
                raise as_click_exception(exc) from exc
            raise

    def format_commands(self, ctx, formatter):
        rows = [(name, help_) for name, (_, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=EXIT_CODES)
@click.version_option(__version__, "--version", prog_name="hashx")
def cli():
    """hashx: cross-modal hashing — train, encode, search and evaluate binary codes.

    \b
    Example:
      hashx train --dataset synthetic --bits 32 --out runs/demo
      hashx search --database db.hxc --queries q.hxc -k 10
    """


def main(argv=None) -> None:
    """Console-script entry point (``hashx``) and ``python -m hashx``."""
    try:
        cli.main(args=argv, prog_name="hashx")
    except SystemExit as exc:
        if exc.code in (0, None) and _is_distributed_worker():
            _leave_worker()
        raise


def _is_distributed_worker() -> bool:
    """True in a worker started by ``--nproc`` or torchrun (``WORLD_SIZE`` above 1)."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1")) > 1
    except ValueError:
        return False


def _leave_worker() -> None:
    """End a distributed worker whose command succeeded, without interpreter teardown.

    The worker's files are written (atomically) and closed by now.  Tearing
    the interpreter down with the gloo backend's threads still alive can
    abort the process ("terminate called without an active exception",
    pytorch/pytorch#190489, #179291), and the launcher would then report a finished
    worker as failed.  So the group is destroyed, output is flushed, and the
    process leaves with status 0 straight away.
    """
    import logging

    if "torch.distributed" in sys.modules:
        from hashx.train.distributed import _destroy_process_group

        _destroy_process_group()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)
