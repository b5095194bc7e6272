"""``hashx data features / text-features / assemble / backbones``: from raw images and tags to a dataset file."""

from __future__ import annotations

import click

from .._choices import RegistryChoice
from .._output import echo_table, progress_bar, quiet_option

__all__ = ["register_feature_commands"]

_HELP = {"help_option_names": ["-h", "--help"]}


def _bar_callback(bar):
    def progress(done, total):
        bar.total = total
        bar.update(done - bar.n)
    return progress


@click.command("features", context_settings=_HELP)
@click.option("--images", required=True, type=click.Path(exists=True),
              help="Folder of images (searched recursively, natural order) or a text file listing one path per line.")
@click.option("--backbone", required=True, type=RegistryChoice("hashx.features.registry:list_backbones"),
              help="Pretrained backbone.")
@click.option("--weights", required=True, type=click.Path(),
              help="The backbone's published weights file (or the folder holding it); never downloaded.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Feature file to write (.npz).")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--chunk-size", type=click.IntRange(min=1), default=1024, show_default=True,
              help="Rows saved at a time (the unit of resuming); a multiple of --batch-size.")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N.")
@click.option("--restart", is_flag=True, help="Discard an unfinished earlier run instead of continuing it.")
@quiet_option
def features(images, backbone, weights, out, batch_size, chunk_size, device, restart, quiet):
    """Embed every image with a pretrained backbone; write OUT (arrays image, paths, meta).

    Interrupted runs continue where they stopped when started again with the
    same arguments; OUT appears only when complete. Needs the features
    extra: pip install 'hashx[features]'.

    \b
    Example:
      hashx data features --images mirflickr/ --backbone vgg19 --weights ~/weights/ --out mir-vgg19.npz
      hashx data features --images list.txt --backbone clip-vit-b-32 --weights ~/weights/ --out clip.npz
    """
    from hashx.features import extract_image_features

    with progress_bar(total=None, desc=f"{backbone} features", quiet=quiet, unit="img") as bar:
        info = extract_image_features(images, backbone=backbone, weights=weights, out=out, batch_size=batch_size,
                                      chunk_size=chunk_size, device=device, resume=not restart,
                                      progress=_bar_callback(bar))
    if not quiet:
        resumed = f", {info.resumed_rows} resumed" if info.resumed_rows else ""
        layer = info.meta["layer"].split(":")[0]
        click.echo(f"wrote {info.path}: {info.count} x {info.dim} {backbone} features ({layer}{resumed}); "
                   f"weights sha256 {info.meta['weights_sha256'][:16]}...", err=True)


@click.command("text-features", context_settings=_HELP)
@click.option("--tags", "tags", type=click.Path(exists=True), default=None,
              help="Tag lists: a folder with one .txt per item (one tag per line) or a file with one item per line.")
@click.option("--sentences", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Sentences or captions, one item per line (tfidf or clip).")
@click.option("--method", required=True, type=RegistryChoice("hashx.features.text_features:TEXT_METHODS"),
              help="bow: 0/1 bag-of-words; tfidf: scikit-learn TF-IDF; clip: CLIP text embeddings.")
@click.option("--vocab", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Vocabulary file, one tag per line in column order (default: built from the tags).")
@click.option("--min-count", type=click.IntRange(min=1), default=1, show_default=True,
              help="Built vocabulary: tags used by at least this many items (MIRFlickr's usual rule: 20).")
@click.option("--max-tags", type=click.IntRange(min=1), default=None,
              help="Built vocabulary: at most this many tags, the most frequent (NUS-WIDE: 1000).")
@click.option("--backbone", type=RegistryChoice("hashx.features.registry:list_text_backbones"), default="clip-vit-b-32", show_default=True,
              help="clip: the CLIP backbone.")
@click.option("--weights", type=click.Path(), default=None, help="clip: the backbone's local weights file.")
@click.option("--batch-size", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--device", default="cpu", show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Text feature file to write (.npz).")
@quiet_option
def text_features(tags, sentences, method, vocab, min_count, max_tags, backbone, weights, batch_size, device, out,
                  quiet):
    """Text features of tag lists or sentences; write OUT (text or its CSR arrays, vocabulary, meta).

    \b
    Example:
      hashx data text-features --tags mirflickr/meta/tags --method bow --min-count 20 --out mir-bow.npz
      hashx data text-features --tags nus/tags.txt --method bow --vocab TagList1k.txt --out nus-bow.npz
      hashx data text-features --sentences captions.txt --method clip --weights ~/weights/ --out clip-text.npz
    """
    from hashx.features import extract_text_features

    if (tags is None) == (sentences is None):
        raise click.UsageError("give exactly one of --tags and --sentences")
    if method == "clip" and weights is None:
        raise click.UsageError("--method clip needs --weights (the CLIP backbone's local weights file)")
    with progress_bar(total=None, desc="text features", quiet=quiet, unit="items") as bar:
        info = extract_text_features(tags or sentences, method=method, out=out,
                                     kind="tags" if tags else "sentences", vocabulary=vocab, min_count=min_count,
                                     max_tags=max_tags, backbone=backbone, weights=weights, batch_size=batch_size,
                                     device=device, progress=_bar_callback(bar))
    if not quiet:
        click.echo(f"wrote {info.path}: {info.count} x {info.dim} {method} features"
                   f"{' (sparse)' if info.sparse else ''}", err=True)


@click.command("assemble", context_settings=_HELP)
@click.option("--image", required=True, type=click.Path(exists=True, dir_okay=False), help="Image feature file.")
@click.option("--text", required=True, type=click.Path(exists=True, dir_okay=False), help="Text feature file.")
@click.option("--labels", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Labels: a .txt with one item per line listing its label names, or a 0/1 matrix file.")
@click.option("--label-names", type=click.Path(exists=True, dir_okay=False), default=None,
              help="For a .txt label file: label names in column order, one per line (default: sorted).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Dataset file to write (.npz).")
def assemble(image, text, labels, label_names, out):
    """Join image features, text features and labels into one dataset file for `--dataset files`.

    \b
    Example:
      hashx data assemble --image img.npz --text bow.npz --labels labels.txt --out mydata.npz
      hashx train --dataset files --data-dir mydata.npz --bits 32 --out runs/mydata
    """
    from hashx.features import assemble_dataset

    ds = assemble_dataset(out, image=image, text=text, labels=labels, label_names=label_names)
    click.echo(f"wrote {out}: {len(ds)} items, image {tuple(ds.image.shape)}, text {tuple(ds.text.shape)}, "
               f"{ds.labels.shape[1]} labels")


@click.command("backbones", context_settings=_HELP)
def backbones():
    """List the backbones of `hashx data features` and the weights file each needs.

    \b
    Example:
      hashx data backbones
    """
    from hashx.features.registry import BACKBONES

    echo_table(["backbone", "dim", "layer", "weights file", "from"],
               [[s.name, s.dim, s.layer.split(":")[0], " or ".join(s.weights_files), s.source]
                for _, s in BACKBONES.items()])


def register_feature_commands(group: click.Group) -> None:
    """Add the feature commands to the ``hashx data`` group."""
    for cmd in (features, text_features, assemble, backbones):
        group.add_command(cmd)
