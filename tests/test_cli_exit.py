"""The ``trustqa`` command's exit: main's exit code, with every object left out of the collector first."""

from __future__ import annotations

import gc

import pytest

from dagster_project import cli


def test_the_command_exits_with_main_s_code_after_freezing_what_is_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def main() -> int:
        seen.append(gc.get_freeze_count())
        return 3

    monkeypatch.setattr(cli, "main", main)
    assert gc.get_freeze_count() == 0
    try:
        with pytest.raises(SystemExit) as exited:
            cli.run()
        assert exited.value.code == 3
        assert seen == [0]  # the command itself runs with the collector as usual
        assert gc.get_freeze_count() > 10_000  # the teardown's collections skip them (the modules imported so far)
    finally:
        gc.unfreeze()
