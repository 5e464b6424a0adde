"""A plain progress bar on stderr: redrawn in place on a terminal, one line a step otherwise."""

from __future__ import annotations

import sys
from typing import TextIO

WIDTH = 30


class Bar:
    def __init__(self, total: int, what: str = "clips", stream: TextIO | None = None) -> None:
        self.total, self.done, self.what = total, 0, what
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()

    def step(self, note: str = "") -> None:
        self.done += 1
        filled = WIDTH * self.done // max(self.total, 1)
        line = f"[{'#' * filled}{'.' * (WIDTH - filled)}] {self.done}/{self.total} {self.what}  {note}"
        if self.live:
            self.stream.write("\r" + line[:120].ljust(120))
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
