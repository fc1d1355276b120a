"""Rasa 3.6 graph component: the intent classifier's ranking blended with a vote of the nearest
training examples by meaning.

The logistic regression draws one boundary per intent over n-gram counts and the sentence
embedding; a sentence worded like no training example of its intent, but meaning what one of
them means, can fall on the wrong side. ``NeighbourVote`` runs after the classifier: the ``k``
training examples whose embeddings are nearest the message's vote for their intents (weighted by
``softmax(similarity / temperature)``), and each intent's confidence becomes
``(1 - weight) * classifier + weight * vote``. Out of scope by meaning (``EmbeddingOutOfScope``)
and the fallback threshold come after it and see the blended ranking.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message

from nlu.components import ExampleMeanings, sentence_embedding

RANKING = "intent_ranking"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class NeighbourVote(ExampleMeanings):
    """Blend the intent ranking with the nearest training examples' intents (by meaning)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Training examples that vote.
            "k": 5,
            # Share of the vote in the blended confidence (0: the classifier alone).
            "weight": 0.3,
            # Softmax temperature over the neighbours' cosine similarities: lower, the nearest
            # one counts more.
            "temperature": 0.05,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not 0.0 <= float(config.get("weight", 0.3)) <= 1.0:
            raise ValueError("NeighbourVote: weight must be between 0 and 1")
        if int(config.get("k", 5)) < 1 or float(config.get("temperature", 0.05)) <= 0:
            raise ValueError("NeighbourVote: k must be at least 1 and temperature positive")

    def vote(self, vector: np.ndarray) -> dict[str, float]:
        """Each intent's share of the ``k`` nearest training examples' vote (sums to 1)."""
        sims = self.vectors @ vector
        k = min(int(self.config["k"]), len(sims))
        nearest = np.argpartition(-sims, k - 1)[:k]
        weights = np.exp((sims[nearest] - sims[nearest].max()) / self.config["temperature"])
        weights /= weights.sum()
        votes: dict[str, float] = {}
        for label, weight in zip(self.labels[nearest], weights, strict=True):
            votes[str(label)] = votes.get(str(label), 0.0) + float(weight)
        return votes

    def process(self, messages: list[Message]) -> list[Message]:
        weight = float(self.config["weight"])
        if not len(self.vectors) or weight == 0:
            return messages
        for message in messages:
            ranking = message.get(RANKING) or []
            vector = sentence_embedding(message)
            if not ranking or vector is None:
                continue
            votes = self.vote(vector)
            confidence = {r["name"]: (1 - weight) * float(r["confidence"]) for r in ranking}
            for name, share in votes.items():
                confidence[name] = confidence.get(name, 0.0) + weight * share
            blended = [
                {"name": name, "confidence": value}
                for name, value in sorted(confidence.items(), key=lambda item: -item[1])
            ][: len(ranking)]
            message.set(INTENT, blended[0], add_to_output=True)
            message.set(RANKING, blended, add_to_output=True)
        return messages
