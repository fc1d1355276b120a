"""Rasa 3.6 graph components: pretrained sentence meaning for the NLU.

``SentenceEmbeddingFeaturizer`` adds dense features from all-MiniLM-L6-v2 (``nlu/encoder.py``)
beside the sparse n-gram features: a 384-dimensional sentence vector (what the intent
classifiers use) and, per token, the mean of its word pieces' states (DIET's sequence input).

``EmbeddingOutOfScope`` runs after the intent classifier. It keeps the training sentences'
embeddings and turns a message into ``out_of_scope`` when its meaning is far from every in-scope
training example (the mean cosine similarity to its ``k`` nearest in-scope examples is below
``threshold``) or clearly nearer to the out-of-scope examples than to any in-scope ones.
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
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.encoder import DIMENSION, Encoded, get_encoder
from nlu.numbers import is_only_numbers
from nlu.stored import StoredComponent

logger = logging.getLogger(__name__)

OUT_OF_SCOPE = "out_of_scope"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Dense sentence and token features from all-MiniLM-L6-v2 (pretrained, not trained here)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["tokenizers", "safetensors"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # Features are the unit-length embedding times this: a linear classifier's
            # regularisation weighs them against the sparse n-gram counts with it.
            "scale": 1.0,
        }

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, {**self.get_default_config(), **config})
        self.scale = float(self._config["scale"])
        # Loaded once per process, here (at model load), not at the first message.
        self.encoder = get_encoder()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if float(config.get("scale", 1.0)) <= 0:
            raise ValueError("SentenceEmbeddingFeaturizer: scale must be positive")

    def process(self, messages: list[Message]) -> list[Message]:
        todo = [m for m in messages if m.get(TOKENS_NAMES[TEXT])]
        for message, encoded in zip(
            todo, self.encoder.encode([m.get(TEXT) for m in todo]), strict=True
        ):
            self._add(message, encoded)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def _add(self, message: Message, encoded: Encoded) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        sequence = np.zeros((len(tokens), DIMENSION), dtype=np.float32)
        starts = np.array([start for start, _ in encoded.offsets], dtype=np.int64)
        for row, token in enumerate(tokens):
            inside = (starts >= token.start) & (starts < token.end)
            if inside.any():
                sequence[row] = encoded.token_states[inside].mean(0)
        sentence = encoded.sentence[None, :] * self.scale
        self.add_features_to_message(sequence * self.scale, sentence, TEXT, message)


def sentence_embedding(message: Message) -> np.ndarray | None:
    """The message's dense sentence features, made unit length again (None without any)."""
    _, sentence = message.get_dense_features(TEXT)
    if sentence is None:
        return None
    vector = np.asarray(sentence.features, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else None


class ExampleMeanings(StoredComponent, IntentClassifier):
    """An intent component that keeps the training examples' sentence embeddings (``vectors``,
    unit length) and their intents (``labels``), stored with the model."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [SentenceEmbeddingFeaturizer]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vectors: np.ndarray | None = None,
        labels: np.ndarray | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.vectors = vectors if vectors is not None else np.zeros((0, DIMENSION), np.float32)
        self.labels = labels if labels is not None else np.zeros(0, dtype=str)
        self.learned()

    def learned(self) -> None:
        """What a subclass derives from ``vectors`` and ``labels`` (after training or loading)."""

    def train(self, training_data: TrainingData) -> Resource:
        vectors, labels = [], []
        for example in training_data.intent_examples:
            vector = sentence_embedding(example)
            if vector is not None and example.get(INTENT):
                vectors.append(vector)
                labels.append(example.get(INTENT))
        self.vectors = np.array(vectors, dtype=np.float32).reshape(-1, DIMENSION)
        self.labels = np.array(labels, dtype=str)
        self.learned()
        with self._model_storage.write_to(self._resource) as folder:
            np.savez_compressed(folder / "examples.npz", vectors=self.vectors, labels=self.labels)
        return self._resource

    @classmethod
    def read_learned(cls, model_storage: ModelStorage, resource: Resource) -> tuple[Any, ...]:
        try:
            with (
                model_storage.read_from(resource) as folder,
                np.load(folder / "examples.npz", allow_pickle=False) as saved,
            ):
                return saved["vectors"], saved["labels"]
        except (ValueError, FileNotFoundError):
            logger.warning("%s: no stored examples; it changes nothing", cls.__name__)
            return ()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class EmbeddingOutOfScope(ExampleMeanings):
    """Out-of-scope by meaning: far from every in-scope training example → ``out_of_scope``."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Neighbours averaged per side.
            "k": 3,
            # Below this mean similarity to the nearest in-scope examples: out of scope.
            "threshold": 0.5,
            # Out of scope also when the out-of-scope examples are this much nearer.
            "margin": 0.1,
        }

    def learned(self) -> None:
        outside = self.labels == OUT_OF_SCOPE
        self.in_scope = self.vectors[~outside]
        self.out_of_scope = self.vectors[outside]

    def scores(self, vector: np.ndarray) -> tuple[float, float]:
        """Mean similarity to the ``k`` nearest in-scope and out-of-scope examples."""
        k = int(self.config["k"])

        def nearest(examples: np.ndarray) -> float:
            if not len(examples):
                return -1.0
            sims = examples @ vector
            top = np.partition(sims, -k)[-k:] if len(sims) > k else sims
            return float(top.mean())

        return nearest(self.in_scope), nearest(self.out_of_scope)

    def process(self, messages: list[Message]) -> list[Message]:
        if not len(self.in_scope):
            return messages
        for message in messages:
            intent = message.get(INTENT)
            vector = sentence_embedding(message)
            if vector is None or not intent or intent.get("name") == OUT_OF_SCOPE:
                continue
            # Numbers alone ("4321", "twelve") mean something at a prompt (a PIN, a quantity, an
            # option, a time) that their embedding cannot show: the dialogue decides, not this.
            if is_only_numbers(message.get(TEXT) or ""):
                continue
            inside, outside = self.scores(vector)
            if inside >= self.config["threshold"] and outside - inside < self.config["margin"]:
                continue
            ranking = [r for r in message.get("intent_ranking") or [] if r["name"] != OUT_OF_SCOPE]
            # Confidence: how far below the line it is, in [0.5, 1].
            confidence = float(
                min(1.0, 0.5 + max(self.config["threshold"] - inside, outside - inside))
            )
            rejected = {"name": OUT_OF_SCOPE, "confidence": confidence}
            message.set(INTENT, rejected, add_to_output=True)
            message.set("intent_ranking", [rejected, *ranking], add_to_output=True)
        return messages
