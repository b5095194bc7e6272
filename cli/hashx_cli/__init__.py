"""The click application behind the ``hashx`` command (import name ``hashx_cli``)."""
