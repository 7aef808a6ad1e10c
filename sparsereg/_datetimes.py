"""Datetime buckets of `FeatureCrossHasher`: calendar parts or a fixed time width.

A column listed in ``buckets`` with a spec ``{"datetime": ...}`` is read as
instants (NumPy ``datetime64`` of any unit, pandas datetime columns naive or
timezone-aware, ``datetime``/``Timestamp`` objects, or ISO 8601 strings), turned
into wall times (`tz`), and cut into buckets:

- calendar parts, as pandas' ``Series.dt`` accessors compute them
  (`CALENDAR_PARTS`): the column's token is the tuple of the parts' values, so
  ``["hour", "dayofweek"]`` gives one cell per (hour, day of week);
- a fixed width (``"15min"``, ``"1h"``, ``"1D"``...) from an origin
  (1970-01-01 by default, as ``resample(origin="epoch")``): the bucket
  ``floor((t - origin) / width)``.

Everything is computed on int64 nanoseconds since 1970-01-01 (the wall time),
so the buckets of a value depend on that value only, in every process.
"""

import datetime
import math
import re

import numpy as np

from . import _hashing
from ._tokens import MISSING_LABEL, Column, used_categories

#: Calendar parts a datetime bucket may name (the names of pandas' ``Series.dt``).
CALENDAR_PARTS = (
    "year",
    "quarter",
    "month",
    "day",
    "date",
    "day_of_week",
    "day_of_year",
    "hour",
    "minute",
    "second",
)
#: Other spellings of the same parts (pandas' older names); they hash as the part they name.
PART_ALIASES = {"dayofweek": "day_of_week", "weekday": "day_of_week", "dayofyear": "day_of_year"}
WIDTH_UNITS = ("ns", "us", "ms", "s", "min", "h", "D", "W")
_UNIT_NS = {
    "ns": 1,
    "us": 10**3,
    "ms": 10**6,
    "s": 10**9,
    "min": 60 * 10**9,
    "h": 3600 * 10**9,
    "D": 86_400 * 10**9,
    "W": 7 * 86_400 * 10**9,
}
_WIDTH = re.compile(r"([1-9][0-9]{0,15})(ns|us|ms|s|min|h|D|W)")
# date, optional time (T or space) with optional fraction, optional UTC offset (with a time only)
_ISO = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.ASCII,
)
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]{0,31}(?:/[A-Za-z0-9_+\-]{1,32}){0,3}")
# names the pattern admits that are not IANA zones but the machine's settings or copies of
# the database under another rule set: 'localtime' is /etc/localtime (this machine's zone),
# 'posixrules' a system default, 'posix/' and 'right/' (leap seconds) distribution trees
_NOT_ZONES = ("localtime", "posixrules")
_NOT_ZONE_TREES = ("posix/", "right/")
_DAY_NS = 86_400 * 10**9
_NAT = np.iinfo(np.int64).min
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_NP_UNIT_NS = {
    "W": 7 * _DAY_NS,
    "D": _DAY_NS,
    "h": 3600 * 10**9,
    "m": 60 * 10**9,
    "s": 10**9,
    "ms": 10**6,
    "us": 10**3,
    "ns": 1,
}
_RANGE = "[1677-09-21T00:12:43.145224193, 2262-04-11T23:47:16.854775807]"
_PART_START = _hashing.fmix64_scalar(0xDA7E_0F_DA7E)  # the fold of a column's parts starts here


def is_zone_name(tz):
    """Whether ``tz`` is spelled as a plain IANA zone name (not a path, not a machine setting)."""
    return (
        isinstance(tz, str)
        and _ZONE.fullmatch(tz) is not None
        and ".." not in tz
        and tz not in _NOT_ZONES
        and not tz.startswith(_NOT_ZONE_TREES)
    )


def is_datetime_spec(spec):
    """Whether a bucket spec asks for datetime buckets."""
    return isinstance(spec, dict) and "datetime" in spec


