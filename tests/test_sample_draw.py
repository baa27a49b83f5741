"""``trustqa sample``: tomorrow's QA sample on a hand-made warehouse, quotas and allocations worked out by hand.

The warehouse holds ``marts.dim_qa_cases`` and ``marts.fct_qa_sampling_plan``
as the dbt marts would. Review day 2026-11-18 (a Wednesday): the frame is the
cases closed on 2026-11-17 with no review, the plan rows are those of the
week of 2026-11-16:

    stratum             frame (closed 11-17, reviews = 0)   n_required   daily quota          drawn
    appeal/other        6                                   no row       0                    0
    enforcement/other   4 (act_05..07 reviewed: excluded)   50           ceil(50/7) = 8       4 (the frame)
    ticket/fraud        10                                  7            ceil(7/7) = 1        1
    ticket/general      40 (t041..t045 closed 11-16)        30           ceil(30/7) = 5       5

The week before (2026-11-09) has rows for appeal/other and ticket/general
that must not be used.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.planning.allocation import largest_remainder, neyman_allocation
from dagster_project.planning.quotas import daily_share, planning_p
from dagster_project.publishing.publish import publish_marts, read_publication_info

DAY = "2026-11-18"
CLOSED = dt.date(2026, 11, 17)
WEEK = dt.date(2026, 11, 16)
EXPECTED_QUOTAS = {"appeal/other": 0, "enforcement/other": 4, "ticket/fraud": 1, "ticket/general": 5}
FRAMES = {"appeal/other": 6, "enforcement/other": 4, "ticket/fraud": 10, "ticket/general": 40}
REVIEWED = {"act_05", "act_06", "act_07"}

# (case_type, case_id, stratum, closed_day, reviews)
CASES = (
    [("ticket", f"t{i:03d}", "ticket/general", CLOSED, 0) for i in range(1, 41)]
    + [("ticket", f"t{i:03d}", "ticket/general", CLOSED - dt.timedelta(days=1), 0) for i in range(41, 46)]
    + [("ticket", f"f{i:02d}", "ticket/fraud", CLOSED, 0) for i in range(1, 11)]
    + [("enforcement", f"act_{i:02d}", "enforcement/other", CLOSED, 0) for i in range(1, 5)]
    + [("enforcement", case_id, "enforcement/other", CLOSED, 2) for case_id in sorted(REVIEWED)]
    + [("appeal", f"apl_{i:02d}", "appeal/other", CLOSED, 0) for i in range(1, 7)]
)
# (week_start, stratum, case_type, n_required, p_hat)
PLAN = [
    (WEEK, "ticket/general", "ticket", 30, 0.5),
    (WEEK, "ticket/fraud", "ticket", 7, 0.999),  # planned within [0.02, 0.98]: 0.98
    (WEEK, "enforcement/other", "enforcement", 50, 0.9),
    (WEEK - dt.timedelta(days=7), "appeal/other", "appeal", 70, 0.5),
    (WEEK - dt.timedelta(days=7), "ticket/general", "ticket", 700, 0.5),
]
SAMPLE_COLUMNS = "case_type, case_id, stratum, inclusion_probability, draw_rank"


def create_marts(con) -> None:
    """The two marts with the columns of the dbt models (DuckDB or the Snowflake connector's cursor)."""
    con.execute("create schema if not exists marts")
    con.execute(
        "create table marts.dim_qa_cases (case_type varchar, case_id varchar, queue varchar, category varchar, "
        "policy varchar, closed_at timestamp, closed_day date, week_start date, stratum varchar, reviews bigint, "
        "design_reviews bigint)"
    )
    con.execute(
        "create table marts.fct_qa_sampling_plan (week_start date, stratum varchar, case_type varchar, "
        "is_current_week boolean, n_required bigint, p_hat double)"
    )


def case_row(case_type: str, case_id: str, stratum: str, day: dt.date, reviews: int) -> tuple:
    """A row of dim_qa_cases: queue, category and policy left null, closed at noon, the ISO week's Monday."""
    noon, monday = dt.datetime.combine(day, dt.time(12)), day - dt.timedelta(days=day.weekday())
    return (case_type, case_id, None, None, None, noon, day, monday, stratum, reviews, reviews)


def insert_rows(con, placeholder: str) -> None:
    cases = [case_row(*case) for case in CASES]
    con.executemany(f"insert into marts.dim_qa_cases values ({', '.join([placeholder] * 11)})", cases)
    plan = [(week, stratum, kind, week == WEEK, n, p) for week, stratum, kind, n, p in PLAN]
    con.executemany(f"insert into marts.fct_qa_sampling_plan values ({', '.join([placeholder] * 6)})", plan)


@pytest.fixture(scope="module", autouse=True)
def published_beside_the_warehouse():
    """The analysts' copy defaults beside each test's warehouse, never to a real one set in the environment."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("TRUSTQA_PUBLISHED_PATH", raising=False)
        yield


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The hand-made warehouse, built once; every test draws on its own copy."""
    path = tmp_path_factory.mktemp("sample") / "trustqa.duckdb"  # not marts.duckdb: it would shadow the schema
    with duckdb.connect(str(path)) as con:
        create_marts(con)
        insert_rows(con, "?")
        con.execute("create table marts.fct_other as select 1 as version")
    return path


def warehouse_copy(template: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(template, folder / "trustqa.duckdb"))


def sample(warehouse: Path, *flags: str, day: str = DAY) -> int:
    return main(["sample", "--date", day, "--warehouse", str(warehouse), *flags])


def drawn(warehouse: Path, day: str = DAY) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            f"select {SAMPLE_COLUMNS} from marts.qa_sample_daily where day = date '{day}' order by stratum, draw_rank"
        ).fetchall()


