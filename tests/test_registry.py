"""The one registry helper: lookup, listing, registration rules and the error voice."""

import pytest

from hashx._registry import Registry
from hashx.exceptions import HashxTypeError, HashxValueError


def test_register_get_and_list_in_order():
    reg = Registry("widget")
    reg.register("beta", 2)

    @reg.register("alpha")
    class Alpha:
        pass

    assert reg.names() == ["beta", "alpha"] and list(reg) == ["beta", "alpha"] and len(reg) == 2
    assert reg.get("alpha") is Alpha and reg["beta"] == 2 and "alpha" in reg and "gamma" not in reg
    reg.register("beta", 2)  # the same object again: a no-op
    with pytest.raises(HashxValueError, match="already registered"):
        reg.register("beta", 3)
    with pytest.raises(HashxTypeError, match="non-empty str"):
        reg.register("", 4)


def test_errors_name_the_parameter_list_the_names_and_suggest_the_closest():
    reg = Registry("widget")
    for name in ("gan", "grl", "none"):
        reg.register(name, name)
    with pytest.raises(HashxValueError) as info:
        reg.get("gna", parameter="alignment", caller="Thing")
    assert str(info.value) == ("The 'alignment' parameter of Thing must be one of 'gan', 'grl', 'none'. "
                               "Got 'gna' instead; did you mean 'gan'?")
    with pytest.raises(HashxValueError, match=r"Got 'zzzzzz' instead\.$"):
        reg.check("zzzzzz")
    with pytest.raises(HashxTypeError, match="must be a str naming a widget"):
        reg.get(3)
