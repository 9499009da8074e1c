"""Small talk and conversation management: greeting, help, thanks, goodbye, 'are you a bot?'."""

from __future__ import annotations

from typing import Any, ClassVar

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from bot.actions.common import content_store, language_of, send
from bot.replies import compose


class _PlainAction(Action):
    """An action that sends one fixed bot string (optionally with the topic menu)."""

    action_name: ClassVar[str] = ""
    key: ClassVar[str] = ""
    with_topics: ClassVar[bool] = False

    def name(self) -> str:
        return self.action_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        language = language_of(tracker)
        if self.with_topics:
            reply = compose.with_topics(self.key, self.key, content_store(), language)
        else:
            reply = compose.plain(self.key, language)
        send(dispatcher, tracker, reply)
        return []


class ActionGreet(_PlainAction):
    action_name = "action_greet"
    key = "meta.greet"
    with_topics = True


class ActionHelp(_PlainAction):
    action_name = "action_help"
    key = "meta.help"
    with_topics = True


class ActionThanks(_PlainAction):
    action_name = "action_thanks"
    key = "meta.thanks"


class ActionGoodbye(_PlainAction):
    action_name = "action_goodbye"
    key = "meta.goodbye"


class ActionBotChallenge(_PlainAction):
    action_name = "action_bot_challenge"
    key = "meta.bot_challenge"


class ActionAcknowledge(_PlainAction):
    action_name = "action_acknowledge"
    key = "meta.acknowledge"


class ActionCancelled(_PlainAction):
    action_name = "action_cancelled"
    key = "meta.cancelled"
