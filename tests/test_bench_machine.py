"""benchmarks/_machine.py and the machine line above every search benchmark table: a VM's generic CPU name
("Intel(R) Xeon(R) Processor") is followed by the family, model and stepping that tell its generation."""

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 167
model name\t: Intel(R) Xeon(R) Processor
stepping\t: 1
flags\t\t: fpu avx2 avx512f

processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
stepping\t: 0
"""


@pytest.fixture(scope="module")
def modules():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("_machine"), importlib.import_module("search_speed")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_cpu_id_reads_the_first_processors_block(modules):
    machine, _ = modules
    # "model name" is not "model"; the second processor's fields do not overwrite the first's
    assert machine.cpu_id(CPUINFO) == "GenuineIntel family 6 model 167 stepping 1"


def test_cpu_id_leaves_out_missing_fields_and_knows_nothing_of_an_empty_file(modules):
    machine, _ = modules
    assert machine.cpu_id("vendor_id : AuthenticAMD\ncpu family : 26\nmodel : 2\n") == "AuthenticAMD family 26 model 2"
    assert machine.cpu_id("model name : Some CPU\n") == ""
    assert machine.cpu_id("") == ""


def test_the_machine_line_names_the_cpu_id_when_known(modules):
    _, search_speed = modules
    info = {"cpu": "Intel(R) Xeon(R) Processor", "cpu_id": "GenuineIntel family 6 model 85 stepping 7",
            "usable_cpus": 2, "cpu_vector_flags": ["avx2", "avx512f"],
            "numba_target": {"cpu": "skylake-avx512", "cpu_source": "host", "wide_vectors": False,
                             "wide_pairs": True, "lane_pairs": False}}
    line = search_speed.describe_machine(info)
    assert line.startswith("CPU: Intel(R) Xeon(R) Processor (GenuineIntel family 6 model 85 stepping 7, 2 usable CPUs)")
    # records written before the field existed still describe
    del info["cpu_id"]
    assert search_speed.describe_machine(info).startswith("CPU: Intel(R) Xeon(R) Processor (2 usable CPUs)")