def per_stratum(rows: list[tuple]) -> dict[str, int]:
    return {s: sum(1 for r in rows if r[2] == s) for s in FRAMES}


@pytest.fixture(scope="module")
def seed_0(template, tmp_path_factory) -> list[tuple]:
    """The day drawn with the default seed (0), once."""
    warehouse = warehouse_copy(template, tmp_path_factory.mktemp("seed0"))
    assert sample(warehouse) == 0
    return drawn(warehouse)


def test_each_stratum_gets_its_daily_quota_capped_at_its_frame(seed_0) -> None:
    assert per_stratum(seed_0) == EXPECTED_QUOTAS
    assert [r[4] for r in seed_0 if r[2] == "ticket/general"] == [1, 2, 3, 4, 5]  # draw_rank 1..quota


def test_inclusion_probability_is_quota_over_frame(seed_0) -> None:
    probabilities = {r[2]: r[3] for r in seed_0}
    assert probabilities == {"enforcement/other": 4 / 4, "ticket/fraud": 1 / 10, "ticket/general": 5 / 40}


def test_reviewed_cases_and_other_days_are_never_drawn(seed_0) -> None:
    ids = {r[1] for r in seed_0}
    assert {r[1] for r in seed_0 if r[2] == "enforcement/other"} == {"act_01", "act_02", "act_03", "act_04"}
    assert not ids & REVIEWED
    assert not ids & {f"t{i:03d}" for i in range(41, 46)}  # closed on 11-16, not the day before the review day


def test_the_draw_takes_the_first_cases_in_sha256_order(seed_0) -> None:
    def key(case_id: str) -> str:
        return hashlib.sha256(f"0:ticket:{case_id}".encode()).hexdigest()

    expected = sorted((f"t{i:03d}" for i in range(1, 41)), key=key)[:5]
    assert [r[1] for r in seed_0 if r[2] == "ticket/general"] == expected


