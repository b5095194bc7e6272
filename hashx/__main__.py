"""``python -m hashx``: the same as the ``hashx`` command."""

from hashx_cli.main import main

if __name__ == "__main__":
    main()
