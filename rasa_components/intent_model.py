"""The intent model behind the Rasa component, free of Rasa so it can be tuned offline.

Why this design (measured on the dev set, figures in the README):
- Twelve languages, four scripts, little data per language. Multilingual-e5 sentence
  embeddings carry meaning across languages, so an Arabic question is helped by the German
  and English examples of the same intent. A logistic regression on them is the main signal.
- Young people type German terms, typos and transliterations ("ausbildug", "аусбильдунг");
  a character n-gram model catches what the embedding blurs. It is the second opinion.
- Neither knows when a message is far from everything it was taught. The distance gate
  does: the cosine similarity of the nearest in-scope training example scales the
  confidence down when no example is really close, so the fallback asks instead of a
  confident wrong answer. Out-of-scope (far and near) are also classes of their own.
Training takes seconds after the embeddings; DIET's 10+ minutes are not needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Embed = Callable[[list[str]], np.ndarray]
OUT_OF_SCOPE_INTENTS = frozenset({"out_of_scope", "near_out_of_scope"})


@dataclass
class IntentModelConfig:
    e5_weight: float = 0.6  # share of the embedding model in the blend (char n-grams: rest)
    e5_c: float = 20.0  # inverse regularisation of the embedding regression
    char_c: float = 10.0  # inverse regularisation of the char n-gram regression
    gate_low: float = 0.80  # nearest in-scope cosine at or below this: confidence x 0
    gate_high: float = 0.88  # at or above this: confidence unchanged
    ranking_length: int = 10

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> IntentModelConfig:
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Prediction:
    ranking: list[tuple[str, float]]
    nearest_similarity: float
    gate: float

    @property
    def intent(self) -> str:
        return self.ranking[0][0]

    @property
    def confidence(self) -> float:
        return self.ranking[0][1]


@dataclass
class IntentModel:
    config: IntentModelConfig
    labels: list[str] = field(default_factory=list)
    vectors: np.ndarray | None = None  # normalised E5 vectors of the training examples
    vector_labels: np.ndarray | None = None
    e5_model: Any = None
    char_vectorizer: Any = None
    char_model: Any = None

    def fit(self, texts: Sequence[str], intents: Sequence[str], vectors: np.ndarray) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(intents)
        self.labels = sorted(set(intents))
        self.vectors = _normalise(vectors)
        self.vector_labels = y
        self.e5_model = LogisticRegression(C=self.config.e5_c, max_iter=2000)
        self.e5_model.fit(self.vectors, y)
        self.char_vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 4),
            lowercase=True,
            sublinear_tf=True,
            min_df=2,
            max_features=60000,
        )
        features = self.char_vectorizer.fit_transform([_clean(t) for t in texts])
        self.char_model = LogisticRegression(C=self.config.char_c, max_iter=2000)
        self.char_model.fit(features, y)

    def _in_scope_similarity(self, vectors: np.ndarray) -> np.ndarray:
        assert self.vectors is not None and self.vector_labels is not None
        in_scope = ~np.isin(self.vector_labels, list(OUT_OF_SCOPE_INTENTS))
        similarity = vectors @ self.vectors[in_scope].T
        return np.asarray(similarity.max(axis=1))

    def predict(self, texts: Sequence[str], vectors: np.ndarray) -> list[Prediction]:
        if not texts:
            return []
        vectors = _normalise(vectors)
        e5 = self.e5_model.predict_proba(vectors)
        char = self.char_model.predict_proba(
            self.char_vectorizer.transform([_clean(t) for t in texts])
        )
        # Both regressions were fitted on the same labels, so the columns line up.
        blended = self.config.e5_weight * e5 + (1 - self.config.e5_weight) * char
        nearest = self._in_scope_similarity(vectors)
        low, high = self.config.gate_low, self.config.gate_high
        gates = np.clip((nearest - low) / max(high - low, 1e-6), 0.0, 1.0)
        classes = list(self.e5_model.classes_)
        in_scope = np.array([c not in OUT_OF_SCOPE_INTENTS for c in classes])
        predictions = []
        for row, gate, near in zip(blended, gates, nearest, strict=True):
            scores = np.where(in_scope, row * gate, row)
            order = np.argsort(-scores)[: self.config.ranking_length]
            ranking = [(classes[i], float(scores[i])) for i in order]
            predictions.append(Prediction(ranking, float(near), float(gate)))
        return predictions


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def _clean(text: str) -> str:
    return " ".join(text.lower().split())
