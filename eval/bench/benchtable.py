"""Plain-text tables for the bench scripts (first column left-aligned, numbers right-aligned)."""

from __future__ import annotations


def print_table(header: list[str], rows: list[list[str]], left: int = 1) -> None:
    """Print `rows` under `header`; the first `left` columns are left-aligned."""
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        pairs = enumerate(zip(line, widths, strict=True))
        cells = [c.ljust(w) if i < left or n == 0 else c.rjust(w) for i, (c, w) in pairs]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
