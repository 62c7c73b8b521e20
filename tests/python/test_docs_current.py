"""Every generated table in docs/ matches what its script produces now (docs/gen/docgen.py)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("TRAINSIM_SOURCE_DIR", Path(__file__).resolve().parents[2]))
SCRIPTS = sorted(p for p in (ROOT / "docs" / "gen").glob("*.py") if p.name != "docgen.py" and not p.name.startswith("_"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_generated_docs_are_current(script):
    r = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"{script.name} --check failed:\n{r.stdout[-4000:]}\n{r.stderr[-2000:]}"


def test_replace_block_rewrites_only_the_block():
    sys.path.insert(0, str(ROOT / "docs" / "gen"))
    import docgen
    text = "a\n<!-- BEGIN GENERATED t by docs/gen/x.py -->\nold\n<!-- END GENERATED t -->\nb\n"
    out = docgen.replace_block(text, "t", "new\n")
    assert out == "a\n<!-- BEGIN GENERATED t by docs/gen/x.py -->\nnew\n<!-- END GENERATED t -->\nb\n"
    with pytest.raises(SystemExit):
        docgen.replace_block("no markers\n", "t", "x\n")
