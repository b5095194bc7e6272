"""CSQ: Central Similarity Quantisation (Yuan et al., CVPR 2020), applied to an image and a text network.

CSQ is single-modal in its paper; hashx's cross-modal use pulls the image and
the text network of an item towards the same target, its hash centre, so the
two modalities meet in one Hamming space without any term between them.

Hash centres
------------
Every label gets a +1/-1 centre of ``K = nbits`` bits, far from the others:
rows of a Hadamard matrix and their negations when ``K`` is a power of two
and the labels number at most ``2K``, otherwise balanced random codes drawn
from ``run.seed`` by a max-min rule.  An item's centre is the sign of the mean
of its labels' centres (its class centre when it has one label), ties taken
from a seeded tie-break code.  The rules are spelt out in
:mod:`hashx.losses.hash_centers`.  The centres and the tie-break code are
constants of the run, built from the label count, ``nbits`` and the seed
when the method is built, and saved in its state.

Objective of a batch (both networks, each on its own codes ``h``)::

    mean_{i,k} BCE((h_ik + 1) / 2, (c_ik + 1) / 2)     (central similarity, items with a label)
  + lambda * mean_{i,k} (|h_ik| - 1)^2                 (quantisation)

with ``c_i`` item i's centre and ``lambda = quantization_weight``.  Each
epoch, one seeded pass over the fit items (:func:`hashx.train.seeded_batches`)
trains both networks on the same batches (the terms of one network do not
reach the other).

Deviations from the paper and why
---------------------------------
* Two networks, one per modality, with shared centres (the paper hashes one
  modality).
* The quantisation term is the official code's ``(|h| - 1)^2``, not the
  paper's ``log cosh(|h| - 1)`` (equal to second order at ``|h| = 1``).
* Only the central and quantisation terms: the official code also adds, with
  weight 0.2, a pairwise similarity term that the paper does not describe.
* Random centres use a max-min rule instead of redrawing whole sets until a
  distance threshold is met (:mod:`hashx.losses.hash_centers`).
* Items without labels contribute only the quantisation term (the official
  code takes the mean of no centres, which is undefined).
* The networks come from :func:`hashx.models.modality_net_specs` (features or
  raw images); the paper fine-tunes AlexNet/ResNet.  Adam and the run's
  learning-rate schedule for every layer (the official code trains the
  pretrained trunk at 1% of the hash layer's rate; hashx has no pretrained
  trunk on feature inputs).
"""

from __future__ import annotations

import torch

from ..exceptions import HashxValueError
from ..losses import CentralSimilarityLoss, MagnitudeQuantization, hash_centers, item_centers, tie_breaker
from ..losses.hash_centers import hadamard_fits
from ..models.modality_nets import build_modality_nets, fit_input_norms
from ..train import Method, lr_factor, seeded_batches, set_learning_rates
from ..train.optim import adam
from .csq_settings import CSQSettings
from .registry import register_method

__all__ = ["CSQ"]