def _iso_ns(text):
    """(ns since the epoch of the wall time, offset ns or None) of one ISO 8601 string, or None."""
    m = _ISO.fullmatch(text)
    if m is None:
        return None
    date, hm, sec, frac, offset = m.groups()
    if offset is not None and hm is None:
        return None
    local = date if hm is None else f"{date}T{hm}:{sec or '00'}"
    try:
        seconds = int(np.datetime64(local, "s").astype(np.int64))
    except ValueError:
        return None
    ns = seconds * 10**9 + (int(frac.ljust(9, "0")) if frac else 0)
    if offset is None:
        return ns, None
    if offset == "Z":
        return ns, 0
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), (int(digits[2:]) if len(digits) > 2 else 0)
    if hours > 23 or minutes > 59:
        return None
    return ns, (-1 if offset[0] == "-" else 1) * (hours * 60 + minutes) * 60 * 10**9


def _templates():
    """Every form of the ISO 8601 grammar `_ISO` accepts, one fixed-width template each:
    ``d`` a digit, ``S`` 'T' or ' ', ``P`` '+' or '-', anything else itself."""
    date = "dddd-dd-dd"
    times = ["Sdd:dd", "Sdd:dd:dd"] + ["Sdd:dd:dd." + "d" * k for k in range(1, 10)]
    zones = ["", "Z", "Pdd", "Pdddd", "Pdd:dd"]
    return [date] + [date + t + z for t in times for z in zones]


_TEMPLATES = _templates()
#: the longest string `_ISO` may accept; a longer one is not an ISO 8601 date
_MAX_ISO = max(map(len, _TEMPLATES))


def _iso_many(strings):
    """`_iso_ns` of many strings at once, as arrays (the grammar checked template by template).

    Returns ``(instants, aware, bad)``: int64 nanoseconds (UTC instants where a
    string has an offset, wall times elsewhere), which strings had an offset, and
    the position of the first string that is not an ISO 8601 date `_ISO` accepts
    with valid fields, or is out of range; None when every string is fine.
    """
    n = len(strings)
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=n)
    # a string longer than every template matches none: left out of the array (as ''), whose
    # every row NumPy pads to the longest (one field of 10**7 characters among 10**5 strings
    # asked for terabytes)
    held = lengths
    if (lengths > _MAX_ISO).any():
        strings = [s if len(s) <= _MAX_ISO else "" for s in strings]
        held = np.where(lengths > _MAX_ISO, 0, lengths)
    text = np.array(strings, dtype=str) if n else np.zeros(0, "U1")
    width = text.dtype.itemsize // 4
    if n and (width == 0 or (np.char.str_len(text) != held).any()):  # trailing NULs
        return _iso_each(strings)
    # code points by position (one contiguous row of uint8 per position; non-ASCII -> 255)
    codes = (
        np.minimum(text.view(np.uint32).reshape(n, width), 255).astype(np.uint8).T.copy()
        if width
        else None
    )
    matched = np.zeros(n, bool)
    fields = {k: np.zeros(n, np.int64) for k in ("Y", "M", "D", "h", "m", "s", "f", "oh", "om")}
    sign = np.zeros(n, np.int64)
    aware = np.zeros(n, bool)
    by_length = {}
    for template in _TEMPLATES:
        by_length.setdefault(len(template), []).append(template)
    for length in np.unique(lengths).tolist():
        at_length = np.flatnonzero(lengths == length)
        for template in by_length.get(length, ()):
            candidates = at_length[~matched[at_length]]
            if not candidates.size:
                break
            c = codes[:length, candidates]
            ok = np.ones(candidates.size, bool)
            for i, kind in enumerate(template):
                col = c[i]
                if kind == "d":
                    ok &= np.subtract(col, 48, dtype=np.uint8) < 10
                elif kind == "S":
                    ok &= (col == 84) | (col == 32)
                elif kind == "P":
                    ok &= (col == 43) | (col == 45)
                else:
                    ok &= col == ord(kind)
            if ok.any():
                _fill(template, candidates[ok], c[:, ok], matched, fields, sign, aware)
    f = fields
    month_index = (f["Y"] - 1970) * 12 + (f["M"] - 1)
    first = month_index.view("datetime64[M]").astype("datetime64[D]").view(np.int64)
    after = (month_index + 1).view("datetime64[M]").astype("datetime64[D]").view(np.int64)
    valid = (
        matched
        & (f["M"] >= 1)
        & (f["M"] <= 12)
        & (f["D"] >= 1)
        & (f["D"] <= after - first)
        & (f["h"] <= 23)
        & (f["m"] <= 59)
        & (f["s"] <= 59)
        & (f["oh"] <= 23)
        & (f["om"] <= 59)
    )
    seconds = (first + f["D"] - 1) * 86_400 + f["h"] * 3600 + f["m"] * 60 + f["s"]
    offset = sign * (f["oh"] * 60 + f["om"]) * 60 * 10**9
    near = np.abs(seconds) > 9_223_372_036 - 2 * 86_400  # exact in Python ints near the ends
    ns = np.where(near, 0, seconds) * np.int64(10**9) + f["f"] - offset
    for i in np.flatnonzero(near & valid):
        exact = int(seconds[i]) * 10**9 + int(f["f"][i]) - int(offset[i])
        if not -(2**63) < exact < 2**63:
            valid[i] = False
        else:
            ns[i] = exact
    bad = np.flatnonzero(~valid)
    return ns, aware, int(bad[0]) if bad.size else None


