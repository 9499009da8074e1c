"""One turn of the conversation, exactly once: read state, ask Rasa, then commit everything.

The Rasa call (and downloading a file for a case) happens outside any database transaction.
Afterwards one transaction writes the chat, the logged messages, what happened to a case
(opened, a message or file added, withdrawn …), the outbox rows and marks the inbox update
done — so a crash leaves either nothing or everything.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.content.markup import to_plain_text
from bot.content.store import ContentStore
from bot.conversation import residence
from bot.conversation.attachments import fetch_into
from bot.conversation.case_flow import CaseFlow, chat_state
from bot.conversation.case_router import CaseRouter
from bot.conversation.language import LanguageChoice, choose_language
from bot.conversation.model import (
    CaseStep,
    FileSource,
    FileUnavailable,
    Incoming,
    Outcome,
)
from bot.conversation.router import Router
from bot.conversation.second_look import message_for_rasa
from bot.db.models import Chat, InboxUpdate
from bot.gaps import notify
from bot.i18n import has_language, t
from bot.languages import LANGUAGES
from bot.rasa.client import RasaClient, RasaTurn, RasaUnavailable
from bot.rasa.health import ActionServerUnavailable, RasaOutage, action_server_up
from bot.rasa.tracker_store import TrackerStoreUnavailable
from bot.replies import Reply, compose
from bot.replies import cases as case_replies
from bot.storage import case_queue, cases, chats, inbox, log, outbox
from bot.telegram.payloads import reply_to_bot_api
from bot.translation import NoTranslator, Translator

logger = logging.getLogger(__name__)

RASA_RETRY_DELAYS = (5, 10, 30, 60)
FILE_ATTEMPTS = 5  # then the user is asked to send the file again
_CONTACT_STEPS = frozenset({"ask_contact", "set_contact"})


def rasa_retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=RASA_RETRY_DELAYS[min(attempts, len(RASA_RETRY_DELAYS)) - 1])


class ConversationService:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        store: ContentStore,
        rasa: RasaClient,
        forget_in_rasa: Callable[[str], Awaitable[int]],
        on_outbox: Callable[[], None] = lambda: None,
        translator: Translator | None = None,
        rasa_outage: RasaOutage | None = None,
    ) -> None:
        self.settings = settings
        self.rasa_outage = rasa_outage  # told when turns fail and succeed (wakes the waiting)
        self.translator: Translator = translator or NoTranslator()
        self.sessions = sessions
        self.store = store
        self.rasa = rasa
        self.router = Router(store, settings.retention_days, settings.max_question_chars)
        self.case_router = CaseRouter()
        self.case_flow = CaseFlow(settings, store)
        self.forget_in_rasa = forget_in_rasa
        self.on_outbox = on_outbox

    async def handle(self, incoming: Incoming, files: FileSource | None = None) -> None:
        """Process one stored update; raises only for unexpected errors (the caller retries).

        `files` downloads a photo or document the user sent for a case (Telegram's getFile).
        """
        async with self.sessions() as session:
            chat = await session.get(Chat, incoming.chat_id)
            row = await session.get(InboxUpdate, incoming.update_id)
            attempts = row.attempts if row else 1
            # Tried before (a counted try, or one a database fault cut short): Rasa may
            # already have answered this update.
            tried_before = attempts > 1 or (row is not None and row.last_error is not None)
            stored_language = chat.language if chat else None
            chosen = chat.language_chosen if chat else False
            state = await chat_state(session, chat)
        # The chat row (and so its pseudonym, Rasa's sender id) exists before Rasa is asked.
        pseudonym = chat.pseudonym if chat else await self._first_contact(incoming.chat_id)
        detect_from = incoming.text if incoming.kind == "text" else ""
        language = choose_language(
            detect_from,
            stored_language,
            chosen,
            incoming.client_language,
            self.settings.default_language,
        )

        async def ask_rasa(message: str) -> RasaTurn:
            metadata = {
                "language": language.reply_language,
                "update_id": incoming.update_id,
                "residence_status": state.residence_status,  # answers with variants
            }
            turn = await self._ask_rasa(
                pseudonym,
                message,
                metadata,
                incoming.update_id,
                tried_before,
                language.user_language,
            )
            if self.rasa_outage is not None:
                self.rasa_outage.succeeded()
            return turn

        async def status() -> Reply:
            return await self._status(incoming.chat_id, language.reply_language)

        try:
            outcome = self.case_router.route(
                incoming, state, language.reply_language
            ) or await self.router.route(incoming, language.reply_language, ask_rasa, status, state)
            step = outcome.case_step
            if step is not None and (step.file is not None or step.file_update_id is not None):
                await self._fetch_file(step, incoming, files, attempts)
        except (RasaUnavailable, FileUnavailable) as exc:
            if isinstance(exc, RasaUnavailable) and self.rasa_outage is not None:
                self.rasa_outage.failed(actions=isinstance(exc, ActionServerUnavailable))
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
        if outcome.erase_chat:
            # Rasa's copy first, outside our transaction (forgetting twice is harmless); if its
            # store is out of reach, /delete waits and is retried instead of claiming success.
            try:
                forgotten = await self.forget_in_rasa(pseudonym)
            except TrackerStoreUnavailable as exc:
                await self._postpone(
                    incoming, language.reply_language, attempts, str(exc), pseudonym
                )
                return
            logger.info("forgot %d Rasa events of %s", forgotten, pseudonym)
        await self._commit(incoming, outcome, language, pseudonym)

    async def _first_contact(self, chat_id: int) -> str:
        """Create a new chat's row with its random pseudonym in a short transaction of its own."""
        async with self.sessions.begin() as session:
            chat = await chats.get_or_create(session, chat_id)
            return chat.pseudonym

    async def _fetch_file(
        self, step: CaseStep, incoming: Incoming, files: FileSource | None, attempts: int
    ) -> None:
        """Download a file for a case; after a few failed tries, tell the user to resend."""
        try:
            await fetch_into(
                step,
                files,
                self.sessions,
                incoming.chat_id,
                incoming.update_id,
                self.settings.attachment_max_bytes,
            )
        except FileUnavailable:
            if attempts < FILE_ATTEMPTS:
                raise
            step.rejected = "unavailable"

    async def _status(self, chat_id: int, language: str) -> Reply:
        """/status: each open case with its state and place in the queue, and the typical wait."""
        async with self.sessions() as session:
            lines = [
                case_replies.CaseLine(
                    c.id,
                    c.topic,
                    c.status,
                    c.created_at.date(),
                    await case_queue.place_in_queue(session, c),
                )
                for c in await cases.cases_of_chat(session, chat_id)
            ]
            typical = await case_queue.median_first_response(session) if lines else None
        return case_replies.status(lines, typical, self.settings.case_response_days, language)

    async def _ask_rasa(
        self,
        sender: str,
        message: str,
        metadata: dict[str, object],
        update_id: int,
        tried_before: bool,
        user_language: str,
    ) -> RasaTurn:
        """Rasa's answer to this update: its earlier one if it gave one, else a new turn."""
        if tried_before:
            # We may have crashed after Rasa answered: take its answer instead of asking twice.
            earlier = await self.rasa.replies_for(sender, update_id)
            if earlier is not None and earlier.replies:
                logger.info("update %s of %s: reusing Rasa's earlier answer", update_id, sender)
                return earlier
            # Seen but never answered (e.g. the action server was down): ask again, so the
            # user gets a real answer instead of silence.
        # Rasa answers this update for the first time now, so the German second look runs
        # now too, however many tries an outage took before.
        message = await message_for_rasa(self.rasa, self.translator, message, user_language)
        # Rasa answers with nothing when a custom action failed because its action server
        # was gone; a restarted one may be up by the time we look, so ask once more before
        # saying "please rephrase".
        for tries in (1, 2):
            turn = await self.rasa.send(sender, message, metadata)
            if turn.replies:
                return turn
            if not await action_server_up(self.settings.action_server_url):
                raise ActionServerUnavailable("the action server does not answer")
            logger.info("Rasa gave no reply for update %s of %s (try %s)", update_id, sender, tries)
        logger.warning("Rasa gave no reply for update %s of %s", update_id, sender)
        turn.replies = [compose.unclear(self.store, str(metadata["language"]))]
        return turn

    async def _postpone(
        self, incoming: Incoming, language: str, attempts: int, error: str, pseudonym: str
    ) -> None:
        """Rasa (or a file on Telegram) is unavailable: keep the update pending, apologise once."""
        delay = rasa_retry_delay(attempts)
        logger.warning(
            "unavailable (%s); update %s of %s waits %ss (attempt %s)",
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
        chat = await chats.get_or_create(session, incoming.chat_id)
        if language.changed or outcome.chosen_language:
            await chats.set_language(
                session, chat, language.user_language, chosen=bool(outcome.chosen_language)
            )
        replies, step = self._case_step_of(outcome)
        if outcome.residence_choice is not None:
            chat.residence_status = residence.stored_choice(outcome.residence_choice)
        if outcome.gap_update_id is not None and not await notify.subscribe(
            session, chat.id, outcome.gap_update_id, language.reply_language
        ):
            replies = [compose.plain("meta.button_expired", language.reply_language)]
        question = await residence.question_after(session, self.store, chat, replies)
        replies += [question] if question else []
        if chat.awaiting and (step is None or step.kind not in _CONTACT_STEPS):
            chat.awaiting = None  # anything but the answer leaves a half-asked question
        inbound = None
        if step is None or step.kind != "message":  # a thread message is logged by the case
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
        if step is not None:
            done = await self.case_flow.apply(
                session, chat, step, incoming.update_id, language.reply_language
            )
            if inbound is not None and done.case_id is not None:
                inbound.case_id = done.case_id
            replies += done.replies
        for reply in replies:
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

    @staticmethod
    def _case_step_of(outcome: Outcome) -> tuple[list[Reply], CaseStep | None]:
        """The replies to send as they are, and the case step (a case Rasa asked to open)."""
        step = outcome.case_step
        replies = []
        for reply in outcome.replies:
            if reply.open_case is not None and step is None:
                step = CaseStep("open", request=reply.open_case)
            elif reply.open_case is None:
                replies.append(reply)
        return replies, step

    @staticmethod
    def _enqueue(session: AsyncSession, incoming: Incoming, reply: Reply) -> None:
        for method, payload in reply_to_bot_api(reply, incoming.chat_id):
            outbox.enqueue(session, incoming.chat_id, method, payload, incoming.update_id)
