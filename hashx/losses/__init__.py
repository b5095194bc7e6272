"""Loss terms, one file per family; each family is a registry of interchangeable forms.

Every term is normalised as a mean (over pairs, elements or batch items)
rather than SSAH's sums, so loss weights keep their meaning across training
set sizes, batch sizes and code lengths.
"""

from .adversarial import discriminator_loss as discriminator_loss
from .adversarial import domain_loss as domain_loss
from .adversarial import generator_loss as generator_loss
from .adversarial import grad_reverse as grad_reverse
from .contrastive import POSITIVE_SETS as POSITIVE_SETS
from .contrastive import SymmetricInfoNCELoss as SymmetricInfoNCELoss
from .label import LABEL_LOSSES as LABEL_LOSSES
from .label import LabelBCELoss as LabelBCELoss
from .label import LabelMSELoss as LabelMSELoss
from .pairwise import PAIRWISE_LOSSES as PAIRWISE_LOSSES
from .pairwise import PairwiseLikelihoodLoss as PairwiseLikelihoodLoss
from .pairwise import SquaredPairwiseLikelihoodLoss as SquaredPairwiseLikelihoodLoss
from .pairwise import label_similarity as label_similarity
from .quantization import QUANTIZERS as QUANTIZERS
from .quantization import SelfSignQuantization as SelfSignQuantization
from .quantization import SharedCodeQuantization as SharedCodeQuantization

__all__ = [
    "label_similarity",
    "PairwiseLikelihoodLoss",
    "SquaredPairwiseLikelihoodLoss",
    "PAIRWISE_LOSSES",
    "SharedCodeQuantization",
    "SelfSignQuantization",
    "QUANTIZERS",
    "LabelMSELoss",
    "LabelBCELoss",
    "LABEL_LOSSES",
    "grad_reverse",
    "domain_loss",
    "discriminator_loss",
    "generator_loss",
    "SymmetricInfoNCELoss",
    "POSITIVE_SETS",
]
