"""Two-tower: the plain contrastive baseline of cross-modal hashing (and the base of UCAL).

An image tower and a text tower (the registered networks chosen by
:func:`hashx.models.modality_net_specs`), trained jointly on paired items;
nothing connects the modalities but the loss.  Objective of a batch of ``b``
paired items with continuous codes ``h_i = image(x_i)``, ``g_i = text(t_i)``
(tanh, in (-1, 1))::

    L =        InfoNCE_sym(h, g; P, tau)                       (hashx.losses.SymmetricInfoNCELoss)
      + beta * (mean_ik (sign(h_ik) - h_ik)^2 + mean_ik (sign(g_ik) - g_ik)^2) / 2
      + the alignment's terms (none here; UCAL adds its modality classifier)

``P`` is the positive set (``positives``: the paired item, or every item
sharing a label); ``sign`` is taken as a constant, 0 -> +1
(:class:`hashx.losses.SelfSignQuantization`).  One pass over the fit items
per epoch, batches in a seeded order (:func:`hashx.train.seeded_batches`).

Where the contrastive loss acts
-------------------------------
On the L2-normalised continuous codes themselves, not on a separate
projection feature.  The codes are what is searched: for +-1 codes of length
K, cosine similarity is ``1 - 2 d_H / K``, so as quantisation drives the
codes to +-1 the InfoNCE logits become affine in the Hamming distances that
retrieval ranks by, and the loss ranks exactly what is searched.  A
projection head (SimCLR's) helps when the representation *below* the loss
is the product; here it would leave the hash layer shaped by quantisation
alone.

Deviations
----------
There is no single paper; this is the CLIP-style dual encoder (Radford et
al., 2021) with a tanh hash layer, the symmetric InfoNCE over in-batch pairs
and, optionally, supervised-contrastive positives (Khosla et al., 2020).
Quantisation pulls each tower towards its own signs: a shared code matrix
``B = sign(h + g)`` (SSAH, DCMH) would couple the towers beyond the loss.
The networks' label heads are not trained (no label term).
"""

from __future__ import annotations

import logging
import math

import torch

from ..alignment import AlignmentBatch, NoAlignment
from ..exceptions import HashxValueError
from ..losses import POSITIVE_SETS, QUANTIZERS, SymmetricInfoNCELoss
from ..models import InputNorm, create_model, modality_net_specs
from ..train import Method, lr_factor, seeded_batches, set_learning_rates
from ..train.optim import adam
from .registry import register_method
from .two_tower_settings import TwoTowerSettings

__all__ = ["TwoTower"]

log = logging.getLogger(__name__)

_MODALITIES = ("image", "text")
_OTHER = {"image": "text", "text": "image"}


