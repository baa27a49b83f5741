"""Time as int64 microseconds since the Unix epoch (UTC), and its ISO-8601 text.

Inside the generator every instant is an int64 count of microseconds (UTC);
``NEVER`` (the largest int64) stands for "not set" / "does not happen", so
"the value of a timestamp column as of instant t" is simply
``where(ts <= t, ts, NEVER)``. Text is produced only when a file is written,
with a per-row UTC offset: the local wall time is the UTC instant shifted by
the offset, so every string denotes the right instant.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.generator.rand import categorical
from dagster_project.generator.strings import digit_table, fixed_width_strings

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
NEVER = np.iinfo(np.int64).max

# Share of UTC hours (0..23) in the day's activity. Buyers and sellers are
# mostly in the Americas: live shows peak in the US evening (00-04 UTC).
SHOPPING_HOURS = np.array(
    [9, 9, 8, 7, 5, 3, 2, 1.5, 1.2, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 8, 8.5], dtype=np.float64
)
# Support and trust teams work around the clock with a European/US day shape.
OFFICE_HOURS = np.array(
    [3, 2.5, 2, 2, 2, 2.5, 3, 4, 5, 6, 6.5, 6.5, 6.5, 6.5, 6.5, 6.5, 6, 6, 5.5, 5, 4.5, 4, 3.5, 3], dtype=np.float64
)

# Displayed offsets and how often each is used (rows mix them).
OFFSET_TEXT = ("Z", "+00:00", "+01:00", "+02:00", "-05:00", "-04:00", "-08:00", "-07:00", "+05:30", "+09:00", "+10:00")
OFFSET_MINUTES = np.array([0, 0, 60, 120, -300, -240, -480, -420, 330, 540, 600], dtype=np.int64)
OFFSET_SHARE = (0.45, 0.12, 0.08, 0.03, 0.1, 0.06, 0.06, 0.03, 0.03, 0.02, 0.02)

# Precision of recorded instants: whole seconds, milliseconds, microseconds.
PRECISION_SHARE = (0.75, 0.2, 0.05)


def date_to_us(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * DAY


def times_in_day(rng: np.random.Generator, n: int, day_start: int, hour_profile: np.ndarray) -> np.ndarray:
    """``n`` instants within the UTC day starting at ``day_start``, shaped by an hourly profile."""
    p = hour_profile / hour_profile.sum()
    hours = np.searchsorted(np.cumsum(p), rng.random(n), side="right").clip(0, 23)
    return day_start + hours.astype(np.int64) * HOUR + (rng.random(n) * HOUR).astype(np.int64)


def quantize(rng: np.random.Generator, us: np.ndarray) -> np.ndarray:
    """Round instants down to s / ms / us precision (a per-value choice); NEVER stays NEVER.

    Flooring is monotonic, so the order of a record's events is preserved.
    """
    kind = categorical(rng, PRECISION_SHARE, us.size)
    unit = np.array([SECOND, 1000, 1], dtype=np.int64)[kind]
    out = us - us % unit
    return np.where(us == NEVER, NEVER, out)


def as_of(ts: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The value of a timestamp column at instant ``t``: ``ts`` if it has happened, else NEVER."""
    return np.where(ts <= t, ts, NEVER)


def day_index(us: np.ndarray, start_us: int) -> np.ndarray:
    return ((us - start_us) // DAY).astype(np.int64)


def pick_offsets(rng: np.random.Generator, n: int) -> np.ndarray:
    return categorical(rng, OFFSET_SHARE, n)


@functools.cache
def _time_of_day_table() -> np.ndarray:
    """Element s holds ``HH:MM:SS`` (8 bytes) for second-of-day s."""
    s = np.arange(86400)
    d2 = digit_table(2)
    colon = np.full((86400, 1), ord(":"), dtype=np.uint8)
    chars = np.concatenate([d2[s // 3600], colon, d2[s // 60 % 60], colon, d2[s % 60]], axis=1)
    return np.ascontiguousarray(chars).view("V8").reshape(-1)


def _date_table(first_day: int, n_days: int) -> np.ndarray:
    """Element i holds ``YYYY-MM-DDT`` (11 bytes) for epoch day ``first_day + i``."""
    days = (np.arange(n_days) + first_day).astype("datetime64[D]")
    text = np.char.add(np.datetime_as_string(days, unit="D").astype("S10"), b"T")
    return text.astype("S11").view("V11")


_ISO_BASE = np.dtype([("date", "V11"), ("time", "V8")])


def _fraction_text(frac: np.ndarray) -> pa.StringArray:
    """``""``, ``".123"`` or ``".123456"`` for each sub-second part (in microseconds)."""
    has_frac = np.flatnonzero(frac)
    lengths = np.zeros(frac.size, dtype=np.int32)
    f = frac[has_frac]
    lengths[has_frac] = np.where(f % 1000 == 0, 4, 7)
    d3 = digit_table(3)
    chars = np.concatenate([np.full((f.size, 1), ord("."), dtype=np.uint8), d3[f // 1000], d3[f % 1000]], axis=1)
    data = chars[np.arange(7)[None, :] < lengths[has_frac][:, None]]
    offsets = np.zeros(frac.size + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return pa.Array.from_buffers(
        pa.string(), frac.size, [None, pa.py_buffer(offsets), pa.py_buffer(data)], null_count=0
    )


def format_iso(us: np.ndarray, offset_code: np.ndarray) -> pa.StringArray:
    """ISO-8601 text with an offset (``2026-11-01T09:03:22.120-05:00``); NEVER becomes null.

    Fractional seconds appear only when the instant has them (3 or 6 digits).
    """
    n = us.size
    offset_code = np.asarray(offset_code, dtype=np.int64)
    null = us == NEVER
    local = np.where(null, 0 if null.all() else us[~null].min(), us) + OFFSET_MINUTES[offset_code] * MINUTE
    secs = local // SECOND
    frac = local % SECOND
    epoch_day = secs // 86400
    first = int(epoch_day.min()) if n else 0
    n_days = int(epoch_day.max()) - first + 1 if n else 1

    base = np.empty(n, dtype=_ISO_BASE)
    base["date"] = _date_table(first, n_days)[epoch_day - first]
    base["time"] = _time_of_day_table()[secs % 86400]
    base_text = fixed_width_strings(base.view(np.uint8).reshape(n, 19), null)

    frac_text = _fraction_text(frac)
    offsets = pc.take(pa.array(OFFSET_TEXT), pa.array(offset_code))
    return pc.binary_join_element_wise(base_text, frac_text, offsets, "")
