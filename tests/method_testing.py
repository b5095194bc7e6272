"""Tiny, fast settings of every registered method, for the method-generic tests (not a test module).

A method registered without an entry here fails ``tests/test_method_contract.py``: each method must be
covered by the trainer contract.
"""

from __future__ import annotations

#: method name -> settings of a tiny network that trains in a second on ``ssah_testing.tiny_dataset``
TINY_SETTINGS = {
    "ssah": {"hidden_dim": 32, "feature_dim": 16, "lr_discriminator": 1e-3},
    "dcmh": {"hidden_dim": 32, "feature_dim": 16},
    "csq": {"hidden_dim": 32, "feature_dim": 16},
    "two-tower": {"hidden_dim": 32, "feature_dim": 16},
    "ucal": {"hidden_dim": 32, "feature_dim": 16, "grl_ramp_samples": 100},
}

#: run settings shared by the contract tests
TINY_RUN = {"nbits": 16, "epochs": 2, "batch_size": 16, "eval_batch_size": 64, "seed": 0}


def all_tensors(obj, prefix=""):
    """Yield ``(path, tensor)`` for every tensor in nested dicts, lists and tuples (a state dict)."""
    import torch

    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from all_tensors(v, f"{prefix}/{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from all_tensors(v, f"{prefix}/{i}")
    elif isinstance(obj, torch.Tensor):
        yield prefix, obj


def build_method(name, dataset=None, split=None, *, setup=True, **changes):
    """Registered method ``name`` built on the tiny data with its TINY_SETTINGS, and its FitData.

    ``changes`` may name run settings or the method's settings (bare names).
    """
    import torch

    from hashx.methods import configure
    from hashx.train import FitData
    from ssah_testing import tiny_dataset, tiny_split

    dataset = tiny_dataset() if dataset is None else dataset
    split = tiny_split(len(dataset)) if split is None else split
    run, settings = configure(name, {**TINY_RUN, **TINY_SETTINGS[name], **changes})
    data = FitData(dataset, split.fit, device=torch.device("cpu"))
    method = settings.build(run=run, data=data, device=torch.device("cpu"))
    if setup:
        method.setup(data)
    return method, data
