"""Deciding the replies of one turn: commands and menu buttons here, free text via Rasa.

Menu navigation, /status, /privacy, /language and /delete never need Rasa, so they keep
working while Rasa is down; questions go through Rasa. Everything about a caseworker is
decided before this, by `CaseRouter`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.content.store import ContentStore
from bot.content.variants import STATUSES
from bot.conversation.model import ChatState, Incoming, Outcome
from bot.i18n import available_languages, t
from bot.languages import LANGUAGES
from bot.rasa.client import RasaTurn
from bot.replies import Button, Reply, callbacks, compose
from bot.replies import cases as case_replies
from bot.storage.cases import case_number

AskRasa = Callable[[str], Awaitable[RasaTurn]]
StatusReply = Callable[[], Awaitable[Reply]]

NON_TEXT_KEYS = {
    "voice": "meta.non_text.voice",
    "sticker": "meta.non_text.sticker",
    "location": "meta.non_text.location",
}


class Router:
    def __init__(self, store: ContentStore, retention_days: int, max_chars: int) -> None:
        self.store = store
        self.retention_days = retention_days
        self.max_chars = max_chars

    @property
    def _short_keys(self) -> set[str]:
        """From the catalog as published now: a key taught after the start is known too."""
        return {key.split(".", 1)[1] for key in self.store.catalog.full_keys}

    async def route(
        self,
        incoming: Incoming,
        language: str,
        ask_rasa: AskRasa,
        status: StatusReply,
        state: ChatState | None = None,
    ) -> Outcome:
        if incoming.kind == "command":
            outcome = await self._command(incoming.text, language, status, state)
            case_mode = state.case_mode if state else None
            if case_mode is not None and incoming.text in {"start", "help"}:
                self._remind_case_mode(outcome.replies[-1], case_mode, language)
            return outcome
        if incoming.kind == "callback":
            return await self._callback(incoming, language, ask_rasa, state)
        if incoming.kind == "non_text":
            key = NON_TEXT_KEYS.get(incoming.non_text_kind, "meta.non_text.other")
            return Outcome(
                [compose.plain(key, language)],
                logged_text=f"[{incoming.non_text_kind}]",
                intent=f"non_text.{incoming.non_text_kind}",
            )
        return await self._text(incoming.text, language, ask_rasa)

    async def _text(self, text: str, language: str, ask_rasa: AskRasa) -> Outcome:
        if not text.strip():
            return Outcome([compose.plain("meta.empty", language)], logged_text=text)
        if len(text) > self.max_chars:
            return Outcome([compose.plain("meta.too_long", language)], logged_text=text)
        return await self._via_rasa(text, text, ask_rasa)

    @staticmethod
    async def _via_rasa(message: str, logged: str, ask_rasa: AskRasa) -> Outcome:
        turn = await ask_rasa(message)
        return Outcome(
            turn.replies, logged_text=logged, intent=turn.intent, confidence=turn.confidence
        )

    @staticmethod
    def _remind_case_mode(reply: Reply, case_id: int, language: str) -> None:
        """In case mode, say where typed messages go and how to get back to the bot."""
        reply.text += "\n\n" + t("case.mode_hint", language, case_number=case_number(case_id))
        reply.buttons.append(case_replies.back_row(language))

    async def _command(
        self, command: str, language: str, status: StatusReply, state: ChatState | None = None
    ) -> Outcome:
        logged = f"/{command}"
        if command == "start":
            reply = compose.with_topics("meta.greet", "meta.greet", self.store, language)
        elif command == "help":
            reply = compose.with_topics("meta.help", "meta.help", self.store, language)
        elif command == "language":
            reply = self._language_menu(language)
        elif command == "status":
            reply = await status()
        elif command == "paper":
            current = state.residence_status if state else None
            reply = compose.paper_question(language, current=current)
        elif command == "privacy":
            reply = compose.plain("meta.privacy", language, days=self.retention_days)
        elif command == "delete":
            reply = Reply(
                "meta.delete_confirm",
                t("meta.delete_confirm", language),
                language,
                [
                    [Button(t("button.delete_confirm", language), callbacks.delete(True))],
                    [Button(t("button.delete_cancel", language), callbacks.delete(False))],
                ],
            )
        else:
            reply = compose.plain("meta.unknown_command", language)
            reply.text += "\n\n" + t("meta.help", language)
        return Outcome([reply], logged_text=logged, intent=f"command.{command}", confidence=1.0)

    def _language_menu(self, language: str) -> Reply:
        buttons = [
            Button(LANGUAGES[code].native_name, callbacks.language(code))
            for code in available_languages()
            if code in LANGUAGES
        ]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        return Reply("meta.language_menu", t("meta.language_menu", language), language, rows)

    async def _callback(
        self, incoming: Incoming, language: str, ask_rasa: AskRasa, state: ChatState | None = None
    ) -> Outcome:
        data = incoming.text
        parsed = callbacks.parse(data)
        expired = Outcome([compose.plain("meta.button_expired", language)], logged_text=data)
        if parsed is None:
            return expired
        outcome = Outcome(logged_text=data, intent=f"button.{parsed.kind}", confidence=1.0)
        if parsed.kind in {"answer", "original"}:
            if parsed.kind == "answer":
                paper = state.residence_status if state else None
                reply = compose.answer(self.store, parsed.value, language, paper)
            else:
                reply = compose.original(self.store, parsed.value)
            if reply is None or parsed.value not in self.store.catalog.full_keys:
                return expired
            outcome.replies = [reply]
        elif parsed.kind in {"topic", "menu"}:
            if parsed.kind == "topic":
                reply = compose.topic_questions(self.store, parsed.value, language)
            else:
                reply = compose.with_topics("meta.menu", "meta.menu", self.store, language)
            if reply is None:
                return expired
            reply.edit_message_id = incoming.callback_message_id
            outcome.replies = [reply]
        elif parsed.kind == "feedback":
            outcome.replies = [self._feedback(parsed.extra == "1", parsed.value, language)]
            outcome.intent = "feedback.helped" if parsed.extra == "1" else "feedback.not_helped"
            outcome.content_key = parsed.value
        elif parsed.kind == "delete":
            if parsed.value == "y":
                outcome.erase_chat = True
                outcome.replies = [compose.plain("meta.deleted", language)]
            else:
                outcome.replies = [compose.plain("meta.delete_cancelled", language)]
        elif parsed.kind == "rasa":
            if not callbacks.is_allowed_rasa_payload(parsed.value, self._short_keys):
                return expired
            return await self._via_rasa(parsed.value, data, ask_rasa)
        elif parsed.kind == "paper":
            outcome.replies = self._paper_chosen(parsed.value, parsed.extra, language)
            outcome.replies[0].edit_message_id = incoming.callback_message_id
            outcome.residence_choice = parsed.value
        elif parsed.kind == "notify_gap":
            outcome.replies = [compose.plain("gap.subscribed", language)]
            outcome.gap_update_id = parsed.ref
        elif parsed.kind == "language":
            if parsed.value not in available_languages():
                return expired
            reply = compose.plain("meta.language_set", parsed.value)
            reply.edit_message_id = incoming.callback_message_id
            outcome.replies = [reply]
            outcome.chosen_language = parsed.value
        else:  # case buttons are CaseRouter's; anything else here is not ours
            return expired
        return outcome

    def _paper_chosen(self, choice: str, key: str, language: str) -> list[Reply]:
        """Confirm the choice (in place of the question); show the answer's variant now."""
        if choice not in STATUSES:
            return [compose.plain("paper.skipped", language)]
        name = t(f"paper.name.{choice}", language)
        replies = [compose.plain("paper.saved", language, paper=name)]
        if key in self.store.catalog.full_keys and choice in compose.variant_statuses(
            self.store, key, language
        ):
            variant = compose.answer(self.store, key, language, choice)
            replies += [variant] if variant else []
        return replies

    def _feedback(self, helped: bool, key: str, language: str) -> Reply:
        if helped:
            return compose.plain("feedback.thanks", language)
        topic = key.split(".", 1)[0] if key in self.store.catalog.full_keys else None
        return compose.handoff_offer(
            language, "feedback.sorry", reason="feedback", topic=topic, key="feedback.sorry"
        )
