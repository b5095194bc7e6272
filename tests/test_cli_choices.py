"""Every choice list of the command line comes from the library's registries, and agrees with them."""

import click
import pytest

from hashx.alignment import ALIGNMENTS
from hashx.data import PROTOCOLS
from hashx.code_formats import CODE_FORMATS, MAT_VALUES
from hashx.data.synthetic import SYNTHETIC_PRESETS
from hashx.features.registry import BACKBONES
from hashx.features.text_features import TEXT_METHODS
from hashx.experiments import DB_CODES, VARIANTS
from hashx.methods import METHODS
from hashx.search import INDEX_KINDS
from hashx.metrics._inputs import TIES
from hashx.train import MODALITIES
from hashx_cli._choices import RegistryChoice
from hashx_cli.main import COMMANDS, cli

#: option -> what its choices must equal (the registries and constants of the library)
EXPECTED = {
    "--dataset": PROTOCOLS.names(),
    "--modality": list(MODALITIES),
    "--ties": list(TIES),
    "--db-codes": list(DB_CODES),
    "--preset": list(SYNTHETIC_PRESETS),
    "--format": list(CODE_FORMATS),
    "--values": list(MAT_VALUES),
    "--index": list(INDEX_KINDS),
    "--backbone": None,  # two lists: every backbone (images), the CLIP ones (text); checked below
    "--method": None,  # hashx train's methods and variants, hashx data text-features' methods; checked below
}
#: (command, option) -> what its choices must equal, where an option name means different lists
BY_COMMAND = {
    ("train", "--method"): list(dict.fromkeys([*METHODS.names(), *VARIANTS])),  # methods, then variants
    ("data text-features", "--method"): list(TEXT_METHODS),
    ("data features", "--backbone"): BACKBONES.names(),
    ("data text-features", "--backbone"): [n for n, spec in BACKBONES.items() if spec.has_text],
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
        expected = EXPECTED[option] if EXPECTED[option] is not None else BY_COMMAND[path, option]
        assert list(param.type.choices) == list(expected), (path, option)
        seen.add(option)
    assert seen == set(EXPECTED)  # every option listed here exists somewhere


@pytest.mark.parametrize("registry, must_have", [(PROTOCOLS, "synthetic"), (METHODS, "ssah"), (ALIGNMENTS, "grl")])
def test_registries_are_not_empty(registry, must_have):
    assert must_have in registry.names()


def test_an_invalid_choice_lists_the_registry(tmp_path):
    from click.testing import CliRunner

    r = CliRunner().invoke(cli, ["train", "--dataset", "synthetc", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "'synthetic'" in r.output and "'mirflickr25k'" in r.output
