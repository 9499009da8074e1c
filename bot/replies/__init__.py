"""The reply model shared by the bot, the Rasa actions and the dashboard.

`model` (Reply, Button, CaseRequest), `callbacks` (button data) and `compose` (replies built
from content and bot strings). Nothing here imports python-telegram-bot, so the action server
can use it too.
"""

from bot.replies.model import PAYLOAD_MARKER, Button, CaseRequest, Reply, is_reply_payload

__all__ = ["PAYLOAD_MARKER", "Button", "CaseRequest", "Reply", "is_reply_payload"]
