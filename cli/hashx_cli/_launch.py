"""``--nproc N``: run this very command in N local worker processes with PyTorch's elastic launcher.

The workers run ``python -m hashx`` with the same arguments (``--nproc``
removed) and the environment torchrun would give them (``RANK``,
``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``, ...): the command line of a
single-machine run and of a ``torchrun`` run across machines is the same.
"""

from __future__ import annotations

import sys
import uuid

import click

__all__ = ["nproc_option", "launch_workers", "command_argv"]

nproc_option = click.option(
    "--nproc", type=click.IntRange(min=1), default=1, show_default=True,
    help="Run data-parallel in N local worker processes (torch.distributed: gloo on CPU, nccl on GPU). "
         "Across machines, run the command under torchrun instead, without --nproc.")


def command_argv(ctx: click.Context) -> list[str]:
    """The arguments the user gave this sub-command (recorded by the group), ``--nproc`` removed."""
    argv = list(ctx.find_root().meta.get("hashx.argv", []))
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            out.append(arg)
    return out


def launch_workers(argv: list[str], nproc: int) -> None:
    """Run ``python -m hashx *argv`` in ``nproc`` workers on this machine; wait for them.

    Raises
    ------
    click.ClickException
        A worker failed (its error is on stderr, prefixed by its rank).
    """
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=str(uuid.uuid4()),
                          rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0,
                          monitor_interval=0.5, log_line_prefix_template="[rank ${rank}] ")
    try:
        elastic_launch(config, entrypoint=sys.executable)("-m", "hashx", *argv)
    except ChildFailedError as exc:
        failures = exc.failures
        codes = sorted({f.exitcode for f in failures.values()})
        raise click.ClickException(f"{len(failures)} of {nproc} worker(s) failed (exit codes {codes}); "
                                   f"their messages are above") from None
