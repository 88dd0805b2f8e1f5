"""Progress reporting for workflows: a small protocol the CLI implements (live list on a TTY, plain lines
otherwise, collected for --json), and a recorder used by tests and the demo."""

from __future__ import annotations

import dataclasses
import time
from typing import Protocol


class Reporter(Protocol):
    def start(self, key: str, title: str) -> None: ...
    def finish(self, key: str, status: str, detail: str = "") -> None: ...
    def info(self, text: str) -> None: ...


@dataclasses.dataclass
class StepRecord:
    key: str
    title: str
    status: str = "running"
    detail: str = ""
    seconds: float = 0.0
    started: float = dataclasses.field(default=0.0, repr=False)


class RecordingReporter:
    """Keeps every step (for --json and tests); forwards to another reporter if given."""

    def __init__(self, forward: Reporter | None = None) -> None:
        self.steps: dict[str, StepRecord] = {}
        self.notes: list[str] = []
        self.forward = forward

    def start(self, key: str, title: str) -> None:
        self.steps[key] = StepRecord(key, title, started=time.monotonic())
        if self.forward:
            self.forward.start(key, title)

    def finish(self, key: str, status: str, detail: str = "") -> None:
        record = self.steps.setdefault(key, StepRecord(key, key))
        record.status, record.detail = status, detail
        if record.started:
            record.seconds = round(time.monotonic() - record.started, 3)
        if self.forward:
            self.forward.finish(key, status, detail)

    def info(self, text: str) -> None:
        self.notes.append(text)
        if self.forward:
            self.forward.info(text)

    def as_list(self) -> list[dict[str, str]]:
        return [
            {"key": s.key, "title": s.title, "status": s.status, "detail": s.detail, "seconds": f"{s.seconds:.3f}"}
            for s in self.steps.values()
        ]
