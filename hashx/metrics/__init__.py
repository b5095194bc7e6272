"""Retrieval metrics of Hamming rankings (numpy/numba only; never imports torch).

Every metric takes packed codes (``uint8 (n, nbits // 8)``, as
:func:`hashx.pack_codes` makes them) for queries and database, and multi-hot
labels for both.  An item is relevant to a query iff they share at least one
label (NDCG grades relevance by the number of shared labels).  Each function's
docstring states its tie order, denominators and what a query without any
relevant item contributes.

mean_average_precision
    MAP@all and MAP@k, ties by database index or averaged over tie orders.
precision_at_k, recall_at_k
    Precision and recall of the top k of the ranking.
pr_curve, precision_within_radius
    Hash lookup: precision/recall of the items within Hamming radius r.
ndcg_at_k
    NDCG@k with graded relevance = number of shared labels.
retrieval_report
    All of the above that papers report, for one retrieval direction, in one dict
    (inputs validated once, the database scanned once per chunk of queries).
"""

from .average_precision import mean_average_precision as mean_average_precision
from .ndcg import ndcg_at_k as ndcg_at_k
from .pr_curve import pr_curve as pr_curve
from .pr_curve import precision_within_radius as precision_within_radius
from .precision import precision_at_k as precision_at_k
from .precision import recall_at_k as recall_at_k
from .report import retrieval_report as retrieval_report

__all__ = [
    "mean_average_precision",
    "precision_at_k",
    "recall_at_k",
    "pr_curve",
    "precision_within_radius",
    "ndcg_at_k",
    "retrieval_report",
]
