"""Training infrastructure: the run config, the training loop, checkpoints and the encoder.

Public API
----------
TrainConfig
    Every setting of a run (frozen dataclass, saved in each checkpoint).
train(dataset, split, config, out_dir, *, resume=False, progress=None) -> Path
    Train, checkpoint every epoch, select the model on the validation split.
fit(dataset, split, config, out_dir, *, progress=None) -> Encoder
load_encoder(checkpoint_path, *, device="cpu") -> Encoder
    ``encoder.encode("image" | "text", data) -> packed uint8 codes``.
save_checkpoint, load_checkpoint
    The checkpoint file (atomic writes, ``weights_only`` loads, checksum).
"""

from .checkpoint import load_checkpoint as load_checkpoint
from .checkpoint import save_checkpoint as save_checkpoint
from .config import TrainConfig as TrainConfig
from .device import resolve_device as resolve_device
from .dims import DataDims as DataDims
from .encoder import Encoder as Encoder
from .encoder import load_encoder as load_encoder
from .fit_data import FitData as FitData
from .trainer import BEST_MODEL as BEST_MODEL
from .trainer import LAST_CHECKPOINT as LAST_CHECKPOINT
from .trainer import EpochReport as EpochReport
from .trainer import fit as fit
from .trainer import train as train

__all__ = [
    "TrainConfig",
    "DataDims",
    "FitData",
    "Encoder",
    "EpochReport",
    "train",
    "fit",
    "load_encoder",
    "save_checkpoint",
    "load_checkpoint",
    "resolve_device",
    "LAST_CHECKPOINT",
    "BEST_MODEL",
]
