"""Writing a plot file by the rules every trainsim output follows (GUIDE decision 3, the C++
side's sim/output/atomic_file): only ever create or replace a regular file (never write through
a symbolic link, into a FIFO or over a device), create missing parent folders, write a
temporary file next to the target and rename it into place only when complete, and never
replace an existing file without --force, not even one that appeared while the plot was drawn.

    out = OutputFile(path, force)     # checks the target; raises OutputError, writes nothing
    ...draw the figure...
    out.write_figure(fig, dpi)        # or out.write(fill) for any content
"""
import ctypes
import errno
import os
import stat

import matplotlib

from .structure import image_metadata

FORMATS = ("png", "svg", "pdf")


class OutputError(Exception):
    """The output cannot be written as asked; the message says why and what to do."""


def _kind(mode):
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _refuse_non_regular(path):
    """Raises OutputError when `path` exists and is anything but a regular file."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(f"'{path}' is {_kind(st.st_mode)}; outputs only create or replace regular "
                          "files (name a new file)")
    return True


def _renameat2_noreplace(src, dst):
    """rename(src, dst) failing with FileExistsError when dst exists (Linux renameat2
    RENAME_NOREPLACE); returns False where the call is unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_noreplace = -100, 1
    if fn(at_fdcwd, os.fsencode(src), at_fdcwd, os.fsencode(dst), rename_noreplace) == 0:
        return True
    err = ctypes.get_errno()
    if err == errno.EEXIST:
        raise FileExistsError(err, os.strerror(err), dst)
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False  # old kernel or a file system without the flag: fall back to link()
    raise OSError(err, os.strerror(err), dst)


class OutputFile:
    """A plot file to write at `path`. The constructor checks everything that can be checked
    before drawing (format, kind of an existing file, --force, a writable folder) so that a
    refused output costs no drawing and leaves nothing behind."""

    def __init__(self, path, force=False, inputs=()):
        self.path = str(path)
        self.force = force
        ext = os.path.splitext(self.path)[1].lower().lstrip(".")
        if ext not in FORMATS:
            raise OutputError(f"'{self.path}': unknown image format '.{ext}'; name a file ending in "
                              + ", ".join("." + f for f in FORMATS))
        self.format = ext
        if os.path.basename(self.path) in ("", ".", ".."):
            raise OutputError(f"'{self.path}' names a folder, not a file")
        exists = _refuse_non_regular(self.path)
        for i in inputs:
            if exists and os.path.exists(i) and os.path.samefile(i, self.path):
                raise OutputError(f"'{self.path}' is the input file; name another output")
        if exists and not self.force:
            raise OutputError(f"'{self.path}' exists; pass --force to replace it")
        # The nearest existing ancestor must be a folder we can create entries in.
        self.folder = os.path.dirname(os.path.abspath(self.path))
        ancestor = self.folder
        while not os.path.exists(ancestor):
            ancestor = os.path.dirname(ancestor)
        if not os.path.isdir(ancestor):
            raise OutputError(f"cannot create '{self.path}': '{ancestor}' is not a folder")
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise OutputError(f"cannot create '{self.path}': folder '{ancestor}' is not writable")

    def write(self, fill):
        """Creates missing parent folders, calls `fill(binary_file)` on a temporary file in the
        target's folder, and renames it into place (atomically; refusing a file that appeared
        meanwhile unless --force). The temporary file is removed on any failure."""
        try:
            os.makedirs(self.folder, exist_ok=True)
        except OSError as e:
            raise OutputError(f"cannot create folder '{self.folder}': {e.strerror}") from None
        base = os.path.basename(self.path)
        tmp = os.path.join(self.folder, f".{base}.tmp-{os.getpid()}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
        except OSError as e:
            raise OutputError(f"cannot create a file in '{self.folder}': {e.strerror}") from None
        try:
            with os.fdopen(fd, "wb") as f:
                fill(f)
                f.flush()
                os.fsync(f.fileno())
            self._commit(tmp)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    def write_figure(self, fig, dpi):
        """Writes `fig` in the format of the file's extension, byte-identical for the same
        figure: no creation date, SVG ids from a fixed salt; PNGs carry the figure's structure
        (structure.py)."""
        with matplotlib.rc_context({"svg.hashsalt": "trainsim"}):
            self.write(lambda f: fig.savefig(f, format=self.format, dpi=dpi,
                                             metadata=image_metadata(fig, self.format)))

    def _commit(self, tmp):
        try:
            if self.force:
                _refuse_non_regular(self.path)  # it may have changed while drawing
                os.replace(tmp, self.path)
                return
            if not _renameat2_noreplace(tmp, self.path):
                os.link(tmp, self.path)  # fails if the target exists; then drop the temporary
                os.unlink(tmp)
        except FileExistsError:
            raise OutputError(f"'{self.path}' appeared while the plot was drawn (another run?); "
                              "not replaced: pass --force to replace it") from None
        except OSError as e:
            raise OutputError(f"cannot write '{self.path}': {e.strerror}") from None