def test_same_seed_same_sample_another_seed_another(template, tmp_path, seed_0) -> None:
    again = warehouse_copy(template, tmp_path / "again")
    assert sample(again, "--seed", "0") == 0
    assert drawn(again) == seed_0  # same cases, ranks and probabilities
    other = warehouse_copy(template, tmp_path / "other")
    assert sample(other, "--seed", "1") == 0
    assert per_stratum(drawn(other)) == EXPECTED_QUOTAS
    assert [r[1] for r in drawn(other)] != [r[1] for r in seed_0]


def test_redrawing_a_day_replaces_it_and_keeps_the_other_days(template, tmp_path) -> None:
    warehouse = warehouse_copy(template, tmp_path)
    assert sample(warehouse, day="2026-11-17") == 0  # the five ticket/general cases closed on 11-16: quota 5
    before = drawn(warehouse, "2026-11-17")
    assert per_stratum(before)["ticket/general"] == 5
    assert sample(warehouse, "--seed", "3") == 0
    assert sample(warehouse, "--seed", "4") == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        seeds = con.execute("select day, seed, count(*) from marts.qa_sample_daily group by all order by 1").fetchall()
    assert seeds == [(dt.date(2026, 11, 17), 0, 5), (dt.date(2026, 11, 18), 4, 10)]
    assert drawn(warehouse, "2026-11-17") == before


def test_the_csv_matches_the_table(template, tmp_path) -> None:
    warehouse = warehouse_copy(template, tmp_path)
    out = tmp_path / "qa" / "cases.csv"
    assert sample(warehouse, "--out", str(out)) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["day", "case_type", "case_id", "stratum", "inclusion_probability", "draw_rank"]
    assert [(r[1], r[2], r[3], float(r[4]), int(r[5])) for r in rows[1:]] == drawn(warehouse)
    assert {r[0] for r in rows[1:]} == {DAY}
    assert [p.name for p in out.parent.iterdir()] == ["cases.csv"]  # no temporary file left


def test_with_a_capacity_the_strata_share_it_by_neyman_allocation(template, tmp_path) -> None:
    # weights N_h sqrt(p (1 - p)): appeal/other (no plan row: p 0.5) 6 * 0.5 = 3; enforcement/other 4 * 0.3 = 1.2;
    # ticket/fraud (p_hat 0.999 planned as 0.98) 10 * 0.14 = 1.4; ticket/general 40 * 0.5 = 20; total 25.6.
    # 6 reviews: raw 0.703, 0.281, 0.328, 4.688 -> floors 0, 0, 0, 4 (4); the 2 left go to the largest
    # remainders, appeal/other (0.703) and ticket/general (0.688): 1, 0, 0, 5.
    warehouse = warehouse_copy(template, tmp_path / "six")
    assert sample(warehouse, "--capacity", "6") == 0
    rows = drawn(warehouse)
    assert per_stratum(rows) == {"appeal/other": 1, "enforcement/other": 0, "ticket/fraud": 0, "ticket/general": 5}
    assert {r[2]: r[3] for r in rows} == {"appeal/other": 1 / 6, "ticket/general": 5 / 40}
    # more capacity than cases: every stratum's whole frame, 60 cases
    everything = warehouse_copy(template, tmp_path / "all")
    assert sample(everything, "--capacity", "100") == 0
    assert per_stratum(drawn(everything)) == FRAMES


def test_the_summary_names_each_stratum_and_the_total(template, tmp_path, capsys) -> None:
    warehouse = warehouse_copy(template, tmp_path)
    assert sample(warehouse) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        "Sample for 2026-11-18: cases closed on 2026-11-17 with no QA review yet, seed 0.",
        "Quotas: ceil(n_required / 7) of the plan for the week of 2026-11-16, capped at the frame.",
    ]
    assert out[3].split() == ["appeal/other", "6", "0", "0", "no", "plan", "row", "for", "the", "week:", "quota", "0"]
    assert out[4].split()[:4] == ["enforcement/other", "4", "8", "4"]
    assert out[7].split() == ["total", "60", "14", "10"]
    assert out[8].startswith(f"wrote 10 cases for {DAY} to marts.qa_sample_daily in {warehouse} (a new day)")
    assert out[9].startswith("no published copy at")


