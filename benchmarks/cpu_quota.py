"""A CPU budget of its own for a process: a Linux cgroup with a CPU quota (``replicas.py
--cpu-quota``).

On a machine with fewer cores than the processes a scale-out benchmark runs (replicas,
PostgreSQL, the Slack sandbox, the load), pinning gives no process a core of its own. A quota
gives each replica a budget of its own instead (``PCT`` % of one core, enforced by the kernel
per 100 ms period), and when the budgets together stay under the machine's cores, one replica
more is one budget more, as a core more would be on a larger host. The kernel's own counters
(``nr_periods``, ``nr_throttled``) tell whether the budget was what held a replica back.

cgroup v1 (the ``cpu`` controller's ``cpu.cfs_quota_us``) and v2 (``cpu.max``, the ``cpu``
controller enabled in the parent's ``cgroup.subtree_control``) are supported; either needs
the right to create a cgroup (root, or a delegated subtree). Anything else fails with
:class:`QuotaUnavailable` naming what was missing: the benchmark never runs without the
budgets it was asked for.
"""

from __future__ import annotations

import uuid
from pathlib import Path

__all__ = ["CpuQuota", "QuotaUnavailable"]

_PERIOD_US = 100_000


class QuotaUnavailable(RuntimeError):
    """No cgroup with a CPU quota can be made here (the reason is the message)."""


def _own_cgroup(controller: str) -> str:
    """This process's cgroup path in ``controller``'s hierarchy ('' for v2's unified one)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    raise QuotaUnavailable(f"this process is in no {controller or 'v2'} cgroup")


def _mount_of(fstype: str, option: str | None) -> Path | None:
    """Where a cgroup hierarchy of ``fstype`` is mounted (with ``option``, for v1's ``cpu``)."""
    for line in Path("/proc/mounts").read_text().splitlines():
        _, where, kind, options, *_ = line.split()
        if kind == fstype and (option is None or option in options.split(",")):
            return Path(where)
    return None


def _parent() -> tuple[Path, int]:
    """The cgroup under which budgets are made, and its version."""
    v1 = _mount_of("cgroup", "cpu")
    if v1 is not None:
        return v1 / _own_cgroup("cpu").lstrip("/"), 1
    v2 = _mount_of("cgroup2", None)
    if v2 is None:
        raise QuotaUnavailable("no cgroup hierarchy with a cpu controller is mounted")
    parent = v2 / _own_cgroup("").lstrip("/")
    try:
        enabled = (parent / "cgroup.subtree_control").read_text().split()
    except OSError as exc:
        raise QuotaUnavailable(f"cannot read {parent}'s controllers: {exc}") from exc
    if "cpu" not in enabled:
        raise QuotaUnavailable(f"the cpu controller is not enabled in {parent}")
    return parent, 2


class CpuQuota:
    """One cgroup holding ``percent`` % of one core; :meth:`add` moves a process into it."""

    def __init__(self, percent: float) -> None:
        if not 1 <= percent <= 100 * 64:
            raise QuotaUnavailable(f"a quota of {percent}% of a core is out of range")
        parent, self._version = _parent()
        self.path = parent / f"switchboard-bench-{uuid.uuid4().hex[:8]}"
        quota = int(_PERIOD_US * percent / 100)
        try:
            self.path.mkdir()
            if self._version == 1:
                (self.path / "cpu.cfs_period_us").write_text(str(_PERIOD_US))
                (self.path / "cpu.cfs_quota_us").write_text(str(quota))
            else:
                (self.path / "cpu.max").write_text(f"{quota} {_PERIOD_US}")
        except OSError as exc:
            self.remove()
            raise QuotaUnavailable(f"cannot make a cgroup in {parent}: {exc}") from exc

    def add(self, pid: int) -> None:
        """Move process ``pid`` (all its threads) into this budget."""
        try:
            (self.path / "cgroup.procs").write_text(str(pid))
        except PermissionError as exc:  # a cgroup made, but no right to move processes
            raise QuotaUnavailable(f"cannot move process {pid} into {self.path}: {exc}") from exc

    def throttled(self) -> tuple[int, int]:
        """The kernel's counters so far: periods the group ran in, and of them throttled."""
        stat = dict(
            line.split() for line in (self.path / "cpu.stat").read_text().splitlines() if line
        )
        return int(stat.get("nr_periods", 0)), int(stat.get("nr_throttled", 0))

    def remove(self) -> None:
        """Remove the cgroup (its processes must have exited)."""
        if self.path.exists():
            self.path.rmdir()