def _fill(template, rows, c, matched, fields, sign, aware):
    """Record the fields of the strings ``rows`` (code points ``c``) that match ``template``."""
    matched[rows] = True

    def number(start, size):
        value = np.zeros(rows.size, np.int64)
        for i in range(start, start + size):
            value = value * 10 + (c[i].astype(np.int64) - 48)
        return value

    fields["Y"][rows], fields["M"][rows], fields["D"][rows] = (
        number(0, 4),
        number(5, 2),
        number(8, 2),
    )
    if len(template) == 10:
        return
    fields["h"][rows], fields["m"][rows] = number(11, 2), number(14, 2)
    rest = template[16:]
    if rest.startswith(":dd"):
        fields["s"][rows] = number(17, 2)
        rest = rest[3:]
    if rest.startswith("."):
        k = len(rest) - len(rest[1:].lstrip("d"))  # the point and k - 1 digits
        fields["f"][rows] = number(len(template) - len(rest) + 1, k - 1) * 10 ** (10 - k)
        rest = rest[k:]
    if rest:
        aware[rows] = True
        at = len(template) - len(rest)
        if rest != "Z":
            sign[rows] = np.where(c[at] == 45, -1, 1)
            fields["oh"][rows] = number(at + 1, 2)
            if len(rest) > 3:
                fields["om"][rows] = number(len(template) - 2, 2)


def _iso_each(strings):
    """`_iso_many`, one string at a time (strings NumPy cannot hold as they are)."""
    ns, aware = np.zeros(len(strings), np.int64), np.zeros(len(strings), bool)
    for i, text in enumerate(strings):
        parsed = _iso_ns(text)
        if parsed is None or not -(2**63) < parsed[0] - (parsed[1] or 0) < 2**63:
            return None, None, i
        ns[i], aware[i] = parsed[0] - (parsed[1] or 0), parsed[1] is not None
    return ns, aware, None


def _is_missing_value(value):
    """Whether one value of an object column is missing (None, NaN, NaT, pandas' NA)."""
    if value is None or _hashing._is_pandas_missing(value):
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return isinstance(value, np.datetime64) and bool(np.isnat(value))


