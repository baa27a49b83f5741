"""Which runs of the nightly job cover an export day (the schedule's and the sensor's check before they request)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)
from dagster._core.utils import make_new_run_id

from dagster_project.defs.jobs import NIGHTLY_JOB_NAME
from dagster_project.defs.run_lookup import CoveringRun, covered_days, covering_run, covering_runs

D1, D2, D3, D4 = (dt.date(2026, 11, d) for d in (1, 2, 3, 4))


@pytest.fixture(scope="module")
def module_instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def instance(module_instance: dg.DagsterInstance) -> dg.DagsterInstance:
    module_instance.wipe()
    return module_instance


def add_run(
    instance: dg.DagsterInstance,
    tags: dict[str, str],
    status: dg.DagsterRunStatus = dg.DagsterRunStatus.SUCCESS,
    job_name: str = NIGHTLY_JOB_NAME,
) -> str:
    return instance.add_run(dg.DagsterRun(job_name=job_name, run_id=make_new_run_id(), tags=tags, status=status)).run_id


def partition(day: dt.date) -> dict[str, str]:
    return {PARTITION_NAME_TAG: day.isoformat()}


def day_range(first: dt.date, last: dt.date) -> dict[str, str]:
    return {ASSET_PARTITION_RANGE_START_TAG: first.isoformat(), ASSET_PARTITION_RANGE_END_TAG: last.isoformat()}


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (partition(D2), ("2026-11-02", "2026-11-02")),
        (day_range(D1, D3), ("2026-11-01", "2026-11-03")),
        ({"trustqa/trigger": "schedule"}, None),
    ],
)
def test_covered_days_of_a_run(tags: dict[str, str], expected: tuple[str, str] | None) -> None:
    assert covered_days(dg.DagsterRun(job_name=NIGHTLY_JOB_NAME, tags=tags)) == expected


def test_single_day_and_range_runs_cover_their_days_only(instance: dg.DagsterInstance) -> None:
    single = add_run(instance, partition(D1))
    ranged = add_run(instance, day_range(D2, D3), dg.DagsterRunStatus.STARTED)
    found = covering_runs(instance, [D1, D2, D3, D4])
    assert {day: run.run_id for day, run in found.items()} == {D1: single, D2: ranged, D3: ranged}
    assert found[D2].status == dg.DagsterRunStatus.STARTED


def test_the_newest_covering_run_is_the_one_returned(instance: dg.DagsterInstance) -> None:
    add_run(instance, day_range(D1, D3), dg.DagsterRunStatus.FAILURE)
    newest = add_run(instance, partition(D2))
    assert covering_run(instance, D2).run_id == newest
    assert covering_run(instance, D1).status == dg.DagsterRunStatus.FAILURE


def test_runs_of_other_jobs_and_unpartitioned_runs_cover_nothing(instance: dg.DagsterInstance) -> None:
    add_run(instance, partition(D1), job_name="__ASSET_JOB")
    add_run(instance, {"trustqa/trigger": "schedule"})
    assert covering_run(instance, D1) is None
    assert covering_runs(instance, []) == {}


@pytest.mark.parametrize(
    ("status", "left_to_operator"),
    [
        (dg.DagsterRunStatus.STARTED, False),
        (dg.DagsterRunStatus.SUCCESS, False),
        (dg.DagsterRunStatus.FAILURE, True),
        (dg.DagsterRunStatus.CANCELED, True),
    ],
)
def test_failed_and_canceled_runs_are_left_to_the_operator(status: dg.DagsterRunStatus, left_to_operator: bool) -> None:
    run = CoveringRun("r1", status, dt.datetime(2026, 11, 6, 3, 0, 5, tzinfo=dt.UTC))
    assert run.left_to_operator is left_to_operator
    assert ("trustqa materialize --partition 2026-11-05" in run.skip_message(D1.replace(day=5))) is left_to_operator


def test_a_run_saw_the_files_modified_before_the_end_of_its_creation_second() -> None:
    created = dt.datetime(2026, 11, 6, 3, 0, 5, tzinfo=dt.UTC)
    run = CoveringRun("r1", dg.DagsterRunStatus.SUCCESS, created)
    second_ns = int(created.timestamp()) * 1_000_000_000
    assert (run.saw(second_ns - 1), run.saw(second_ns + 999_999_999), run.saw(second_ns + 1_000_000_000)) == (
        True,
        True,
        False,
    )
