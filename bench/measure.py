"""Run one benchmark step as its own process and measure it: wall time and peak memory.

Wall time is the whole process, from spawn to exit (interpreter start and
imports included), measured with a monotonic clock.

Peak memory is measured two ways:

* ``peak_mib`` is the kernel's ``ru_maxrss`` from ``os.wait4()`` on the
  step's process. When Linux reaps a process it folds that process's peak
  (and the peaks of every descendant *it* waited for) into its parent's
  children figure, and ``wait4`` returns the reaped child's own peak merged
  with that figure. So it covers the ``dbt`` commands of a run (forks of a
  server that the run's process waits for at exit,
  ``dagster_project/dbt_launcher.py``): it is the largest resident set of any single process of the
  step, exact, but not a sum of processes running at the same time.
* ``tree_mib`` is the sum of the resident sets of every process in the
  step's tree, sampled from ``/proc`` every ``SAMPLE_SECONDS``: what the
  machine had to hold at once (for example Dagster and its ``dbt`` child
  together). Shared pages are counted once per process, so it errs high;
  a spike shorter than the interval can be missed.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.2
PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass(frozen=True)
class Measurement:
    step: str
    wall_s: float
    peak_mib: float  # largest single process (kernel ru_maxrss through wait4)
    tree_mib: float  # sampled sum over the process tree
    returncode: int = 0
    log: Path | None = None

    def failure_lines(self, limit: int = 5) -> list[str]:
        """The log's lines that say what failed (dbt ``FAIL``, trustqa ``FAILED``), else its last line."""
        if self.log is None or not self.log.exists():
            return []
        text = re.sub(r"\x1b\[[0-9;]*m", "", self.log.read_text(encoding="utf-8", errors="replace"))  # dbt's colours
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        failing = list(dict.fromkeys(line[:300] for line in lines if re.search(r"\bFAIL(ED)?\b|Error:", line)))
        return failing[:limit] or lines[-1:]


class StepFailed(RuntimeError):
    """A measured step exited non-zero; the message names its log and shows its tail."""


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                kids.extend(int(k) for k in handle.read().split())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return kids


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE_MIB
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


def tree_rss_mib(root: int) -> float:
    """Sum of the resident sets of ``root`` and all its descendants, now."""
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += _rss_mib(pid)
        todo.extend(_children(pid))
    return total


class _TreeSampler(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self.done = root, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, tree_rss_mib(self.root))
            self.done.wait(SAMPLE_SECONDS)


def run_step(
    step: str, command: list[str], log: Path, env: dict[str, str], cwd: Path, check: bool = True
) -> Measurement:
    """Run ``command`` as its own process (output to ``log``) and measure it.

    A non-zero exit raises StepFailed when ``check``; otherwise it is kept in ``returncode``.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        start = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        sampler = _TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - start
        sampler.done.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 and check:
        tail = "".join(log.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)[-30:])
        raise StepFailed(f"step {step!r} exited with {process.returncode} (log: {log}):\n{tail}")
    return Measurement(step, wall, usage.ru_maxrss / 1024, sampler.peak, process.returncode, log)
