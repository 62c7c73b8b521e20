"""A fresh clone of the repository for tests that run documented commands verbatim (this module
holds no test): the tracked files of the working tree copied into a scratch folder, as `git
clone` would give them (no build folder, no out/), with the binary under test linked in at
build/sim/trainsim, where the README and the tutorial call it."""
import os
import shutil
import subprocess
from pathlib import Path

from test_plots_support import REPO, trainsim


def fresh_clone(dest):
    """Copies every file `git ls-files` lists (as it is in the working tree) into `dest`."""
    dest = Path(dest)
    files = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True).stdout
    for name in files.decode().split("\0"):
        if not name:
            continue
        src, dst = REPO / name, dest / name
        if not os.path.lexists(src):
            continue  # deleted in the working tree, not yet committed
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
    exe = dest / "build" / "sim" / "trainsim"
    exe.parent.mkdir(parents=True)
    os.symlink(trainsim().resolve(), exe)
    assert not (dest / "out").exists()
    return dest


def run_verbatim(command, cwd, timeout=600):
    """Runs one documented shell command as written (bash, from `cwd`)."""
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=timeout)
