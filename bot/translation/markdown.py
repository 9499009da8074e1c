"""Translating our small Markdown (content/README.md) without breaking it.

A translation service treats `**`, `[text](url)` and URLs as words: it moves, spaces or
translates them. So the service never sees them. Line by line:

- the bullet (`- `) and a leading bold label (`**Nächster Schritt:**`) are kept aside; the
  label is translated on its own (it is a phrase of its own anyway);
- inline links, bold terms and bare URLs become numbered placeholders (`⟦1⟧`) in the
  sentence, so the sentence is translated whole and word order can change around them;
  link texts and bold terms are translated on their own, URLs never;
- if a placeholder does not come back exactly once, the line is translated again piece by
  piece between the markup: clumsier, but the markup is always intact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.content.variants import is_marker
from bot.translation import Translator

_BULLET = re.compile(r"^(\s*[-*]\s+)")
_LABEL = re.compile(r"^\*\*([^*\n]+?)\*\*(\s*)")
_INLINE = re.compile(
    r"\[(?P<link>[^\]\n]+)\]\((?P<url>[^)\s]+)\)"
    r"|\*\*(?P<bold>[^*\n]+?)\*\*"
    r"|(?P<bare>https?://[^\s)\]]+[^\s)\].,;:!?])"
)


def _placeholder(number: int) -> str:
    return f"⟦{number}⟧"


@dataclass(frozen=True)
class _Markup:
    """One protected piece: how it is written, and its translatable text (if any)."""

    kind: str  # link | bold | bare
    text: str
    url: str = ""

    def render(self, translated: str) -> str:
        if self.kind == "link":
            return f"[{translated}]({self.url})"
        if self.kind == "bold":
            return f"**{translated}**"
        return self.text


class _Untranslated(Exception):
    """A piece got no translation: the whole text has none."""


class MarkdownTranslator:
    def __init__(self, translator: Translator, source: str, target: str) -> None:
        self.translator = translator
        self.source = source
        self.target = target

    async def _plain(self, text: str) -> str:
        if not text.strip() or not any(c.isalpha() for c in text):
            return text
        translated = await self.translator.translate(text, self.source, self.target)
        if translated is None:
            raise _Untranslated
        return translated

    async def translate(self, text: str) -> str | None:
        """`text` in the target language with its Markdown intact, or None."""
        try:
            return "\n".join([await self._line(line) for line in text.split("\n")])
        except _Untranslated:
            return None

    async def _line(self, line: str) -> str:
        if not line.strip() or is_marker(line):  # a residence-status variant starts here
            return line
        bullet = _BULLET.match(line)
        prefix = bullet.group(1) if bullet else ""
        rest = line[len(prefix) :]
        label = _LABEL.match(rest)
        if label:
            label_text = await self._plain(label.group(1))
            prefix += f"**{label_text}**{label.group(2)}"
            rest = rest[label.end() :]
        return prefix + await self._sentence(rest)

    async def _sentence(self, text: str) -> str:
        markups: list[_Markup] = []
        fragments: list[str] = []  # the text between markups (len = len(markups) + 1)
        position = 0
        for match in _INLINE.finditer(text):
            fragments.append(text[position : match.start()])
            if match.group("link") is not None:
                markups.append(_Markup("link", match.group("link"), match.group("url")))
            elif match.group("bold") is not None:
                markups.append(_Markup("bold", match.group("bold")))
            else:
                markups.append(_Markup("bare", match.group(0)))
            position = match.end()
        fragments.append(text[position:])
        if not markups:
            return await self._plain(text)
        rendered = [
            m.render(await self._plain(m.text) if m.kind != "bare" else m.text) for m in markups
        ]
        template = fragments[0] + "".join(
            _placeholder(i) + fragment for i, fragment in enumerate(fragments[1:])
        )
        if any(c.isalpha() for c in _strip_placeholders(template)):
            translated = await self._plain(template)
            if all(translated.count(_placeholder(i)) == 1 for i in range(len(markups))):
                for i, piece in enumerate(rendered):
                    translated = translated.replace(_placeholder(i), piece)
                return translated
        # The service moved or lost a placeholder: translate the pieces between the markup.
        pieces = [await self._plain(fragments[0])]
        for piece, fragment in zip(rendered, fragments[1:], strict=True):
            pieces.extend([piece, await self._plain(fragment)])
        return "".join(pieces)


def _strip_placeholders(text: str) -> str:
    return re.sub(r"⟦\d+⟧", "", text)


async def translate_markdown(
    translator: Translator, text: str, source: str, target: str
) -> str | None:
    """`text` (content Markdown) in `target`, links, URLs and bold intact; None if it failed."""
    return await MarkdownTranslator(translator, source, target).translate(text)
