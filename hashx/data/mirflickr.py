"""MIRFlickr-25K in the DCMH layouts (20,015 image/tag pairs, 1386-d tags, 24 labels).

Files read (MATLAB v5 or v7.3 for every variable; rows are items in the DCMH
order of the files):

- DCMH split files: ``mirflickr25k-lall.mat`` (``LAll``, 20015 x 24 multi-hot),
  ``mirflickr25k-yall.mat`` (``YAll``, 20015 x 1386 binary tags), and for the
  images either ``mirflickr25k-iall-vgg.mat`` (``XAll``, 20015 x 4096
  features, as in UCCH) or ``mirflickr25k-iall.mat`` (``IAll``, raw
  224 x 224 x 3 images, MATLAB ``224 x 224 x 3 x n``, a v7.3 file read lazily
  with h5py, where it appears as ``(n, 3, 224, 224)``).
- The merged ``FLICKR-25K.mat`` (``images``, ``YAll``, ``LAll``) of the
  DCMH/SSAH/AGAH code: ``images`` is either the raw stack (v7.3, read lazily)
  or, in the DADH distribution (a v5 file), 20015 x 4096 CNN-F features.

Labels come back as uint8, tags as float32 (dense: 20015 x 1386 is 111 MB),
image features as float32, raw images as
:class:`~hashx.data.images.LazyImages`.  The files carry no concept or tag
names; DCMH-style scripts order the 24 label columns alphabetically by
annotation file (animals, baby, bird, car, clouds, dog, female, flower, food,
indoor, lake, male, night, people, plant_life, portrait, river, sea, sky,
structures, sunset, transport, tree, water): :data:`MIRFLICKR25K_CONCEPTS`,
inferred from the per-column counts, not stated in the files.
"""

from __future__ import annotations

from pathlib import Path

from .._validation import check_choice
from ..exceptions import DataFormatError
from . import _arrays as A
from .dataset import CrossModalDataset
from .matfile import MatFile

__all__ = [
    "MIRFLICKR25K_CONCEPTS",
    "MIRFLICKR25K_FILES",
    "read_mirflickr25k_labels_tags",
    "load_mirflickr25k",
]

MIRFLICKR25K_CONCEPTS = (
    "animals", "baby", "bird", "car", "clouds", "dog", "female", "flower", "food", "indoor", "lake", "male",
    "night", "people", "plant_life", "portrait", "river", "sea", "sky", "structures", "sunset", "transport",
    "tree", "water",
)

#: file name -> variable, in the order they are looked for.
MIRFLICKR25K_FILES = {
    "FLICKR-25K.mat": ("images", "YAll", "LAll"),
    "mirflickr25k-lall.mat": ("LAll",),
    "mirflickr25k-yall.mat": ("YAll",),
    "mirflickr25k-iall-vgg.mat": ("XAll",),
    "mirflickr25k-iall.mat": ("IAll",),
}
_N_LABELS = 24


def _not_found(data_dir: Path, wanted: str) -> DataFormatError:
    looked = ", ".join(MIRFLICKR25K_FILES)
    return DataFormatError(
        f"No MIRFlickr-25K {wanted} in '{data_dir}'. Looked for FLICKR-25K.mat (images, YAll, LAll) or the "
        f"DCMH files mirflickr25k-lall.mat + mirflickr25k-yall.mat with mirflickr25k-iall-vgg.mat (XAll) or "
        f"mirflickr25k-iall.mat (IAll); looked for: {looked}."
    )


def _sources(data_dir: Path):
    """(label source, tag source, merged MatFile or None) as (MatFile, path, var) triples."""
    if data_dir.is_file():
        merged = data_dir
    else:
        merged = data_dir / "FLICKR-25K.mat"
    if merged.is_file():
        mf = MatFile(merged)
        return (mf, merged, "LAll"), (mf, merged, "YAll"), mf
    lall, yall = data_dir / "mirflickr25k-lall.mat", data_dir / "mirflickr25k-yall.mat"
    if not (lall.is_file() and yall.is_file()):
        raise _not_found(data_dir, "labels and tags")
    return (MatFile(lall), lall, "LAll"), (MatFile(yall), yall, "YAll"), None


