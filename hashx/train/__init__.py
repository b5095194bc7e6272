"""Training infrastructure shared by every method: run config, trainer, checkpoints, encoder.

Public API
----------
RunConfig
    The generic settings of a run (frozen dataclass, saved in each checkpoint).
Method, MethodSettings
    The contract a training method implements (methods live in :mod:`hashx.methods`).
train(dataset, split, out_dir, *, method, run=None, device="cpu", resume=False, progress=None) -> TrainResult
    Train, checkpoint every epoch, select the model on the validation split.
train_bits(...) -> list of TrainResult
    One model per code length, each in its own folder with its run file.
fit(...) -> Encoder
load_encoder(checkpoint_path, *, device="cpu") -> Encoder
    ``encoder.encode("image" | "text", data) -> packed uint8 codes``.
encode_file(encoder, input_path, modality, out_path, ...) -> EncodedFile
    A data file -> a code file, in bounded memory.
save_checkpoint, load_checkpoint
    The checkpoint file (atomic writes, ``weights_only`` loads, checksum).
lr_factor, set_learning_rates, seeded_batches, adam
    Helpers every method uses: the learning-rate schedule, the seeded batch
    order exact resume relies on, optimiser construction.
"""

from .._torch_threads import pin_torch_threads
from .batches import seeded_batches as seeded_batches
from .checkpoint import load_checkpoint as load_checkpoint
from .checkpoint import save_checkpoint as save_checkpoint
from .device import resolve_device as resolve_device
from .dims import DataDims as DataDims
from .distributed import Distribution as Distribution
from .encode_file import EncodedFile as EncodedFile
from .encode_file import encode_file as encode_file
from .encoder import Encoder as Encoder
from .encoder import MODALITIES as MODALITIES
from .encoder import list_modalities as list_modalities
from .encoder import load_encoder as load_encoder
from .fit_data import FitData as FitData
from .learned_codes import LearnedCodes as LearnedCodes
from .learned_codes import load_learned_codes as load_learned_codes
from .method import Method as Method
from .method import MethodSettings as MethodSettings
from .multi_bit import run_dir_name as run_dir_name
from .multi_bit import train_bits as train_bits
from .optim import adam as adam
from .result import EpochReport as EpochReport
from .result import TrainResult as TrainResult
from .run_config import MAX_NBITS as MAX_NBITS
from .run_config import RunConfig as RunConfig
from .run_file import read_settings_file as read_settings_file
from .run_file import write_run_file as write_run_file
from .schedule import lr_factor as lr_factor
from .schedule import set_learning_rates as set_learning_rates
from .settings import Settings as Settings
from .trainer import BEST_MODEL as BEST_MODEL
from .trainer import LAST_CHECKPOINT as LAST_CHECKPOINT
from .trainer import fit as fit
from .trainer import train as train

__all__ = [
    "RunConfig",
    "Settings",
    "Method",
    "MethodSettings",
    "DataDims",
    "Distribution",
    "FitData",
    "Encoder",
    "EpochReport",
    "TrainResult",
    "EncodedFile",
    "LearnedCodes",
    "load_learned_codes",
    "train",
    "train_bits",
    "run_dir_name",
    "fit",
    "load_encoder",
    "encode_file",
    "save_checkpoint",
    "load_checkpoint",
    "write_run_file",
    "read_settings_file",
    "resolve_device",
    "lr_factor",
    "set_learning_rates",
    "seeded_batches",
    "adam",
    "MAX_NBITS",
    "MODALITIES",
    "list_modalities",
    "LAST_CHECKPOINT",
    "BEST_MODEL",
]

pin_torch_threads()  # torch is loaded now; pin it before any numba kernel can move it (hashx._torch_threads)
