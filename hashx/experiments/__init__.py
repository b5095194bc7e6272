"""Paper-style experiments: train and evaluate methods x bits x seeds on a protocol.

run_benchmark
    Train every (method, bits, seed), encode the query and retrieval sets,
    evaluate every retrieval direction; returns JSON-ready records.
results_table
    The paper-style markdown table (rows = methods, columns = direction x bits,
    mean +- std over seeds).
plot_benchmark_curves
    PR and precision@k figures, one per direction and bit length.
VARIANTS, resolve_method
    Named method variants (``ssah``, ``ssah-noadv``, ``ssah-grl``, ...).
"""

from .db_codes import DB_CODES as DB_CODES
from .db_codes import list_db_codes as list_db_codes
from .db_codes import with_learned_codes as with_learned_codes
from .plots import plot_benchmark_curves as plot_benchmark_curves
from .runner import DIRECTIONS as DIRECTIONS
from .runner import plan_runs as plan_runs
from .runner import read_records as read_records
from .runner import run_benchmark as run_benchmark
from .table import results_table as results_table
from .variants import VARIANTS as VARIANTS
from .variants import method_names as method_names
from .variants import resolve_method as resolve_method

__all__ = [
    "run_benchmark",
    "plan_runs",
    "read_records",
    "results_table",
    "plot_benchmark_curves",
    "VARIANTS",
    "resolve_method",
    "method_names",
    "DIRECTIONS",
    "DB_CODES",
    "list_db_codes",
    "with_learned_codes",
]
