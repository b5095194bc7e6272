"""DCMH: Deep Cross-Modal Hashing (Jiang and Li, CVPR 2017).

Objective
---------
``F`` (n x K) and ``G`` (n x K) are the continuous codes of the ``n`` fit items
from the image and the text network, ``B`` (n x K, +1/-1) the binary codes the
two modalities share, ``S_ij = 1`` when items i and j share a label.  With
``Theta_ij = 0.5 * F_i . G_j`` and hashx's per-term means (see
:class:`~hashx.methods.DCMHSettings` for how they relate to the paper's sums)::

    J = mean_ij [ log(1 + e^Theta_ij) - S_ij Theta_ij ]         (inter-modal pairwise likelihood)
      + gamma * ( mean (B - F)^2 + mean (B - G)^2 )            (quantisation)
      + eta   * ( ||mean_i F_i||^2 + ||mean_i G_i||^2 )        (bit balance)

One epoch, alternating as the paper
-----------------------------------
1. **Image network**, ``G`` and ``B`` fixed: batches of fit items in a seeded
   order (:func:`hashx.train.seeded_batches`); a batch ``b`` of image codes
   ``F_b`` is trained on ``pairwise(G[all], F_b, S[all, b]) + gamma * mean
   (B_b - F_b)^2 + eta * ||mean_{i in b} F_i||^2``: each term is the batch's
   estimate of the term of ``J`` (the mean over the batch's rows, and the
   batch's mean code for the mean over all items); the stored ``F_b`` is then
   replaced by the batch's codes (computed before the step, as DCMH's code).
2. **Text network**, ``F`` and ``B`` fixed: the same with the roles swapped.
3. ``B = sign(F + G)`` (0 -> +1), the closed-form minimiser of ``J`` over
   ``B`` (the paper's ``sign(gamma (F + G))``).

``F`` and ``G`` start as standard normal noise drawn from ``run.seed``, as in
DCMH's code, and ``B = sign(F + G)``.  :meth:`DCMH.learned_codes` returns ``B``.

Deviations from the paper and why
---------------------------------
* Means instead of sums, and smaller weights than the paper's ``eta = 1``
  (see :class:`~hashx.methods.DCMHSettings` for both).
* The codes are ``tanh`` outputs, in (-1, 1) (every hashx encoder network's
  contract), where DCMH's last layer is linear: the sign, and so the binary
  code, is unchanged, and ``Theta`` stays within +-K/2.
* The networks come from :func:`hashx.models.modality_net_specs`: DCMH's
  CNN-F on raw images (with hashx's 512-d layer before the hash layer, which
  DCMH puts on fc7 directly) and an MLP on feature vectors; the text MLP has
  one more layer than DCMH's ``BoW -> 8192 -> K`` (the ``feature_dim`` layer
  every hashx network exposes) and a width chosen from the data unless
  ``hidden_dim=8192`` asks for DCMH's.  The width that suits 10,000 training
  items does not suit 2,000; see :func:`hashx.models.choose_hidden_dim`.
* Adam and the run's learning-rate schedule, not SGD with a linear decay.
* The balance term of a batch uses the batch's own mean code.  DCMH's code
  sums the batch's live codes with the *stored* codes of every other item,
  which are up to an epoch old: then every step of an epoch pushes the codes
  the same way, against a mean that no longer moves, and with Adam (whose
  steps do not shrink with the gradient) the codes overshoot into one
  saturated code shared by all items (measured on the synthetic set with 32
  bits and ``eta = 1``: ``||mean_i F_i||^2`` went from 5 to 31 within two
  epochs, validation MAP at chance).  The batch estimate has a small bias,
  ``+ trace(Cov) / b``: a pull of each code towards the batch mean, of
  relative weight ``1 / b``.
* The networks' label heads (part of :class:`hashx.models.HashOutput`) are
  unused and stay at their initial weights.
"""

from __future__ import annotations

import torch

from ..losses import PAIRWISE_LOSSES, BitBalanceLoss, SharedCodeQuantization, label_similarity
from ..models.modality_nets import build_modality_nets, fit_input_norms
from ..train import Method, lr_factor, seeded_batches, set_learning_rates
from ..train.optim import adam
from .dcmh_settings import DCMHSettings
from .registry import register_method

__all__ = ["DCMH"]

_STAGE_IDS = {"image": 0, "text": 1}
#: Per-item buffers: F, G and B of every fit item.
_BUFFERS = ("code_image", "code_text", "shared")


def _sign(x: torch.Tensor) -> torch.Tensor:
    """+1 where ``x >= 0``, -1 elsewhere (0 -> +1, as :func:`hashx.binarize`), dtype of ``x``."""
    return torch.where(x >= 0, 1.0, -1.0).to(x.dtype)


