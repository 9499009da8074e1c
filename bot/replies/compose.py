"""Composing replies from content and bot strings — shared by the bot and the Rasa actions.

Both sides must render an answer, a menu or a handoff offer identically, whether the user
clicked a menu button (handled by the bot alone) or typed a question (answered via Rasa).
"""

from __future__ import annotations

import html
from urllib.parse import urlparse

from bot.content.markup import to_telegram_html
from bot.content.review import is_checked
from bot.content.store import SOURCE_LANGUAGE, ContentEntry, ContentStore
from bot.content.variants import STATUSES
from bot.i18n import FALLBACK_CHAIN, format_date, t, t_markup
from bot.replies import Button, Reply, callbacks


def _sources_line(urls: tuple[str, ...], language: str) -> str:
    """Each site named once; several pages of one site become numbered links after its name."""
    by_host: dict[str, list[str]] = {}
    for url in urls:
        host = (urlparse(url).hostname or url).removeprefix("www.")
        by_host.setdefault(host, []).append(url)

    def link(url: str, label: str) -> str:
        return f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>'

    parts = []
    for host, pages in by_host.items():
        if len(pages) == 1:
            parts.append(link(pages[0], host))
        else:
            numbered = " ".join(link(url, f"[{n}]") for n, url in enumerate(pages, 1))
            parts.append(f"{html.escape(host)} {numbered}")
    return t_markup("answer.sources", language, links=", ".join(parts))


def _state_line(store: ContentStore, entry: ContentEntry, language: str) -> str:
    """Honest about its state: the editor's check and its date, or that nobody checked it.

    A reviewed translation whose German source changed since counts as not checked.
    """
    if is_checked(entry, store.get(entry.key, SOURCE_LANGUAGE)) and entry.reviewed is not None:
        return t("answer.reviewed_note", language, date=format_date(entry.reviewed, language))
    if entry.status == "machine":
        return t("answer.machine_note", language)
    return t("answer.draft_note", language)


def variant_statuses(store: ContentStore, key: str, language: str) -> list[str]:
    """The residence statuses the answer a user of `language` gets has its own text for."""
    entry = store.get(key, language, FALLBACK_CHAIN)
    return [s for s in STATUSES if entry is not None and s in entry.variants]


def answer(store: ContentStore, key: str, language: str, status: str | None = None) -> Reply | None:
    """The answer for a full content key with sources and next-step buttons, or None.

    `status` is the user's residence paper: an answer with a variant for it shows that
    text and says so; otherwise (no status, skipped, no variant in this language) the
    general text with its caveats.
    """
    entry = store.get(key, language, FALLBACK_CHAIN)
    if entry is None:
        return None
    parts = []
    if entry.language != language:
        parts.append(t("meta.not_translated", language))
    parts.append(f"<b>{html.escape(entry.title)}</b>")
    if status in STATUSES and status in entry.variants:
        parts.append(t("paper.answer_for", language, paper=t(f"paper.name.{status}", language)))
    parts.append(to_telegram_html(entry.body_for(status)))
    if entry.sources:
        parts.append(_sources_line(entry.sources, language))
    parts.append(_state_line(store, entry, language))
    buttons = [
        [Button(store.title(related, language, FALLBACK_CHAIN), callbacks.answer(related))]
        for related in entry.related
        if store.get(related, language, FALLBACK_CHAIN) is not None
    ]
    if entry.status == "machine" and entry.language != SOURCE_LANGUAGE:
        buttons.append([Button(t("button.german_original", language), callbacks.original(key))])
    buttons.append([Button(t("button.human", language), callbacks.handoff("request", entry.topic))])
    buttons.append(
        [
            Button(t("button.helped", language), callbacks.feedback(True, key)),
            Button(t("button.not_helped", language), callbacks.feedback(False, key)),
        ]
    )
    return Reply(key=key, text="\n\n".join(parts), language=language, buttons=buttons)


