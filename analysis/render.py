"""One report, two renderings: Markdown (images beside it) and self-contained HTML.

A report is a list of blocks, built once (analysis.report) and rendered twice, so the two
files cannot disagree. Blocks are tuples:

    ("h1" | "h2" | "h3", text)      ("p", text)        ("list", [text, ...])
    ("table", DataFrame)            ("pre", text)      ("img", path, caption)

HTML embeds each image as a base64 data URI and uses no script, font or stylesheet from
anywhere else: the file opens from a mail attachment or a bucket without a server.
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path

import pandas as pd

CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; max-width: 1150px;
       margin: 2em auto; padding: 0 1em; color: #1b1b1b; line-height: 1.45; }
h1 { border-bottom: 2px solid #ddd; padding-bottom: .2em; }
h2 { margin-top: 2em; border-bottom: 1px solid #eee; }
table { border-collapse: collapse; margin: .8em 0; font-size: 13px; }
th, td { border: 1px solid #d0d0d0; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 1em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #555; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: 12px; }
code { background: #f3f3f3; padding: 0 .2em; }
"""


def to_markdown(blocks: list[tuple], base: Path) -> str:
    """Markdown with image paths relative to `base` (the directory the file is written to)."""
    out = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            out.append("#" * int(kind[1]) + " " + block[1])
        elif kind == "p":
            out.append(block[1])
        elif kind == "list":
            out.append("\n".join(f"- {item}" for item in block[1]))
        elif kind == "table":
            out.append(markdown_table(block[1]))
        elif kind == "pre":
            out.append("```\n" + block[1].rstrip("\n") + "\n```")
        elif kind == "img":
            rel = Path(os.path.relpath(block[1], base)).as_posix()
            alt = block[2].replace("[", "\\[").replace("]", "\\]")
            out.append(f"![{alt}]({rel})\n\n*{alt}*")
    return "\n\n".join(out) + "\n"


def markdown_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "*(none)*"
    cells = lambda row: "| " + " | ".join(str(v).replace("|", "\\|").replace("\n", " ") for v in row) + " |"  # noqa: E731
    lines = [cells(df.columns), "|" + "---|" * len(df.columns)]
    lines += [cells(row) for row in df.itertuples(index=False)]
    return "\n".join(lines)


def to_html(blocks: list[tuple], title: str) -> str:
    body = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            body.append(f"<{kind}>{inline(block[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{inline(block[1])}</p>")
        elif kind == "list":
            body.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            body.append(html_table(block[1]))
        elif kind == "pre":
            body.append(f"<pre>{html.escape(block[1])}</pre>")
        elif kind == "img":
            body.append(html_image(Path(block[1]), block[2]))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def inline(text: str) -> str:
    """Escape, then render `code` spans and **bold** (the only inline Markdown used)."""
    parts = html.escape(text).split("`")
    out = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    pieces = out.split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(pieces))


def html_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "<p><em>(none)</em></p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def html_image(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f"<figure><img alt=\"{html.escape(caption)}\" src=\"data:image/png;base64,{data}\">"
            f"<figcaption>{inline(caption)}</figcaption></figure>")
