"""Text features: bag-of-words and TF-IDF over tags or sentences, and CLIP text embeddings.

Three methods, each writing the text feature layout of
:mod:`hashx.features.feature_file`:

``bow``
    0/1 bag-of-words of tag lists over a vocabulary (:func:`bag_of_words`),
    sparse; the field's MIRFlickr (1,386-d) and NUS-WIDE (1,000-d) text input.
``tfidf``
    scikit-learn's ``TfidfVectorizer`` (smooth idf, l2-normalised rows), over
    tag lists (each tag one token, the same vocabulary options as ``bow``) or
    over sentences (scikit-learn's word tokens); sparse.  The idf weights are
    fitted on all the items given, queries included: the statistic uses no
    label.
``clip``
    CLIP's text tower (local weights, as for images) on sentences or on each
    item's tags joined by spaces; dense (n, 512).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .._validation import check_choice, check_int
from .._version import __version__
from ..exceptions import HashxValueError
from .feature_file import meta_array, write_npz
from .tags import bag_of_words, build_vocabulary, read_lines, read_tag_lists, read_vocabulary

__all__ = ["TEXT_METHODS", "TextFeatureInfo", "tfidf_features", "clip_text_features", "extract_text_features"]

logger = logging.getLogger(__name__)

TEXT_METHODS = ("bow", "tfidf", "clip")


def _tokens(tags):
    return tags


def tfidf_features(docs, *, vocabulary=None, min_df: int = 1, max_features: int | None = None
                   ) -> tuple[sp.csr_matrix, tuple[str, ...]]:
    """TF-IDF rows of tag lists or sentences (scikit-learn's ``TfidfVectorizer``).

    Parameters
    ----------
    docs : list of list of str, or list of str
        Tag lists (each tag one token) or sentences (word tokens, lower-cased).
    vocabulary : sequence of str, optional
        Fixed columns; default: learned from ``docs`` with ``min_df`` and ``max_features``.
    min_df : int, default=1
    max_features : int, optional

    Returns
    -------
    matrix : scipy.sparse.csr_matrix of shape (len(docs), t), dtype=float32
    vocabulary : tuple of str
        Column order.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    min_df = check_int(min_df, "min_df", caller="tfidf_features", min_value=1)
    tags = bool(docs) and not isinstance(docs[0], str)
    vectorizer = TfidfVectorizer(analyzer=_tokens if tags else "word", lowercase=not tags,
                                 vocabulary=list(vocabulary) if vocabulary is not None else None,
                                 min_df=min_df if vocabulary is None else 1,
                                 max_features=max_features if vocabulary is None else None, dtype=np.float32)
    matrix = vectorizer.fit_transform(docs)
    return sp.csr_matrix(matrix, dtype=np.float32), tuple(vectorizer.get_feature_names_out().tolist())


def clip_text_features(texts, *, backbone, weights=None, batch_size: int = 256, device: str = "cpu",
                       progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, dict]:
    """CLIP text-tower embeddings of ``texts`` (truncated to the tokenizer's 77 tokens).

    Parameters
    ----------
    texts : list of str
    backbone : str or Backbone
        A CLIP backbone name (then ``weights`` is required) or a loaded one.
    weights : str or os.PathLike, optional
    batch_size : int, default=256
    device : str, default="cpu"
    progress : callable, optional
        ``progress(done, total)`` after every batch.

    Returns
    -------
    features : ndarray of shape (len(texts), dim), dtype=float32
    meta : dict
        The backbone's metadata (weights SHA-256 and so on).
    """
    from .backbone import load_backbone

    batch_size = check_int(batch_size, "batch_size", caller="clip_text_features", min_value=1)
    if isinstance(backbone, str):
        backbone = load_backbone(backbone, weights, device=device)
    if backbone.text_tower is None:
        raise HashxValueError(f"The 'backbone' parameter of clip_text_features must be a CLIP backbone. "
                              f"Got '{backbone.spec.name}', which has no text tower.")
    out = np.empty((len(texts), backbone.spec.dim), dtype=np.float32)
    for a in range(0, len(texts), batch_size):
        b = min(a + batch_size, len(texts))
        out[a:b] = backbone.encode_texts(texts[a:b])
        if progress is not None:
            progress(b, len(texts))
    meta = backbone.metadata()
    meta["layer"] = "text embedding: the text tower's output at the end-of-text token after its projection " \
                    "(not L2-normalised)"
    return out, meta


@dataclass(frozen=True)
class TextFeatureInfo:
    """What :func:`extract_text_features` wrote: path, shape, sparsity and its ``meta``."""

    path: Path
    count: int
    dim: int
    sparse: bool
    meta: dict


def _vocabulary(tag_lists, vocabulary, min_count, max_tags):
    if vocabulary is not None:
        return read_vocabulary(vocabulary), f"file {Path(vocabulary).name}"
    return (build_vocabulary(tag_lists, min_count=min_count, max_size=max_tags),
            f"tags in >= {min_count} items" + (f", the {max_tags} most frequent" if max_tags else ""))


def extract_text_features(source, *, method: str, out, kind: str = "tags", vocabulary=None, min_count: int = 1,
                          max_tags: int | None = None, backbone: str = "clip-vit-b-32", weights=None,
                          batch_size: int = 256, device: str = "cpu", lowercase: bool = True,
                          progress: Callable[[int, int], None] | None = None) -> TextFeatureInfo:
    """Text features of tag lists or sentences, written as a text feature file (atomically).

    Parameters
    ----------
    source : str or os.PathLike
        Tag lists (:func:`read_tag_lists`: a folder of per-item files or one
        line per item) or, with ``kind="sentences"``, one sentence per line.
    method : {"bow", "tfidf", "clip"}
        See the module docstring.
    out : str or os.PathLike
        The ``.npz`` file to write.
    kind : {"tags", "sentences"}, default="tags"
    vocabulary : str or os.PathLike, optional
        ``bow``/``tfidf`` over tags: a vocabulary file (one tag per line, in
        column order); default: built from the tag lists with ``min_count``
        and ``max_tags``.
    min_count : int, default=1
        Vocabulary built from the lists: tags used by at least this many items.
    max_tags : int, optional
        Vocabulary built from the lists: at most this many tags.
    backbone, weights, batch_size, device
        ``clip`` only: the CLIP backbone and its local weights file.
    lowercase : bool, default=True
        Lower-case tags (and vocabulary entries).
    progress : callable, optional
        ``clip`` only: ``progress(done, total)``.

    Returns
    -------
    TextFeatureInfo
    """
    check_choice(method, "method", TEXT_METHODS, caller="extract_text_features")
    check_choice(kind, "kind", ("tags", "sentences"), caller="extract_text_features")
    out = Path(out)
    if out.suffix.lower() != ".npz":
        raise HashxValueError(f"The 'out' parameter of extract_text_features must end in .npz. Got '{out}' instead.")
    if method == "bow" and kind != "tags":
        raise HashxValueError("The 'bow' method of extract_text_features needs tag lists (kind='tags'); "
                              "use 'tfidf' or 'clip' for sentences.")
    docs = read_tag_lists(source, lowercase=lowercase) if kind == "tags" else read_lines(source)
    meta = {"kind": "text-features", "method": method, "source": str(Path(source).resolve()), "input": kind,
            "count": len(docs), "hashx_version": __version__}
    arrays = {}
    if method == "clip":
        texts = [" ".join(d) for d in docs] if kind == "tags" else docs
        matrix, backbone_meta = clip_text_features(texts, backbone=backbone, weights=weights, batch_size=batch_size,
                                                   device=device, progress=progress)
        meta.update(backbone_meta, tags_joined_with=" " if kind == "tags" else None)
        arrays["text"] = matrix
    else:
        if kind == "tags":
            vocab, rule = _vocabulary(docs, vocabulary, min_count, max_tags)
            meta["vocabulary_rule"] = rule
        else:
            vocab = None
            meta["vocabulary_rule"] = f"scikit-learn word tokens in >= {min_count} items"
        if method == "bow":
            matrix = bag_of_words(docs, vocab)
        else:
            import sklearn

            matrix, vocab = tfidf_features(docs, vocabulary=vocab, min_df=min_count,
                                           max_features=max_tags if kind == "sentences" else None)
            meta.update(tfidf="TfidfVectorizer(smooth_idf=True, norm='l2')", sklearn_version=sklearn.__version__)
        covered = int(np.count_nonzero(np.diff(matrix.indptr)))
        meta.update(vocabulary_size=len(vocab), items_with_no_vocabulary_term=len(docs) - covered)
        if covered < len(docs):
            logger.warning("%d of %d items have no term of the vocabulary (all-zero rows)", len(docs) - covered,
                           len(docs))
        arrays.update(text_data=matrix.data, text_indices=matrix.indices, text_indptr=matrix.indptr,
                      text_shape=np.array(matrix.shape, dtype=np.int64), vocabulary=np.array(vocab, dtype=str))
    meta["dim"] = int(matrix.shape[1])
    arrays["meta"] = meta_array(meta)
    write_npz(out, arrays)
    return TextFeatureInfo(out, len(docs), int(matrix.shape[1]), method != "clip", meta)
