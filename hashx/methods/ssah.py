"""SSAH: Self-Supervised Adversarial Hashing (Li et al., CVPR 2018), as the paper intends.

The method composes the networks of :mod:`hashx.models`, the loss terms of
:mod:`hashx.losses` and an alignment component
(:mod:`hashx.methods.ssah_alignment`), each chosen by name in the
:class:`~hashx.train.TrainConfig`.

One epoch, in SSAH's order
--------------------------
1. **Label network** (``label_passes`` passes over the fit items, batches in
   a seeded random order): its own stored outputs for every fit item are the
   pairwise targets, as in SSAH's code.
2. **Alignment stages**: the discriminators, for the GAN alignments.
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

from ..exceptions import HashxValueError
from ..losses import LABEL_LOSSES, PAIRWISE_LOSSES, QUANTIZERS, label_similarity
from ..models import InputNorm, create_model
from ..train.optim import adam
from .base import Method
from .registry import register_method
from .ssah_alignment import ALIGNMENTS

__all__ = ["SSAH", "lr_factor"]

log = logging.getLogger(__name__)

_STAGE_IDS = {"label": 0, "discriminators": 1, "image": 2, "text": 3}
_BUFFERS = ("code_label", "feature_label", "code_image", "feature_image", "code_text", "feature_text")


def lr_factor(config, epoch: int) -> float:
    """Learning-rate multiplier of ``epoch`` (0-based): cosine from 1 to ``lr_min_factor``, or 1."""
    if config.lr_schedule == "constant" or config.epochs == 1:
        return 1.0
    m = config.lr_min_factor
    return m + (1.0 - m) * 0.5 * (1.0 + math.cos(math.pi * epoch / (config.epochs - 1)))


def _image_spec(config, dims):
    name = config.image_net
    if name == "auto":
        name = "image_mlp" if dims.image_kind == "features" else "image_cnnf"
    if (name == "image_mlp") != (dims.image_kind == "features"):
        raise HashxValueError(
            f"The 'image_net' parameter of TrainConfig is {config.image_net!r}, which does not fit "
            f"{dims.image_kind!r} image data; use 'auto', 'image_mlp' for feature vectors or "
            f"'image_cnnf' for raw images."
        )
    common = {"n_labels": dims.n_labels, "nbits": config.nbits, "feature_dim": config.feature_dim}
    if name == "image_mlp":
        return name, {**common, "in_dim": int(dims.image_dim), "hidden_dim": config.hidden_dim,
                      "norm": config.image_norm}, None
    if config.vggf_path is None:
        log.warning("image_cnnf without vggf_path: the CNN-F trunk starts from random weights.")
        return name, common, None
    from ..models.pretrained_cnnf import cnnf_kwargs_and_state

    kwargs, state = cnnf_kwargs_and_state(config.vggf_path)
    return name, {**common, **kwargs}, state


@register_method("ssah")
class SSAH(Method):
    """Self-Supervised Adversarial Hashing.

    Parameters
    ----------
    config : TrainConfig
    dims : DataDims
    device : torch.device

    Notes
    -----
    Networks are initialised from ``config.seed`` without touching torch's
    global random state; batch orders are drawn from
    ``numpy.random.default_rng([seed, epoch, stage, pass])``, so a run resumed
    at an epoch boundary continues exactly.
    """

    def __init__(self, config, dims, *, device):
        self.config = config
        self.dims = dims
        self.device = torch.device(device)
        image_name, image_kwargs, image_state = _image_spec(config, dims)
        text_kwargs = {"in_dim": dims.text_dim, "n_labels": dims.n_labels, "nbits": config.nbits,
                       "hidden_dim": config.hidden_dim, "feature_dim": config.feature_dim,
                       "norm": config.text_norm}
        self._spec = {"image": {"name": image_name, "kwargs": image_kwargs},
                      "text": {"name": config.text_net, "kwargs": text_kwargs}}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self.label_net = create_model("label_net", n_labels=dims.n_labels, nbits=config.nbits,
                                          hidden_dim=config.hidden_dim, feature_dim=config.feature_dim)
            self.image_net = create_model(image_name, **image_kwargs)
            if image_state is not None:
                missing, unexpected = self.image_net.load_state_dict(image_state, strict=False)
                if unexpected:
                    raise HashxValueError(f"Unexpected CNN-F weights: {unexpected}")
            self.text_net = create_model(config.text_net, **text_kwargs)
            self.alignment = ALIGNMENTS[config.alignment](config, self.device)
        for net in (self.label_net, self.image_net, self.text_net):
            net.to(self.device)
        self.pairwise = PAIRWISE_LOSSES[config.pairwise_loss]()
        self.quantizer = QUANTIZERS[config.quantization]()
        self.label_loss = LABEL_LOSSES[config.label_loss]()

        wd = config.weight_decay
        self.optimizers = {
            "label": (adam(self.label_net.parameters(), lr=config.lr_label, weight_decay=wd), "lr_label"),
            "image": (adam(self.image_net.parameters(), lr=config.lr_image, weight_decay=wd), "lr_image"),
            "text": (adam(self.text_net.parameters(), lr=config.lr_text, weight_decay=wd), "lr_text"),
            **self.alignment.optimizers(),
        }
        self.buffers: dict[str, torch.Tensor] = {}

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
        bs = self.config.eval_batch_size
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
        factor = lr_factor(self.config, epoch)
        for optimizer, lr_name in self.optimizers.values():
            for group in optimizer.param_groups:
                group["lr"] = getattr(self.config, lr_name) * factor
        self.train_mode(True)
        stats = dict(self._train_network("label", self.label_net, data.label_batch, epoch, data))
        for _, stage in self.alignment.extra_stages():
            stats.update(stage(self, epoch))
        stats.update(self._train_network("image", self.image_net, data.image_batch, epoch, data))
        stats.update(self._train_network("text", self.text_net, data.text_batch, epoch, data))
        stats["lr_factor"] = factor
        return stats

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
        """Seeded batch order of one stage: lists of fit positions, ``passes`` times over the fit items."""
        n = self.buffers["code_label"].shape[0]
        bs = self.config.batch_size
        for p in range(passes):
            order = np.random.default_rng([self.config.seed, epoch, _STAGE_IDS[stage], p]).permutation(n)
            for start in range(0, n, bs):
                yield order[start:start + bs]

    def shared_codes(self) -> torch.Tensor:
        """B = sign(H_label + H_image + H_text) over the fit items, +1/-1 (0 -> +1), float."""
        total = self.buffers["code_label"] + self.buffers["code_image"] + self.buffers["code_text"]
        return torch.where(total >= 0, 1.0, -1.0).to(total.dtype)

    def _train_network(self, modality, net, batch_fn, epoch, data) -> dict:
        cfg = self.config
        passes = getattr(cfg, f"{modality}_passes")
        shared = self.shared_codes()
        target_features = self.buffers["feature_label"]
        target_codes = self.buffers["code_label"]
        optimizers = [self.optimizers[modality][0]]
        if modality != "label":
            optimizers += self.alignment.generator_optimizers()
        n_steps = passes * math.ceil(data.n / cfg.batch_size)
        sums: dict[str, float] = {}
        step = 0
        for rows in self.batches(epoch, modality, passes):
            r = torch.as_tensor(rows, device=self.device)
            labels = data.labels[r]
            out = net(batch_fn(rows))
            similarity = label_similarity(data.labels, labels)
            terms = {
                "pair_feature": cfg.alpha * self.pairwise(target_features, out.feature, similarity),
                "pair_hash": cfg.gamma * self.pairwise(target_codes, out.code, similarity),
                "quantization": cfg.beta * self.quantizer(out.code, shared[r]),
                "label": cfg.eta * self.label_loss(out.label_logit, labels),
            }
            if modality != "label":
                progress = (epoch + (step + 1) / n_steps) / cfg.epochs
                terms.update(self.alignment.generator_terms(modality, out.feature, target_features[r], progress))
            loss = sum(terms.values())
            for opt in optimizers:
                opt.zero_grad(set_to_none=True)
            loss.backward()
            for opt in optimizers:
                opt.step()
            self.buffers[f"code_{modality}"][r] = out.code.detach()
            self.buffers[f"feature_{modality}"][r] = out.feature.detach()
            for name, value in terms.items():
                sums[name] = sums.get(name, 0.0) + float(value.detach())
            step += 1
        return {f"{modality}/{name}": total / max(step, 1) for name, total in sums.items()}
