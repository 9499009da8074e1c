"""Right-to-left answers that contain German terms, URLs, numbers and case numbers.

In an Arabic, Dari or Pashto sentence, a Latin run like "Ausländerbehörde" or "GK-00012"
or "§ 60c AufenthG" can be reordered by the Unicode bidi algorithm: punctuation and numbers
around it jump to the wrong side. Wrapping each left-to-right run in a left-to-right isolate
(U+2066 … U+2069) keeps it in one piece and in place. Only text between HTML tags is touched,
so markup and links stay intact.
"""

from __future__ import annotations

import html
import re

from bot.languages import LANGUAGES

LRI = "\u2066"  # left-to-right isolate
PDI = "\u2069"  # pop directional isolate

_TAG = re.compile(r"(<[^>]+>)")
# A left-to-right run: starts and ends with a Latin letter, digit or §, may contain spaces,
# and the punctuation that belongs inside German terms, URLs, numbers and case numbers.
_LTR_CHAR = r"A-Za-zÀ-ÖØ-öø-ÿĀ-žẞ0-9§"
# A leading "/" keeps commands such as /status in one piece.
_LTR_RUN = re.compile(rf"/?[{_LTR_CHAR}](?:[{_LTR_CHAR}\-–./:_@%+,()'’ ]*[{_LTR_CHAR})])?")


def is_rtl(language: str) -> bool:
    info = LANGUAGES.get(language)
    return bool(info and info.rtl)


def _isolate_run(match: re.Match[str]) -> str:
    """One run in an isolate; a closing bracket it did not open stays outside."""
    run = match.group(0)
    tail = ""
    while run.endswith(")") and run.count(")") > run.count("("):
        run, tail = run[:-1], ")" + tail
    return f"{LRI}{run}{PDI}{tail}"


def _isolate_text(text: str) -> str:
    plain = html.unescape(text)
    if LRI in plain:  # already isolated (idempotent)
        return text
    isolated = _LTR_RUN.sub(_isolate_run, plain)
    return html.escape(isolated, quote=False)


def isolate_ltr_runs(telegram_html: str) -> str:
    """Telegram HTML with every left-to-right run of its text wrapped in an isolate."""
    parts = _TAG.split(telegram_html)
    return "".join(part if _TAG.fullmatch(part) else _isolate_text(part) for part in parts)


def for_language(telegram_html: str, language: str) -> str:
    """Isolates for right-to-left languages; other languages are returned unchanged."""
    return isolate_ltr_runs(telegram_html) if is_rtl(language) else telegram_html
