"""PTB handlers: turn a Telegram update into an `Incoming` and hand it to the conversation.

Handlers stay thin on purpose; what to answer is decided in `bot.conversation`, the same
for Telegram and the terminal chat.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.conversation import ConversationService, Incoming
from bot.telegram.files import TelegramFiles, file_ref_from_message

logger = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE

BOT_COMMANDS = (
    "start",
    "help",
    "language",
    "paper",
    "human",
    "back",
    "status",
    "privacy",
    "delete",
)


def _non_text_kind(message: Message) -> str:
    if message.voice or message.audio or message.video_note:
        return "voice"
    if message.photo or message.document:
        return "photo"  # a letter, maybe: can go to a case
    if message.sticker or message.animation:
        return "sticker"
    if message.location or message.venue:
        return "location"
    return "other"


def _client_language(update: Update) -> str | None:
    user = update.effective_user
    return user.language_code if user else None


class TelegramHandlers:
    def __init__(self, service: ConversationService) -> None:
        self.service = service
        self.max_file_bytes = service.settings.attachment_max_bytes

    def _files(self, context: ContextTypes.DEFAULT_TYPE) -> TelegramFiles:
        """Downloads a photo or document for a case through this bot's connection."""
        return TelegramFiles(context.bot, self.max_file_bytes)

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, self.on_command))
        application.add_handler(MessageHandler(PRIVATE & filters.TEXT, self.on_text))
        application.add_handler(CallbackQueryHandler(self.on_callback))
        application.add_handler(MessageHandler(PRIVATE, self.on_non_text))

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start, /help, … (and unknown commands, which get the help text)."""
        message = update.effective_message
        assert message is not None and message.text is not None
        command = message.text.split()[0][1:].split("@")[0].lower()
        await self.service.handle(
            Incoming(
                update.update_id,
                message.chat_id,
                "command",
                command,
                client_language=_client_language(update),
            )
        )

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A typed message: a question, or an answer within the handoff dialogue."""
        message = update.effective_message
        assert message is not None
        await self.service.handle(
            Incoming(
                update.update_id,
                message.chat_id,
                "text",
                message.text or "",
                client_language=_client_language(update),
            )
        )

    async def on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Photos and documents (for a case), voice, stickers …: never silence."""
        message = update.effective_message
        assert message is not None
        kind = _non_text_kind(message)
        file = file_ref_from_message(message.to_dict(), self.max_file_bytes)
        await self.service.handle(
            Incoming(
                update.update_id,
                message.chat_id,
                "non_text",
                text=file.caption if file else "",
                non_text_kind=kind,
                client_language=_client_language(update),
                file=file,
            ),
            self._files(context),
        )

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pressed inline button."""
        query = update.callback_query
        assert query is not None
        try:
            await query.answer()  # stops the spinner; harmless if the query is too old
        except TelegramError as exc:
            logger.debug("could not answer callback query: %s", exc)
        chat_id = query.message.chat.id if query.message else query.from_user.id
        message_id = query.message.message_id if query.message else None
        await self.service.handle(
            Incoming(
                update.update_id,
                chat_id,
                "callback",
                query.data or "",
                client_language=query.from_user.language_code,
                callback_message_id=message_id,
            ),
            self._files(context),
        )
