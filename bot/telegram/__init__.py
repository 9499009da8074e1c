"""The Telegram side: fetching updates into the inbox, processing them, sending the outbox."""
