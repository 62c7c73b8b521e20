"""What `trainsim.run(scenario)` and the others accept as a scenario (or a platform): a path,
a YAML text, or a dict, always handed to the command as a file."""
import os
from collections.abc import Mapping

SHOWN_TEXT = "<scenario text>"
SHOWN_DICT = "<scenario dict>"


def is_text(value):
    """A str is YAML text when it spans lines or is a one-line flow map (`{...}`); else a path."""
    return "\n" in value or value.lstrip().startswith("{")


def as_file(value, folder, stem="scenario"):
    """(path for the command, rename) for `value`: a path as given; a text or a dict written to
    `folder`/<stem>.yaml, with rename = (that path, how messages show it)."""
    if isinstance(value, os.PathLike):
        return os.fspath(value), None
    if isinstance(value, Mapping):
        import yaml  # Debian python3-yaml
        text, shown = yaml.safe_dump(dict(value), sort_keys=False, default_flow_style=False), SHOWN_DICT
    elif isinstance(value, str):
        if not is_text(value):
            return value, None
        text, shown = value, SHOWN_TEXT
    else:
        raise TypeError(f"a scenario is a path, a YAML text or a dict, not {type(value).__name__}")
    path = os.path.join(folder, stem + ".yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path, (path, shown)
