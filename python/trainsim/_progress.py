"""Reading what the `trainsim` command draws on a terminal (sim/core/progress.hpp) back into
progress events, and separating it from the lines it prints (warnings, errors).

The command draws a bar by rewriting one line, `\\r<what> [###---]  3/6 runs  ...\\033[K`, and
a phase as `<name> ...` then ` <duration>\\n` when it ends."""
import codecs
import re
from dataclasses import dataclass
from typing import Optional

_BAR_DRAW = re.compile(r"\r([^\r\n]*?)\033\[K")
_BAR = re.compile(r"^(?P<what>.+?)(?: \[[#-]*\]  (?P<done>[0-9.e+-]+)/(?P<total>[0-9.e+-]+)|  (?P<count>[0-9.e+-]+))"
                  r" (?P<unit>.+?)(?=  |$)")
_PHASE = re.compile(r"^(?P<name>[^\r\n]+?) \.\.\.(?: (?P<duration>.+))?$")


@dataclass(frozen=True)
class Progress:
    """One progress event. A countable job (a sweep's runs, a comparison's simulations):
    `what` its name, `done` of `total` `unit`s (`total` None when not known). A phase of a
    single run ("simulating", "writing trace"): `unit` is "phase", `done` 0 when it starts and
    1 when it ends, `total` 1."""
    what: str
    done: float
    total: Optional[float]
    unit: str


class StderrReader:
    """Fed the command's stderr as it arrives; calls `callback(Progress)` for each bar draw
    and phase, and keeps the other lines in `lines`."""

    def __init__(self, callback=None):
        self.callback = callback
        self.lines = []
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buf = ""
        self._phase = None  # the phase begun and not ended

    def _emit(self, event):
        if self.callback is not None:
            self.callback(event)

    def _bar(self, text):
        m = _BAR.match(text)
        if not m:
            return
        if m["count"] is not None:
            self._emit(Progress(m["what"], float(m["count"]), None, m["unit"]))
        else:
            self._emit(Progress(m["what"], float(m["done"]), float(m["total"]), m["unit"]))

    def _line(self, text):
        m = _PHASE.match(text)
        if m and m["duration"] is not None:
            if self._phase != m["name"]:
                self._emit(Progress(m["name"], 0.0, 1.0, "phase"))
            self._emit(Progress(m["name"], 1.0, 1.0, "phase"))
            self._phase = None
        elif text.strip():
            self.lines.append(text)

    def feed(self, data):
        self._buf += self._decoder.decode(data)
        pos = 0
        while pos < len(self._buf):
            m = _BAR_DRAW.match(self._buf, pos)
            if m:
                self._bar(m.group(1))
                pos = m.end()
                continue
            end = self._buf.find("\n", pos)
            if end < 0:
                break
            segment = self._buf[pos:end]
            if not segment.startswith("\r"):  # a bar drawn partially cannot end a line
                self._line(segment)
            pos = end + 1
        self._buf = self._buf[pos:]
        m = _PHASE.match(self._buf)
        if m and m["duration"] is None and self._phase != m["name"]:
            self._phase = m["name"]
            self._emit(Progress(m["name"], 0.0, 1.0, "phase"))

    def close(self):
        self.feed(b"")
        if self._buf.strip() and not _PHASE.match(self._buf):
            self.lines.append(self._buf)
        self._buf = ""