@register_method("csq")
class CSQ(Method):
    """Central Similarity Quantisation on both modalities.

    Built by :meth:`CSQSettings.build` (the trainer does it) as
    ``CSQ(settings, run=run, data=data, device=device)``.

    Parameters
    ----------
    settings : CSQSettings
    run : RunConfig
        Uses ``nbits``, ``seed``, ``batch_size`` and the learning-rate schedule.
    data : FitData
        The fit items (their shapes choose the networks; the label count, the centres).
    device : torch.device

    Attributes
    ----------
    centers : Tensor of shape (n_labels, nbits), float32, +1/-1
        The labels' hash centres.
    tie : Tensor of shape (nbits,), float32, +1/-1
        The tie-break code of multi-label centres.
    center_kind : {"hadamard", "random"}

    Raises
    ------
    HashxValueError
        ``centers="hadamard"`` where ``nbits`` is not a power of two or there
        are more than ``2 * nbits`` labels.
    """

    settings_class = CSQSettings

    def __init__(self, settings: CSQSettings, *, run, data, device):
        super().__init__(settings, run=run, data=data, device=device)
        s, n_labels = settings, self.dims.n_labels
        if s.centers == "hadamard" and not hadamard_fits(n_labels, run.nbits):
            raise HashxValueError(
                f"The 'centers' parameter of CSQSettings is 'hadamard', which needs nbits a power of two and at "
                f"most 2 * nbits labels. Got nbits={run.nbits} and {n_labels} labels; use 'auto' or 'random'.")
        nets, self._spec = build_modality_nets(s, nbits=run.nbits, data=data, seed=run.seed, device=self.device,
                                               caller="CSQSettings")
        self.image_net, self.text_net = nets["image"], nets["text"]
        centers, self.center_kind = hash_centers(n_labels, run.nbits, kind=s.centers, seed=run.seed,
                                                 candidates=s.center_candidates)
        self.centers = torch.from_numpy(centers).to(self.device)
        self.tie = torch.from_numpy(tie_breaker(run.nbits, seed=run.seed)).to(self.device)
        self.central = CentralSimilarityLoss()
        self.quantizer = MagnitudeQuantization()
        self.optimizers = {
            "image": (adam(self.image_net.parameters(), lr=s.lr_image, weight_decay=s.weight_decay), s.lr_image),
            "text": (adam(self.text_net.parameters(), lr=s.lr_text, weight_decay=s.weight_decay), s.lr_text),
        }

    # -- Method interface -------------------------------------------------
    def encoder_nets(self) -> dict:
        return {"image": self.image_net, "text": self.text_net}

    def encoder_spec(self) -> dict:
        return {k: {"name": v["name"], "kwargs": dict(v["kwargs"])} for k, v in self._spec.items()}

    def setup(self, data) -> None:
        fit_input_norms(self.encoder_nets(), data)

    def train_epoch(self, epoch: int, data) -> dict:
        factor = lr_factor(self.run, epoch)
        set_learning_rates(self.optimizers, factor)
        self.train_mode(True)
        lam = self.settings.quantization_weight
        nets = (("image", self.image_net, data.image_batch), ("text", self.text_net, data.text_batch))
        sums = {f"{m}/{term}": 0.0 for m, _, _ in nets for term in ("center", "quantization")}
        steps = 0
        for rows in seeded_batches(data.n, self.run.batch_size, seed=self.run.seed, epoch=epoch, stage=0):
            targets, has_label = self.item_targets(data.labels[torch.as_tensor(rows, device=self.device)])
            terms = {}
            for modality, net, batch_fn in nets:
                code = net(batch_fn(rows)).code
                terms[f"{modality}/center"] = self.central(code, targets, has_label)
                terms[f"{modality}/quantization"] = lam * self.quantizer(code)
            loss = sum(terms.values())
            for opt, _ in self.optimizers.values():
                opt.zero_grad(set_to_none=True)
            loss.backward()
            for opt, _ in self.optimizers.values():
                opt.step()
            for name, value in terms.items():
                sums[name] += float(value.detach())
            steps += 1
        stats = {name: total / max(steps, 1) for name, total in sums.items()}
        stats["lr_factor"] = factor
        return stats

    def state_dict(self) -> dict:
        """Networks, optimisers, the hash centres and the tie-break code."""
        return {
            "nets": {"image": self.image_net.state_dict(), "text": self.text_net.state_dict()},
            "optimizers": {name: opt.state_dict() for name, (opt, _) in self.optimizers.items()},
            "centers": {"centers": self.centers, "tie": self.tie},
        }

    def load_state_dict(self, state: dict) -> None:
        self.image_net.load_state_dict(state["nets"]["image"])
        self.text_net.load_state_dict(state["nets"]["text"])
        for name, (opt, _) in self.optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
        centers, tie = state["centers"]["centers"], state["centers"]["tie"]
        if tuple(centers.shape) != tuple(self.centers.shape) or tuple(tie.shape) != tuple(self.tie.shape):
            raise HashxValueError(f"The saved hash centres have shape {tuple(centers.shape)} (tie-break code "
                                  f"{tuple(tie.shape)}); this run needs {tuple(self.centers.shape)} "
                                  f"({tuple(self.tie.shape)}).")
        self.centers, self.tie = centers.to(self.device), tie.to(self.device)

    # -- targets -----------------------------------------------------------
    def item_targets(self, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Hash centres of items with multi-hot ``labels`` (b, c): ``(targets (b, nbits) +1/-1, has_label (b,))``."""
        return item_centers(labels, self.centers, self.tie)