@register_method("two-tower")
class TwoTower(Method):
    """Two towers and a symmetric contrastive loss over the paired items of a batch.

    Built by :meth:`TwoTowerSettings.build` (the trainer does it) as
    ``TwoTower(settings, run=run, data=data, device=device)``.

    Parameters
    ----------
    settings : TwoTowerSettings
    run : RunConfig
        Uses ``nbits``, ``seed``, ``epochs``, ``batch_size`` and the learning-rate schedule.
    data : FitData
        The fit items (their shapes and values choose the networks).
    device : torch.device

    Notes
    -----
    The towers (then the alignment component's networks, for subclasses that
    have one) are initialised from ``run.seed`` without touching torch's
    global random state; the batch order comes from ``(seed, epoch)``, so a
    run resumed at an epoch boundary continues exactly.  No per-item state.
    """

    settings_class = TwoTowerSettings
    supports_distribution = True

    def __init__(self, settings: TwoTowerSettings, *, run, data, device):
        super().__init__(settings, run=run, data=data, device=device)
        s = settings
        specs = modality_net_specs(dims=self.dims, nbits=run.nbits, n_fit=data.n, image_values=data.image,
                                   text_values=data.text, image_net=s.image_net, text_net=s.text_net,
                                   hidden_dim=s.hidden_dim, feature_dim=s.feature_dim, image_norm=s.image_norm,
                                   text_norm=s.text_norm, vggf_path=s.vggf_path, caller=type(s).__name__)
        self._spec = {m: {"name": spec.name, "kwargs": spec.kwargs} for m, spec in specs.items()}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(run.seed)
            self.nets = {m: create_model(specs[m].name, **specs[m].kwargs) for m in _MODALITIES}
            if specs["image"].state is not None:
                _, unexpected = self.nets["image"].load_state_dict(specs["image"].state, strict=False)
                if unexpected:
                    raise HashxValueError(f"Unexpected CNN-F weights: {unexpected}")
            self.alignment = self.build_alignment()
        for net in self.nets.values():
            net.to(self.device)
        self.contrastive = SymmetricInfoNCELoss(tau=s.tau)
        self.positive_set = POSITIVE_SETS[s.positives]
        self.quantizer = QUANTIZERS["self_sign"]()
        lrs = {"image": s.lr_image, "text": s.lr_text}
        self.optimizers = {
            **{m: (adam(self.nets[m].parameters(), lr=lrs[m], weight_decay=s.weight_decay), lrs[m])
               for m in _MODALITIES},
            **self.alignment.optimizers(),
        }
        self._forward = dict(self.nets)

    def build_alignment(self):
        """The alignment component between the towers' codes: none for the plain two-tower.

        Called once, inside the seeded block that initialises the towers, so
        a component's networks are drawn from ``run.seed`` too.
        """
        return NoAlignment()

    # -- Method interface -------------------------------------------------
    def encoder_nets(self) -> dict:
        return dict(self.nets)

    def encoder_spec(self) -> dict:
        return {k: {"name": v["name"], "kwargs": dict(v["kwargs"])} for k, v in self._spec.items()}

    def modules(self) -> dict:
        return {**self.nets, **self.alignment.modules()}

    @torch.no_grad()
    def setup(self, data) -> None:
        for m, values in (("image", data.image), ("text", data.text)):
            norm = getattr(self.nets[m], "norm", None)
            if isinstance(norm, InputNorm):
                norm.fit(values.cpu().numpy())

    def train_epoch(self, epoch: int, data) -> dict:
        factor = lr_factor(self.run, epoch)
        set_learning_rates(self.optimizers, factor)
        self.train_mode(True)
        optimizers = [self.optimizers[m][0] for m in _MODALITIES] + self.alignment.generator_optimizers()
        n_steps = math.ceil(data.n / self.run.batch_size)
        sums: dict[str, float] = {}
        for step, rows in enumerate(seeded_batches(data.n, self.run.batch_size, seed=self.run.seed, epoch=epoch,
                                                   stage=0)):
            local, weight = self.dist.shard(rows)
            codes = {"image": self._forward["image"](data.image_batch(local)).code,
                     "text": self._forward["text"](data.text_batch(local)).code}
            # the global batch's contrastive and quantisation terms (see distribute), then the alignment's
            terms = self.loss_terms({m: self.dist.live_batch(c, len(rows)) for m, c in codes.items()}, rows, data)
            scales = dict.fromkeys(terms, self.dist.world_size)
            aligned = self.alignment_terms(codes, progress=(epoch + (step + 1) / n_steps) / self.run.epochs,
                                           samples_seen=self.samples_seen(epoch, step, data.n), weight=weight,
                                           part=self.dist.part(len(rows)))
            terms.update(aligned)
            scales.update(dict.fromkeys(aligned, weight))
            loss = sum(scales[name] * value for name, value in terms.items())
            for opt in optimizers:
                opt.zero_grad(set_to_none=True)
            loss.backward()
            for opt in optimizers:
                opt.step()
            for name, value in terms.items():
                sums[name] = sums.get(name, 0.0) + float(value.detach()) * weight
        stats = {name: total / n_steps for name, total in self.dist.mean_over_ranks(sums).items()}
        stats["lr_factor"] = factor
        return stats

    def state_dict(self) -> dict:
        """Networks, optimisers and the alignment component (tensors shared with the live objects)."""
        return {
            "nets": {m: net.state_dict() for m, net in self.nets.items()},
            "optimizers": {name: opt.state_dict() for name, (opt, _) in self.optimizers.items()},
            "alignment": self.alignment.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        for m, net in self.nets.items():
            net.load_state_dict(state["nets"][m])
        for name, (opt, _) in self.optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
        self.alignment.load_state_dict(state["alignment"])

    # -- the objective -------------------------------------------------------
    def samples_seen(self, epoch: int, step: int, n: int) -> int:
        """Training items seen after step ``step`` (0-based, this step's batch included) of ``epoch``.

        ``epoch * n + min((step + 1) * batch_size, n)``: a function of the
        epoch and step alone, so a resumed run sees the same values.
        """
        return epoch * n + min((step + 1) * self.run.batch_size, n)

    def loss_terms(self, codes: dict, rows, data) -> dict:
        """The contrastive and quantisation terms of one batch.

        Parameters
        ----------
        codes : dict
            ``{"image": Tensor (b, K), "text": Tensor (b, K)}``, continuous
            codes of the (global) batch.
        rows : ndarray of shape (b,), dtype=int64
            The batch's fit positions (``positives="pairs"`` uses only their
            count, ``"labels"`` their labels).
        data : FitData

        Returns
        -------
        dict of str to Tensor of shape ()
        """
        image, text = codes["image"], codes["text"]
        return {
            "contrastive": self.contrastive(image, text, self.positive_set(data.label_batch(rows))),
            "quantization": self.settings.beta * 0.5 * (self.quantizer(image) + self.quantizer(text)),
        }

    def distribute(self, dist) -> None:
        """Train data-parallel with the single-process objective and step.

        Each rank runs its part of every global batch
        (:meth:`~hashx.train.Distribution.shard`) through the
        DistributedDataParallel-wrapped towers (and the alignment
        component's networks).  The contrastive loss compares every image of
        the batch with every text, so the other parts' codes are its
        negatives: it is computed on the whole global batch on every rank
        (:meth:`~hashx.train.Distribution.live_batch`: the other ranks'
        codes gathered as constants, this rank's live) and multiplied by the
        world size (so is the quantisation term, which is cheap); the
        alignment terms are means over the part's items, weighted by its share
        (:meth:`~hashx.train.Distribution.shard`).  DDP's average of the ranks'
        gradients is then the single-process gradient of the global batch's
        loss, up to float summation order: a 2-worker run is the run of one
        process with the same global batch, not one with half the negatives.
        There is no per-item state to gather.
        """
        super().distribute(dist)
        self._forward = {m: dist.wrap(net, find_unused_parameters=True) for m, net in self.nets.items()}
        self.alignment.distribute(dist)

    def alignment_terms(self, codes: dict, *, progress: float, samples_seen: int, weight: float = 1.0,
                        part=None) -> dict:
        """The alignment component's terms for both towers (``"<modality>/adversarial"``).

        Each modality's codes are the component's features and the other
        modality's codes, detached, its anchors: the component tells the two
        modalities apart and pushes each tower towards the other's codes.
        Components with a stage of their own (GAN) first take one step on the
        detached codes of the batch, its loss times ``weight`` (a data-parallel
        rank's share of the global batch; ``part``, its rows, from
        :meth:`~hashx.train.Distribution.part`).
        """
        if self.alignment.discriminator_stage:
            self.alignment.discriminator_step(
                {m: AlignmentBatch(codes[m].detach(), codes[_OTHER[m]].detach()) for m in _MODALITIES},
                weight=weight, part=part)
        terms = {}
        for m in _MODALITIES:
            for name, value in self.alignment.generator_terms(
                    m, AlignmentBatch(codes[m], codes[_OTHER[m]].detach()), progress=progress,
                    samples_seen=samples_seen).items():
                terms[f"{m}/{name}"] = value
        return terms
