"""UCAL: unsupervised cross-modal alignment: two towers plus a modality classifier behind gradient reversal.

UCAL is :class:`~hashx.methods.TwoTower` (the same towers, contrastive loss
over paired items and quantisation; labels unused by default) with one
component added: modality classifiers that try to tell image codes from text
codes, trained jointly with the towers through a gradient-reversal layer
(:class:`hashx.alignment.GRLAlignment`) whose weight grows with the number of
training samples seen (``grl_schedule="samples"``), so that the towers learn
to make the two modalities' codes indistinguishable.  Objective of a batch of
``b`` paired items with codes ``h`` (images) and ``g`` (texts)::

    L = two-tower terms (InfoNCE_sym(h, g) + beta * quantisation)
      + delta * (BCE(D_image(R(h)), 0) + BCE(D_image(sg(g)), 1)) / 2      "image/adversarial"
      + delta * (BCE(D_text(R(g)), 0)  + BCE(D_text(sg(h)), 1)) / 2       "text/adversarial"

``R`` is the identity forward and multiplies the gradient by ``-lambda``
backward, ``lambda = grl_weight("samples", samples_seen=s, ramp_samples=r) =
2 / (1 + exp(-10 min(s / r, 1))) - 1`` with ``s = epoch * n + min((step + 1)
* batch_size, n)`` (a function of the epoch and step, so exact resume holds);
``sg`` stops the gradient.  All terms are minimised by one Adam step per
batch: the classifiers descend their cross-entropy, the towers (through
``R``) ascend it.

The mapping onto :mod:`hashx.alignment`
---------------------------------------
An alignment component's discriminator for modality ``m`` tells that
modality's *features* (label 0, behind the reversal layer) from the
*anchors* they should be indistinguishable from (label 1, not reversed).
For a modality classifier the anchors are the other modality's codes of the
same batch: ``D_image`` sees image codes vs text codes, ``D_text`` text codes
vs image codes.  Both are modality classifiers (the same task with the labels
swapped); there are two so that each tower gets its reversed gradient through
the one in which it is the reversed side.  The anchors are detached: a live
anchor would pass the classifier's *un*-reversed gradient into the other
tower, which would then help the classifier.  The classifiers see the
continuous codes (nbits wide), the only representation the two towers share:
the layers below the hash layer are separate spaces in the two towers, and
the codes are what is searched.

Deviations and notes
--------------------
The classifiers are hashx's registered ``discriminator`` (nbits -> 512 ->
256 -> 1).  Labels are not read in training with the default
``positives="pairs"``; with ``positives="labels"`` the contrastive positives
use them (the "labels optional" of the method).  Validation and model
selection (the trainer's) use labels.

Defaults, from the synthetic set's validation split (32 bits, 10 epochs,
seed 0, tau = 0.5; best validation MAP, mean of the two directions; the
two-tower baseline reached 0.621): with ``lr_discriminator = 1e-3`` the
classifiers win (each adversarial term settles near 0.005, a cross-entropy
of about 0.05) and UCAL reached 0.610; with 1e-4 the classifiers stay near
chance (cross-entropy about 0.76 against log 2 = 0.69 at chance: the towers
make the modalities indistinguishable) and UCAL reached 0.621, the baseline's
value.  ``delta = 1`` (tau = 1, classifiers at 1e-3) drove the codes into
tanh saturation within two epochs, where no gradient flows, and training
collapsed (0.495); ``delta = 0.1`` keeps the reversed gradient a small
fraction of the contrastive one.
"""

from __future__ import annotations

from ..alignment import create_alignment
from .registry import register_method
from .two_tower import TwoTower
from .ucal_settings import UCALSettings

__all__ = ["UCAL"]


@register_method("ucal")
class UCAL(TwoTower):
    """Two towers aligned by modality classifiers behind a sample-scheduled gradient-reversal layer.

    Built by :meth:`UCALSettings.build` as ``UCAL(settings, run=run, data=data, device=device)``;
    the parameters are those of :class:`~hashx.methods.TwoTower`.
    """

    settings_class = UCALSettings

    def build_alignment(self):
        """The alignment component named by ``settings.alignment``, on the codes (``feature_dim = nbits``)."""
        s = self.settings
        return create_alignment(s.alignment, feature_dim=self.run.nbits, weight=s.delta, lr=s.lr_discriminator,
                                weight_decay=s.weight_decay, device=self.device, schedule=s.grl_schedule,
                                ramp_samples=s.grl_ramp_samples)
