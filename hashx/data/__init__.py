"""Datasets, protocols and splits (:mod:`hashx.data`).

Readers (one module per dataset family), all returning a
:class:`CrossModalDataset`:

- :mod:`~hashx.data.mirflickr`: MIRFlickr-25K, DCMH split files and merged ``FLICKR-25K.mat``;
- :mod:`~hashx.data.nuswide`: NUS-WIDE official label tables, TC-21/TC-10 DCMH and DADH files;
- :mod:`~hashx.data.wikipedia`: ``wiki_data.mat``;
- :mod:`~hashx.data.generic`: ``.npz`` / ``.h5`` / ``.npy`` files;
- :mod:`~hashx.data.digits`: scikit-learn's handwritten digits, two views per image (real data, no files);
- :mod:`~hashx.data.synthetic`: seeded stand-ins (a synthetic dataset; MIRFlickr with synthetic images),
  and :mod:`~hashx.data.wiki_like`, the ``wiki-like`` preset shaped like the Wikipedia benchmark;
- :mod:`~hashx.data.probe`: linear probes measuring the label signal of features;
- :mod:`~hashx.data.matfile`: MATLAB v5 / v7.3 reading;
- :mod:`~hashx.data.images` and :mod:`~hashx.data.vggf`: raw images and CNN-F weights.

Protocols (:mod:`~hashx.data.protocols`): :func:`list_protocols`,
:func:`get_protocol`, :func:`load_dataset`, :func:`make_split`,
:func:`load_protocol`, :func:`resolve_protocol`; splits are :class:`Split` objects with
``save``/``load``.  This package never imports torch.
"""

from .dataset import CrossModalDataset as CrossModalDataset
from .digits import load_digits_views as load_digits_views
from .generic import load_generic as load_generic
from .generic import load_npy as load_npy
from .generic import save_generic as save_generic
from .images import LazyImages as LazyImages
from .images import preprocess_images as preprocess_images
from .matfile import MatFile as MatFile
from .matfile import mat_version as mat_version
from .mirflickr import load_mirflickr25k as load_mirflickr25k
from .mirflickr import read_mirflickr25k_labels_tags as read_mirflickr25k_labels_tags
from .modality_file import read_modality as read_modality
from .nuswide import load_nuswide as load_nuswide
from .nuswide import read_nuswide_concepts as read_nuswide_concepts
from .nuswide import select_top_concepts as select_top_concepts
from .protocols import PROTOCOLS as PROTOCOLS
from .protocols import Protocol as Protocol
from .protocols import draw_split as draw_split
from .protocols import get_protocol as get_protocol
from .protocols import list_protocols as list_protocols
from .protocols import load_dataset as load_dataset
from .protocols import load_protocol as load_protocol
from .protocols import make_split as make_split
from .protocols import resolve_protocol as resolve_protocol
from .protocols import shipped_split as shipped_split
from .split import Split as Split
from .probe import linear_probe_accuracy as linear_probe_accuracy
from .probe import linear_probe_map as linear_probe_map
from .synthetic import make_mirflickr_synthimg as make_mirflickr_synthimg
from .synthetic import make_synthetic as make_synthetic
from .vggf import VggfWeights as VggfWeights
from .vggf import read_vggf as read_vggf
from .wikipedia import load_wikipedia as load_wikipedia
from .summary import dataset_summary as dataset_summary
from .summary import verify_split as verify_split

__all__ = [
    "CrossModalDataset",
    "Split",
    "PROTOCOLS",
    "Protocol",
    "list_protocols",
    "get_protocol",
    "load_dataset",
    "make_split",
    "draw_split",
    "shipped_split",
    "load_protocol",
    "resolve_protocol",
    "load_mirflickr25k",
    "read_mirflickr25k_labels_tags",
    "load_nuswide",
    "read_nuswide_concepts",
    "select_top_concepts",
    "load_wikipedia",
    "load_digits_views",
    "load_generic",
    "load_npy",
    "save_generic",
    "read_modality",
    "make_synthetic",
    "make_mirflickr_synthimg",
    "linear_probe_map",
    "linear_probe_accuracy",
    "MatFile",
    "mat_version",
    "LazyImages",
    "preprocess_images",
    "VggfWeights",
    "read_vggf",
    "dataset_summary",
    "verify_split",
]
