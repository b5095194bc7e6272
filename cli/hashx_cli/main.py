"""Entry point of the ``hashx`` command."""

import click

from hashx import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hashx")
def main():
    """hashx: cross-modal hashing toolkit."""
