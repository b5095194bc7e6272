"""Named, seeded evaluation protocols and their splits.

Every codebase of the field draws its own unseeded split, so published numbers
are not comparable.  Here each protocol has a name, fixed sizes, a seeded
split (:func:`make_split`), and for ``mirflickr25k``, ``nuswide-tc21`` and
``digits-halves`` (shared by ``digits-quadrants``) a split file shipped inside
the package (``hashx/data/splits/``), so that two
users get the same split whatever their numpy version.

==========================  =========  =======  =========  ======  =====================================
protocol                    items      query    retrieval  train   notes
==========================  =========  =======  =========  ======  =====================================
``mirflickr25k``            20,015     2,000    18,015     10,000  DCMH protocol; shipped split
``mirflickr25k-synthimg``   20,015     2,000    18,015     10,000  real labels/tags, synthetic images;
                                                                   the ``mirflickr25k`` split
``nuswide-tc21``            195,834    2,100    193,734    10,500  21 most frequent concepts; shipped
``nuswide-tc10``            186,577    2,000    184,577    10,000  10 most frequent concepts
``wikipedia``               2,866      693      2,173      2,173   fixed test = query; train = database
``digits-halves``           1,797      435      1,362      1,362   REAL: scikit-learn's digits, left /
                                                                   right half (32-d); train = database;
                                                                   shipped split (val 136)
``digits-quadrants``        1,797      435      1,362      1,362   REAL: top-left / bottom-right 4x4
                                                                   (16-d); the ``digits-halves`` split
``synthetic``               any        10%      the rest   50% of  ``make_synthetic`` (4,000 by default:
                                                           retr.   400 / 3,600 / 1,800)
``wiki-like``               2,866      693      2,173      2,173   ``make_synthetic(preset="wiki-like")``;
                                                                   train = database (val 217)
``files``                   any        param.   the rest   param.  generic ``.npz``/``.h5``/``.npy``
==========================  =========  =======  =========  ======  =====================================

How a split is drawn (``seed`` -> ``numpy.random.default_rng(seed)``):
``perm = rng.permutation(n)``; query = ``perm[:n_query]``; retrieval =
``perm[n_query:]``; train = ``perm[n_query:n_query + n_train]`` (drawn from
the retrieval set, so it never overlaps the query set); then the validation
set ``val = rng.choice(train, n_val, replace=False)`` with ``n_val =
min(1000, n_train // 10)``, carved from the training set, never from the
query set.  Each part is stored sorted.  :attr:`Split.fit` (train minus val)
is what a model is fitted on; ``val`` queries against ``fit`` select models.
Wikipedia's query/retrieval/train parts are fixed; only ``val`` is drawn.
Where train = retrieval (``digits-*``, ``wiki-like``) the rule above gives
train = ``perm[n_query:]``, the whole database.
Relevance (two items share at least one label) is the metrics' business.

``load_protocol`` uses the shipped split file when ``seed == 0`` (the
default), after verifying its checksum and that it fits the dataset; any
other seed draws a fresh split.

Presets: ``load_protocol("synthetic", preset=P)`` with a preset ``P`` of
:func:`~hashx.data.synthetic.make_synthetic` other than ``"default"`` is the
protocol named ``P`` (:func:`resolve_protocol`): ``load_protocol("synthetic",
preset="wiki-like")`` is ``load_protocol("wiki-like")``, whose fixed sizes
mirror the Wikipedia benchmark.  A ``wiki-like`` dataset of another size gets
its split from the ``files`` protocol (``make_split("files", ds, n_query=...)``).

Split indices are positions in the dataset's rows.  The shipped
``mirflickr25k`` split is over the DCMH row order of ``mirflickr25k-lall.mat``
/ ``-yall.mat``.  The shipped ``nuswide-tc21`` split is over the 195,834 rows
of the TC-21 subset in the official label-table order (train table, then test
table); their official row numbers are ``select_top_concepts(labels, concepts,
21)[0]`` (:mod:`hashx.data.nuswide`).  A file whose rows follow another order
gets a split of the same sizes, but not over the same images.  The shipped
``digits-halves`` split is over the rows of
:func:`sklearn.datasets.load_digits`, which the loader verifies
(:data:`hashx.data.digits.DIGITS_SHA256`).
"""

from __future__ import annotations

import importlib.resources
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._registry import Registry
from .._validation import check_choice, check_int
from ..exceptions import DataFormatError, HashxValueError
from .dataset import CrossModalDataset
from .split import Split

