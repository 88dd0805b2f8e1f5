"""The sandbox clock and the portal's date formats.

The clock is real UTC time plus an offset that the control surface can move forward (``POST /__sim/clock``), so OTP
and captcha lifetimes run in real time while password age, dormancy and temporary-password expiry can be tested in
days. Dates are shown as the 2015 classic screens show them: ``dd/mm/yyyy`` and ``dd/mm/yyyy HH:MM:SS``, in
Nairobi time (EAT, UTC+3, no daylight saving).
"""

from __future__ import annotations

import datetime as dt

EAT = dt.timezone(dt.timedelta(hours=3), "EAT")
DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M:%S"


class SandboxClock:
    """Now = the real UTC time + an offset. Not locked itself: the portal state's lock guards it."""

    def __init__(self) -> None:
        self._offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self._offset

    def today(self) -> dt.date:
        """Today's date in Nairobi."""
        return self.now().astimezone(EAT).date()

    def advance(self, seconds: float) -> dt.datetime:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self._offset += dt.timedelta(seconds=seconds)
        return self.now()

    @property
    def offset_seconds(self) -> float:
        return self._offset.total_seconds()

    def reset(self) -> None:
        self._offset = dt.timedelta(0)


def fmt_date(value: dt.date | None) -> str:
    """``dd/mm/yyyy`` (empty for None)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(EAT).date()
    return value.strftime(DATE_FORMAT)


def fmt_datetime(value: dt.datetime | None) -> str:
    """``dd/mm/yyyy HH:MM:SS`` in Nairobi time (empty for None)."""
    return "" if value is None else value.astimezone(EAT).strftime(DATETIME_FORMAT)


def parse_date(text: str) -> dt.date | None:
    """Parse ``dd/mm/yyyy``; None when the text is not such a date."""
    try:
        return dt.datetime.strptime(text.strip(), DATE_FORMAT).date()
    except ValueError:
        return None


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 for the control surface's JSON."""
    return None if value is None else value.isoformat()
