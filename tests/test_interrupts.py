"""SIGTERM ends a run or a wait like Ctrl-C, also in a process started with SIGINT ignored.

A background job of a shell script, or a test runner's worker, starts with
SIGINT ignored; re-raising SIGINT there would do nothing. Each case runs in
a child interpreter (signal handlers belong to a process's main thread) with
a timeout: a hang fails the test instead of stopping the suite.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

CHILD = """
import signal, sys, time
if sys.argv[1] == "ignored":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
from dagster_project.runs.interrupts import sigterm_as_interrupt
try:
    with sigterm_as_interrupt():
        print("ready", flush=True)
        time.sleep(60)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
print("slept", flush=True)
"""


@pytest.mark.parametrize("sigint", ["default", "ignored"])
def test_sigterm_raises_keyboard_interrupt(sigint: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, sigint], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        child.send_signal(signal.SIGTERM)
        out, _ = child.communicate(timeout=30)
    finally:
        child.kill()
        child.wait()
    assert (child.returncode, out.strip()) == (130, "interrupted")


def test_outside_the_block_sigterm_ends_the_process_as_before() -> None:
    """The handler before the block comes back after it (the default here: a test worker may have its own)."""
    code = "import signal, time\nfrom dagster_project.runs.interrupts import sigterm_as_interrupt\n"
    code += "signal.signal(signal.SIGTERM, signal.SIG_DFL)\n"
    code += "with sigterm_as_interrupt():\n    pass\nprint('ready', flush=True)\ntime.sleep(60)\n"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=30)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGTERM
