"""Fault injection: turn a generated export folder into one with known bad input.

``inject_faults(exports_dir, kinds, day, seed)`` edits the files of one export day in
place, deterministically, and writes ``injected_faults.json`` at the folder's root (the
loader only reads ``<system>/<table>/`` folders). ``FAULT_KINDS`` says, for each kind,
which table it hits and what the pipeline must do: quarantine it under a loader rule,
fail a blocking quality gate, or warn.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from dagster_project.contract import Table, table
from dagster_project.loading.export_files import export_days

Expected = Literal["quarantined", "blocked", "warned"]
MANIFEST = "injected_faults.json"


@dataclass(frozen=True)
class FaultKind:
    name: str
    table: str  # "<system>/<table>"
    description: str
    expected: Expected
    rule: str | None = None  # quarantine rule (a key of loading.rules.RULES) when expected = "quarantined"
    gate: str | None = None  # the quality gate that must fail (blocked) or warn (warned)
    whole_file: bool = False  # rewrites the whole file: no other kind may target the same table

    @property
    def table_name(self) -> str:
        return self.table.split("/", 1)[1]

    @property
    def check(self) -> str:
        return self.rule or self.gate or ""


@dataclass(frozen=True)
class InjectedFault:
    kind: str
    file: str  # relative to the exports folder
    line: int | None  # physical line (1 = CSV header); None when the fault has no single line
    detail: str


def _q(name: str, tbl: str, description: str, whole_file: bool = False) -> FaultKind:
    return FaultKind(name, tbl, description, "quarantined", rule=name, whole_file=whole_file)


FAULT_KINDS: dict[str, FaultKind] = {
    k.name: k
    for k in (
        _q("unparseable_row", "support/tickets", "a JSON line cut short: not a JSON object"),
        _q("missing_column", "marketplace/users", "a CSV row with its last field missing"),
        _q("extra_column", "marketplace/users", "a CSV row with one field too many"),
        _q("wrong_type", "marketplace/orders", "amount_usd with three decimals"),
        _q("unknown_enum", "marketplace/orders", "status 'lost'"),
        _q("timestamp_without_offset", "marketplace/shows", "updated_at without its UTC offset"),
        _q("null_key", "marketplace/reports", "an empty report_id"),
        _q("null_updated_at", "support/tickets", "updated_at null"),
        _q("updated_at_after_file_day", "marketplace/orders", "updated_at 00:30Z the day after the file's day"),
        _q("duplicate_key_in_file", "marketplace/users", "a row written twice in the same file"),
        _q("file_name_not_a_date", "marketplace/reports", "a copy of the day's file named <day>-copy.csv"),
        _q("truncated_last_line", "marketplace/shows", "the last line cut in half, no line terminator"),
        _q("not_utf8", "support/qa_reviews", "a Latin-1 byte (0xE9) in one line", whole_file=True),
        # disputes: nothing references them, so quarantining the whole file blocks no gate downstream
        _q("header_mismatch", "marketplace/disputes", "header column kind renamed", True),
        FaultKind(
            "duplicate_key_across_files",
            "support/tickets",
            "a ticket version from an earlier file repeated with the same updated_at",
            "warned",
            gate="staging.stg_support__tickets: no key re-sent with the same updated_at",
        ),
        FaultKind(
            "appeal_decided_before_submitted",
            "marketplace/appeals",
            "an appeal decided an hour before it was submitted",
            "blocked",
            gate="staging.stg_marketplace__appeals: decided_at >= submitted_at",
        ),
        FaultKind(
            "rating_for_missing_ticket",
            "support/satisfaction_ratings",
            "a rating whose ticket_id is in no tickets file",
            # an unknown reference warns; one rating is fewer than the 10 unknown rows it takes to block
            "warned",
            gate="staging.stg_support__satisfaction_ratings: ticket_id references stg_support__tickets",
        ),
        FaultKind(
            "zero_orders_day",
            "marketplace/orders",
            "the day's orders file holds only its header",
            "blocked",
            gate="raw.orders: no empty day",
            whole_file=True,
        ),
        FaultKind(
            "volume_spike",
            "marketplace/orders",
            "about 10x the usual orders rows (new keys, valid rows)",
            "warned",
            gate="raw.orders: daily volume within band",
        ),
    )
}
# applied after every other kind: they need the file's final content
_LATE = ("truncated_last_line", "file_name_not_a_date")
_OFFSET = re.compile(r"(Z|z|[+-]\d{2}:?\d{2})$")
_TICKET_ID = re.compile(r'"ticket_id":\s*(\d+)')


def check_kinds(kinds: Sequence[str]) -> list[str]:
    """The kinds in application order; raises ValueError for unknown or incompatible kinds."""
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown or not kinds:
        raise ValueError(f"unknown fault kind(s) {', '.join(unknown) or '(none)'}; valid: {', '.join(FAULT_KINDS)}")
    chosen = [k for k in FAULT_KINDS if k in set(kinds) and k not in _LATE] + [k for k in _LATE if k in set(kinds)]
    for name in chosen:
        kind = FAULT_KINDS[name]
        clash = [k for k in chosen if k != name and FAULT_KINDS[k].table == kind.table]
        if kind.whole_file and clash:
            raise ValueError(f"{name} rewrites {kind.table} as a whole: it cannot be combined with {', '.join(clash)}")
    return chosen


def parse_kinds(text: str) -> list[str]:
    """``"a,b"`` -> ``["a", "b"]``, checked with :func:`check_kinds`."""
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    check_kinds(kinds)
    return kinds


def _csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


@dataclass
class _File:
    """One export file as header + records (each record: its physical lines, no terminators)."""

    table: Table
    path: Path
    relative: str
    header: list[str]
    records: list[list[str]]
    terminated: bool = True
    claimed: set[int] = field(default_factory=set)

    @classmethod
    def read(cls, exports_dir: Path, t: Table, day: dt.date) -> _File:
        found = cls.read_if_present(exports_dir, t, day)
        if found is None:
            raise ValueError(f"no {t.system}/{t.name} file for {day} in {exports_dir} to inject faults into")
        return found

    @classmethod
    def read_if_present(cls, exports_dir: Path, t: Table, day: dt.date) -> _File | None:
        path = Path(t.folder(str(exports_dir))) / f"{day.isoformat()}.{t.file_format}"
        if not path.is_file():
            return None
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        lines = text.split("\n")
        terminated = lines[-1] == ""
        if terminated:
            lines.pop()
        records: list[list[str]] = []
        if t.file_format == "jsonl":
            records = [[line] for line in lines]
            header: list[str] = []
        else:
            reader = csv.reader(io.StringIO(text, newline=""))
            ends = []
            for _ in reader:
                ends.append(reader.line_num)
            starts = [0, *ends[:-1]]
            header = lines[: ends[0]] if ends else []
            records = [lines[s:e] for s, e in zip(starts[1:], ends[1:], strict=False)]
        return cls(t, path, path.relative_to(exports_dir).as_posix(), header, records, terminated)

    @property
    def columns(self) -> list[str]:
        return next(csv.reader([self.header[0]])) if self.header else list(self.table.column_names)

    def line_of(self, index: int) -> int:
        return len(self.header) + sum(len(r) for r in self.records[:index]) + 1

    def row(self, index: int) -> dict[str, Any]:
        text = self.records[index][0]
        if self.table.file_format == "jsonl":
            return json.loads(text)
        cells = next(csv.reader([text]))
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.relative}: {len(cells)} fields, expected {len(self.columns)}")
        return dict(zip(self.columns, cells, strict=False))

    def parsed(self, index: int) -> dict[str, Any] | None:
        """The row of a one-line record holding every column, else None (blank, multi-line or already broken)."""
        r = self.records[index]
        if len(r) != 1 or not r[0].strip():
            return None
        try:
            row = self.row(index)
        except (ValueError, StopIteration):
            return None
        return row if isinstance(row, dict) and set(row) == set(self.columns) else None

    def keys(self) -> set[Any]:
        """The keys of the records that still parse."""
        return {row.get(self.table.key) for i in range(len(self.records)) if (row := self.parsed(i))} - {None}

    def render(self, row: dict[str, Any]) -> str:
        if self.table.file_format == "jsonl":
            return json.dumps(row, ensure_ascii=False, separators=(",", ":"))
        return _csv_line([str(v) for v in row.values()])

    def pick(self, rng: random.Random, ok: Callable[[dict[str, Any]], bool] = lambda r: True) -> int:
        """An unclaimed one-line record (not the last one, when there is a choice), now claimed."""
        pool = [i for i in range(len(self.records)) if i not in self.claimed and (row := self.parsed(i)) and ok(row)]
        if len(pool) > 1 and pool[-1] == len(self.records) - 1:
            pool.pop()
        if not pool:
            raise ValueError(f"{self.relative}: no row left to inject a fault into (try a larger --scale)")
        index = rng.choice(pool)
        self.claimed.add(index)
        return index

    def replace(self, index: int, text: str) -> int:
        self.records[index] = [text]
        return self.line_of(index)

    def append(self, text: str) -> int:
        self.records.append([text])
        self.claimed.add(len(self.records) - 1)
        return self.line_of(len(self.records) - 1)

    def write(self) -> None:
        lines = self.header + [line for r in self.records for line in r]
        text = "\n".join(lines) + ("\n" if lines and self.terminated else "")
        self.path.write_bytes(text.encode("utf-8", "surrogateescape"))


@dataclass
class _Run:
    exports_dir: Path
    day: dt.date
    files: dict[str, _File] = field(default_factory=dict)

    def file(self, kind: FaultKind) -> _File:
        if kind.table_name not in self.files:
            self.files[kind.table_name] = _File.read(self.exports_dir, table(kind.table_name), self.day)
        return self.files[kind.table_name]


Injector = Callable[[_Run, _File, random.Random], InjectedFault]


def _set(
    run: _Run,
    f: _File,
    rng: random.Random,
    kind: str,
    column: str,
    value: Any,
    detail: str,
    ok: Callable[[dict[str, Any]], bool] = lambda r: True,
) -> InjectedFault:
    """Set one column of a picked row."""
    i = f.pick(rng, ok)
    row = f.row(i)
    old = row[column]
    row[column] = value(old) if callable(value) else value
    return InjectedFault(
        kind, f.relative, f.replace(i, f.render(row)), f"{column}: {old!r} -> {row[column]!r}; {detail}"
    )


def _unparseable_row(run: _Run, f: _File, rng: random.Random) -> InjectedFault:
    i = f.pick(rng)
    return InjectedFault("unparseable_row", f.relative, f.replace(i, f.records[i][0][:-1]), "closing brace removed")


def _cells(kind: str, change: Callable[[list[str]], list[str]], detail: str) -> Injector:
    def inject(run: _Run, f: _File, rng: random.Random) -> InjectedFault:
        i = f.pick(rng)
        cells = list(f.row(i).values())
        return InjectedFault(kind, f.relative, f.replace(i, _csv_line(change(cells))), detail)

    return inject


def _duplicate_key_in_file(run: _Run, f: _File, rng: random.Random) -> InjectedFault:
    i = f.pick(rng)
    key = f.row(i)[f.table.key]
    line = f.append(f.records[i][0])
    return InjectedFault("duplicate_key_in_file", f.relative, line, f"{f.table.key}={key} copy of line {f.line_of(i)}")


def _truncated_last_line(run: _Run, f: _File, rng: random.Random) -> InjectedFault:
    if not f.records:
        raise ValueError(f"{f.relative}: no row left to truncate (try a larger --scale)")
    i = len(f.records) - 1
    cells = next(csv.reader(["\n".join(f.records[i])]))
    keep = [c.replace("\r", " ").replace("\n", " ") for c in cells[: max(1, len(cells) // 2)]]
    f.terminated = False
    return InjectedFault(
        "truncated_last_line",
        f.relative,
        f.replace(i, _csv_line(keep)),
        f"cut after {len(keep)} of {len(cells)} fields, no line terminator",
    )


def _file_name_not_a_date(run: _Run, f: _File, rng: random.Random) -> InjectedFault:
    copy = f.path.with_name(f"{run.day.isoformat()}-copy.{f.table.file_format}")
    f.write()
    copy.write_bytes(f.path.read_bytes())
    return InjectedFault(
        "file_name_not_a_date",
        copy.relative_to(run.exports_dir).as_posix(),
        None,
        f"copy of {f.relative}: every data line quarantined",
    )


def _not_utf8(run: _Run, f: _File, rng: random.Random) -> InjectedFault:
    i = f.pick(rng)
    key = f.table.key
    value = json.dumps(f.row(i)[key])
    text = f.records[i][0].replace(f'"{key}":{value}', f'"{key}":{value[:-1]}\udce9"', 1)
    return InjectedFault(
        "not_utf8", f.relative, f.replace(i, text), f"byte 0xE9 in {key}: the whole file is quarantined"
    )


def _header_mismatch(run: _Run, f: _File, rng: random.Random) -> InjectedFault:
    f.header = [_csv_line(["dispute_kind" if c == "kind" else c for c in f.columns])]
    return InjectedFault("header_mismatch", f.relative, 1, "kind renamed dispute_kind: every data line quarantined")


def _duplicate_key_across_files(run: _Run, f: _File, rng: random.Random) -> InjectedFault:
    key = f.table.key
    present = f.keys()
    earlier = [d for d in export_days(run.exports_dir) if d < run.day]
    candidates: list[tuple[_File, int]] = []
    for d in reversed(earlier):  # the latest earlier file that holds a key absent from this one
        old = _File.read_if_present(run.exports_dir, f.table, d)
        if old is not None:
            candidates = [(old, i) for i in range(len(old.records)) if (r := old.parsed(i)) and r[key] not in present]
        if candidates:
            break
    if not candidates:
        raise ValueError(f"{f.relative}: no record in an earlier file to repeat (need an earlier export day)")
    old, i = rng.choice(candidates)
    row = old.row(i)
    line = f.append(old.records[i][0])
    return InjectedFault(
        "duplicate_key_across_files",
        f.relative,
        line,
        f"{key}={row[key]} updated_at={row['updated_at']} also in {old.relative} line {old.line_of(i)}",
    )


def _decided_before_submitted(run: _Run, f: _File, rng: random.Random) -> InjectedFault:
    def earlier(row: dict[str, Any]) -> dict[str, Any]:
        submitted = dt.datetime.fromisoformat(row["submitted_at"].replace("z", "Z"))
        decided = (submitted - dt.timedelta(hours=1)).astimezone(dt.UTC)
        return {**row, "decided_at": decided.strftime("%Y-%m-%dT%H:%M:%SZ"), "outcome": row["outcome"] or "upheld"}

    try:
        i = f.pick(rng, lambda r: bool(r["decided_at"]))
    except ValueError:
        i = f.pick(rng)  # no decided appeal that day: decide a pending one
    row = earlier(f.row(i))
    return InjectedFault(
        "appeal_decided_before_submitted",
        f.relative,
        f.replace(i, f.render(row)),
        f"{f.table.key}={row[f.table.key]} submitted_at={row['submitted_at']} decided_at={row['decided_at']}",
    )


def _rating_for_missing_ticket(run: _Run, f: _File, rng: random.Random) -> InjectedFault:
    folder = Path(table("tickets").folder(str(run.exports_dir)))
    ids = {int(m) for p in folder.glob("*.jsonl") for m in _TICKET_ID.findall(p.read_text("utf-8", "replace"))}
    missing = 900_000_000 + rng.randrange(1_000_000)
    while missing in ids:
        missing += 1
    return _set(run, f, rng, "rating_for_missing_ticket", "ticket_id", missing, "no tickets file holds this ticket_id")


def _zero_orders_day(run: _Run, f: _File, rng: random.Random) -> InjectedFault:
    removed, f.records = len(f.records), []
    return InjectedFault("zero_orders_day", f.relative, None, f"removed all {removed} rows; header kept")


def _volume_spike(run: _Run, f: _File, rng: random.Random) -> InjectedFault:
    days = [d for d in export_days(run.exports_dir) if d != run.day]
    others = [len(o.records) for o in filter(None, (_File.read_if_present(run.exports_dir, f.table, d) for d in days))]
    current = len(f.records)
    usual = statistics.median(others) if others else current
    pool = [i for i in range(len(f.records)) if i not in f.claimed and f.parsed(i)]
    if not pool:
        raise ValueError(f"{f.relative}: no row to copy for a volume spike")
    added = max(int(10 * usual) - current, 1)
    first = f.line_of(len(f.records))
    for n, i in enumerate(rng.choices(pool, k=added)):
        row = f.row(i)
        row[f.table.key] = f"{row[f.table.key]}-spike{n:06d}"
        f.records.append([f.render(row)])
    f.claimed.update(range(len(f.records) - added, len(f.records)))
    detail = (
        f"appended {added} rows (lines {first}-{first + added - 1}): {current} -> {current + added}, usual {usual:g}"
    )
    return InjectedFault("volume_spike", f.relative, first, detail)


def _next_day_updated_at(run: _Run, f: _File, rng: random.Random) -> InjectedFault:
    after = f"{(run.day + dt.timedelta(days=1)).isoformat()}T00:30:00Z"
    return _set(run, f, rng, "updated_at_after_file_day", "updated_at", after, "after the end of the file's day")


_INJECTORS: dict[str, Injector] = {
    "unparseable_row": _unparseable_row,
    "missing_column": _cells("missing_column", lambda c: c[:-1], "last field removed"),
    "extra_column": _cells("extra_column", lambda c: [*c, "unexpected"], "field 'unexpected' appended"),
    "wrong_type": lambda run, f, rng: _set(
        run,
        f,
        rng,
        "wrong_type",
        "amount_usd",
        lambda v: f"{float(v):.2f}5",
        "three decimals",
        ok=lambda r: bool(r["amount_usd"]),
    ),
    "unknown_enum": lambda run, f, rng: _set(run, f, rng, "unknown_enum", "status", "lost", "not an accepted status"),
    "timestamp_without_offset": lambda run, f, rng: _set(
        run, f, rng, "timestamp_without_offset", "updated_at", lambda v: _OFFSET.sub("", v), "offset removed"
    ),
    "null_key": lambda run, f, rng: _set(run, f, rng, "null_key", f.table.key, "", "key emptied"),
    "null_updated_at": lambda run, f, rng: _set(
        run, f, rng, "null_updated_at", "updated_at", None, "updated_at nulled"
    ),
    "updated_at_after_file_day": _next_day_updated_at,
    "duplicate_key_in_file": _duplicate_key_in_file,
    "file_name_not_a_date": _file_name_not_a_date,
    "truncated_last_line": _truncated_last_line,
    "not_utf8": _not_utf8,
    "header_mismatch": _header_mismatch,
    "duplicate_key_across_files": _duplicate_key_across_files,
    "appeal_decided_before_submitted": _decided_before_submitted,
    "rating_for_missing_ticket": _rating_for_missing_ticket,
    "zero_orders_day": _zero_orders_day,
    "volume_spike": _volume_spike,
}


def inject_faults(
    exports_dir: Path, kinds: Sequence[str], day: dt.date | None = None, seed: int = 0
) -> list[InjectedFault]:
    """Inject ``kinds`` into the files of ``day`` (default: the last export day) in place.

    Deterministic for (folder, kinds, day, seed); the order of ``kinds`` does not matter.
    Also appends what was injected to ``<exports_dir>/injected_faults.json``.
    """
    exports_dir = Path(exports_dir)
    chosen = check_kinds(kinds)
    days = export_days(exports_dir)
    if not days:
        raise ValueError(f"{exports_dir}: no export files")
    day = day or days[-1]
    if day not in days:
        raise ValueError(f"{day} is not an export day of {exports_dir} ({days[0]} .. {days[-1]})")
    run = _Run(exports_dir, day)
    injected = []
    for name in chosen:
        rng = random.Random(f"trustqa-faults:{seed}:{day.isoformat()}:{name}")
        injected.append(_INJECTORS[name](run, run.file(FAULT_KINDS[name]), rng))
    for f in run.files.values():
        f.write()
    _write_manifest(exports_dir, day, seed, injected)
    return injected


def _write_manifest(exports_dir: Path, day: dt.date, seed: int, injected: list[InjectedFault]) -> None:
    path = exports_dir / MANIFEST
    entries = json.loads(path.read_text("utf-8"))["faults"] if path.exists() else []
    for fault in injected:
        kind = FAULT_KINDS[fault.kind]
        entries.append(
            {
                **asdict(fault),
                "day": day.isoformat(),
                "seed": seed,
                "table": kind.table,
                "expected": kind.expected,
                "rule": kind.rule,
                "gate": kind.gate,
            }
        )
    path.write_text(json.dumps({"faults": entries}, indent=2) + "\n", encoding="utf-8")