__all__ = [
    "PROTOCOLS",
    "Protocol",
    "list_protocols",
    "get_protocol",
    "load_dataset",
    "make_split",
    "draw_split",
    "shipped_split",
    "load_protocol",
    "default_val_size",
    "resolve_protocol",
    "DATA_DIR_ENV",
]

logger = logging.getLogger(__name__)

#: Environment variable naming a folder with one sub-folder per dataset
#: (``mirflickr25k``, ``nuswide``, ``wikipedia``), used when ``data_dir`` is None.
DATA_DIR_ENV = "HASHX_DATA_DIR"
_SIZE_KEYS = ("n_query", "n_train", "n_val")


@dataclass(frozen=True)
class Protocol:
    """A named protocol: dataset, sizes and split rule (see the module docstring).

    Attributes
    ----------
    name, description : str
    n_items : int or None
        Exact number of items the dataset must have (None: any).
    n_query, n_train : int or None
        Fixed sizes (None: proportional or given as parameters).
    split_name : str
        Protocol whose split this one uses (``mirflickr25k-synthimg`` uses ``mirflickr25k``'s).
    shipped : tuple of str
        Shipped split files (in ``hashx/data/splits``), the first one is loaded.
    data_subdir : str or None
        Sub-folder of ``$HASHX_DATA_DIR`` holding the files (None: no files needed).
    files : tuple of str
        File names the loader looks for (for messages).
    """

    name: str
    description: str
    n_items: int | None
    n_query: int | None
    n_train: int | None
    split_name: str
    shipped: tuple = ()
    data_subdir: str | None = None
    files: tuple = ()

    def sizes(self, n_items: int, *, n_query=None, n_train=None, n_val=None) -> dict:
        """``{"query", "retrieval", "train", "val"}`` sizes for a dataset of ``n_items``."""
        caller = f"make_split('{self.name}')"
        _check_no_sizes(self.name, (n_query, n_train, n_val))
        if self.n_items is not None and n_items != self.n_items:
            raise HashxValueError(
                f"Protocol '{self.name}' needs a dataset of exactly {self.n_items} items. Got {n_items} instead."
            )
        if self.name == "synthetic":
            nq = max(1, int(round(0.1 * n_items)))
            nt = max(1, int(round(0.5 * (n_items - nq))))
        elif self.name == "files":
            nq = check_int(n_query, "n_query", caller=caller, min_value=1, max_value=n_items - 1,
                           allow_none=True)
            nq = max(1, int(round(0.1 * n_items))) if nq is None else nq
            nt = check_int(n_train, "n_train", caller=caller, min_value=1, max_value=n_items - nq,
                           allow_none=True)
            nt = n_items - nq if nt is None else nt
        else:
            nq, nt = self.n_query, self.n_train
        nv = default_val_size(nt)
        if self.name == "files" and n_val is not None:
            nv = check_int(n_val, "n_val", caller=caller, min_value=0, max_value=nt - 1)
        return {"query": nq, "retrieval": n_items - nq, "train": nt, "val": nv}


def _check_no_sizes(name: str, sizes) -> None:
    """n_query / n_train / n_val are parameters of the ``files`` protocol only."""
    if name != "files" and any(v is not None for v in sizes):
        raise HashxValueError(
            f"The sizes of protocol '{name}' are fixed; n_query/n_train/n_val are parameters of "
            f"the 'files' protocol only."
        )