@register_method("dcmh")
class DCMH(Method):
    """Deep Cross-Modal Hashing.

    Built by :meth:`DCMHSettings.build` (the trainer does it) as
    ``DCMH(settings, run=run, data=data, device=device)``.

    Parameters
    ----------
    settings : DCMHSettings
    run : RunConfig
        Uses ``nbits``, ``seed``, ``batch_size`` and the learning-rate schedule.
    data : FitData
        The fit items (their shapes choose the networks).
    device : torch.device

    Attributes
    ----------
    buffers : dict of str to Tensor
        ``"code_image"`` (F), ``"code_text"`` (G), each (n_fit, nbits) float32,
        and ``"shared"`` (B), (n_fit, nbits) float32 holding +1/-1; in fit order.
    """

    settings_class = DCMHSettings

    def __init__(self, settings: DCMHSettings, *, run, data, device):
        super().__init__(settings, run=run, data=data, device=device)
        nets, self._spec = build_modality_nets(settings, nbits=run.nbits, data=data, seed=run.seed,
                                               device=self.device, caller="DCMHSettings")
        self.image_net, self.text_net = nets["image"], nets["text"]
        self.pairwise = PAIRWISE_LOSSES[settings.pairwise_loss]()
        self.quantizer = SharedCodeQuantization()
        self.balance = BitBalanceLoss()
        s = settings
        self.optimizers = {
            "image": (adam(self.image_net.parameters(), lr=s.lr_image, weight_decay=s.weight_decay), s.lr_image),
            "text": (adam(self.text_net.parameters(), lr=s.lr_text, weight_decay=s.weight_decay), s.lr_text),
        }
        self.buffers: dict[str, torch.Tensor] = {}

    # -- Method interface -------------------------------------------------
    def encoder_nets(self) -> dict:
        return {"image": self.image_net, "text": self.text_net}

    def encoder_spec(self) -> dict:
        return {k: {"name": v["name"], "kwargs": dict(v["kwargs"])} for k, v in self._spec.items()}

    @torch.no_grad()
    def setup(self, data) -> None:
        fit_input_norms(self.encoder_nets(), data)
        g = torch.Generator().manual_seed(self.run.seed)
        shape = (data.n, self.run.nbits)
        self.buffers = {"code_image": torch.randn(shape, generator=g).to(self.device),
                        "code_text": torch.randn(shape, generator=g).to(self.device)}
        self.update_shared_codes()

    def train_epoch(self, epoch: int, data) -> dict:
        factor = lr_factor(self.run, epoch)
        set_learning_rates(self.optimizers, factor)
        self.train_mode(True)
        stats = self._train_network("image", epoch, data)
        stats.update(self._train_network("text", epoch, data))
        self.update_shared_codes()
        stats["lr_factor"] = factor
        return stats

    def state_dict(self) -> dict:
        """Networks, optimisers and the per-item buffers F, G, B (tensors shared with the live
        objects, not copies: save them before training on)."""
        return {
            "nets": {"image": self.image_net.state_dict(), "text": self.text_net.state_dict()},
            "optimizers": {name: opt.state_dict() for name, (opt, _) in self.optimizers.items()},
            "buffers": dict(self.buffers),
        }

    def load_state_dict(self, state: dict) -> None:
        self.image_net.load_state_dict(state["nets"]["image"])
        self.text_net.load_state_dict(state["nets"]["text"])
        for name, (opt, _) in self.optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
        self.buffers = {name: state["buffers"][name].to(self.device) for name in _BUFFERS}

    def learned_codes(self) -> torch.Tensor:
        """B, the binary codes shared by the two modalities: (n_fit, nbits) float32, +1/-1, fit order."""
        return self.buffers["shared"].clone()

    # -- training ----------------------------------------------------------
    def update_shared_codes(self) -> None:
        """``B = sign(F + G)`` (0 -> +1) from the stored codes: the minimiser of the objective over B."""
        self.buffers["shared"] = _sign(self.buffers["code_image"] + self.buffers["code_text"])

    def batch_terms(self, modality: str, code: torch.Tensor, rows: torch.Tensor, labels: torch.Tensor):
        """The objective's terms for a batch of one modality's codes, and the loss a step minimises.

        Parameters
        ----------
        modality : {"image", "text"}
            Whose codes ``code`` are; the other modality's stored codes and B are constants.
        code : Tensor of shape (b, nbits)
            The batch's live codes.
        rows : Tensor of shape (b,), int64
            Their fit positions.
        labels : Tensor of shape (n_fit, c)
            Multi-hot labels of every fit item.

        Returns
        -------
        terms : dict
            ``"pairwise"``, ``"quantization"`` (times gamma) and ``"balance"``
            (times eta): the batch's estimates of the terms of J.
        loss : Tensor of shape ()
            Their sum.
        """
        s = self.settings
        other = self.buffers["code_text" if modality == "image" else "code_image"]
        terms = {
            "pairwise": self.pairwise(other, code, label_similarity(labels, labels[rows])),
            "quantization": s.gamma * self.quantizer(code, self.buffers["shared"][rows]),
            "balance": s.eta * self.balance(code),
        }
        return terms, terms["pairwise"] + terms["quantization"] + terms["balance"]

    def _train_network(self, modality: str, epoch: int, data) -> dict:
        """One stage: train the ``modality`` network with the other modality's codes and B fixed."""
        net, batch_fn = ((self.image_net, data.image_batch) if modality == "image"
                         else (self.text_net, data.text_batch))
        optimizer = self.optimizers[modality][0]
        passes = getattr(self.settings, f"{modality}_passes")
        sums = {"pairwise": 0.0, "quantization": 0.0, "balance": 0.0}
        steps = 0
        for rows in seeded_batches(data.n, self.run.batch_size, seed=self.run.seed, epoch=epoch,
                                   stage=_STAGE_IDS[modality], passes=passes):
            r = torch.as_tensor(rows, device=self.device)
            code = net(batch_fn(rows)).code
            terms, loss = self.batch_terms(modality, code, r, data.labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            self.buffers[f"code_{modality}"][r] = code.detach()
            for name, value in terms.items():
                sums[name] += float(value.detach())
            steps += 1
        return {f"{modality}/{name}": total / max(steps, 1) for name, total in sums.items()}
