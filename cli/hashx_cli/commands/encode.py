"""``hashx encode``: image or text data -> a hashx code file, with a trained checkpoint."""

from __future__ import annotations

import click

from .._output import progress_bar, quiet_option

__all__ = ["command"]

#: Rows encoded per step (bounded memory; one progress-bar tick).
STEP = 4096


@click.command("encode", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--checkpoint", required=True, type=click.Path(dir_okay=False),
              help="Checkpoint written by `hashx train` (best-*.pt or last.pt).")
@click.option("--modality", required=True, type=click.Choice(["image", "text"]), help="Which network to use.")
@click.option("--input", "input_path", required=True, type=click.Path(dir_okay=False),
              help="Features, bag-of-words or raw images (.npy/.npz/.h5/.mat).")
@click.option("--variable", default=None,
              help="Variable inside the input file (default: image/XAll/IAll/... or text/YAll/...).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Code file to write.")
@click.option("--batch-size", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N.")
@quiet_option
def command(checkpoint, modality, input_path, variable, out, batch_size, device, quiet):
    """Encode the rows of INPUT into packed binary codes and write a code file.

    Rows are read and encoded a block at a time, so memory stays bounded even
    for raw-image files larger than memory (MATLAB v7.3 / HDF5 / .npy).

    \b
    Example:
      hashx encode --checkpoint runs/demo/best-32bits.pt --modality image \\
                   --input demo/data/query.npz --out demo/query-image.hxc
    """
    import numpy as np
    import scipy.sparse as sp

    from hashx.codefile import save_codes
    from hashx.data import read_modality
    from hashx.train import load_encoder

    encoder = load_encoder(checkpoint, device=device)
    rows = read_modality(input_path, modality, variable=variable)
    n = rows.shape[0]
    codes = np.empty((n, encoder.nbits // 8), dtype=np.uint8)
    with progress_bar(total=n, desc=f"encoding {modality}", quiet=quiet, unit="rows") as bar:
        for start in range(0, n, STEP):
            stop = min(start + STEP, n)
            block = rows.subset(np.arange(start, stop)) if hasattr(rows, "subset") else rows[start:stop]
            codes[start:stop] = encoder.encode(modality, block, batch_size=batch_size)
            bar.update(stop - start)
    save_codes(out, codes, encoder.nbits)
    if not quiet:
        kind = "sparse " if sp.issparse(rows) else ""
        click.echo(f"wrote {out}: {n} codes of {encoder.nbits} bits from {kind}{modality} data {tuple(rows.shape)}",
                   err=True)
