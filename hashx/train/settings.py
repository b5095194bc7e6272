"""Settings: the frozen-dataclass base of the run config and of every method's settings."""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass

from ..exceptions import HashxTypeError, HashxValueError

__all__ = ["Settings"]


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Keyword-only, frozen, validated settings that round-trip through plain dicts.

    Subclasses declare their fields with defaults and check them in
    ``__post_init__``; :meth:`to_dict` / :meth:`from_dict` give the JSON- and
    checkpoint-ready form.
    """

    @classmethod
    def field_names(cls) -> list[str]:
        """The settings' names, in declaration order."""
        return [f.name for f in dataclasses.fields(cls)]

    def to_dict(self) -> dict:
        """The settings as a plain dict (str, int, float, bool, None and lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict):
        """Rebuild from :meth:`to_dict` output; unknown keys are an error, missing keys take defaults.

        Raises
        ------
        HashxTypeError
            ``values`` is not a dict.
        HashxValueError
            An unknown key (the closest valid one is suggested), or an invalid value.
        """
        if not isinstance(values, dict):
            raise HashxTypeError(f"{cls.__name__}.from_dict needs a dict. Got {type(values).__name__} instead.")
        known = cls.field_names()
        unknown = sorted(set(values) - set(known))
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(str(key), known, n=1)
                hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise HashxValueError(
                f"{cls.__name__} got unknown setting(s) {', '.join(hints)}; valid settings are "
                f"{', '.join(known)}."
            )
        return cls(**values)

    def replace(self, **changes):
        """A copy with some settings changed (validated again)."""
        return dataclasses.replace(self, **changes)
