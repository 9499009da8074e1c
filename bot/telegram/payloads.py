"""A Reply as Bot API calls: split at Telegram's limit, buttons on the last part, HTML mode."""

from __future__ import annotations

from typing import Any

from bot.content.markup import split_message
from bot.i18n.bidi import for_language
from bot.replies import Reply


def _keyboard(reply: Reply) -> dict[str, Any] | None:
    if not reply.buttons:
        return None
    return {
        "inline_keyboard": [
            [{"text": button.text, "callback_data": button.data} for button in row]
            for row in reply.buttons
        ]
    }


def reply_to_bot_api(reply: Reply, chat_id: int) -> list[tuple[str, dict[str, Any]]]:
    """(method, parameters) pairs; an edit stays a single call (menus are short).

    Right-to-left replies get directional isolates around German terms, numbers, URLs and
    case numbers here, at the last step, so every message of the bot gets them.
    """
    keyboard = _keyboard(reply)
    text = for_language(reply.text, reply.language)
    common: dict[str, Any] = {
        "chat_id": chat_id,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    if reply.edit_message_id is not None:
        payload = {**common, "message_id": reply.edit_message_id, "text": text}
        if keyboard:
            payload["reply_markup"] = keyboard
        return [("editMessageText", payload)]
    parts = split_message(text)
    calls: list[tuple[str, dict[str, Any]]] = []
    for index, part in enumerate(parts):
        payload = {**common, "text": part}
        if keyboard and index == len(parts) - 1:
            payload["reply_markup"] = keyboard
        calls.append(("sendMessage", payload))
    return calls
