"""Loss terms, one file per family; each family is a registry of interchangeable forms.

Every term is normalised as a mean (over pairs, elements or batch items)
rather than SSAH's sums, so loss weights keep their meaning across training
set sizes, batch sizes and code lengths.
"""

from .adversarial import discriminator_loss as discriminator_loss
from .adversarial import domain_loss as domain_loss
from .adversarial import generator_loss as generator_loss
from .adversarial import grad_reverse as grad_reverse
from .bit_balance import BitBalanceLoss as BitBalanceLoss
from .central_similarity import CentralSimilarityLoss as CentralSimilarityLoss
from .hash_centers import HASH_CENTER_KINDS as HASH_CENTER_KINDS
from .hash_centers import hash_centers as hash_centers
from .hash_centers import item_centers as item_centers
from .hash_centers import tie_breaker as tie_breaker
from .contrastive import POSITIVE_SETS as POSITIVE_SETS
from .contrastive import SymmetricInfoNCELoss as SymmetricInfoNCELoss
from .label import LABEL_LOSSES as LABEL_LOSSES
from .label import LabelBCELoss as LabelBCELoss
from .label import LabelMSELoss as LabelMSELoss
from .magnitude_quantization import MagnitudeQuantization as MagnitudeQuantization
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
    "BitBalanceLoss",
    "CentralSimilarityLoss",
    "MagnitudeQuantization",
    "HASH_CENTER_KINDS",
    "hash_centers",
    "item_centers",
    "tie_breaker",
    "SymmetricInfoNCELoss",
    "POSITIVE_SETS",
]
