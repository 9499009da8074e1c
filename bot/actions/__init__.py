"""Rasa custom actions, served by rasa-sdk: `python -m bot actions`.

Every action answers with exactly one Reply payload per message (see `bot.replies`), built
with the same content store and bot strings as the bot itself. Actions are stateless: they
do not write the database; a case is opened by the bot in the same transaction that stores
the reply, so a replayed message can never open two cases.
"""
