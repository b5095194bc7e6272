"""Every choice list of the command line comes from the library's registries, and agrees with them."""

import click
import pytest

from hashx.alignment import ALIGNMENTS
from hashx.data import PROTOCOLS
from hashx.data.synthetic import SYNTHETIC_PRESETS
from hashx.experiments import DB_CODES, VARIANTS
from hashx.methods import METHODS
from hashx.metrics._inputs import TIES
from hashx.train import MODALITIES
from hashx_cli._choices import RegistryChoice
from hashx_cli.main import COMMANDS, cli

#: option -> what its choices must equal (the registries and constants of the library)
EXPECTED = {
    "--dataset": PROTOCOLS.names(),
    "--method": list(dict.fromkeys([*METHODS.names(), *VARIANTS])),  # methods, then variants, once each
    "--modality": list(MODALITIES),
    "--ties": list(TIES),
    "--db-codes": list(DB_CODES),
    "--preset": list(SYNTHETIC_PRESETS),
}


def _commands():
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                yield f"{name} {sub.name}", sub
        else:
            yield name, command


def _choice_params():
    for path, command in _commands():
        for param in command.params:
            if isinstance(param.type, click.Choice):
                yield path, param


def test_every_choice_option_is_read_from_the_library():
    seen = set()
    for path, param in _choice_params():
        assert isinstance(param.type, RegistryChoice), f"{path} {param.opts}: a hand-copied choice list"
        option = max(param.opts, key=len)
        assert option in EXPECTED, f"{path} {option}: add it to EXPECTED with the registry it must equal"
        assert list(param.type.choices) == list(EXPECTED[option]), (path, option)
        seen.add(option)
    assert seen == set(EXPECTED)  # every option listed here exists somewhere


@pytest.mark.parametrize("registry, must_have", [(PROTOCOLS, "synthetic"), (METHODS, "ssah"), (ALIGNMENTS, "grl")])
def test_registries_are_not_empty(registry, must_have):
    assert must_have in registry.names()


def test_an_invalid_choice_lists_the_registry(tmp_path):
    from click.testing import CliRunner

    r = CliRunner().invoke(cli, ["train", "--dataset", "synthetc", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "'synthetic'" in r.output and "'mirflickr25k'" in r.output
