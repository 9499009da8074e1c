"""Gaps: the questions the bot could not answer, grouped by meaning across languages.

Editors read them on the gaps page and in the monthly report; from a group they teach the
bot (training examples) or write a new answer. Nothing here is shown without masking phone
numbers and e-mail addresses (`bot.redact`).
"""
