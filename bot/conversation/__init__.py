"""The conversation pipeline, independent of Telegram: incoming message -> replies, stored."""

from bot.conversation.model import Incoming, Outcome
from bot.conversation.service import ConversationService

__all__ = ["ConversationService", "Incoming", "Outcome"]
