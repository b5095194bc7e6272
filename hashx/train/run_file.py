"""The run file (``config.json``): a run's settings as JSON, readable back as settings."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .._atomic import atomic_write
from ..exceptions import DataFormatError
from .run_config import RunConfig

#: SSAH settings that hashx 0.1 never saved because it had one choice: it aligned the image and text
#: features with the label network's only.  Added to its config files and checkpoints when they are read.
HASHX_0_1_SSAH_IMPLIED = {"align_to": "label"}

__all__ = ["write_run_file", "read_settings_file", "PROVENANCE_KEYS"]

log = logging.getLogger(__name__)

#: Entries of a run file that record where a run came from rather than how to train it.
PROVENANCE_KEYS = ("dataset", "split_sha256", "hashx_version")


def write_run_file(path, run: RunConfig, method, *, dataset: str, split_sha256: str) -> Path:
    """Write ``{"run": ..., "method": {"name", "settings"}, "dataset", "split_sha256"}`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
    run : RunConfig
    method : MethodSettings
    dataset, split_sha256 : str
        Provenance (ignored when the file is read back as settings).
    """
    from .._version import __version__

    payload = {"run": run.to_dict(), "method": {"name": method.method_name, "settings": method.to_dict()},
               "dataset": dataset, "split_sha256": split_sha256, "hashx_version": __version__}
    with atomic_write(path, "w") as f:
        json.dump(payload, f, indent=2)
    return Path(path)


def read_settings_file(path) -> dict:
    """Read a JSON settings file as a flat ``{key: value}`` dict for :func:`hashx.methods.configure`.

    Three layouts are accepted:

    * the run file :func:`write_run_file` writes (``hashx train``'s
      ``config.json``): keys come back qualified, ``run.X`` and ``<method>.X``;
    * the ``config.json`` of hashx 0.1 (one flat dict of SSAH's settings, the
      device included): its keys come back bare; ``device`` is dropped with a
      note (it is a command-line option now), and ``align_to="label"`` is
      added (hashx 0.1 aligned with the label network's features only;
      today's default aligns the modalities with each other);
    * any flat JSON object of settings, bare (``"epochs": 10``) or qualified
      (``"ssah.alignment": "grl"``).

    The provenance entries (``dataset``, ``split_sha256``, ``hashx_version``)
    are ignored.

    Raises
    ------
    DataFormatError
        Not readable, not JSON, not an object, or a malformed ``run``/``method`` entry.
    """
    path = Path(path)
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"Settings file {str(path)!r} cannot be read: {exc}") from None
    except (json.JSONDecodeError, RecursionError) as exc:  # RecursionError: arrays nested too deeply
        raise DataFormatError(f"Settings file {str(path)!r} is not valid JSON: {exc}") from None
    if not isinstance(values, dict):
        raise DataFormatError(f"Settings file {str(path)!r} must hold a JSON object of settings. "
                              f"Got a JSON {type(values).__name__} instead.")
    values = {k: v for k, v in values.items() if k not in PROVENANCE_KEYS}
    flat = {}
    if "run" in values or isinstance(values.get("method"), dict):
        run, method = values.pop("run", {}), values.pop("method", {})
        if not isinstance(run, dict) or not isinstance(method, dict) or not isinstance(method.get("settings", {}), dict):
            raise DataFormatError(f"Settings file {str(path)!r}: 'run' must be an object and 'method' an object "
                                  f"with 'name' and 'settings'.")
        name = method.get("name", run.get("method"))
        flat.update({f"run.{k}": v for k, v in run.items()})
        if method.get("settings"):
            if not isinstance(name, str):
                raise DataFormatError(f"Settings file {str(path)!r}: the method's 'name' must be a string.")
            flat.update({f"{name}.{k}": v for k, v in method["settings"].items()})
    if "device" in values:  # hashx 0.1's layout
        log.info("settings file %s: 'device' is ignored (use --device)", path)
        values.pop("device")
        if values.get("method", "ssah") == "ssah":
            for key, value in HASHX_0_1_SSAH_IMPLIED.items():
                if f"ssah.{key}" not in values:
                    values.setdefault(key, value)
    flat.update(values)
    return flat
