"""Choice lists taken from hashx's registries, read when first needed.

A command's ``--help`` and its validation use the same names the library
accepts; nothing is copied by hand (``tests/test_cli_choices.py`` checks that
every choice option of every command equals its registry).
"""

from __future__ import annotations

import importlib

import click

__all__ = ["RegistryChoice"]


class RegistryChoice(click.Choice):
    """A :class:`click.Choice` whose values are ``module.function()``, looked up on first use.

    Parameters
    ----------
    source : str
        ``"module:name"``: a function returning the valid names (e.g.
        ``"hashx.data:list_protocols"``) or a sequence of them (e.g.
        ``"hashx.metrics:TIES"``); imported only when the option is shown or
        parsed, so a command that does not use it stays fast.
    """

    def __init__(self, source: str, *, case_sensitive: bool = True):
        self.source = source
        self._choices = None
        self.case_sensitive = case_sensitive

    @property
    def choices(self):
        if self._choices is None:
            module, _, name = self.source.partition(":")
            names = getattr(importlib.import_module(module), name)
            self._choices = tuple(names() if callable(names) else names)
        return self._choices

    @choices.setter
    def choices(self, value):  # click.Choice.__init__ assigns it; keep the lazy source instead
        self._choices = tuple(value)