def _labels(src):
    labels = A.read_labels(*src)
    if labels.shape[1] != _N_LABELS:
        raise DataFormatError(
            f"{A.where(src[1], src[2])}: MIRFlickr-25K labels must have shape (n, {_N_LABELS}). "
            f"Got shape {labels.shape} instead"
            + ("; the matrix looks transposed." if labels.shape[0] == _N_LABELS else ".")
        )
    return labels


def read_mirflickr25k_labels_tags(data_dir, *, sparse_text: bool | None = None):
    """The label and tag matrices only (the files in ``/work/shared/data/mirflickr25k`` have no images).

    Parameters
    ----------
    data_dir : str or os.PathLike
        Folder with ``mirflickr25k-lall.mat`` + ``mirflickr25k-yall.mat``, or
        with ``FLICKR-25K.mat`` (or the path of that file).

    Returns
    -------
    labels : ndarray of shape (n, 24), dtype=uint8
    text : ndarray of shape (n, t), dtype=float32 (or CSR, see ``sparse_text``)
    """
    data_dir = Path(data_dir)
    lab, txt, _ = _sources(data_dir)
    A.check_rows([(lab[1], lab[2], A.item_count(lab[0], lab[2])), (txt[1], txt[2], A.item_count(txt[0], txt[2]))])
    return _labels(lab), A.read_text(*txt, sparse=sparse_text)


def load_mirflickr25k(data_dir, *, image: str = "auto", sparse_text: bool | None = None) -> CrossModalDataset:
    """Load MIRFlickr-25K from the DCMH split files or the merged ``FLICKR-25K.mat``.

    Parameters
    ----------
    data_dir : str or os.PathLike
        Folder holding the files (module docstring), or the path of a merged
        ``FLICKR-25K.mat``-style file.
    image : {"auto", "features", "raw"}
        For the DCMH split files: ``XAll`` features (``mirflickr25k-iall-vgg.mat``),
        ``IAll`` raw images (``mirflickr25k-iall.mat``, lazy), or whichever is
        present, features first.  A merged file has one ``images`` variable,
        used whatever its kind unless it contradicts ``image``.
    sparse_text : bool, optional
        Tags as CSR (True), dense (False) or by size (None: dense for MIRFlickr).

    Returns
    -------
    CrossModalDataset
        Name ``"mirflickr25k"``.

    Raises
    ------
    DataFormatError
        No dataset files found (the message lists the names looked for), a
        missing variable, wrong shapes, row counts that disagree, rows with no
        label, or NaN/Inf features.
    """
    check_choice(image, "image", ("auto", "features", "raw"), caller="load_mirflickr25k")
    data_dir = Path(data_dir)
    lab, txt, merged = _sources(data_dir)
    if merged is not None:
        img = (merged, lab[1], "images")
    else:
        candidates = {"features": [("mirflickr25k-iall-vgg.mat", "XAll")],
                      "raw": [("mirflickr25k-iall.mat", "IAll")]}
        candidates["auto"] = candidates["features"] + candidates["raw"]
        found = next(((data_dir / f, v) for f, v in candidates[image] if (data_dir / f).is_file()), None)
        if found is None:
            raise _not_found(data_dir, f"image data ({image})")
        img = (MatFile(found[0]), found[0], found[1])
    n_img = A.item_count(img[0], img[2])
    A.check_rows([(lab[1], lab[2], A.item_count(lab[0], lab[2])),
                  (txt[1], txt[2], A.item_count(txt[0], txt[2])),
                  (img[1], img[2], n_img)])
    labels = _labels(lab)
    text = A.read_text(*txt, sparse=sparse_text)
    kind = "raw" if len(A.source_shape(img[0], img[2])) == 4 else "features"
    if image != "auto" and kind != image:
        raise DataFormatError(f"{A.where(img[1], img[2])}: holds {kind} image data, but image={image!r} was asked for.")
    images = A.read_image(*img)
    files = sorted({p.name for p in (lab[1], txt[1], img[1])})
    return CrossModalDataset(image=images, text=text, labels=labels, name="mirflickr25k",
                             notes=f"MIRFlickr-25K (DCMH layout) read from {', '.join(files)}.")
