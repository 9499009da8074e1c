"""One turn of the conversation, exactly once: read state, ask Rasa, then commit everything.

The Rasa call happens outside any database transaction. Afterwards one transaction writes
the chat, the logged messages, a new case (if the user completed the handoff), the outbox
rows and marks the inbox update done — so a crash leaves either nothing or everything.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.content.markup import to_plain_text
from bot.content.store import ContentStore
from bot.conversation.language import LanguageChoice, choose_language
from bot.conversation.model import Incoming, Outcome
from bot.conversation.router import CaseSummary, Router
from bot.db.models import Chat, InboxUpdate
from bot.i18n import has_language, t
from bot.languages import LANGUAGES
from bot.privacy import pseudonymise
from bot.rasa.client import RasaClient, RasaTurn, RasaUnavailable
from bot.replies import Reply, compose
from bot.storage import cases, chats, inbox, log, outbox
from bot.telegram.payloads import reply_to_bot_api

logger = logging.getLogger(__name__)

RASA_RETRY_DELAYS = (5, 10, 30, 60)


def rasa_retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=RASA_RETRY_DELAYS[min(attempts, len(RASA_RETRY_DELAYS)) - 1])


class ConversationService:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        store: ContentStore,
        rasa: RasaClient,
        forget_in_rasa: Callable[[str], object],
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.store = store
        self.rasa = rasa
        self.router = Router(store, settings.retention_days, settings.max_question_chars)
        self.forget_in_rasa = forget_in_rasa
        self.on_outbox = on_outbox

    async def handle(self, incoming: Incoming) -> None:
        """Process one stored update; raises only for unexpected errors (the caller retries)."""
        async with self.sessions() as session:
            chat = await session.get(Chat, incoming.chat_id)
            row = await session.get(InboxUpdate, incoming.update_id)
            attempts = row.attempts if row else 1
            stored_language = chat.language if chat else None
            chosen = chat.language_chosen if chat else False
        pseudonym = pseudonymise(incoming.chat_id, self.settings.pseudonym_key)
        detect_from = incoming.text if incoming.kind == "text" else ""
        language = choose_language(
            detect_from,
            stored_language,
            chosen,
            incoming.client_language,
            self.settings.default_language,
        )

        async def ask_rasa(message: str) -> RasaTurn:
            metadata = {"language": language.reply_language, "update_id": incoming.update_id}
            return await self._ask_rasa(pseudonym, message, metadata, incoming.update_id, attempts)

        async def list_cases() -> list[CaseSummary]:
            async with self.sessions() as session:
                found = await cases.cases_of_chat(session, incoming.chat_id)
            return [CaseSummary(c.id, c.topic, c.status, c.created_at.date()) for c in found]

        try:
            outcome = await self.router.route(
                incoming, language.reply_language, ask_rasa, list_cases
            )
        except RasaUnavailable as exc:
            await self._postpone(incoming, language.reply_language, attempts, str(exc), pseudonym)
            return
        if outcome.chosen_language:
            language = LanguageChoice(outcome.chosen_language, outcome.chosen_language, True)
        if (
            language.changed
            and not has_language(language.user_language)
            and language.user_language in LANGUAGES
        ):
            notice = compose.plain(
                "meta.language_unavailable",
                language.reply_language,
                user_language=LANGUAGES[language.user_language].native_name,
                fallback=t("language.name", language.reply_language),
            )
            outcome.replies.insert(0, notice)
        await self._commit(incoming, outcome, language, pseudonym)

    async def _ask_rasa(
        self, sender: str, message: str, metadata: dict[str, object], update_id: int, attempts: int
    ) -> RasaTurn:
        if attempts > 1:
            # We may have crashed after Rasa answered: take its answer instead of asking twice.
            earlier = await self.rasa.replies_for(sender, update_id)
            if earlier is not None:
                logger.info("update %s of %s: reusing Rasa's earlier answer", update_id, sender)
                return earlier
        turn = await self.rasa.send(sender, message, metadata)
        if not turn.replies:
            logger.warning("Rasa gave no reply for update %s of %s", update_id, sender)
            turn.replies = [
                compose.unclear(
                    self.store,
                    str(metadata["language"]),
                )
            ]
        return turn

    async def _postpone(
        self, incoming: Incoming, language: str, attempts: int, error: str, pseudonym: str
    ) -> None:
        """Rasa is unavailable: keep the update pending, apologise once per outage."""
        delay = rasa_retry_delay(attempts)
        logger.warning(
            "Rasa unavailable (%s); update %s of %s waits %ss (attempt %s)",
            error,
            incoming.update_id,
            pseudonym,
            int(delay.total_seconds()),
            attempts,
        )
        async with self.sessions.begin() as session:
            if await inbox.outage_apology_due(session, incoming.chat_id):
                apology = compose.plain("meta.unavailable", language)
                self._enqueue(session, incoming, apology)
                await inbox.mark_apology_sent(session, incoming.update_id)
            await inbox.schedule_retry(session, incoming.update_id, delay, error)
        self.on_outbox()

    async def _commit(
        self, incoming: Incoming, outcome: Outcome, language: LanguageChoice, pseudonym: str
    ) -> None:
        async with self.sessions.begin() as session:
            if outcome.erase_chat:
                await chats.erase(session, incoming.chat_id, keep_update_id=incoming.update_id)
                await asyncio.to_thread(self.forget_in_rasa, pseudonym)
                logger.info("erased all data of %s on request", pseudonym)
                for reply in outcome.replies:
                    self._enqueue(session, incoming, reply)
                await inbox.mark_done(session, incoming.update_id)
            else:
                await self._store_turn(session, incoming, outcome, language)
        self.on_outbox()

    async def _store_turn(
        self, session: AsyncSession, incoming: Incoming, outcome: Outcome, language: LanguageChoice
    ) -> None:
        chat = await chats.get_or_create(session, incoming.chat_id, self.settings.pseudonym_key)
        if language.changed or outcome.chosen_language:
            await chats.set_language(
                session, chat, language.user_language, chosen=bool(outcome.chosen_language)
            )
        inbound = log.log_message(
            session,
            incoming.chat_id,
            "in",
            outcome.logged_text,
            language=language.user_language,
            intent=outcome.intent,
            confidence=outcome.confidence,
            content_key=outcome.content_key,
            update_id=incoming.update_id,
        )
        await session.flush()  # the transcript of a new case includes this message
        for reply in outcome.replies:
            if reply.open_case is not None:
                case = await cases.open_case(
                    session,
                    incoming.chat_id,
                    topic=reply.open_case.topic,
                    language=language.user_language,
                    description=reply.open_case.description,
                    contact=reply.open_case.contact,
                    source_update_id=incoming.update_id,
                )
                reply.case_id = inbound.case_id = case.id
                reply.text = self._case_opened_text(
                    case.id, reply.open_case.contact, reply.language
                )
                logger.info("case %s opened for %s", cases.case_number(case.id), chat.pseudonym)
            log.log_message(
                session,
                incoming.chat_id,
                "out",
                to_plain_text(reply.text),
                language=reply.language,
                content_key=reply.key,
                case_id=reply.case_id,
                update_id=incoming.update_id,
            )
            self._enqueue(session, incoming, reply)
        await inbox.mark_done(session, incoming.update_id)

    def _case_opened_text(self, case_id: int, contact: str, language: str) -> str:
        contact_key = (
            "handoff.contact_telegram" if contact == "telegram" else "handoff.contact_other"
        )
        return t(
            "handoff.opened",
            language,
            case_number=cases.case_number(case_id),
            days=self.settings.case_response_days,
            contact=t(contact_key, language),
        )

    @staticmethod
    def _enqueue(session: AsyncSession, incoming: Incoming, reply: Reply) -> None:
        for method, payload in reply_to_bot_api(reply, incoming.chat_id):
            outbox.enqueue(session, incoming.chat_id, method, payload, incoming.update_id)
