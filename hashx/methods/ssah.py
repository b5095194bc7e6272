"""SSAH: Self-Supervised Adversarial Hashing (Li et al., CVPR 2018), as the paper intends.

The method composes the networks of :mod:`hashx.models`, the loss terms of
:mod:`hashx.losses` and an alignment component (:mod:`hashx.alignment`),
each chosen by name in its :class:`~hashx.methods.SSAHSettings`.

One epoch, in SSAH's order
--------------------------
1. **Label network** (``label_passes`` passes over the fit items, batches in
   a seeded random order, :func:`hashx.train.seeded_batches`): its own stored
   outputs for every fit item are the pairwise targets, as in SSAH's code.
2. **Discriminator stage**, for the alignments that have one (GAN): the
   discriminators learn to tell the stored anchors from the stored image and
   text features of the same items.  The anchors are the other modality's
   features (``align_to="modality"``, the default: image against text, text
   against image) or the label network's (``align_to="label"``, the paper's).
3. **Image network** and 4. **text network** (``image_passes``,
   ``text_passes``): pairwise terms against the label network's stored
   outputs for *all* fit items (features and hash codes), quantisation, label
   prediction and the alignment's terms.

Objective of a batch of ``b`` items for network ``x`` (means everywhere, see
:mod:`hashx.losses`)::

    alpha * pairwise(F_label[all], f_x[batch], S)
  + gamma * pairwise(H_label[all], h_x[batch], S)
  + beta  * quantisation(h_x[batch], B[batch])
  + eta   * label_loss(label_x[batch], Y[batch])
  + the alignment's terms (delta * adversarial), if any

The per-item outputs ``H_label, F_label, H_image, F_image, H_text,
F_text`` are kept for every fit item and updated batch by batch with the
outputs computed in that batch's forward pass (as SSAH's ``var`` buffers);
they start from one forward pass of the untrained networks.  ``B =
sign(H_label + H_image + H_text)`` (0 -> +1) is recomputed at the start of
each network's stage.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import torch

from ..alignment import AlignmentBatch, create_alignment
from ..exceptions import HashxValueError
from ..losses import LABEL_LOSSES, PAIRWISE_LOSSES, QUANTIZERS, label_similarity
from ..models import InputNorm, create_model, modality_net_specs
from ..train import Method, lr_factor, seeded_batches, set_learning_rates
from ..train.optim import adam
from .registry import register_method
from .ssah_settings import SSAHSettings

__all__ = ["SSAH"]

log = logging.getLogger(__name__)

_STAGE_IDS = {"label": 0, "discriminators": 1, "image": 2, "text": 3}
_BUFFERS = ("code_label", "feature_label", "code_image", "feature_image", "code_text", "feature_text")


@register_method("ssah")
class SSAH(Method):
    """Self-Supervised Adversarial Hashing.

    Built by :meth:`SSAHSettings.build` (the trainer does it) as
    ``SSAH(settings, run=run, data=data, device=device)``.

    Parameters
    ----------
    settings : SSAHSettings
    run : RunConfig
        Uses ``nbits``, ``seed``, ``epochs``, ``batch_size``, ``eval_batch_size``
        and the learning-rate schedule.
    data : FitData
        The fit items (their shapes choose the networks).
    device : torch.device

    Notes
    -----
    Networks are initialised from ``run.seed`` without touching torch's
    global random state; batch orders come from
    :func:`hashx.train.seeded_batches` (seed, epoch, stage, pass), so a run
    resumed at an epoch boundary continues exactly.
    """

    settings_class = SSAHSettings
    supports_distribution = True

    def __init__(self, settings: SSAHSettings, *, run, data, device):
        super().__init__(settings, run=run, data=data, device=device)
        s, dims = settings, self.dims
        specs = modality_net_specs(dims=dims, nbits=run.nbits, n_fit=data.n, image_values=data.image,
                                   text_values=data.text, image_net=s.image_net, text_net=s.text_net,
                                   hidden_dim=s.hidden_dim, feature_dim=s.feature_dim, image_norm=s.image_norm,
                                   text_norm=s.text_norm, vggf_path=s.vggf_path, caller="SSAHSettings")
        image, text = specs["image"], specs["text"]
        self._spec = {m: {"name": spec.name, "kwargs": spec.kwargs} for m, spec in specs.items()}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(run.seed)
            self.label_net = create_model("label_net", n_labels=dims.n_labels, nbits=run.nbits,
                                          hidden_dim=text.kwargs["hidden_dim"], feature_dim=s.feature_dim)
            self.image_net = create_model(image.name, **image.kwargs)
            if image.state is not None:
                missing, unexpected = self.image_net.load_state_dict(image.state, strict=False)
                if unexpected:
                    raise HashxValueError(f"Unexpected CNN-F weights: {unexpected}")
            self.text_net = create_model(text.name, **text.kwargs)
            self.alignment = create_alignment(s.alignment, feature_dim=s.feature_dim, weight=s.delta,
                                              lr=s.lr_discriminator, weight_decay=s.weight_decay,
                                              device=self.device, schedule=s.grl_schedule,
                                              ramp_samples=s.grl_ramp_samples, instance_noise=s.instance_noise,
                                              gp_weight=s.gp_weight, n_labels=dims.n_labels, seed=run.seed)
        for net in (self.label_net, self.image_net, self.text_net):
            net.to(self.device)
        self.pairwise = PAIRWISE_LOSSES[s.pairwise_loss]()
        self.quantizer = QUANTIZERS[s.quantization]()
        self.label_loss = LABEL_LOSSES[s.label_loss]()

        wd = s.weight_decay
        self.optimizers = {
            "label": (adam(self.label_net.parameters(), lr=s.lr_label, weight_decay=wd), s.lr_label),
            "image": (adam(self.image_net.parameters(), lr=s.lr_image, weight_decay=wd), s.lr_image),
            "text": (adam(self.text_net.parameters(), lr=s.lr_text, weight_decay=wd), s.lr_text),
            **self.alignment.optimizers(),
        }
        self.buffers: dict[str, torch.Tensor] = {}
        self._forward = {"label": self.label_net, "image": self.image_net, "text": self.text_net}

    # -- Method interface -------------------------------------------------
    def encoder_nets(self) -> dict:
        return {"image": self.image_net, "text": self.text_net}

    def encoder_spec(self) -> dict:
        return {k: {"name": v["name"], "kwargs": dict(v["kwargs"])} for k, v in self._spec.items()}

    def modules(self) -> dict:
        return {"label": self.label_net, "image": self.image_net, "text": self.text_net,
                **self.alignment.modules()}

    @torch.no_grad()
    def setup(self, data) -> None:
        for net, values in ((self.image_net, data.image), (self.text_net, data.text)):
            if isinstance(getattr(net, "norm", None), InputNorm):
                net.norm.fit(values.cpu().numpy())
        self.train_mode(False)
        bs = self.run.eval_batch_size
        outputs = {name: [] for name in _BUFFERS}
        for start in range(0, data.n, bs):
            rows = np.arange(start, min(start + bs, data.n))
            for modality, net, batch in (("label", self.label_net, data.label_batch),
                                         ("image", self.image_net, data.image_batch),
                                         ("text", self.text_net, data.text_batch)):
                out = net(batch(rows))
                outputs[f"code_{modality}"].append(out.code)
                outputs[f"feature_{modality}"].append(out.feature)
        self.buffers = {name: torch.cat(parts) for name, parts in outputs.items()}

    def train_epoch(self, epoch: int, data) -> dict:
        factor = lr_factor(self.run, epoch)
        set_learning_rates(self.optimizers, factor)
        self.train_mode(True)
        stats = dict(self._train_network("label", self.label_net, data.label_batch, epoch, data))
        if self.alignment.discriminator_stage:
            stats.update(self._train_discriminators(epoch, data))
        stats.update(self._train_network("image", self.image_net, data.image_batch, epoch, data))
        stats.update(self._train_network("text", self.text_net, data.text_batch, epoch, data))
        stats["lr_factor"] = factor
        return stats

    def distribute(self, dist) -> None:
        """Train data-parallel: DDP-wrapped networks, sharded global batches, gathered per-item outputs."""
        super().distribute(dist)
        self._forward = {name: dist.wrap(net) for name, net in self._forward.items()}
        self.alignment.distribute(dist)

    def state_dict(self) -> dict:
        """Networks, optimisers, alignment and per-item buffers (tensors shared with the live
        objects, not copies: save them before training on)."""
        return {
            "nets": {"label": self.label_net.state_dict(), "image": self.image_net.state_dict(),
                     "text": self.text_net.state_dict()},
            "optimizers": {name: opt.state_dict() for name, (opt, _) in self.optimizers.items()},
            "alignment": self.alignment.state_dict(),
            "buffers": dict(self.buffers),
        }

    def load_state_dict(self, state: dict) -> None:
        self.label_net.load_state_dict(state["nets"]["label"])
        self.image_net.load_state_dict(state["nets"]["image"])
        self.text_net.load_state_dict(state["nets"]["text"])
        for name, (opt, _) in self.optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
        self.alignment.load_state_dict(state["alignment"])
        self.buffers = {name: state["buffers"][name].to(self.device) for name in _BUFFERS}

    # -- training ----------------------------------------------------------
    def batches(self, epoch: int, stage: str, passes: int):
        """Seeded batch order of one stage: arrays of fit positions, ``passes`` times over the fit items."""
        n = self.buffers["code_label"].shape[0]
        return seeded_batches(n, self.run.batch_size, seed=self.run.seed, epoch=epoch, stage=_STAGE_IDS[stage],
                              passes=passes)

    def learned_codes(self) -> torch.Tensor:
        """The label network's binary codes of the fit items, sign(H_label) (0 -> +1)."""
        code = self.buffers["code_label"]
        return torch.where(code >= 0, 1.0, -1.0).to(code.dtype)

    def shared_codes(self) -> torch.Tensor:
        """B = sign(H_label + H_image + H_text) over the fit items, +1/-1 (0 -> +1), float."""
        total = self.buffers["code_label"] + self.buffers["code_image"] + self.buffers["code_text"]
        return torch.where(total >= 0, 1.0, -1.0).to(total.dtype)

    def anchors(self, modality: str) -> torch.Tensor:
        """Stored features the modality's features are aligned with (``settings.align_to``), for every fit item."""
        if self.settings.align_to == "label":
            return self.buffers["feature_label"]
        return self.buffers["feature_text" if modality == "image" else "feature_image"]

    def _train_discriminators(self, epoch, data) -> dict:
        """The discriminators tell the stored anchors from the stored image/text features."""
        total, count = 0.0, 0
        passes = self.settings.discriminator_passes
        n_steps = max(passes * math.ceil(data.n / self.run.batch_size), 1)
        for rows in self.batches(epoch, "discriminators", passes):
            local, weight = self.dist.shard(rows)
            r = torch.as_tensor(local, device=self.device)
            labels = data.labels[r]
            progress = (epoch + (count + 1) / n_steps) / self.run.epochs
            total += weight * self.alignment.discriminator_step(
                {m: AlignmentBatch(self.buffers[f"feature_{m}"][r], self.anchors(m)[r], labels)
                 for m in ("image", "text")}, progress=progress, weight=weight,
                part=self.dist.part(len(rows)))
            count += 1
        total = self.dist.mean_over_ranks({"discriminator": total})["discriminator"]
        return {"discriminator": total / max(count, 1)}

    def _train_network(self, modality, net, batch_fn, epoch, data) -> dict:
        s = self.settings
        passes = getattr(s, f"{modality}_passes")
        shared = self.shared_codes()
        target_features = self.buffers["feature_label"]
        target_codes = self.buffers["code_label"]
        optimizers = [self.optimizers[modality][0]]
        if modality != "label":
            optimizers += self.alignment.generator_optimizers()
        n_steps = passes * math.ceil(data.n / self.run.batch_size)
        seen = epoch * passes * data.n
        sums: dict[str, float] = {}
        step = 0
        forward = self._forward[modality]
        for rows in self.batches(epoch, modality, passes):
            local, weight = self.dist.shard(rows)
            r = torch.as_tensor(local, device=self.device)
            labels = data.labels[r]
            out = forward(batch_fn(local))
            similarity = label_similarity(data.labels, labels)
            terms = {
                "pair_feature": s.alpha * self.pairwise(target_features, out.feature, similarity),
                "pair_hash": s.gamma * self.pairwise(target_codes, out.code, similarity),
                "quantization": s.beta * self.quantizer(out.code, shared[r]),
                "label": s.eta * self.label_loss(out.label_logit, labels),
            }
            seen += len(rows)
            if modality != "label":
                progress = (epoch + (step + 1) / n_steps) / self.run.epochs
                terms.update(self.alignment.generator_terms(
                    modality, AlignmentBatch(out.feature, self.anchors(modality)[r], labels), progress=progress,
                    samples_seen=seen))
            loss = sum(terms.values()) * weight
            for opt in optimizers:
                opt.zero_grad(set_to_none=True)
            loss.backward()
            for opt in optimizers:
                opt.step()
            if self.dist.active:  # every rank stores the whole global batch's outputs
                r = torch.as_tensor(rows, device=self.device)
            self.buffers[f"code_{modality}"][r] = self.dist.gather_batch(out.code.detach(), len(rows))
            self.buffers[f"feature_{modality}"][r] = self.dist.gather_batch(out.feature.detach(), len(rows))
            for name, value in terms.items():
                sums[name] = sums.get(name, 0.0) + float(value.detach()) * weight
            step += 1
        sums = self.dist.mean_over_ranks(sums)
        return {f"{modality}/{name}": total / max(step, 1) for name, total in sums.items()}
