"""Sourced answers: loading, rendering and checking the content files."""

from bot.content.store import Catalog, ContentEntry, ContentError, ContentStore

__all__ = ["Catalog", "ContentEntry", "ContentError", "ContentStore"]
