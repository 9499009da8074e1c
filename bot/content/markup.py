"""Markdown-lite (content files) to Telegram HTML, and splitting at Telegram's limit.

Everything is escaped first, then only our small, known syntax is turned into tags, so no
text from a file (or a user) can inject markup.
"""

from __future__ import annotations

import html
import re

TELEGRAM_LIMIT = 4096

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_TAG = re.compile(r"<[^>]+>")


def to_telegram_html(markdown: str) -> str:
    """Paragraphs, `- ` bullets, **bold** and [links](https://…) as Telegram HTML."""
    out_lines = []
    for line in markdown.strip().splitlines():
        stripped = line.strip()
        bullet = stripped.startswith(("- ", "* "))
        text = stripped[2:] if bullet else stripped
        text = html.escape(text, quote=False)
        text = _LINK.sub(
            lambda m: (
                f'<a href="{html.escape(html.unescape(m.group(2)), quote=True)}">{m.group(1)}</a>'
            ),
            text,
        )
        text = _BOLD.sub(r"<b>\1</b>", text)
        out_lines.append(f"• {text}" if bullet else text)
    return "\n".join(out_lines)


def to_plain_text(telegram_html: str) -> str:
    """What a terminal (or a log-free export) shows: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", telegram_html))


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split HTML text into parts under `limit`, at paragraph, then line, then word borders.

    Our tags never span lines, so cutting between lines keeps every part well-formed.
    """
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for block in _pieces(text, limit):
        candidate = f"{current}\n{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                parts.append(current)
            current = block
    if current:
        parts.append(current)
    return parts


def _pieces(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    for line in text.split("\n"):
        if len(line) <= limit:
            pieces.append(line)
            continue
        # A single over-long line: drop its markup and cut at spaces.
        plain = html.escape(to_plain_text(line), quote=False)
        while len(plain) > limit:
            cut = plain.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            amp = plain.rfind("&", 0, cut)  # never cut inside an entity like &amp;
            if amp != -1 and ";" not in plain[amp:cut]:
                cut = amp
            pieces.append(plain[:cut])
            plain = plain[cut:].lstrip()
        pieces.append(plain)
    return pieces