def test_the_published_copy_gets_the_sample_and_nothing_else(template, tmp_path) -> None:
    warehouse = warehouse_copy(template, tmp_path)
    published = tmp_path / "trustqa_marts.duckdb"  # beside the warehouse: where --warehouse puts it
    with duckdb.connect(str(warehouse)) as con:
        publish_marts(con, published, "nightly")
        # a later run changed a mart but failed its gates: its marts must stay unpublished
        con.execute("update marts.fct_other set version = 2")
    info = read_publication_info(published)
    assert sample(warehouse) == 0
    with duckdb.connect(str(published), read_only=True) as con:
        published_sample = con.execute(f"select {SAMPLE_COLUMNS} from marts.qa_sample_daily order by 3, 5").fetchall()
        assert published_sample == drawn(warehouse)
        assert con.execute("select version from marts.fct_other").fetchall() == [(1,)]
    assert read_publication_info(published) == info


def test_nothing_to_draw_leaves_the_table_and_writes_an_empty_csv(template, tmp_path, capsys) -> None:
    warehouse = warehouse_copy(template, tmp_path)
    out = tmp_path / "cases.csv"
    assert sample(warehouse, "--out", str(out), day="2026-11-25") == 0
    assert capsys.readouterr().out.startswith(
        "trustqa sample: nothing to draw for 2026-11-25: no case closed on 2026-11-24 in marts.dim_qa_cases "
        "(its last closed day is 2026-11-17); marts.qa_sample_daily is unchanged"
    )
    assert out.read_text().splitlines() == ["day,case_type,case_id,stratum,inclusion_probability,draw_rank"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute("select table_name from information_schema.tables").fetchall()
    assert ("qa_sample_daily",) not in tables


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--date", "2026-11-31"], "trustqa sample: --date '2026-11-31' is not a date (YYYY-MM-DD)"),
        (["--date", "18.11.2026"], "trustqa sample: --date '18.11.2026' is not a date (YYYY-MM-DD)"),
        (["--date", DAY, "--capacity", "-1"], "trustqa sample: --capacity -1 is negative"),
    ],
)
def test_bad_arguments_are_refused_in_one_line(flags, message, tmp_path, capsys) -> None:
    assert main(["sample", *flags, "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_a_missing_warehouse_or_marts_are_refused(tmp_path, capsys) -> None:
    assert sample(tmp_path / "none.duckdb") == 2
    assert capsys.readouterr().err == (
        f"trustqa sample: no warehouse at {tmp_path / 'none.duckdb'}; run `trustqa materialize` first\n"
    )
    empty = tmp_path / "empty.duckdb"
    with duckdb.connect(str(empty)) as con:
        con.execute("create schema marts")
    assert sample(empty) == 2
    assert capsys.readouterr().err == (
        "trustqa sample: no marts.dim_qa_cases or marts.fct_qa_sampling_plan in the warehouse; "
        "run `trustqa materialize` first\n"
    )


def test_a_warehouse_another_process_writes_is_refused(template, tmp_path, capsys) -> None:
    warehouse = warehouse_copy(template, tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "holding\n"
        assert sample(warehouse) == 3
    finally:
        holder.communicate("")  # its stdin closes: it lets go and ends
    assert "trustqa sample: refused: the warehouse" in capsys.readouterr().err
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert ("qa_sample_daily",) not in con.execute("select table_name from information_schema.tables").fetchall()


HOLD_THE_LOCK = """
import sys
from pathlib import Path
from dagster_project.runs.warehouse_lock import hold_warehouse
with hold_warehouse(Path(sys.argv[1])):
    print("holding", flush=True)
    sys.stdin.read()
"""


def test_on_snowflake_the_sample_is_written_to_the_marts_schema(template, tmp_path, monkeypatch) -> None:
    """The same draw through the Snowflake connector, on fakesnow's in-process emulator."""
    import fakesnow  # pinned in requirements-dev.lock
    import snowflake.connector

    env = {
        "TRUSTQA_TARGET": "snowflake", "TRUSTQA_ANALYST_ROLE": "",  # fakesnow has no GRANT
        "SNOWFLAKE_ACCOUNT": "fakesnow", "SNOWFLAKE_USER": "fake", "SNOWFLAKE_PASSWORD": "snow",
        "SNOWFLAKE_ROLE": "SYSADMIN", "SNOWFLAKE_WAREHOUSE": "WH", "SNOWFLAKE_DATABASE": "TRUSTQA",
    }  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    local = warehouse_copy(template, tmp_path)
    assert sample(local) == 0  # --warehouse: the DuckDB file, whatever the target
    with fakesnow.patch():
        connection = snowflake.connector.connect(account="fakesnow", user="fake", password="snow")
        cursor = connection.cursor()
        cursor.execute("create database TRUSTQA")
        cursor.execute("use database TRUSTQA")
        create_marts(cursor)
        insert_rows(cursor, "%s")
        for _ in range(2):  # the second draw replaces the first
            assert main(["sample", "--date", DAY]) == 0
        cursor.execute(
            f"select {SAMPLE_COLUMNS}, seed from marts.qa_sample_daily where day = '{DAY}' order by stratum, draw_rank"
        )
        on_snowflake = cursor.fetchall()
    assert [row[:5] for row in on_snowflake] == drawn(local)
    assert {row[5] for row in on_snowflake} == {0}


def test_neyman_allocation_by_hand_on_three_strata() -> None:
    # weights N_h sqrt(p (1 - p)): 100 * 0.5 = 50, 50 * sqrt(0.09) = 15, 10 * 0.5 = 5; total 70.
    # 20 reviews: raw 20 * 50/70 = 14.29, 20 * 15/70 = 4.29, 20 * 5/70 = 1.43; floors 14, 4, 1 (19);
    # the one left goes to the largest remainder, c (0.43 > 0.29): 14, 4, 2 (sum 20).
    frames, p = {"a": 100, "b": 50, "c": 10}, {"a": 0.5, "b": 0.9, "c": 0.5}
    assert neyman_allocation(20, frames, p) == {"a": 14, "b": 4, "c": 2}
    assert neyman_allocation(0, frames, p) == {"a": 0, "b": 0, "c": 0}
    assert neyman_allocation(500, frames, p) == frames  # more than the frames hold: each whole frame (160)


def test_a_share_above_its_frame_takes_the_frame_and_the_rest_is_allocated_again() -> None:
    # weights 10 * 0.5 = 5, 100 * sqrt(0.02 * 0.98) = 100 * 0.14 = 14, 50 * 0.14 = 7; total 26.
    # 60 reviews: a's share 60 * 5/26 = 11.54 is above its 10 cases: a gets 10. The 50 left over b and c:
    # 50 * 14/21 = 33.33, 50 * 7/21 = 16.67; floors 33, 16; the one left to c (0.67): 10, 33, 17 (sum 60).
    allocation = neyman_allocation(60, {"a": 10, "b": 100, "c": 50}, {"a": 0.5, "b": 0.02, "c": 0.98})
    assert allocation == {"a": 10, "b": 33, "c": 17}


def test_largest_remainder_sums_to_the_total_and_breaks_ties_by_name() -> None:
    assert largest_remainder({"x": 1.5, "y": 1.5, "z": 1.0}, 4) == {"x": 2, "y": 1, "z": 1}
    assert largest_remainder({"x": 2.0, "y": 3.0}, 5) == {"x": 2, "y": 3}


def test_the_daily_share_and_the_planning_proportion() -> None:
    assert [daily_share(n) for n in (0, 1, 7, 8, 30, 50)] == [0, 1, 1, 2, 5, 8]
    assert [planning_p(p, 0.02) for p in (None, 0.001, 0.5, 0.999)] == [0.5, 0.02, 0.5, 0.98]
