"""A second look in German when the NLU is unsure about a message in another language.

The twelve-language model is weakest where its training data is thinnest. When a translator
is configured and the first reading is a fallback or unsure, the German translation of the
message is classified too; if that reading is sure of one of our answers, Rasa gets that
intent (as a button would send it). The user's own words stay what is logged and shown.
"""

from __future__ import annotations

from typing import Any

from bot.rasa.client import RasaClient
from bot.translation import NoTranslator, Translator, to_german

UNSURE_BELOW = 0.5  # a first reading under this confidence gets a second look
SURE_FROM = 0.5  # the German reading must be at least this sure (and surer than the first)


def _reading(parsed: dict[str, Any]) -> tuple[str, float]:
    intent = parsed.get("intent") or {}
    return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)


async def message_for_rasa(
    rasa: RasaClient, translator: Translator, text: str, language: str
) -> str:
    """`text` itself, or `/ask_<key>` when only its German translation is understood."""
    if isinstance(translator, NoTranslator) or text.startswith("/") or language == "de":
        return text
    first, first_confidence = _reading(await rasa.parse(text))
    if first != "nlu_fallback" and first_confidence >= UNSURE_BELOW:
        return text
    german = await to_german(translator, text, language)
    if german is None:
        return text
    second, confidence = _reading(await rasa.parse(german))
    if second.startswith("ask_") and confidence >= SURE_FROM and confidence > first_confidence:
        return f"/{second}"
    return text
