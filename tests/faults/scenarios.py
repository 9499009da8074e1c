"""Load with a fault in the middle, and the scenario both databases run: the bot SIGKILLed."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

from bot.rasa.children import group_members
from bot.telegram.sender import OutboxSender
from tests.fake_telegram import FakeTelegram
from tests.faults.load import HUMAN, Asked, Conversation, new_chat_id, plan, send
from tests.faults.stack import BotStack, running
from tests.faults.verdict import assert_all_answered_once, assert_no_case_twice, await_answers

RATE = 4.0  # messages offered per second: what a busy 2-core machine handles with room to spare
# The sender has at most this many messages in Telegram's hands at once: the most a SIGKILL
# can catch accepted by Telegram but not yet marked sent (the one window the README names).
IN_FLIGHT_SENDS = int(
    inspect.signature(OutboxSender.__init__).parameters["max_parallel_chats"].default
)


async def under_load(
    telegram: FakeTelegram,
    conversations: list[Conversation],
    fault: Callable[[], Awaitable[None]],
    after: float,
) -> list[Asked]:
    """Send the conversations at RATE; `after` seconds in, the fault happens."""
    load = asyncio.create_task(send(telegram, conversations, RATE))
    try:
        await asyncio.sleep(after)
        await fault()
    except BaseException:
        load.cancel()
        raise
    return await load


async def eventually(check: Callable[[], Awaitable[bool]], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.25)
    return False


def one_question_each(texts: list[str], chats_per_text: int) -> list[Conversation]:
    """Each question opens a chat of its own; every fourth chat then asks for a person."""
    conversations = []
    for index in range(len(texts) * chats_per_text):
        chat_texts = [texts[index % len(texts)]]
        if index % 4 == 3:
            chat_texts.append(HUMAN)
        conversations.append(Conversation(new_chat_id(), chat_texts))
    return conversations


async def comes_back(stack: BotStack, kind: str, old: list[int], within: float) -> bool:
    """A new process of `kind` runs (not one of `old`) and answers."""
    ready = stack.rasa_ready if kind == "rasa" else stack.actions_ready

    async def back() -> bool:
        fresh = [pid for pid in stack.children(kind) if pid not in old]
        return bool(fresh) and await ready()

    return await eventually(back, within)


async def bot_sigkilled_under_load(product: BotStack, telegram: FakeTelegram, seed: int) -> None:
    """SIGKILL the bot 5 s into a run of ~75 messages, start it again: all answered.

    Telegram accepted a message, the bot died before marking it sent: it is sent again after
    the restart. That window allows at most IN_FLIGHT_SENDS messages twice, none thrice.
    Rasa and the action server must not outlive the bot (a new start would reuse them).
    """
    children = product.children("rasa") + product.children("actions")
    assert len(children) >= 2, "Rasa or the action server not found:\n" + product.tail()
    lingering: list[int] = []

    async def gone() -> bool:
        return not any(running(pid) for pid in children)

    async def kill_the_bot() -> None:
        await product.kill_bot()
        await eventually(gone, within=10)
        lingering.extend(pid for pid in children if running(pid))
        await asyncio.sleep(2.0)  # users keep writing to a dead bot
        await product.start()

    asked = await under_load(telegram, plan(chats=36, seed=seed), kill_the_bot, after=5.0)
    verdict = await await_answers(product, asked, telegram, within=180)

    assert_all_answered_once(
        verdict,
        product,
        allowed_twice=IN_FLIGHT_SENDS,
        note=f"(window: at most {IN_FLIGHT_SENDS} sends in flight when the bot died)",
    )
    assert_no_case_twice(verdict, telegram)
    assert not lingering, (
        f"Rasa or the action server (pids {lingering}) outlived the SIGKILLed bot by 10 s"
    )
    # What they had started (the action server's Sanic worker) is gone too: the restarted
    # bot killed it, so its own action server could bind the port.
    left = {pid: group_members(pid) for pid in children if group_members(pid)}
    assert not left, f"processes of the killed bot's children still run: {left}"
    since_restart = product.log_file.read_text(errors="replace").rsplit("===== start", 1)[-1]
    assert "the action server exited" not in since_restart  # it could bind its port
