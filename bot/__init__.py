"""Gemeinsam klappt's assistant: a Telegram bot for young refugees in Kreis Steinfurt."""

__version__ = "0.1.0"
