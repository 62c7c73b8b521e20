"""Results print with at least 4 significant digits (issue 10: "20 s" for 19.971 s; compare's
header printed Megatron's rule as "0.0464 s"). The rule lives in core/units (format_significant,
format_percent, format_time, ...) and the table printer; a fixed number of decimals elsewhere in
sim/ drops digits of small values, so each such call must say why decimals are right there
(a comment "fixed decimals: <why>" on its line or the line above): elapsed wall time, ranks,
correlations, a column's declared precision."""
import re
from pathlib import Path

SIM = Path(__file__).resolve().parents[2] / "sim"
EXEMPT = {"core", "output"}  # where the printing rules themselves live


def unexplained_fixed_decimals(root=SIM):
    found = []
    for path in sorted(root.rglob("*.cpp")) + sorted(root.rglob("*.hpp")):
        if path.relative_to(root).parts[0] in EXEMPT:
            continue
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if re.search(r"\bformat_fixed\(", line) and not any(
                    "fixed decimals:" in l for l in lines[max(0, i - 1):i + 1]):
                found.append(f"{path.relative_to(root)}:{i + 1}: {line.strip()}")
    return found


def test_no_result_is_printed_with_fixed_decimals_without_a_reason():
    assert unexplained_fixed_decimals() == []


def test_the_check_finds_an_unexplained_call(tmp_path):
    (tmp_path / "cli").mkdir()
    (tmp_path / "cli" / "x.cpp").write_text('os << output::format_fixed(seconds, 4) << " s";\n'
                                            '// fixed decimals: ranks\nos << output::format_fixed(rank, 0);\n')
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "units.cpp").write_text("return format_fixed(value, 0);\n")
    assert unexplained_fixed_decimals(tmp_path) == ["cli/x.cpp:1: os << output::format_fixed(seconds, 4) << \" s\";"]
