"""Features from raw data: pretrained image backbones, tag and sentence text features (:mod:`hashx.features`).

The stated recipe behind ``hashx data features``, ``hashx data
text-features`` and ``hashx data assemble``:

- :func:`extract_image_features`: a folder of images -> ``image`` features of
  a registered backbone (:func:`list_backbones`: torchvision's ResNet-50 and
  VGG-16/19, open_clip's CLIP image towers), loaded from a local weights file
  (:func:`load_backbone`; nothing is ever downloaded), batched, resumable,
  with the preprocessing, weights SHA-256 and versions in the file;
- :func:`extract_text_features`: tag lists or sentences -> bag-of-words,
  TF-IDF or CLIP text embeddings (:func:`bag_of_words`,
  :func:`build_vocabulary`, :func:`tfidf_features`, :func:`clip_text_features`);
- :func:`assemble_dataset`: image + text features + labels -> one generic
  dataset file for ``hashx train --dataset files``.

Backbones need the optional packages of ``pip install 'hashx[features]'``
(torchvision, open_clip_torch, Pillow); bag-of-words and TF-IDF do not.
"""

from .assemble import assemble_dataset as assemble_dataset
from .assemble import read_label_lists as read_label_lists
from .backbone import Backbone as Backbone
from .backbone import load_backbone as load_backbone
from .feature_file import read_meta as read_meta
from .image_features import FeatureFileInfo as FeatureFileInfo
from .image_features import extract_image_features as extract_image_features
from .image_list import list_images as list_images
from .preprocessing import Preprocessing as Preprocessing
from .registry import BackboneSpec as BackboneSpec
from .registry import get_backbone as get_backbone
from .registry import list_backbones as list_backbones
from .tags import bag_of_words as bag_of_words
from .tags import build_vocabulary as build_vocabulary
from .tags import read_tag_lists as read_tag_lists
from .tags import read_vocabulary as read_vocabulary
from .text_features import TextFeatureInfo as TextFeatureInfo
from .text_features import clip_text_features as clip_text_features
from .text_features import extract_text_features as extract_text_features
from .text_features import tfidf_features as tfidf_features

__all__ = [
    "Backbone",
    "BackboneSpec",
    "FeatureFileInfo",
    "Preprocessing",
    "TextFeatureInfo",
    "assemble_dataset",
    "bag_of_words",
    "build_vocabulary",
    "clip_text_features",
    "extract_image_features",
    "extract_text_features",
    "get_backbone",
    "list_backbones",
    "list_images",
    "load_backbone",
    "read_label_lists",
    "read_meta",
    "read_tag_lists",
    "read_vocabulary",
    "tfidf_features",
]
