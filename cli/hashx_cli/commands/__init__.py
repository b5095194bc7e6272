"""One module per hashx subcommand; each exposes ``command``."""