def original(store: ContentStore, key: str) -> Reply | None:
    """The German source text of an answer, as an official or a helper would read it."""
    entry = store.get(key, SOURCE_LANGUAGE)
    if entry is None:
        return None
    parts = [f"<b>{html.escape(entry.title)}</b>", to_telegram_html(entry.general_body)]
    if entry.sources:
        parts.append(_sources_line(entry.sources, SOURCE_LANGUAGE))
    parts.append(_state_line(store, entry, SOURCE_LANGUAGE))
    return Reply(key=f"{key}", text="\n\n".join(parts), language=SOURCE_LANGUAGE)


def topics_keyboard(store: ContentStore, language: str) -> list[list[Button]]:
    """One button per topic, two per row, plus 'talk to a person'."""
    topic_buttons = [
        Button(t(f"topic.{name}", language), callbacks.topic(name)) for name in store.catalog.topics
    ]
    rows = [topic_buttons[i : i + 2] for i in range(0, len(topic_buttons), 2)]
    rows.append([Button(t("button.human", language), callbacks.handoff())])
    return rows


def topic_questions(store: ContentStore, topic: str, language: str) -> Reply | None:
    """The questions of one topic as buttons (menu step two)."""
    keys = store.catalog.keys_of(topic)
    if not keys:
        return None
    rows = [
        [Button(store.title(key, language, FALLBACK_CHAIN), callbacks.answer(key))] for key in keys
    ]
    rows.append([Button(t("button.topics", language), callbacks.menu())])
    text = t("meta.topic", language, topic=t(f"topic.{topic}", language))
    return Reply(key="meta.topic", text=text, language=language, buttons=rows)


def with_topics(key: str, text_key: str, store: ContentStore, language: str) -> Reply:
    """A meta message followed by the topic menu (greeting, out of scope, unclear)."""
    return Reply(
        key=key,
        text=t(text_key, language),
        language=language,
        buttons=topics_keyboard(store, language),
    )


def unclear(store: ContentStore, language: str) -> Reply:
    """'Please say it in other words' plus the topic menu: no candidate was good enough."""
    return with_topics("fallback.clarify", "fallback.clarify_no_candidates", store, language)


def plain(key: str, language: str, text_key: str | None = None, **params: object) -> Reply:
    """A meta message without buttons; the text key defaults to the meta key."""
    return Reply(key=key, text=t(text_key or key, language, **params), language=language)


def handoff_offer(
    language: str,
    text_key: str = "handoff.offer",
    *,
    reason: str = "request",
    topic: str | None = None,
    update_id: int | None = None,
    key: str = "handoff.offer",
) -> Reply:
    """'Shall I pass this to a caseworker?' with yes/no buttons the bot handles itself.

    Yes opens the case at once, with the message `update_id` (the one the offer is about)
    as its description.
    """
    yes = Button(t("button.yes", language), callbacks.handoff(reason, topic or "other", update_id))
    no = Button(t("button.no", language), callbacks.decline())
    return Reply(key=key, text=t(text_key, language), language=language, buttons=[[yes, no]])


def paper_question(language: str, key: str = "", current: str | None = None) -> Reply:
    """'Which paper do you have?' with one button per residence status and 'skip'.

    After an answer with variants `key` names it, so a choice shows its variant at once;
    from /paper (`key` empty) the text also says what is stored now.
    """
    text = t("paper.ask", language)
    if not key:
        name = t(f"paper.name.{current}", language) if current in STATUSES else None
        text += "\n\n" + (
            t("paper.current", language, paper=name) if name else t("paper.none", language)
        )
    rows = [[Button(t(f"paper.name.{s}", language), callbacks.paper(s, key))] for s in STATUSES]
    rows.append([Button(t("button.paper_skip", language), callbacks.paper("skip", key))])
    return Reply(
        key="paper.ask" if key else "paper.menu", text=text, language=language, buttons=rows
    )
