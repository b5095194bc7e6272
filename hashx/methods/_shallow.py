"""ShallowMethod: what CCA-ITQ, CMFH, SCM-seq and SCRATCH share under the trainer contract.

A shallow method fits linear (or kernelised) projections of pre-extracted
features by closed-form or alternating steps over the whole training set.
Under the trainer (:func:`hashx.train.train`) it works like this:

* every step is a full pass of the method's closed form or one round of its
  alternating updates; the first epoch first initialises the method's state
  (random factors drawn from ``numpy.random.default_rng(run.seed)``, nothing
  else random), then each epoch runs ``iterations_per_epoch`` steps (None:
  all remaining steps) and copies the current hash functions into the
  encoder networks (:class:`~hashx.models.LinearHash`,
  :class:`~hashx.models.KernelHash`), which the trainer validates and
  checkpoints as for any method;
* :meth:`converged` turns True after ``max_iter`` steps (1 for a closed
  form) or once the objective decreased by at most ``tol`` times its previous
  value; the trainer then ends the run after that epoch;
* the state (fitted factors and per-item matrices in :attr:`factors`, the
  step count and objective history) is a few tensors, so a run resumes
  exactly; quantities derived from the data alone (Gram matrices, kernel
  features) are recomputed after a resume, deterministically.

There is no learning rate, batch or schedule: the run's ``batch_size``,
``lr_schedule`` and ``lr_min_factor`` do not apply.  ``run.epochs`` bounds the
number of epochs as for every method, so with ``iterations_per_epoch`` set a
run stops after at most ``epochs * iterations_per_epoch`` steps; with the
default (None) the whole fit happens in the first epoch, and one epoch is
all a run needs (``hashx train --epochs 1``, ``hashx bench --epochs 1``).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from .._validation import check_float, check_int
from ..exceptions import HashxValueError
from ..models import create_model
from ..train.method import Method, MethodSettings

__all__ = ["ShallowMethod", "ShallowSettings", "AlternatingSettings", "fit_inputs"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ShallowSettings(MethodSettings):
    """Settings every shallow method has (a base class, not registered).

    Parameters
    ----------
    blas_threads : int or None, default=1
        BLAS threads for the fit's numpy/scipy algebra (None: as configured,
        e.g. by ``OPENBLAS_NUM_THREADS``).  A fit is mostly many products of
        thin (n, K) or small (d, K) matrices, for which OpenBLAS's thread
        start-up and synchronisation cost more than a second thread gains:
        on the shared 2-core test machine one thread fitted CMFH on the
        synthetic set in 3.4 s instead of 21 s, SCRATCH in 8 s instead of
        31 s, and the 4096-d Gram matrix of the MIRFlickr stand-in was no
        slower (benchmarks/results/shallow-baselines.md).
    """

    blas_threads: int | None = 1

    def __post_init__(self):
        check_int(self.blas_threads, "blas_threads", caller=type(self).__name__, min_value=1, allow_none=True)


@dataclass(frozen=True, kw_only=True)
class AlternatingSettings(ShallowSettings):
    """Settings every alternating shallow method has (a base class, not registered).

    Parameters
    ----------
    blas_threads : int or None, default=1
        See :class:`ShallowSettings`.
    max_iter : int
        Most alternating steps (each method states its paper's default).
    tol : float >= 0
        Stop once a step lowers the objective by at most ``tol`` times its
        previous value (0: only when it stops decreasing altogether).
    iterations_per_epoch : int or None, default=None
        Steps per trainer epoch; None runs them all in the first epoch (one
        validation, of the converged model).  A number validates (and
        checkpoints) along the way; the trainer keeps the epoch with the best
        validation MAP.
    """

    max_iter: int = 100
    tol: float = 1e-4
    iterations_per_epoch: int | None = None

    def __post_init__(self):
        super().__post_init__()
        caller = type(self).__name__
        check_int(self.max_iter, "max_iter", caller=caller, min_value=1)
        object.__setattr__(self, "tol", check_float(self.tol, "tol", caller=caller))
        check_int(self.iterations_per_epoch, "iterations_per_epoch", caller=caller, min_value=1, allow_none=True)


def fit_inputs(data, *, caller: str):
    """The fit items' image features, text vectors and labels, for numpy/scipy algebra.

    Parameters
    ----------
    data : FitData
    caller : str
        The method, named in errors.

    Returns
    -------
    image : ndarray of shape (n, d_image), float32 (a view of ``data.image`` on CPU)
    text : scipy CSR matrix or ndarray of shape (n, d_text)
        The dataset's own sparse rows when its text is sparse (never densified),
        else ``data.text``.
    labels : ndarray of shape (n, c), float64

    Raises
    ------
    HashxValueError
        The dataset holds raw images: shallow methods need feature vectors.
    """
    if data.image is None:
        raise HashxValueError(f"{caller} fits linear hash functions on image feature vectors; dataset "
                              f"{data.dataset.name!r} holds raw images. Extract features first (e.g. CNN fc7).")
    image = data.image.detach().cpu().numpy()
    source = data.dataset.text
    if sp.issparse(source):
        text = sp.csr_matrix(source)[data.idx]
    else:
        text = data.text.detach().cpu().numpy()
    labels = data.labels.detach().cpu().numpy().astype(np.float64)
    return image, text, labels


def _blas_threads(limit: int | None):
    """A context limiting the BLAS thread pools to ``limit`` threads (None: no change)."""
    if limit is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    return threadpool_limits(limits=limit, user_api="blas")


class ShallowMethod(Method):
    """Base of the shallow methods (see the module docstring for how they train).

    A subclass implements :meth:`prepare` (data-derived quantities),
    :meth:`initialize` (the fresh state), :meth:`step` (one closed-form fit or
    one alternating round, returning its logged values with ``"objective"``)
    and :meth:`export` (the hash functions into :attr:`nets`), and may
    override :meth:`model_spec` (default: a linear hash per modality).
    """

    def __init__(self, settings, *, run, data, device):
        super().__init__(settings, run=run, data=data, device=device)
        if self.dims.image_kind != "features":
            raise HashxValueError(f"{type(self).__name__} fits linear hash functions on image feature vectors; "
                                  f"the dataset holds raw images of shape {self.dims.image_dim}. Extract "
                                  f"features first (e.g. CNN fc7).")
        self._spec = self.model_spec(data)
        self.nets = {m: create_model(s["name"], **s["kwargs"]).to(self.device) for m, s in self._spec.items()}
        #: Fitted state: projections, factors, per-item matrices (float64 or int64 tensors on CPU).
        self.factors: dict[str, torch.Tensor] = {}
        self.iteration = 0
        self.objectives: list[float] = []
        self._prepared_for = None
        self._prepared = None

    # -- what a subclass provides ---------------------------------------------
    def model_spec(self, data) -> dict:
        """Registry names and kwargs of the two hash functions (default: linear)."""
        k = self.run.nbits
        return {"image": {"name": "image_linear_hash", "kwargs": {"in_dim": int(self.dims.image_dim), "nbits": k}},
                "text": {"name": "text_linear_hash", "kwargs": {"in_dim": int(self.dims.text_dim), "nbits": k}}}

    def prepare(self, data):
        """Data-derived quantities the steps use (recomputed after a resume)."""
        raise NotImplementedError

    def initialize(self, prepared, rng: np.random.Generator) -> dict:
        """The fresh state (a dict of numpy arrays), drawing randomness from ``rng`` only."""
        return {}

    def step(self, prepared) -> dict:
        """One closed-form fit or one round of alternating updates; returns logged floats incl. ``objective``."""
        raise NotImplementedError

    def export(self, prepared) -> None:
        """Copy the current hash functions into :attr:`nets`."""
        raise NotImplementedError

    # -- helpers for subclasses ------------------------------------------------
    def array(self, name: str) -> np.ndarray:
        """A fitted factor as a numpy array (shares memory with the tensor)."""
        return self.factors[name].numpy()

    def set_arrays(self, **arrays) -> None:
        """Store fitted factors (numpy arrays; floats as float64, integers as int64) as tensors."""
        for name, value in arrays.items():
            value = np.asarray(value)
            dtype = np.int64 if value.dtype.kind in "iu" else np.float64
            self.factors[name] = torch.from_numpy(np.ascontiguousarray(value, dtype=dtype))

    @property
    def _alternating(self) -> bool:
        return isinstance(self.settings, AlternatingSettings)

    # -- the Method contract -----------------------------------------------------
    def setup(self, data) -> None:
        """Nothing to do before the first epoch: it initialises and fits (so its time is the fit time)."""

    def train_epoch(self, epoch: int, data) -> dict:
        with _blas_threads(self.settings.blas_threads):
            return self._train_epoch(data)

    def _train_epoch(self, data) -> dict:
        if self._prepared_for is not data:
            self._prepared, self._prepared_for = self.prepare(data), data
        if self.iteration == 0 and not self.factors:
            self.set_arrays(**self.initialize(self._prepared, np.random.default_rng(self.run.seed)))
        per_epoch = self.settings.iterations_per_epoch if self._alternating else None
        logs, done = {}, 0
        while not self.converged() and (per_epoch is None or done < per_epoch):
            logs = {k: float(v) for k, v in self.step(self._prepared).items()}
            self.objectives.append(logs["objective"])
            self.iteration += 1
            done += 1
        self.export(self._prepared)
        log.info("%s: %d step(s) done, objective %.6g%s", type(self).__name__, self.iteration,
                 self.objectives[-1] if self.objectives else float("nan"),
                 " (converged)" if self.converged() else "")
        return {**logs, "iterations": float(self.iteration)}

    def converged(self) -> bool:
        """After ``max_iter`` steps (1 for a closed form), or once the objective stopped decreasing by > ``tol``."""
        if not self._alternating:
            return self.iteration >= 1
        if self.iteration >= self.settings.max_iter:
            return True
        if len(self.objectives) >= 2:
            before, now = self.objectives[-2], self.objectives[-1]
            return before - now <= self.settings.tol * abs(before)
        return False

    def encoder_nets(self) -> dict:
        return dict(self.nets)

    def encoder_spec(self) -> dict:
        return {m: {"name": s["name"], "kwargs": dict(s["kwargs"])} for m, s in self._spec.items()}

    def state_dict(self) -> dict:
        """Fitted factors, step count, objective history and the hash functions."""
        return {"factors": dict(self.factors), "iteration": self.iteration, "objectives": list(self.objectives),
                "nets": {m: net.state_dict() for m, net in self.nets.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.factors = {k: v.detach().cpu().clone() for k, v in state["factors"].items()}
        self.iteration = int(state["iteration"])
        self.objectives = [float(v) for v in state["objectives"]]
        for m, net in self.nets.items():
            net.load_state_dict(state["nets"][m])