def _object_ns(value):
    """(ns, aware) of one datetime-like object, None if missing; TypeError if not datetime-like."""
    if _is_missing_value(value):
        return None
    if isinstance(value, np.datetime64):
        ns, _ = _from_datetime64(np.asarray([value]), "")
        return int(ns[0]), False
    if isinstance(value, datetime.datetime):
        ns = (value.replace(tzinfo=None) - datetime.datetime(1970, 1, 1)) // datetime.timedelta(
            microseconds=1
        ) * 1000 + int(getattr(value, "nanosecond", 0))
        offset = value.utcoffset()
        if offset is None:
            return ns, False
        return ns - offset // datetime.timedelta(microseconds=1) * 1000, True
    if isinstance(value, datetime.date):
        return (value.toordinal() - datetime.date(1970, 1, 1).toordinal()) * _DAY_NS, False
    raise TypeError(type(value))


def _from_datetime64(values, name):
    """int64 nanoseconds of a datetime64 array of any unit (0 where NaT), and where NaT."""
    unit, count = np.datetime_data(values.dtype)
    values = np.ascontiguousarray(values)
    if unit == "generic":  # only NaT has no unit
        ints = values.view(np.int64)
        return np.zeros(values.shape, np.int64), ints == _NAT
    ints = values.view(np.int64)
    missing = ints == _NAT
    if unit in ("Y", "M"):  # calendar units: their first day
        limit = 300 if unit == "Y" else 3600
        out = ~missing & ((ints > limit // count) | (ints < -limit // count))
        if out.any():
            raise ValueError(
                f"column {name!r} holds {values[np.flatnonzero(out)[0]]}, outside the "
                f"range of datetime buckets {_RANGE}."
            )
        values = values.astype("datetime64[D]")
        ints, unit, count = values.view(np.int64), "D", 1
    if unit not in _NP_UNIT_NS:
        raise TypeError(
            f"column {name!r} holds datetime64[{unit}] values, finer than "
            "nanoseconds; convert them to datetime64[ns]."
        )
    step = count * _NP_UNIT_NS[unit]
    limit = (2**63 - 1) // step
    out = ~missing & ((ints > limit) | (ints < -limit))
    if out.any():
        raise ValueError(
            f"column {name!r} holds {values[np.flatnonzero(out)[0]]}, outside the "
            f"range of datetime buckets {_RANGE} (nanoseconds in int64)."
        )
    ns = np.where(missing, 0, ints)
    if step != 1:
        ns = ns * np.int64(step)
    return ns, missing


def _numpy_datetimes(col):
    """An Arrow-backed pandas column of timestamps or dates as pandas' datetime64 column of the
    same unit and time zone (a date is the midnight that starts it), whose ``to_numpy`` gives
    datetime64 (the Arrow column's gives objects when it has a time zone)."""
    kind = col.dtype.pyarrow_dtype
    unit, tz = getattr(kind, "unit", "s"), getattr(kind, "tz", None)
    if unit not in ("s", "ms", "us", "ns"):  # (dates: days)
        unit = "s"
    return col.astype(f"datetime64[{unit}, {tz}]" if tz else f"datetime64[{unit}]")


def warn_of_other_awareness(name, aware):
    """Warn of a column of timezone-aware datetimes where fit saw naive ones (``aware``), or
    the reverse, bucketed without 'tz': their buckets differ by the zone's offset."""
    import warnings

    from ._column_kinds import caller_level

    held, fitted = ("timezone-aware", "naive") if aware else ("naive", "timezone-aware")
    fix = (
        f"make them the naive wall times training's were (pd.to_datetime(X[{name!r}])"
        ".dt.tz_convert(<the zone of training's times>).dt.tz_localize(None); in a file, "
        "without UTC offsets)"
        if aware
        else f"localize them as training's were (pd.to_datetime(X[{name!r}])"
        ".dt.tz_localize(<their zone>); in a file, with their UTC offsets)"
    )
    warnings.warn(
        f"column {name!r} holds {held} datetimes, but the FeatureCrossHasher was fitted on "
        f"{fitted} ones (datetime_aware_): without a 'tz' in its bucket spec, aware ones are "
        "bucketed at their UTC times and naive ones at the times they spell, so its buckets "
        f"are not training's (shifted by the zone's offset); {fix}.",
        UserWarning,
        stacklevel=caller_level(),
    )


def _all_missing(col, pd):
    """Whether every value of a numeric column is missing (NaN, or pandas' NA)."""
    if pd is not None and isinstance(col, pd.Series):
        if col.dtype.kind == "f":  # (a NaN that is not NA, in Float64, is missing too)
            return bool(np.isnan(col.to_numpy(dtype=np.float64, na_value=np.nan)).all())
        return bool(col.isna().all())
    return col.dtype.kind == "f" and bool(np.isnan(np.asarray(col, dtype=np.float64)).all())


class DatetimeBuckets:
    """A validated datetime bucket spec ``{"datetime": parts or width, "origin": ..., "tz": ...}``."""

    def __init__(self, key, spec):
        unknown = set(spec) - {"datetime", "origin", "tz"}
        if unknown:
            raise ValueError(
                f"buckets[{key!r}] has unknown keys {sorted(map(str, unknown))} for a "
                "datetime spec; use 'datetime' (and 'origin' with a width, 'tz')."
            )
        what = spec["datetime"]
        self.width = self.parts = None
        if isinstance(what, str) and _WIDTH.fullmatch(what):
            count, unit = _WIDTH.fullmatch(what).groups()
            self.width = int(count) * _UNIT_NS[unit]
            if self.width > 2**62:
                raise ValueError(
                    f"buckets[{key!r}]: the width {what!r} is longer than the range "
                    f"of datetime buckets {_RANGE}."
                )
            self.width_text = what
        else:
            parts = [what] if isinstance(what, str) else what
            if (
                not isinstance(parts, (list, tuple))
                or not parts
                or not all(isinstance(p, str) for p in parts)
            ):
                raise ValueError(
                    f"buckets[{key!r}]['datetime'] must be a calendar part, a list of "
                    f"them ({', '.join(CALENDAR_PARTS)}) or a width such as '15min' "
                    f"(units {', '.join(WIDTH_UNITS)}); got {what!r}."
                )
            bad = [p for p in parts if p not in CALENDAR_PARTS and p not in PART_ALIASES]
            if bad:
                raise ValueError(
                    f"buckets[{key!r}]: {bad[0]!r} is neither a calendar part "
                    f"({', '.join(CALENDAR_PARTS + tuple(PART_ALIASES))}) nor a width such as '15min' "
                    f"(a whole number > 0 and a unit: {', '.join(WIDTH_UNITS)})."
                )
            canonical = [PART_ALIASES.get(p, p) for p in parts]
            if len(set(canonical)) != len(canonical):
                raise ValueError(f"buckets[{key!r}]: the calendar parts {list(parts)} repeat one.")
            self.parts = tuple(parts)  # as spelled, for the labels
            self.canonical = tuple(canonical)
        self.origin = 0
        if "origin" in spec:
            if self.width is None:
                raise ValueError(
                    f"buckets[{key!r}]: 'origin' only applies to a width such as "
                    "'15min', not to calendar parts."
                )
            origin = spec["origin"]
            parsed = _iso_ns(origin) if isinstance(origin, str) else None
            if parsed is None or parsed[1] is not None or abs(parsed[0]) >= 2**63:
                raise ValueError(
                    f"buckets[{key!r}]: origin must be an ISO 8601 date or date and "
                    f"time without a UTC offset (a wall time, as the values once "
                    f"converted by 'tz'), such as '2024-01-01T06:00'; got {origin!r}."
                )
            self.origin = parsed[0]
        self.tz = spec.get("tz")
        self.zone = None
        if self.tz is not None:
            if not is_zone_name(self.tz):
                raise ValueError(
                    f"buckets[{key!r}]: tz must be None or the IANA name of a time "
                    f"zone such as 'UTC' or 'Europe/Paris'; got {self.tz!r}."
                )
            import zoneinfo

            try:
                self.zone = zoneinfo.ZoneInfo(self.tz)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
                raise ValueError(
                    f"buckets[{key!r}]: tz={self.tz!r} names no time zone of this "
                    "system's time-zone database."
                ) from None

    # -- values -> wall-time nanoseconds ------------------------------------------------

    def _instants(self, col, name, pd):
        """(int64 ns, missing, aware) of a column; aware ns are UTC instants (``aware`` None
        for a column of datetime-like objects or strings none of which is a value)."""
        dtype = col.dtype
        if pd is not None and isinstance(col, pd.Series):
            if isinstance(dtype, pd.CategoricalDtype):
                codes, categories = used_categories(col)
                ns, missing, aware = self._instants(pd.Series(categories), name, pd)
                absent = codes < 0
                if ns.size == 0:
                    return np.zeros(codes.size, np.int64), np.ones(codes.size, bool), aware
                at = np.where(absent, 0, codes)
                return ns[at], missing[at] | absent, aware
            if isinstance(dtype, getattr(pd, "ArrowDtype", ())) and dtype.kind == "M":
                col = _numpy_datetimes(col)  # Arrow timestamps and dates, as pandas' own
                dtype = col.dtype
            if isinstance(dtype, pd.DatetimeTZDtype):
                values = col.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
                return (*_from_datetime64(values, name), True)
            if dtype.kind == "M":
                return (*_from_datetime64(col.to_numpy(), name), False)
        elif dtype.kind == "M":
            return (*_from_datetime64(np.asarray(col), name), False)
        if dtype.kind in "biuf" and _all_missing(col, pd):
            # a column of missing values only, as pandas stores them (float64 NaN, e.g. a CSV
            # field empty on every row of a chunk; Int64 NA): all missing, as None is
            return np.zeros(len(col), np.int64), np.ones(len(col), bool), None
        if dtype.kind in "biufcm":
            raise TypeError(
                f"column {name!r} is bucketed as datetimes but holds {dtype} values: numbers are "
                "not read as epoch times (their unit is ambiguous); convert the column with "
                "pandas.to_datetime(column, unit='s') (or 'ms', 'us', 'ns') or to datetime64 first."
            )
        return self._object_instants(np.asarray(col, dtype=object), name, pd)

    def _object_instants(self, values, name, pd):
        """Instants of an object column: ISO 8601 strings, or datetime-like objects."""
        try:
            if pd is None:
                raise TypeError
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            uniques = list(np.asarray(uniques, dtype=object))
        except TypeError:  # no pandas, or unhashable values: distinct objects by identity
            addresses = np.fromiter(map(id, values), dtype=np.uintp, count=values.size)
            _, first, codes = np.unique(addresses, return_index=True, return_inverse=True)
            codes, uniques = codes.ravel(), list(values[first])
        ns = np.zeros(len(uniques), np.int64)
        missing = np.zeros(len(uniques), bool)
        kinds = set()
        is_str = np.fromiter((isinstance(v, str) for v in uniques), dtype=bool, count=len(uniques))
        at_str = np.flatnonzero(is_str)
        if at_str.size:
            strings = [uniques[i] for i in at_str]
            parsed, aware, bad = _iso_many(strings)
            if bad is not None:
                value = strings[bad]
                if _iso_ns(value) is not None:
                    raise ValueError(
                        f"column {name!r} holds {value!r}, outside the range of "
                        f"datetime buckets {_RANGE}."
                    )
                raise ValueError(
                    f"column {name!r} is bucketed as datetimes but holds the string "
                    f"{_hashing.short_repr(value)}, "
                    "which is not an ISO 8601 date or date and time (YYYY-MM-DD, "
                    "YYYY-MM-DD[T ]hh:mm[:ss[.fffffffff]] and an optional UTC offset Z, "
                    "+hh:mm); parse the column with pandas.to_datetime first."
                )
            ns[at_str] = parsed
            kinds.update(np.unique(aware).tolist())
        for i, value in enumerate(uniques):
            if is_str[i]:
                continue
            try:
                found = _object_ns(value)
            except TypeError:
                raise TypeError(
                    f"column {name!r} is bucketed as datetimes but holds a value of type "
                    f"{_hashing.type_name(type(value))} ({_hashing.short_repr(value)}); it takes "
                    "datetime64, "
                    "datetime, date, pandas.Timestamp or ISO 8601 strings, and missing "
                    "values."
                ) from None
            if found is None:
                missing[i] = True
                continue
            t, aware = found
            kinds.add(aware)
            if not -(2**63) < t < 2**63:
                raise ValueError(
                    f"column {name!r} holds {value!r}, outside the range of "
                    f"datetime buckets {_RANGE}."
                )
            ns[i] = t
        if len(kinds) > 1:
            raise ValueError(
                f"column {name!r} mixes timezone-aware and naive datetimes; make "
                "them all aware (with a UTC offset) or all naive."
            )
        codes = np.asarray(codes)
        absent = codes < 0
        at = np.where(absent, 0, codes)
        if not uniques:
            return np.zeros(codes.size, np.int64), np.ones(codes.size, bool), None
        return ns[at], missing[at] | absent, (True in kinds) if kinds else None

    def awareness(self, col, name, pd, by_dtype=False):
        """Whether a column's datetimes are timezone-aware, as its first value says (a column
        mixing both is refused when hashed); None without a value (with ``by_dtype``, for a
        column of no rows, a dask DataFrame's ``_meta``: as its dtype says), or when that
        value is not one the column is hashed with (refused when hashed)."""
        try:
            if pd is not None:
                present = np.flatnonzero(
                    pd.notna(np.asarray(col))
                    if not isinstance(col, pd.Series)
                    else col.notna().to_numpy()
                )
            else:
                at = next((i for i, v in enumerate(col) if not _is_missing_value(v)), None)
                present = [] if at is None else [at]
            if len(present) == 0:
                return self._instants(col[:0], name, pd)[2] if by_dtype else None
            at = int(present[0])
            first = col.iloc[at : at + 1] if hasattr(col, "iloc") else col[at : at + 1]
            return self._instants(first, name, pd)[2]
        except Exception:  # noqa: BLE001 (a value refused, or whose reading raises, when hashed)
            return None

    def wall_ns(self, col, name, pd, fitted_aware=None):
        """int64 nanoseconds of each row's wall time (0 where missing), and where missing;
        with ``fitted_aware`` (whether the values fit saw were timezone-aware), a column of
        the other kind bucketed without 'tz' is warned of."""
        ns, missing, aware = self._instants(col, name, pd)
        if self.zone is None:
            # (a column of no value: its dtype's awareness is no value's)
            known = aware is not None and not missing.all()
            if fitted_aware is not None and known and aware != fitted_aware:
                warn_of_other_awareness(name, aware)
            return ns, missing  # naive as they are, aware ones in UTC
        if not aware and not missing.all():
            raise ValueError(
                f"column {name!r} holds naive datetimes (no time zone) but its bucket spec gives "
                f"tz={self.tz!r}, which converts timezone-aware ones: localize the column first "
                "(Series.dt.tz_localize), or drop 'tz' to bucket the wall times as they are."
            )
        if pd is None:
            raise ImportError(
                "datetime buckets with a 'tz' need pandas: pip install \"sparsereg[stream]\""
            )
        index = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")
        try:
            wall = index.tz_convert(self.zone).tz_localize(None)
        except (OverflowError, ValueError):  # pandas' OutOfBoundsDatetime is a ValueError
            raise ValueError(
                f"column {name!r} holds an instant whose wall time in {self.tz} is "
                f"outside the range of datetime buckets {_RANGE}."
            ) from None
        out = np.asarray(wall.as_unit("ns").asi8, dtype=np.int64).copy()
        out[missing] = 0
        return out, missing

    # -- wall time -> buckets -----------------------------------------------------------

    def part_values(self, ns):
        """Canonical calendar part name -> int64 values of wall times ``ns`` (as pandas' ``.dt``)."""
        days = np.floor_divide(ns, _DAY_NS)
        of_day = ns - days * _DAY_NS
        values = {}
        for part in self.canonical:
            if part == "date":
                v = days
            elif part == "hour":
                v = of_day // (3600 * 10**9)
            elif part == "minute":
                v = of_day // (60 * 10**9) % 60
            elif part == "second":
                v = of_day // 10**9 % 60
            elif part == "day_of_week":
                v = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
            else:
                d = days.view("datetime64[D]")
                month_start = d.astype("datetime64[M]")
                year_start = d.astype("datetime64[Y]")
                if part == "year":
                    v = year_start.view(np.int64) + 1970
                elif part == "day":
                    v = days - month_start.astype("datetime64[D]").view(np.int64) + 1
                elif part == "day_of_year":
                    v = days - year_start.astype("datetime64[D]").view(np.int64) + 1
                else:
                    month = month_start.view(np.int64) % 12 + 1
                    v = month if part == "month" else (month - 1) // 3 + 1
            values[part] = np.asarray(v, dtype=np.int64)
        return values

    def bucket_ids(self, ns, name=None):
        """int64 bucket ``floor((ns - origin) / width)``, exactly (no int64 overflow); a
        ValueError where it is outside int64 (a width of 1ns from a far origin)."""
        w, o = np.int64(self.width), self.origin
        a, b = np.floor_divide(ns, w), o // self.width
        below = np.remainder(ns, w) < np.int64(o % self.width)
        # a - b - below within int64 (only a width of 1ns reaches past it: a is ns itself)
        out = (a > 2**63 - 1 + b) if b < 0 else (a < -(2**63) + b) | ((a == -(2**63) + b) & below)
        if out.any():
            value = np.datetime64(int(ns[np.flatnonzero(out)[0]]), "ns")
            raise ValueError(
                f"column {name!r} holds {value}, whose bucket of {self.width_text} from the "
                "origin is outside the int64 range of bucket ids; take a wider width or an "
                "origin nearer the values."
            )
        return a - np.int64(b) - below

    def _part_text(self, part, value):
        if PART_ALIASES.get(part, part) == "day_of_week":
            return _DAY_NAMES[value]
        if part == "date":
            return str(np.datetime64(value, "D"))
        return str(value)

    def _width_text(self, bucket):
        start = self.origin + bucket * self.width
        if not -(2**63) < start < 2**63:
            return f"{bucket} x {self.width_text} from the origin"
        return np.datetime_as_string(np.datetime64(start, "ns"), unit="auto")

    def tokens(self, col, name, pd, fitted_aware=None):
        """The `Column` of tokens of a datetime-bucketed column (``fitted_aware``: see
        ``wall_ns``)."""
        ns, missing = self.wall_ns(col, name, pd, fitted_aware)
        missing = missing if missing.any() else None
        if self.width is not None:
            ids = self.bucket_ids(ns, name)
            tokens = _hashing.hash_ints(ids, _hashing.KIND_BUCKET)
            return Column(
                tokens,
                missing,
                lambda r: (
                    MISSING_LABEL
                    if missing is not None and missing[r]
                    else self._width_text(int(ids[r]))
                ),
            )
        by_part = self.part_values(ns)
        values = {part: by_part[c] for part, c in zip(self.parts, self.canonical)}
        h = _PART_START
        for part, canonical in zip(self.parts, self.canonical):
            code = CALENDAR_PARTS.index(canonical) + 1
            tagged = np.bitwise_xor(values[part], np.int64(code << 56))
            h = _hashing.combine(h, _hashing.hash_ints(tagged, _hashing.KIND_BUCKET))

        def describe(column_name, r):
            if missing is not None and missing[r]:
                return f"{column_name}={MISSING_LABEL}"
            texts = [(part, self._part_text(part, int(values[part][r]))) for part in self.parts]
            if len(texts) == 1 and texts[0][0] == column_name:
                return f"{column_name}={texts[0][1]}"
            return " x ".join(f"{column_name}.{part}={text}" for part, text in texts)

        def label(r):
            if missing is not None and missing[r]:
                return MISSING_LABEL
            return ", ".join(
                f"{part}={self._part_text(part, int(values[part][r]))}" for part in self.parts
            )

        return Column(tokens=h, missing=missing, label=label, describe=describe)
