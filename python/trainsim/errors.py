"""The exceptions of the trainsim package: what the `trainsim` command reports, as Python
exceptions carrying the same text (docs/python.md, "Errors")."""
import re


class TrainsimError(Exception):
    """Base class of every error the package raises for a failed command."""


class InputError(TrainsimError, ValueError):
    """Bad input (the command's exit status 2): a scenario, platform or option value the
    simulator refuses. `str(e)` is the command's line, `FILE:LINE:COL: error: key 'a.b': ...`.

    Attributes: file (str, "" when not from a file), line and column (int, 0 when unknown),
    key (str, "" when the problem is not one key's), message (the text after the key)."""

    def __init__(self, text, file="", line=0, column=0, key="", message=""):
        super().__init__(text)
        self.file, self.line, self.column, self.key, self.message = file, line, column, key, message


class UsageError(TrainsimError, ValueError):
    """An option the command does not take, or a value it refuses (exit status 2, the
    command's `trainsim: ...` line without its prefix)."""


class SimulationError(TrainsimError, RuntimeError):
    """The command failed otherwise: an internal error (exit status 3), a child killed by a
    signal, an unexpected status. `status` is the exit status (-N: killed by signal N)."""

    def __init__(self, text, status):
        super().__init__(text)
        self.status = status


# `FILE:LINE:COL: error: key 'KEY': MESSAGE` (sim/core/error.cpp; unknown parts are left out).
_INPUT = re.compile(r"^(?P<where>.*?): error: (?:key '(?P<key>.*?)': )?(?P<message>.*)$")
_WHERE = re.compile(r"^(?P<file>.*?)(?::(?P<line>\d+)(?::(?P<column>\d+))?)?$")


def input_error(text, rename=None):
    """The InputError of one line the command printed, or None if it is not one. `rename`
    (temporary path, shown name) replaces the file the package wrote for a scenario text."""
    if rename:
        text = text.replace(rename[0], rename[1])
    m = _INPUT.match(text)
    if not m:
        return None
    w = _WHERE.match(m["where"])
    file = "" if w["file"] == "<input>" else w["file"]
    return InputError(text, file, int(w["line"] or 0), int(w["column"] or 0), m["key"] or "", m["message"])


def command_error(status, lines, rename=None):
    """The exception for a command that exited with `status`, given the lines it printed on
    stderr (progress removed)."""
    text = "\n".join(lines).strip()
    if rename:
        text = text.replace(rename[0], rename[1])
    if status == 2:
        for line in reversed(lines):
            e = input_error(line, rename)
            if e is not None:
                return e
        last = text.splitlines()[-1] if text else "bad usage"
        return UsageError(last[len("trainsim: "):] if last.startswith("trainsim: ") else last)
    if status in (130, -2):
        return KeyboardInterrupt()
    if status < 0:
        return SimulationError(f"the trainsim command was killed by signal {-status}" + (f": {text}" if text else ""),
                               status)
    return SimulationError(text or f"the trainsim command exited with status {status}", status)
