"""Running one `trainsim` command for the package: arguments from keyword options, the child
process (the native module `_core`), progress, and errors as exceptions. The one place the
package touches the command line."""
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

from . import _core
from ._progress import StderrReader
from .errors import command_error

# Seconds an interrupted command gets to remove its temporaries and stop its own children
# before it is killed (SIGKILL).
STOP_GRACE_S = 10.0


def executable():
    """The trainsim executable the package runs: $TRAINSIM_EXECUTABLE, else the one built
    with the package."""
    return os.environ.get("TRAINSIM_EXECUTABLE") or _core.EXECUTABLE


def flags(options):
    """Command-line options from keyword arguments: `host_memory_limit="8GiB"` gives
    `--host-memory-limit 8GiB`, `force=True` gives `--force` (False and None: left out), a list
    or tuple is joined with commas (`methods=["pipette", "amp"]`)."""
    words = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        words.append("--" + key.replace("_", "-"))
        if value is True:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        words.append(os.fspath(value) if isinstance(value, os.PathLike) else str(value))
    return words


@dataclass
class Completed:
    stdout: str
    messages: list  # stderr lines other than progress (warnings)


def invoke(args, progress=None, rename=None):
    """Runs `trainsim ARGS...` and returns its output, or raises the exception of its failure
    (errors.command_error). `progress(Progress)` receives its progress as it is drawn; `rename`
    = (temporary path, shown name) for messages about a scenario the package wrote."""
    reader = StderrReader(progress)
    # With a callback, stderr is a pseudo-terminal read as it comes (the command draws progress
    # only on a terminal); without one, a pipe read at the end.
    status, out, err = _core.run(executable(), [str(a) for a in args], "", reader.feed if progress else None,
                                 progress is not None, STOP_GRACE_S)
    if progress is None:
        reader.feed(err)
    reader.close()
    if status != 0:
        raise command_error(status, reader.lines, rename)
    return Completed(out.decode("utf-8", "replace"), reader.lines)


@contextmanager
def scratch():
    """A private temporary folder for one command's outputs, removed afterwards (also when
    interrupted)."""
    folder = tempfile.mkdtemp(prefix="trainsim-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def without_lines_naming(text, folder):
    """The command's output without the lines about files in the package's temporary folder."""
    return "".join(line for line in text.splitlines(keepends=True) if folder not in line)
