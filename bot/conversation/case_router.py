"""Which turns belong to the caseworker handoff, decided without Rasa and without the database.

Asking for a person (/human, the button, a yes to an offer), the case thread while the chat
is in case mode, files for a case, leaving case mode (/back, the button), withdrawing a case,
a contact detail and the "did it help?" answer. None of these needs Rasa, so a person can be
reached while Rasa is down. What to do is returned as a `CaseStep`; `CaseFlow` does it in the
turn's transaction.
"""

from __future__ import annotations

from bot.conversation.contact import normalised_contact
from bot.conversation.model import CaseStep, ChatState, Incoming, Outcome
from bot.i18n import t
from bot.replies import Button, CaseRequest, Reply, callbacks, compose
from bot.replies.callbacks import Callback


def _step(logged: str, intent: str, step: CaseStep) -> Outcome:
    return Outcome(logged_text=logged, intent=intent, confidence=1.0, case_step=step)


def open_request(reason: str = "request", topic: str = "other") -> CaseStep:
    return CaseStep("open", request=CaseRequest(topic=topic, description="", reason=reason))


class CaseRouter:
    def route(self, incoming: Incoming, state: ChatState, language: str) -> Outcome | None:
        """The outcome of a handoff turn, or None when the turn is not about a case."""
        if incoming.kind == "callback":
            parsed = callbacks.parse(incoming.text)
            return self._callback(parsed, incoming.text, language) if parsed else None
        if incoming.kind == "command":
            if incoming.text == "human":
                return _step("/human", "command.human", open_request())
            if incoming.text == "back":
                return _step("/back", "command.back", CaseStep("back"))
            return None
        if incoming.kind == "text":
            return self._text(incoming, state)
        if incoming.kind == "non_text" and incoming.file is not None:
            return self._file(incoming, state, language)
        return None

    @staticmethod
    def _text(incoming: Incoming, state: ChatState) -> Outcome | None:
        if state.awaiting_contact is not None:
            contact = normalised_contact(incoming.text)
            if contact is None:
                step = CaseStep("ask_contact", state.awaiting_contact, rejected="invalid")
            else:
                step = CaseStep("set_contact", state.awaiting_contact, text=contact)
            # The contact detail itself is not written to the conversation log.
            return _step("[contact]", "case.contact", step)
        if state.case_mode is not None and incoming.text.strip():
            step = CaseStep("message", state.case_mode, text=incoming.text)
            return _step(incoming.text, "case.message", step)
        return None

    @staticmethod
    def _file(incoming: Incoming, state: ChatState, language: str) -> Outcome:
        assert incoming.file is not None
        logged = f"[{incoming.file.kind}]"
        if state.case_mode is not None:
            step = CaseStep("attachment", state.case_mode, file=incoming.file)
            return _step(logged, f"non_text.{incoming.file.kind}", step)
        offer = Reply(
            "meta.non_text.photo",
            t("meta.non_text.photo", language),
            language,
            [
                [
                    Button(t("button.yes", language), callbacks.photo_case(incoming.update_id)),
                    Button(t("button.no", language), callbacks.decline()),
                ]
            ],
        )
        return Outcome([offer], logged_text=logged, intent=f"non_text.{incoming.file.kind}")

    @staticmethod
    def _callback(parsed: Callback, data: str, language: str) -> Outcome | None:
        intent = f"button.{parsed.kind}"
        if parsed.kind == "handoff":
            step = open_request(parsed.extra, parsed.value)
            # An offer is about a message the user typed: that becomes the description.
            step.description_ref = parsed.ref
            step.description_from_history = parsed.extra != "request"
            return _step(data, intent, step)
        if parsed.kind == "photo_case":
            step = open_request("attachment")
            step.file_update_id = int(parsed.value)
            return _step(data, intent, step)
        plain = {"decline": "handoff.declined", "contact_cancel": "handoff.contact_cancelled"}
        if parsed.kind in plain:
            return Outcome(
                [compose.plain(plain[parsed.kind], language)],
                logged_text=data,
                intent=intent,
                confidence=1.0,
            )
        if parsed.kind == "back":
            return _step(data, intent, CaseStep("back"))
        if parsed.kind == "cancel_case":
            return _step(data, intent, CaseStep("cancel", int(parsed.value)))
        if parsed.kind == "contact":
            return _step(data, intent, CaseStep("ask_contact", int(parsed.value)))
        if parsed.kind == "case_feedback":
            helped = parsed.extra == "1"
            step = CaseStep("feedback", int(parsed.value), helped=helped)
            return _step(data, "case.helped" if helped else "case.not_helped", step)
        return None
