"""Telegram HTML shown in the dashboard as Telegram shows it, and nothing more.

The preview is the bot's own rendering of an editor's draft. It is rebuilt tag by tag:
only Telegram's formatting tags survive (links only with http(s) targets, opening in a new
tab without referrer); every other tag, attribute and all text is escaped. So even a draft
that smuggles markup into the renderer cannot put a script or a form on the page.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from urllib.parse import urlparse

from markupsafe import Markup

_FORMATTING = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}


class _Rebuild(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FORMATTING:
            self.open.append(_FORMATTING[tag])
            self.out.append(f"<{_FORMATTING[tag]}>")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if urlparse(href).scheme in {"http", "https"}:
                safe = html.escape(href, quote=True)
                self.out.append(f'<a href="{safe}" target="_blank" rel="noopener noreferrer">')
            else:
                self.out.append("<a>")
            self.open.append("a")

    def handle_endtag(self, tag: str) -> None:
        name = "a" if tag == "a" else _FORMATTING.get(tag)
        if name and name in self.open:
            while self.open:  # close what is still open inside, keeping the result nested
                closing = self.open.pop()
                self.out.append(f"</{closing}>")
                if closing == name:
                    break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{name}>" for name in reversed(self.open))


def preview_markup(telegram_html: str) -> Markup:
    """Telegram HTML as safe dashboard HTML (Telegram's tags only, everything else text)."""
    rebuild = _Rebuild()
    rebuild.feed(telegram_html)
    return Markup(rebuild.result())  # noqa: S704 - rebuilt above from an allow-list
