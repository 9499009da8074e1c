"""The translator the product uses: cache first, then the backend, fast and never failing.

- A cached translation is used without asking the service (cache hits work during outages).
- Every call to the service is bounded by `timeout` seconds in total.
- After a failure the service rests for `rest_seconds`: calls return None at once instead of
  each waiting for a timeout, so a dead service cannot slow the case page or the bot.
- An outage is logged once when it starts and once when it ends, never per message; no log
  line holds message text (only the reason: "timeout", "HTTP 503", …).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import ConfigError, Settings
from bot.data_key import MISSING_DATA_KEY
from bot.translation import NoTranslator, Translator
from bot.translation.cache import TranslationCache
from bot.translation.google import BackendError, GoogleBackend, UnsupportedLanguage

log = logging.getLogger(__name__)
REST_SECONDS = 300.0


class Backend(Protocol):
    name: str

    async def translate(self, text: str, source: str | None, target: str) -> str:
        """The translation; raises BackendError or UnsupportedLanguage."""

    async def aclose(self) -> None: ...


class MachineTranslator:
    """A `Translator` over a backend, with the database cache and a rest after failures."""

    def __init__(
        self,
        backend: Backend,
        cache: TranslationCache,
        timeout: float,
        rest_seconds: float = REST_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.cache = cache
        self.timeout = timeout
        self.rest_seconds = rest_seconds
        self._clock = clock
        self._resting_until = 0.0
        self._in_outage = False

    @property
    def resting(self) -> bool:
        """True while the service rests after a failure (no requests are made)."""
        return self._clock() < self._resting_until

    async def translate(self, text: str, source: str | None, target: str) -> str | None:
        if source == target or not text.strip():
            return text
        cached = await self.cache.get(text, source, target)
        if cached is not None:
            return cached
        if self.resting:
            return None
        try:
            async with asyncio.timeout(self.timeout):
                translation = await self.backend.translate(text, source, target)
        except UnsupportedLanguage:
            return None
        except (BackendError, TimeoutError) as exc:
            self._failed(str(exc) or "timeout")
            return None
        except Exception as exc:  # a bug in the library must not reach a caseworker
            self._failed(type(exc).__name__)
            return None
        self._recovered()
        await self.cache.put(text, source, target, translation)
        return translation

    def _failed(self, reason: str) -> None:
        self._resting_until = self._clock() + self.rest_seconds
        if not self._in_outage:
            self._in_outage = True
            log.warning(
                "translation service %s unavailable (%s): texts stay untranslated, "
                "next try in %g s",
                self.backend.name,
                reason,
                self.rest_seconds,
            )

    def _recovered(self) -> None:
        if self._in_outage:
            self._in_outage = False
            log.info("translation service %s is back", self.backend.name)

    async def aclose(self) -> None:
        await self.backend.aclose()


def build_translator(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> NoTranslator | MachineTranslator:
    """The translator `TRANSLATOR` asks for; the caller closes a MachineTranslator.

    Raises ConfigError without the data key: the cache holds users' texts, sealed with it.
    """
    if settings.translator == "none":
        return NoTranslator()
    if settings.data_key is None:
        raise ConfigError(MISSING_DATA_KEY)
    backend = GoogleBackend(settings.translator_url, settings.translator_timeout)
    cache = TranslationCache(sessions, settings.data_key)
    return MachineTranslator(backend, cache, settings.translator_timeout)


async def close_translator(translator: Translator) -> None:
    """Close what `build_translator` opened (nothing for NoTranslator)."""
    if isinstance(translator, MachineTranslator):
        await translator.aclose()
