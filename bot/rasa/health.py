"""Is the action server up? Asked when Rasa answers a turn with no reply at all.

Rasa answers a message even when its action server is down — with nothing. That is an
outage, not a message we failed to understand: the message must wait and be answered
later, not get "please write it in other words" and be dropped.
"""

from __future__ import annotations

import httpx

HEALTH_TIMEOUT = 2.0


def health_url(action_server_url: str) -> str:
    """`http://host:port/webhook` -> `http://host:port/health` (rasa-sdk's health route)."""
    return action_server_url.rstrip("/").removesuffix("/webhook") + "/health"


async def action_server_up(action_server_url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT) as client:
            response = await client.get(health_url(action_server_url))
    except httpx.HTTPError:
        return False
    return response.status_code == 200
