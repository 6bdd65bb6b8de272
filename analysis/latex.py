"""The report's tables as LaTeX, ready for a paper: DIR/tables/<section>.tex.

Each table block of the report becomes one `table` environment written by pandas'
`Styler.to_latex` with booktabs rules (\\toprule, \\midrule, \\bottomrule: `\\usepackage{booktabs}`),
its caption the section heading, its label `tab:<name>`, every cell and header escaped for
LaTeX. The values are the report's own strings, so the LaTeX and the HTML agree digit for digit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "table"


def to_latex(df: pd.DataFrame, caption: str, label: str) -> str:
    shown = df.copy()
    shown.columns = [str(c) for c in shown.columns]
    shown = shown.astype(object).where(shown.notna(), "--")
    styler = shown.style.hide(axis="index").format(escape="latex").format_index(escape="latex", axis=1)
    return styler.to_latex(hrules=True, caption=caption.replace("`", ""), label=f"tab:{label}",
                           position="htbp", position_float="centering")


def write_tables(blocks: list[tuple], out: Path) -> list[Path]:
    """One .tex per table block, named after the heading above it; returns the files."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.tex"):  # no table of an earlier report lingers
        old.unlink()
    written, heading, seen = [], "table", {}
    for block in blocks:
        if block[0] in ("h2", "h3"):
            heading = block[1]
        elif block[0] == "table" and isinstance(block[1], pd.DataFrame) and len(block[1]):
            name = slug(heading)
            seen[name] = seen.get(name, 0) + 1
            name = name if seen[name] == 1 else f"{name}-{seen[name]}"
            path = out / f"{name}.tex"
            path.write_text(to_latex(block[1], heading, name))
            written.append(path)
    return written
