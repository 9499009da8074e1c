"""The dashboard's German and English words: both complete, and every key a template or
route uses exists (a missing key would show up as its name on a caseworker's screen)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.dashboard.i18n import STRINGS_DIR, strings
from bot.dashboard.routes.cases import NOTICES
from bot.dashboard.routes.queue import TOPICS
from bot.storage.cases import STATUSES
from bot.storage.staff import ROLES

DASHBOARD = STRINGS_DIR.parent
_KEY = re.compile(r"""_\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def test_german_and_english_have_the_same_keys() -> None:
    assert strings("de") and set(strings("de")) == set(strings("en"))


def test_every_key_in_use_has_words() -> None:
    used = set()
    for path in [*DASHBOARD.glob("templates/*.html"), *DASHBOARD.glob("**/*.py")]:
        used |= set(_KEY.findall(Path(path).read_text(encoding="utf-8")))
    used |= {key for key, _ in NOTICES.values()}
    used |= {f"status.{s}" for s in STATUSES} | {f"topic.{t}" for t in TOPICS}
    used |= {f"role.{r}" for r in ROLES} | {f"urgency.{u}" for u in range(3)}
    used |= {"login.failed", "login.throttled", "login.expired", "login.logged_out"}
    used |= {"error.csrf", "error.forbidden", "error.not_found", "error.general"}
    missing = sorted(key for key in used if key not in strings("de"))
    assert not missing, missing
