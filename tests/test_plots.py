"""hashx.plots: PNG files of PR and precision@k curves, with the requested pixel size."""

import struct
import subprocess
import sys

import numpy as np
import pytest

import metrics_oracle as oracle
from hashx.exceptions import HashxTypeError, HashxValueError
from hashx.metrics import pr_curve, precision_at_k
from hashx.plots import plot_pr_curves, plot_precision_at_k


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _curves():
    case = oracle.case(0, 20, 150, 8, 6)
    other = oracle.case(1, 20, 150, 8, 6)
    return case, other


def test_pr_curve_png_has_expected_size(tmp_path):
    case, other = _curves()
    curves = {"method A": pr_curve(*case.inputs), "method B": pr_curve(*other.inputs)}
    out = plot_pr_curves(curves, tmp_path / "pr.png", title="PR, 8 bits")
    assert out == tmp_path / "pr.png"
    assert _png_size(out) == (640, 480)
    out = plot_pr_curves(curves, str(tmp_path / "pr_big.png"), width=900, height=300, dpi=150)
    assert _png_size(out) == (900, 300)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pr.png", "pr_big.png"]  # no temporary file left


def test_precision_at_k_png_has_expected_size(tmp_path):
    case, other = _curves()
    ks = np.array([1, 5, 10, 50, 100])
    curves = {"A": (ks, precision_at_k(*case.inputs, ks)), "B": (ks, precision_at_k(*other.inputs, ks))}
    out = plot_precision_at_k(curves, tmp_path / "patk.png")
    assert _png_size(out) == (640, 480)
    # the image is not blank: the curves and axes draw something
    assert out.stat().st_size > 5000


def test_nan_points_are_accepted(tmp_path):
    precision = np.array([np.nan, 0.5, 0.4])
    recall = np.array([0.0, 0.3, 1.0])
    assert _png_size(plot_pr_curves({"x": (precision, recall)}, tmp_path / "nan.png")) == (640, 480)


def test_bad_inputs_raise_named_errors(tmp_path):
    good = {"A": (np.array([0.5, 0.4]), np.array([0.1, 1.0]))}
    with pytest.raises(HashxTypeError, match="'curves' .*mapping"):
        plot_pr_curves([(1, 2)], tmp_path / "a.png")
    with pytest.raises(HashxValueError, match="'curves' .*at least one"):
        plot_pr_curves({}, tmp_path / "a.png")
    with pytest.raises(HashxValueError, match="'curves' .*equal length"):
        plot_pr_curves({"A": (np.zeros(3), np.zeros(2))}, tmp_path / "a.png")
    with pytest.raises(HashxValueError, match="'curves' .*pair"):
        plot_precision_at_k({"A": np.zeros(3)}, tmp_path / "a.png")
    with pytest.raises(HashxValueError, match="'path' .*'.png'"):
        plot_pr_curves(good, tmp_path / "a.pdf")
    with pytest.raises(HashxValueError, match="'path' .*existing directory"):
        plot_pr_curves(good, tmp_path / "missing" / "a.png")
    with pytest.raises(HashxValueError, match="'width' .*Got 10"):
        plot_pr_curves(good, tmp_path / "a.png", width=10)
    assert list(tmp_path.iterdir()) == []


def test_missing_matplotlib_gives_install_hint(tmp_path, monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    good = {"A": (np.array([0.5, 0.4]), np.array([0.1, 1.0]))}
    with pytest.raises(ImportError, match=r"pip install matplotlib"):
        plot_pr_curves(good, tmp_path / "a.png")


def test_importing_plots_does_not_import_matplotlib():
    code = "import sys, hashx.plots; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