def default_val_size(n_train: int) -> int:
    """``min(1000, n_train // 10)``: the validation subset carved from the training set."""
    return min(1000, n_train // 10)


def _load_mirflickr(data_dir, **kw):
    from .mirflickr import load_mirflickr25k
    return load_mirflickr25k(data_dir, **kw)


def _load_synthimg(data_dir, **kw):
    from .synthetic import make_mirflickr_synthimg
    return make_mirflickr_synthimg(data_dir, **kw)


def _load_nuswide(n_concepts):
    def load(data_dir, **kw):
        from .nuswide import load_nuswide
        return load_nuswide(data_dir, n_concepts=n_concepts, **kw)
    return load


def _load_wikipedia(data_dir, **kw):
    from .wikipedia import load_wikipedia
    return load_wikipedia(data_dir, **kw)


def _no_data_dir(name, data_dir, what):
    if data_dir is not None:
        raise HashxValueError(f"The 'data_dir' parameter of load_dataset('{name}') must be None "
                              f"({what}).")


def _load_synthetic(data_dir, **kw):
    from .synthetic import make_synthetic
    _no_data_dir("synthetic", data_dir, "the synthetic dataset is generated, not read")
    return make_synthetic(**kw)


def _load_wiki_like(data_dir, **kw):
    from .synthetic import make_synthetic
    _no_data_dir("wiki-like", data_dir, "the wiki-like dataset is generated, not read")
    return make_synthetic(preset="wiki-like", **kw)


def _load_digits(views):
    def load(data_dir, **kw):
        from .digits import load_digits_views
        _no_data_dir(f"digits-{views}", data_dir, "the digits come with scikit-learn")
        return load_digits_views(views=views, **kw)
    return load


def _load_files(data_dir, **kw):
    from .generic import load_generic
    return load_generic(data_dir, **kw)


_MIR_FILES = ("FLICKR-25K.mat", "mirflickr25k-lall.mat", "mirflickr25k-yall.mat", "mirflickr25k-iall-vgg.mat",
              "mirflickr25k-iall.mat")
_PROTOCOLS = {
    p.name: (p, loader) for p, loader in (
        (Protocol("mirflickr25k", "MIRFlickr-25K, DCMH layout: 2,000 query / 18,015 retrieval / 10,000 train "
                  "from retrieval", 20015, 2000, 10000, "mirflickr25k", ("mirflickr25k.json",), "mirflickr25k",
                  _MIR_FILES), _load_mirflickr),
        (Protocol("mirflickr25k-synthimg", "MIRFlickr-25K real labels and tags with SYNTHETIC image features "
                  "(a stand-in; not MIRFlickr results); the mirflickr25k split", 20015, 2000, 10000,
                  "mirflickr25k", ("mirflickr25k.json",), "mirflickr25k",
                  ("mirflickr25k-lall.mat", "mirflickr25k-yall.mat", "FLICKR-25K.mat")), _load_synthimg),
        (Protocol("nuswide-tc21", "NUS-WIDE, 21 most frequent concepts (195,834 pairs): 2,100 query / "
                  "193,734 retrieval / 10,500 train", 195834, 2100, 10500, "nuswide-tc21",
                  ("nuswide-tc21.npz", "nuswide-tc21.json"), "nuswide",
                  ("NUS-WIDE-TC21.mat", "nus-wide-tc21-lall.mat", "nus-wide-tc21-yall.mat",
                   "nus-wide-tc21-xall-vgg.mat", "nus-wide-tc21-iall.mat")), _load_nuswide(21)),
        (Protocol("nuswide-tc10", "NUS-WIDE, 10 most frequent concepts (186,577 pairs): 2,000 query / "
                  "184,577 retrieval / 10,000 train", 186577, 2000, 10000, "nuswide-tc10", (), "nuswide",
                  ("NUS-WIDE-TC10.mat", "nus-wide-tc10-lall.mat", "nus-wide-tc10-yall.mat",
                   "nus-wide-tc10-xall-vgg.mat", "nus-wide-tc10-iall.mat")), _load_nuswide(10)),
        (Protocol("wikipedia", "Wikipedia (wiki_data.mat): fixed 693 test pairs as query, the 2,173 train "
                  "pairs as training set and retrieval database", 2866, 693, 2173, "wikipedia", (),
                  "wikipedia", ("wiki_data.mat",)), _load_wikipedia),
        (Protocol("digits-halves", "REAL data: scikit-learn's handwritten digits (1,797 8x8 images, 10 classes), "
                  "left half as image, right half as text (32-d each): 435 query / 1,362 retrieval = train",
                  1797, 435, 1362, "digits-halves", ("digits-halves.json",)), _load_digits("halves")),
        (Protocol("digits-quadrants", "REAL data: scikit-learn's handwritten digits, top-left 4x4 quadrant as "
                  "image, bottom-right as text (16-d each); the digits-halves split", 1797, 435, 1362,
                  "digits-halves", ("digits-halves.json",)), _load_digits("quadrants")),
        (Protocol("synthetic", "fully synthetic cross-modal data (hashx.data.synthetic.make_synthetic): "
                  "10% query, the rest retrieval, half of it train", None, None, None, "synthetic"),
         _load_synthetic),
        (Protocol("wiki-like", "synthetic single-label data shaped like the Wikipedia benchmark "
                  "(make_synthetic(preset='wiki-like')): 693 query / 2,173 retrieval = train", 2866, 693, 2173,
                  "wiki-like"), _load_wiki_like),
        (Protocol("files", "generic .npz / .h5 / .npy files with image, text, labels: seeded split, sizes "
                  "n_query / n_train / n_val are parameters", None, None, None, "files", (), None,
                  ("<file>.npz", "<file>.h5", "<dir>/image.npy + text.npy + labels.npy")), _load_files),
    )
}


#: Protocols by name: ``(Protocol, loader)`` pairs.
PROTOCOLS = Registry("protocol")
for _name, _entry in _PROTOCOLS.items():
    PROTOCOLS.register(_name, _entry)


def list_protocols() -> list[str]:
    """Names of the registered protocols."""
    return PROTOCOLS.names()


def get_protocol(name: str) -> Protocol:
    """The :class:`Protocol` called ``name``.

    Raises
    ------
    HashxValueError
        Unknown name; the message lists the valid names and suggests the closest.
    """
    return PROTOCOLS.get(name, parameter="name", caller="get_protocol")[0]


def _data_dir(protocol: Protocol, data_dir):
    if data_dir is not None or protocol.data_subdir is None:
        return data_dir
    root = os.environ.get(DATA_DIR_ENV)
    if not root:
        raise HashxValueError(
            f"The 'data_dir' parameter of load_dataset('{protocol.name}') is required (a folder with "
            f"{', '.join(protocol.files)}), or set ${DATA_DIR_ENV} to a folder with a "
            f"'{protocol.data_subdir}' sub-folder."
        )
    return Path(root) / protocol.data_subdir


def load_dataset(name: str, data_dir=None, **kw) -> CrossModalDataset:
    """Read (or generate) the dataset of protocol ``name``.

    Parameters
    ----------
    name : str
        A protocol name (:func:`list_protocols`).
    data_dir : str or os.PathLike, optional
        Folder holding the dataset's files under their usual names (a file
        path for ``files``; None for ``synthetic``; defaults to
        ``$HASHX_DATA_DIR/<mirflickr25k|nuswide|wikipedia>``).
    **kw
        Passed to the reader or generator (e.g. ``image="raw"`` for
        MIRFlickr, ``n_items=`` and ``seed=`` for ``synthetic``).

    Raises
    ------
    HashxValueError
        Unknown protocol, or no data_dir.
    DataFormatError
        No dataset files found (the message lists the names looked for), or a bad file.
    """
    protocol = get_protocol(name)
    loader = PROTOCOLS[name][1]
    data_dir = _data_dir(protocol, data_dir)
    if data_dir is not None and not Path(data_dir).exists():
        raise DataFormatError(
            f"Data folder '{data_dir}' for protocol '{name}' does not exist; it should hold "
            f"{', '.join(protocol.files)}."
        )
    return loader(data_dir, **kw)


def draw_split(protocol: str, n_items: int, *, seed: int = 0, n_query=None, n_train=None,
               n_val=None) -> Split:
    """Draw the split of ``protocol`` for ``n_items`` items (the rule in the module docstring).

    Returns
    -------
    Split
        Sorted int64 parts; ``Split.protocol`` is the protocol whose split rule
        was used (``mirflickr25k`` for ``mirflickr25k-synthimg``).
    """
    p = get_protocol(protocol)
    n_items = check_int(n_items, "n_items", caller="draw_split", min_value=2)
    seed = check_int(seed, "seed", caller="draw_split", min_value=0)
    sizes = p.sizes(n_items, n_query=n_query, n_train=n_train, n_val=n_val)
    rng = np.random.default_rng(seed)
    if p.name == "wikipedia":
        n_train_rows = sizes["retrieval"]
        query = np.arange(n_train_rows, n_items, dtype=np.int64)
        retrieval = train = np.arange(n_train_rows, dtype=np.int64)
    else:
        perm = rng.permutation(n_items).astype(np.int64)
        nq, nt = sizes["query"], sizes["train"]
        query, retrieval, train = np.sort(perm[:nq]), np.sort(perm[nq:]), np.sort(perm[nq:nq + nt])
    val = np.sort(rng.choice(train, size=sizes["val"], replace=False)).astype(np.int64)
    return Split(protocol=p.split_name, seed=seed, query=query, retrieval=retrieval, train=train.copy(),
                 val=val).validate(n_items)


def make_split(name: str, dataset: CrossModalDataset, *, seed: int = 0, n_query=None, n_train=None,
               n_val=None) -> Split:
    """The seeded split of protocol ``name`` for ``dataset``.

    Parameters
    ----------
    name : str
    dataset : CrossModalDataset
        Its size must be the protocol's (e.g. 20,015 for ``mirflickr25k``).
    seed : int
        Same seed -> identical split.
    n_query, n_train, n_val : int, optional
        Sizes, for the ``files`` protocol only (defaults: 10% of the items as
        queries, all non-query items as training set, ``min(1000, n_train // 10)``
        validation items).
    """
    if not isinstance(dataset, CrossModalDataset):
        raise HashxValueError(f"The 'dataset' parameter of make_split must be a CrossModalDataset. "
                              f"Got {type(dataset).__name__} instead.")
    return draw_split(name, len(dataset), seed=seed, n_query=n_query, n_train=n_train, n_val=n_val)


def shipped_split(name: str, *, n_items: int | None = None) -> Split:
    """The split file shipped for protocol ``name`` (seed 0), verified.

    The file's checksum is verified by :meth:`Split.load`; its sizes must be
    the protocol's, and, when ``n_items`` is given, it must cover exactly
    ``n_items`` items (query + retrieval = all items).

    Raises
    ------
    HashxValueError
        The protocol ships no split file.
    DataFormatError
        The shipped file is missing, corrupted, or does not fit.
    """
    p = get_protocol(name)
    if not p.shipped:
        raise HashxValueError(f"Protocol '{name}' ships no split file; use make_split().")
    resource = importlib.resources.files("hashx.data").joinpath("splits", p.shipped[0])
    with importlib.resources.as_file(resource) as path:
        split = Split.load(path)
        expected = p.sizes(p.n_items)
        if split.protocol != p.split_name or split.seed != 0 or split.sizes() != expected:
            raise DataFormatError(
                f"Shipped split file '{path}' does not fit protocol '{name}': it holds protocol "
                f"'{split.protocol}', seed {split.seed}, sizes {split.sizes()}; expected sizes {expected}."
            )
        if n_items is not None:
            if n_items != p.n_items:
                raise DataFormatError(
                    f"Shipped split file '{path}' is for {p.n_items} items; the dataset has {n_items}."
                )
            try:
                split.validate(n_items)
            except HashxValueError as exc:
                raise DataFormatError(f"Shipped split file '{path}': {exc}") from None
    return split


def resolve_protocol(name: str, *, preset: str | None = None) -> str:
    """The protocol that ``name`` denotes with a :func:`~hashx.data.synthetic.make_synthetic` preset.

    ``("synthetic", preset=P)`` is the protocol named ``P`` for a preset other
    than ``"default"`` (``"wiki-like"``); otherwise the answer is ``name``.

    Raises
    ------
    HashxValueError
        Unknown protocol or preset, or a preset given with a protocol other than ``synthetic``.
    """
    get_protocol(name)
    if preset is None:
        return name
    from .synthetic import SYNTHETIC_PRESETS

    check_choice(preset, "preset", SYNTHETIC_PRESETS, caller="load_protocol")
    if name != "synthetic":
        raise HashxValueError(f"The 'preset' parameter of load_protocol applies to the 'synthetic' protocol only. "
                              f"Got protocol {name!r} instead.")
    return name if preset == "default" else preset


def load_protocol(name: str, data_dir=None, *, seed: int = 0, **kw) -> tuple[CrossModalDataset, Split]:
    """Dataset and split of protocol ``name``.

    With ``seed == 0`` the protocols that ship a split file (``mirflickr25k``,
    ``mirflickr25k-synthimg``, ``nuswide-tc21``, ``digits-halves``,
    ``digits-quadrants``) use it (verified against its checksum and the
    dataset's size); otherwise the split is drawn by :func:`make_split`.

    Parameters
    ----------
    name : str
    data_dir : str or os.PathLike, optional
        As in :func:`load_dataset`.
    seed : int
        Split seed.
    **kw
        ``n_query``, ``n_train``, ``n_val`` go to :func:`make_split` (``files``
        protocol; None means the default); ``data_seed`` is the generator seed
        of ``synthetic``, ``wiki-like`` and ``mirflickr25k-synthimg``;
        ``preset`` selects a ``synthetic`` preset (:func:`resolve_protocol`:
        ``preset="wiki-like"`` loads the ``wiki-like`` protocol); the rest go
        to the reader.

    Returns
    -------
    (CrossModalDataset, Split)
    """
    seed = check_int(seed, "seed", caller="load_protocol", min_value=0)
    name = resolve_protocol(name, preset=kw.pop("preset", None))
    sizes = {k: v for k in _SIZE_KEYS if (v := kw.pop(k, None)) is not None}
    _check_no_sizes(name, sizes.values())  # before reading any data
    if "data_seed" in kw:
        kw["seed"] = kw.pop("data_seed")
    dataset = load_dataset(name, data_dir, **kw)
    protocol = get_protocol(name)
    if seed == 0 and protocol.shipped and not sizes:
        split = shipped_split(name, n_items=len(dataset))
    else:
        split = make_split(name, dataset, seed=seed, **sizes)
    logger.info("Protocol %s: %s", name, split.sizes())
    return dataset, split
