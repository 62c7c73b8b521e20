"""Tables of figures in docs/ are produced by scripts, never typed by hand.

A generated block in a Markdown file sits between two marker lines:

    <!-- BEGIN GENERATED <name> by docs/gen/<script>.py -->
    ...generated text...
    <!-- END GENERATED <name> -->

Each script docs/gen/<script>.py computes its blocks (usually by running the `trainsim` binary)
and hands them to `main()`, which rewrites the blocks in place, or with `--check` only compares
them and fails with a diff when a doc is stale. CI runs every script with `--check`
(tests/python/test_docs_current.py), so a doc whose figures no longer match the code fails the
test suite.

Usage of a script:  /usr/bin/python3 docs/gen/<script>.py [--check] [--trainsim PATH]
"""
import argparse
import difflib
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _markers(name):
    begin = re.compile(r"^<!-- BEGIN GENERATED " + re.escape(name) + r" by [^ ]+ -->\n", re.M)
    end = re.compile(r"^<!-- END GENERATED " + re.escape(name) + r" -->\n?", re.M)
    return begin, end


def replace_block(text, name, body, doc="doc"):
    """Returns `text` with the block `name` replaced by `body` (a string ending in a newline)."""
    begin, end = _markers(name)
    b = begin.search(text)
    if not b:
        raise SystemExit(f"{doc}: no '<!-- BEGIN GENERATED {name} by ... -->' marker line")
    e = end.search(text, b.end())
    if not e:
        raise SystemExit(f"{doc}: block '{name}' has no '<!-- END GENERATED {name} -->' line")
    if not body.endswith("\n"):
        body += "\n"
    return text[: b.end()] + body + text[e.start():]


def default_trainsim():
    """The trainsim binary: $TRAINSIM, else build/sim/trainsim in the repository."""
    return os.environ.get("TRAINSIM") or str(ROOT / "build" / "sim" / "trainsim")


def main(generate, description=""):
    """Runs a generator script. `generate(trainsim)` returns a list of (doc path relative to the
    repository root, block name, body text). Without --check the blocks are rewritten; with
    --check nothing is written and the exit status is 1 if any block differs."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--check", action="store_true", help="compare only; exit 1 if a doc is stale")
    ap.add_argument("--trainsim", default=default_trainsim(), help="the trainsim binary")
    args = ap.parse_args()
    blocks = generate(args.trainsim)
    docs = {}
    for doc, _, _ in blocks:
        docs.setdefault(doc, (ROOT / doc).read_text())
    new = dict(docs)
    for doc, name, body in blocks:
        new[doc] = replace_block(new[doc], name, body, doc)
    stale = [d for d in docs if docs[d] != new[d]]
    if args.check:
        for d in stale:
            sys.stdout.writelines(difflib.unified_diff(docs[d].splitlines(True), new[d].splitlines(True),
                                                       f"{d} (in the repository)", f"{d} (generated now)"))
        if stale:
            print(f"stale: {', '.join(stale)}; run {Path(sys.argv[0]).relative_to(ROOT)} to update",
                  file=sys.stderr)
            return 1
        return 0
    for d in stale:
        tmp = ROOT / (d + ".tmp")
        tmp.write_text(new[d])
        os.replace(tmp, ROOT / d)
        print(f"updated {d}")
    return 0
