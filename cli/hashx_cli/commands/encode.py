"""``hashx encode``: image or text data -> a hashx code file, with a trained checkpoint."""

from __future__ import annotations

import click

from .._choices import RegistryChoice
from .._launch import command_argv, launch_workers, nproc_option
from .._output import progress_bar, quiet_option

__all__ = ["command"]


@click.command("encode", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--checkpoint", required=True, type=click.Path(dir_okay=False),
              help="Checkpoint written by `hashx train` (model-best.pt or checkpoint-last.pt).")
@click.option("--modality", required=True, type=RegistryChoice("hashx.train:list_modalities"),
              help="Which network to use.")
@click.option("--input", "input_path", required=True, type=click.Path(dir_okay=False),
              help="Features, bag-of-words or raw images (.npy/.npz/.h5/.mat).")
@click.option("--variable", default=None,
              help="Variable inside the input file (default: image/XAll/IAll/... or text/YAll/...).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Code file to write.")
@click.option("--batch-size", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N.")
@nproc_option
@quiet_option
@click.pass_context
def command(ctx, checkpoint, modality, input_path, variable, out, batch_size, device, nproc, quiet):
    """Encode the rows of INPUT into packed binary codes and write a code file.

    Rows are read and encoded a block at a time, so memory stays bounded even
    for raw-image files larger than memory (MATLAB v7.3 / HDF5 / .npy); the
    code file appears only once it is complete.

    With --nproc N (or under torchrun) each worker encodes a share of the
    rows; the file is byte-identical to a single-process one.

    \b
    Example:
      hashx encode --checkpoint runs/demo/ssah-32bits/model-best.pt --modality image \\
                   --input demo/data/query.npz --out demo/query-image.hxc
    """
    from hashx.train import Distribution, encode_file, load_encoder

    encoder = load_encoder(checkpoint, device=device)
    if nproc > 1:  # the checkpoint is checked; the workers run this same command
        launch_workers(command_argv(ctx), nproc)
        return
    dist = Distribution.from_env(device=device)
    quiet = quiet or not dist.is_main
    with progress_bar(total=None, desc=f"encoding {modality}", quiet=quiet, unit="rows") as bar:
        def progress(done, total):
            bar.total = total
            bar.update(done - bar.n)

        written = encode_file(encoder, input_path, modality, out, variable=variable, batch_size=batch_size,
                              progress=progress, distribution=dist)
    if not quiet:
        kind = "sparse " if written.sparse else ""
        click.echo(f"wrote {out}: {written.n} codes of {written.nbits} bits from {kind}{modality} data "
                   f"{written.input_shape}", err=True)
