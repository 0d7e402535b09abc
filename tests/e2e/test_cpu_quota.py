"""``benchmarks/cpu_quota.py``, the CPU budgets of ``replicas.py --cpu-quota``: a process
moved into one is held to it by the kernel, and a budget that cannot be made fails loudly
instead of letting the benchmark run without it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from tests.scripts import load_script

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "cpu_quota.py"


def _module() -> ModuleType:
    return load_script(SCRIPT)


def test_a_quota_out_of_range_is_refused() -> None:
    cpu_quota = _module()
    with pytest.raises(cpu_quota.QuotaUnavailable, match="out of range"):
        cpu_quota.CpuQuota(0)


def test_a_process_in_a_budget_is_throttled_to_it() -> None:
    cpu_quota = _module()
    try:
        budget = cpu_quota.CpuQuota(10)
    except cpu_quota.QuotaUnavailable as exc:
        pytest.skip(f"needs a writable cgroup cpu controller (root on Linux): {exc}")
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        try:
            budget.add(burner.pid)
        except cpu_quota.QuotaUnavailable as exc:
            pytest.skip(f"needs the right to move a process into a cgroup: {exc}")
        assert str(burner.pid) in (budget.path / "cgroup.procs").read_text().split()
        deadline = time.monotonic() + 30
        periods, throttled = budget.throttled()
        while throttled < 3 and time.monotonic() < deadline:
            time.sleep(0.02)  # a busy process exhausts 10 ms of every 100 ms period
            periods, throttled = budget.throttled()
        assert throttled >= 3, (periods, throttled)
    finally:
        burner.kill()
        burner.wait()
        budget.remove()
    assert not budget.path.exists()
