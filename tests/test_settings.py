"""Configuration from the environment: defaults and refused values."""

from __future__ import annotations

import pytest

from dagster_project.settings import Settings


def test_late_data_lookback_defaults_to_two_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRUSTQA_LATE_DATA_LOOKBACK_DAYS", raising=False)
    assert Settings.from_env().late_data_lookback_days == 2


def test_late_data_lookback_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTQA_LATE_DATA_LOOKBACK_DAYS", "5")
    assert Settings.from_env().late_data_lookback_days == 5


@pytest.mark.parametrize("value", ["0", "-1", "two", ""])
def test_a_lookback_that_is_not_a_positive_number_of_days_is_refused(monkeypatch, value: str) -> None:
    monkeypatch.setenv("TRUSTQA_LATE_DATA_LOOKBACK_DAYS", value)
    with pytest.raises(ValueError, match="TRUSTQA_LATE_DATA_LOOKBACK_DAYS"):
        Settings.from_env()


def test_an_unknown_target_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTQA_TARGET", "postgres")
    with pytest.raises(ValueError, match="TRUSTQA_TARGET='postgres'"):
        Settings.from_env()
