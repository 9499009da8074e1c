"""Would Telegram accept this HTML? A strict reading of its small HTML subset.

Telegram rejects a message with unknown or mis-nested tags (the sender then falls back to
plain text, and the user sees neither bold nor links), so `content check` reads every
rendered answer with the rules of the Bot API's "HTML style" before it is published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlparse

# Tag -> attributes Telegram accepts on it (Bot API, "Formatting options", HTML style).
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "tg-spoiler": frozenset(),
    "span": frozenset({"class"}),  # only class="tg-spoiler"
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
}
LINK_SCHEMES = ("https", "http", "tg")
NAMED_ENTITIES = {"lt", "gt", "amp", "quot"}
_URL_CHARS = re.compile(r"[\s<>\"']")


@dataclass(frozen=True)
class MarkupProblem:
    line: int  # 1-based line of the checked text
    message: str


def link_target_problem(href: str) -> str | None:
    """Why Telegram (or the user) cannot follow this link target, or None."""
    url = urlparse(href)
    if url.scheme not in LINK_SCHEMES:
        return f"link target must start with https:// (or tg://), got '{href}'"
    if _URL_CHARS.search(href):
        return f"link target contains a space, quote or angle bracket: '{href}'"
    if url.scheme in {"http", "https"} and "." not in (url.hostname or ""):
        return f"link target has no valid host name: '{href}'"
    return None


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[tuple[str, int]] = []
        self.problems: list[MarkupProblem] = []

    def _problem(self, message: str) -> None:
        self.problems.append(MarkupProblem(self.getpos()[0], message))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self._problem(f"<{tag}> is not a tag Telegram knows")
            return
        for name, value in attrs:
            if name not in ALLOWED_TAGS[tag]:
                self._problem(f"<{tag}> cannot have the attribute '{name}'")
            elif tag == "span" and value != "tg-spoiler":
                self._problem('<span> is only allowed as <span class="tg-spoiler">')
        if tag == "a":
            href = dict(attrs).get("href")
            problem = link_target_problem(href or "") if href else "<a> without href"
            if problem:
                self._problem(problem)
            if any(name == "a" for name, _ in self.open):
                self._problem("a link inside a link")
        if any(name in {"code", "pre"} for name, _ in self.open) and not (
            tag == "code" and self.open[-1][0] == "pre"
        ):
            self._problem(f"<{tag}> inside <code>/<pre> is shown as text")
        self.open.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._problem(f"<{tag}/> (self-closing) is not allowed in Telegram HTML")

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS:
            self._problem(f"</{tag}> is not a tag Telegram knows")
            return
        if not self.open:
            self._problem(f"</{tag}> closes nothing")
            return
        name, line = self.open[-1]
        if name != tag:
            self._problem(f"</{tag}> closes <{name}> (opened on line {line}): tags cross")
            # Report the crossing once: forget the tag it closes, keep the others open.
            for index in range(len(self.open) - 1, -1, -1):
                if self.open[index][0] == tag:
                    del self.open[index]
                    break
            return
        self.open.pop()

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            self._problem(f"&{name}; is not an entity Telegram knows (only &lt; &gt; &amp; &quot;)")

    def handle_comment(self, data: str) -> None:
        self._problem("HTML comments are not allowed")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self._problem("an unescaped '<' or '>'")
        bare_amp = re.search(r"&(?!#?\w+;)", data)
        if bare_amp:
            self._problem("an unescaped '&'")

    def close(self) -> None:
        super().close()
        for name, line in self.open:
            self.problems.append(MarkupProblem(line, f"<{name}> is never closed"))


def markup_problems(text: str) -> list[MarkupProblem]:
    """Everything Telegram would reject in `text` (HTML parse mode), with line numbers."""
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return reader.problems
