"""Distribution: how one process takes part in a run, alone or as one rank of a torch.distributed group.

Data-parallel training, the same objective as one process
-----------------------------------------------------------
Every rank holds the whole training set (:class:`~hashx.train.FitData`) and
draws the same seeded global batches (:func:`~hashx.train.seeded_batches`).
Each global batch of ``B`` items is cut into ``W`` contiguous parts, one per
rank (:meth:`Distribution.shard`); rank ``r`` computes its part's loss as a
mean over its ``b_r`` items and multiplies it by ``b_r * W / B``.  Its
networks are wrapped in :class:`torch.nn.parallel.DistributedDataParallel`,
which averages the gradients over the ranks, so the update is

    (1/W) sum_r (b_r W / B) grad(mean_r) = (1/B) sum_{i in batch} grad(loss_i),

the gradient of the single-process batch mean: the same objective and the
same step, up to floating-point summation order.  A rank whose part is
empty (a last batch smaller than ``W``) runs a stand-in item with weight 0,
so the collective calls still match.

A term that couples the items of a batch (an in-batch contrastive loss, a
batch's mean code, a mean over the items that have a label) is not a mean
of per-item values, so no weight makes a part stand for the batch.  Such a
term is computed on the whole global batch on every rank
(:meth:`Distribution.live_batch`: the other ranks' outputs gathered as
constants, this rank's rows live) and multiplied by ``W``; the ranks'
gradients then sum to the single-process gradient of the term, and
DistributedDataParallel's average (division by ``W``) cancels the factor.

Per-item state (SSAH's label-network outputs for every training item,
DCMH's ``B``, ...) is updated from the whole global batch on every rank:
:meth:`Distribution.gather_batch` gathers the parts' outputs in batch
order, so every rank holds the same state as one process would, and the
next batch's targets are the same.

Only rank 0 validates and writes files; the scores it computes are sent to
the other ranks, so all of them take the same decisions (model selection,
early stopping, the end of an adaptive run).

Launching
---------
``hashx train --nproc N`` starts N local workers with PyTorch's elastic
launcher (the engine behind ``torchrun``); the same command runs under
``torchrun`` across machines, every process reading ``RANK``,
``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` from its environment
(:meth:`Distribution.from_env`).  The backend is ``gloo`` on CPU and
``nccl`` on CUDA.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os

import numpy as np
import torch

from ..exceptions import HashxValueError

__all__ = ["Distribution", "SINGLE_PROCESS", "check_distributable"]

log = logging.getLogger(__name__)


def check_distributable(method, world_size: int) -> None:
    """Refuse ``world_size > 1`` processes for a method that cannot train data-parallel.

    Parameters
    ----------
    method : MethodSettings
        The method's settings (its ``method_class`` says whether it supports distribution).
    world_size : int
        The number of processes asked for (``--nproc``, ``WORLD_SIZE``).

    Raises
    ------
    HashxValueError
        ``world_size > 1`` and the method's class sets ``supports_distribution = False``
        (e.g. the shallow methods, fitted in closed form over the whole training set).
    """
    if world_size > 1 and not method.method_class.supports_distribution:
        raise HashxValueError(f"Method {method.method_name!r} does not support distributed training (its class "
                              f"sets supports_distribution = False); train it in one process (without --nproc or "
                              f"torchrun). Got {world_size} processes.")


class Distribution:
    """One process of a run: rank ``rank`` of ``world_size`` (a single process by default).

    Parameters
    ----------
    rank : int, default=0
    world_size : int, default=1
        With ``world_size > 1`` the default process group must be
        initialised (:meth:`from_env` does it).
    """

    def __init__(self, *, rank: int = 0, world_size: int = 1):
        if world_size < 1 or not 0 <= rank < world_size:
            raise HashxValueError(f"A Distribution needs 0 <= rank < world_size. Got rank {rank}, world size "
                                  f"{world_size}.")
        self.rank = int(rank)
        self.world_size = int(world_size)

    def __repr__(self) -> str:
        return f"Distribution(rank={self.rank}, world_size={self.world_size})"

    @property
    def active(self) -> bool:
        """True when more than one process takes part."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on rank 0, the rank that validates and writes files."""
        return self.rank == 0

    @classmethod
    def from_env(cls, *, device="cpu") -> "Distribution":
        """The distribution torchrun (or ``hashx ... --nproc``) describes in the environment.

        Without ``WORLD_SIZE`` (or with 1) this is a single process.
        Otherwise the default process group is initialised (if it is not
        yet) with ``gloo`` for CPU or ``nccl`` for CUDA devices, and
        destroyed when the interpreter exits (:func:`atexit.register`), while
        Python is still whole: a process that exits with the group alive can
        abort in the backend's threads ("terminate called without an active
        exception", pytorch/pytorch#190489).  A group the caller initialised
        is the caller's to destroy.
        """
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size <= 1:
            return cls()
        rank = int(os.environ["RANK"])
        import torch.distributed as dist

        if not dist.is_initialized():
            backend = "nccl" if torch.device(device).type == "cuda" else "gloo"
            dist.init_process_group(backend)
            atexit.register(_destroy_process_group)
            log.info("rank %d of %d joined the %s process group", rank, world_size, backend)
        return cls(rank=rank, world_size=world_size)

    # -- batches -------------------------------------------------------------------------------
    def bounds(self, n: int) -> list[int]:
        """Where the ranks' parts of an ``n``-item batch start (``world_size + 1`` offsets)."""
        return [r * n // self.world_size for r in range(self.world_size + 1)]

    def shard(self, rows: np.ndarray) -> tuple[np.ndarray, float]:
        """This rank's part of a global batch and the weight of its loss.

        Parameters
        ----------
        rows : ndarray of shape (B,)
            The global batch (the same on every rank).

        Returns
        -------
        local : ndarray of shape (b_r,) (at least one item)
        weight : float
            ``b_r * world_size / B``; 0.0 for the stand-in item of a rank
            whose part is empty.  Exactly 1.0 for a single process.
        """
        if not self.active:
            return rows, 1.0
        b = self.bounds(len(rows))
        local = rows[b[self.rank]:b[self.rank + 1]]
        if len(local) == 0:
            return rows[:1], 0.0
        return local, len(local) * self.world_size / len(rows)

    def part(self, n: int) -> tuple[int, int, int]:
        """``(start, stop, n)``: the rows of an ``n``-item global batch that :meth:`shard` gives this rank.

        Per-item random numbers (a gradient penalty's interpolation weights)
        are drawn for the whole batch and these rows taken, so that every
        item gets the number one process would give it.  A rank whose part
        is empty gets ``(0, 1, n)``, the rows of its stand-in item.
        """
        if not self.active:
            return 0, n, n
        b = self.bounds(n)
        start, stop = b[self.rank], b[self.rank + 1]
        return (start, stop, n) if stop > start else (0, 1, n)

    def gather_batch(self, local: torch.Tensor, n: int) -> torch.Tensor:
        """Every rank's part of a per-item output, in global batch order: (n, ...) on every rank.

        ``local`` is this rank's output for its part (the stand-in item's
        output on a rank with an empty part, which is dropped).
        """
        if not self.active:
            return local
        import torch.distributed as dist

        b = self.bounds(n)
        width = max(b[r + 1] - b[r] for r in range(self.world_size))
        padded = local.new_zeros((max(width, 1), *local.shape[1:]))
        mine = b[self.rank + 1] - b[self.rank]
        padded[:mine] = local[:mine]
        parts = [torch.empty_like(padded) for _ in range(self.world_size)]
        dist.all_gather(parts, padded.contiguous())
        return torch.cat([parts[r][:b[r + 1] - b[r]] for r in range(self.world_size)])

    def live_batch(self, local: torch.Tensor, n: int) -> torch.Tensor:
        """The whole global batch of a per-item output, this rank's rows still in the autograd graph.

        For a term that is not a mean of per-item values (an in-batch
        contrastive loss, the batch's mean code, a mean over the items that
        have a label), :meth:`shard`'s weight cannot make the rank's part
        stand for the global batch.  Instead every rank computes the term on
        the global batch returned here (the same value on every rank) and
        multiplies it by ``world_size``: the other ranks' rows are constants,
        so rank ``r``'s gradient is ``world_size * sum_{i in part r}
        dL/dx_i dx_i/dtheta``, and the average DistributedDataParallel takes
        over the ranks is ``sum_i dL/dx_i dx_i/dtheta``, the single-process
        gradient of the term.

        Parameters
        ----------
        local : Tensor of shape (b_r, ...)
            This rank's output for its part (the stand-in item's on a rank
            with an empty part: it joins the graph with weight 0, so the
            rank's backward pass still reaches every parameter).
        n : int
            Size of the global batch.

        Returns
        -------
        Tensor of shape (n, ...)
            ``local`` itself for a single process.
        """
        if not self.active:
            return local
        b = self.bounds(n)
        mine = b[self.rank + 1] - b[self.rank]
        gathered = self.gather_batch(local.detach(), n)
        full = torch.cat([gathered[:b[self.rank]], local[:mine], gathered[b[self.rank + 1]:]])
        return full if mine else full + 0.0 * local.sum()

    def sum_over_ranks(self, values: dict) -> dict:
        """``{name: sum over ranks of value}`` for float values (one all-reduce)."""
        if not self.active or not values:
            return dict(values)
        import torch.distributed as dist

        names = sorted(values)
        t = torch.tensor([float(values[k]) for k in names], dtype=torch.float64)
        dist.all_reduce(t)
        return dict(zip(names, t.tolist()))

    def mean_over_ranks(self, values: dict) -> dict:
        """``{name: sum over ranks of value / world_size}`` (one all-reduce).

        A rank that logs ``weight * term`` for each step (its :meth:`shard`
        weight) gets, from this, the term's mean over the global batch: the
        weights of the ranks sum to ``world_size``.
        """
        return {k: v / self.world_size for k, v in self.sum_over_ranks(values).items()}

    def average_gradients(self, parameters) -> None:
        """Replace each parameter's gradient by its mean over the ranks (one all-reduce).

        What DistributedDataParallel does after a backward pass, for a
        module that cannot go through its wrapper: one whose loss takes a
        second-order gradient (a gradient penalty, ``torch.autograd.grad``
        with ``create_graph=True``), which DistributedDataParallel does not
        support.  Every rank must pass the same parameters in the same
        order; a trainable parameter without gradient counts as zeros, a
        frozen one (``requires_grad=False``) is left alone.
        """
        if not self.active:
            return
        import torch.distributed as dist

        params = [p for p in parameters if p.requires_grad]
        flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params])
        dist.all_reduce(flat)
        flat /= self.world_size
        offset = 0
        for p in params:
            p.grad = flat[offset:offset + p.numel()].view_as(p).clone()
            offset += p.numel()

    # -- networks and coordination --------------------------------------------------------------
    def wrap(self, module: torch.nn.Module, *, find_unused_parameters: bool = False) -> torch.nn.Module:
        """``module`` wrapped in DistributedDataParallel (itself for a single process).

        The wrapper averages gradients over the ranks; keep the unwrapped
        module for state dicts and encoders.  A method whose loss leaves some
        parameters of a module without gradient (a head it does not train)
        passes ``find_unused_parameters=True``.
        """
        if not self.active or not any(p.requires_grad for p in module.parameters()):
            return module
        from torch.nn.parallel import DistributedDataParallel

        device = next(module.parameters()).device
        ids = [device] if device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids, find_unused_parameters=find_unused_parameters)

    def gather_to_main(self, obj) -> list | None:
        """Every rank's ``obj`` in rank order on rank 0 (None on the other ranks)."""
        if not self.active:
            return [obj]
        import torch.distributed as dist

        out = [None] * self.world_size if self.is_main else None
        dist.gather_object(obj, out, dst=0)
        return out

    def broadcast(self, obj):
        """Rank 0's ``obj``, on every rank."""
        if not self.active:
            return obj
        import torch.distributed as dist

        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        """Wait until every rank gets here."""
        if self.active:
            import torch.distributed as dist

            dist.barrier()


def _destroy_process_group() -> None:
    """Destroy the default process group if it is still alive (registered at exit by :meth:`Distribution.from_env`)."""
    import torch.distributed as dist

    if dist.is_initialized():
        gc.collect()  # the finished steps' tensors and work objects go while the group is alive
        dist.destroy_process_group()


#: The default: one process.
SINGLE_PROCESS = Distribution()
