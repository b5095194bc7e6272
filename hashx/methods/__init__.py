"""Training methods, in a registry (``get_method(name)``), each with its settings dataclass.

Registered names
----------------
``ssah``  :class:`SSAH` (:class:`SSAHSettings`), Self-Supervised Adversarial Hashing.
``cca-itq``  :class:`CCAITQ` (:class:`CCAITQSettings`), CCA + iterative quantisation (shallow, unsupervised).
``cmfh``  :class:`CMFH` (:class:`CMFHSettings`), collective matrix factorisation hashing (shallow, unsupervised).
``scm-seq``  :class:`SCMSeq` (:class:`SCMSeqSettings`), semantic correlation maximisation, sequential (shallow).
``scratch``  :class:`SCRATCH` (:class:`SCRATCHSettings`), discrete matrix factorisation with labels (shallow).
``dcmh``  :class:`DCMH` (:class:`DCMHSettings`), Deep Cross-Modal Hashing.
``csq``   :class:`CSQ` (:class:`CSQSettings`), Central Similarity Quantisation on both modalities.
``two-tower``  :class:`TwoTower` (:class:`TwoTowerSettings`), two towers and a symmetric contrastive loss.
``ucal``  :class:`UCAL` (:class:`UCALSettings`), two-tower plus a modality classifier behind gradient reversal.
``dscmr``  :class:`DSCMR` (:class:`DSCMRSettings`), Deep Supervised Cross-Modal Retrieval, hashed.
``acmr``  :class:`ACMR` (:class:`ACMRSettings`), Adversarial Cross-Modal Retrieval, hashed.

Adding a method: a :class:`~hashx.train.MethodSettings` subclass for its
hyperparameters (:class:`NetSettings` for one with image and text networks), a :class:`~hashx.train.Method` subclass naming it in
``settings_class``, and ``@register_method("name")``; then import its module
here.  The trainer, checkpoints, encoder, ``hashx train --method`` and
``hashx bench --methods`` need nothing else.
"""

from ..train.method import Method as Method
from ..train.method import MethodSettings as MethodSettings
from .net_settings import NetSettings as NetSettings
from .configure import configure as configure
from .configure import split_overrides as split_overrides
from .registry import METHODS as METHODS
from .registry import get_method as get_method
from .registry import list_methods as list_methods
from .registry import make_settings as make_settings
from .registry import register_method as register_method
from .ssah import SSAH as SSAH
from .ssah_settings import SSAHSettings as SSAHSettings
from .cca_itq import CCAITQ as CCAITQ
from .cca_itq_settings import CCAITQSettings as CCAITQSettings
from .cmfh import CMFH as CMFH
from .cmfh_settings import CMFHSettings as CMFHSettings
from .scm_seq import SCMSeq as SCMSeq
from .scm_seq_settings import SCMSeqSettings as SCMSeqSettings
from .scratch import SCRATCH as SCRATCH
from .scratch_settings import SCRATCHSettings as SCRATCHSettings
from .dcmh import DCMH as DCMH
from .dcmh_settings import DCMHSettings as DCMHSettings
from .csq import CSQ as CSQ
from .csq_settings import CSQSettings as CSQSettings
from .two_tower import TwoTower as TwoTower
from .two_tower_settings import TwoTowerSettings as TwoTowerSettings
from .ucal import UCAL as UCAL
from .ucal_settings import UCALSettings as UCALSettings
from .dscmr import DSCMR as DSCMR
from .dscmr_settings import DSCMRSettings as DSCMRSettings
from .acmr import ACMR as ACMR
from .acmr_settings import ACMRSettings as ACMRSettings

__all__ = [
    "Method",
    "MethodSettings",
    "NetSettings",
    "METHODS",
    "get_method",
    "list_methods",
    "make_settings",
    "register_method",
    "configure",
    "split_overrides",
    "SSAH",
    "SSAHSettings",
    "CCAITQ",
    "CCAITQSettings",
    "CMFH",
    "CMFHSettings",
    "SCMSeq",
    "SCMSeqSettings",
    "SCRATCH",
    "SCRATCHSettings",
    "DCMH",
    "DCMHSettings",
    "CSQ",
    "CSQSettings",
    "TwoTower",
    "TwoTowerSettings",
    "UCAL",
    "UCALSettings",
    "DSCMR",
    "DSCMRSettings",
    "ACMR",
    "ACMRSettings",
]
