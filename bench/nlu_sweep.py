"""Quick sweep of the intent model's settings on cached features (development only).

A full ``bench_nlu.py`` run trains Rasa twice per pipeline (minutes each on this machine). This
script computes the features once — the sentence embeddings through ``nlu/encoder.py``, the word
and character n-grams with scikit-learn's ``CountVectorizer`` as Rasa's
``CountVectorsFeaturizer`` configures it (lower case, the same n-gram ranges and ``min_df``) —
and then scores many settings of the classifier in seconds each, on the same two sets choices
are made on: the held-out split (``bench_nlu.py``'s 80/20, same seed) and the development set.
The public eval is never read here.

Each setting is scored the way the pipeline decides: the logistic regression's ranking,
optionally blended with a vote of the ``knn`` nearest training examples by meaning
(``nlu.components.NeighbourVote``), then the out-of-scope check by meaning
(``EmbeddingOutOfScope``) and the fallback threshold. The lookup-table regex features are left
out (entities only, in the project's pipelines, apart from a handful of product-name hints).
Its figures are close to, not the same as, the Rasa pipeline's: what is chosen here is then
measured side by side by ``bench_nlu.py`` (``bench/configs/``).

    nice -n 10 .venv-rasa/bin/python bench/nlu_sweep.py
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.nlu_runs import load_nlu  # noqa: E402
from nlu.numbers import is_only_numbers  # noqa: E402

OUT_OF_SCOPE = "out_of_scope"
WORD = r"(?u)\b\w+\b"  # a word of one letter or more, as WhitespaceTokenizer keeps "i", "a"


@dataclass(frozen=True)
class Split:
    texts: list[str]
    intents: list[str]
    embeddings: np.ndarray


def _embed(texts: list[str], cache: Path) -> np.ndarray:
    from nlu.encoder import get_encoder

    known: dict[str, np.ndarray] = {}
    if cache.exists():
        with np.load(cache, allow_pickle=False) as saved:
            known = dict(zip(saved["texts"].tolist(), saved["vectors"], strict=True))
    todo = sorted({t for t in texts if t not in known})
    if todo:
        for text, vector in zip(todo, get_encoder().embed(todo), strict=True):
            known[text] = vector
        names = list(known)
        np.savez(cache, texts=np.array(names), vectors=np.stack([known[n] for n in names]))
    return np.stack([known[t] for t in texts]).astype(np.float32)


def _split(examples: list[Any], cache: Path) -> Split:
    texts = [ex.get("text") for ex in examples]
    return Split(texts, [ex.get("intent") for ex in examples], _embed(texts, cache))


def _ngrams(train: list[str]) -> Any:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            ("words", CountVectorizer(token_pattern=WORD)),
            ("char_wb", CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3)),
            ("char", CountVectorizer(analyzer="char", ngram_range=(3, 6), min_df=3)),
        ]
    ).fit([t.lower() for t in train])


def _out_of_scope(
    train: Split, vectors: np.ndarray, k: int, threshold: float, margin: float
) -> np.ndarray:
    """EmbeddingOutOfScope's decision for each row of ``vectors``."""
    outside_rows = np.array([i == OUT_OF_SCOPE for i in train.intents])
    sims = vectors @ train.embeddings.T

    def nearest(block: np.ndarray) -> np.ndarray:
        return np.sort(block, axis=1)[:, -k:].mean(1)

    inside, outside = nearest(sims[:, ~outside_rows]), nearest(sims[:, outside_rows])
    return (inside < threshold) | (outside - inside >= margin)


def _knn_votes(
    train: Split, vectors: np.ndarray, classes: list[str], k: int, temperature: float
) -> np.ndarray:
    """NeighbourVote's distribution: softmax(similarity / temperature) over the k nearest."""
    sims = vectors @ train.embeddings.T
    index = {c: i for i, c in enumerate(classes)}
    labels = np.array([index[i] for i in train.intents])
    top = np.argpartition(-sims, k, axis=1)[:, :k]
    votes = np.zeros((len(vectors), len(classes)))
    for row in range(len(vectors)):
        weights = np.exp((sims[row, top[row]] - sims[row, top[row]].max()) / temperature)
        np.add.at(votes[row], labels[top[row]], weights / weights.sum())
    return votes


def score(
    train: Split, test: Split, setting: dict[str, Any], vectorizer: Any, cached: dict
) -> dict[str, float]:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    scale = setting["scale"]
    key = (scale, setting["C"], setting["balanced"], setting["max_iter"])
    if key not in cached:
        x_train = hstack(
            [
                vectorizer.transform([t.lower() for t in train.texts]),
                csr_matrix(train.embeddings * scale),
            ]
        ).tocsr()
        clf = LogisticRegression(
            C=setting["C"],
            max_iter=setting["max_iter"],
            class_weight="balanced" if setting["balanced"] else None,
            random_state=42,
        )
        clf.fit(x_train, train.intents)
        cached[key] = clf
    clf = cached[key]
    x_test = hstack(
        [vectorizer.transform([t.lower() for t in test.texts]), csr_matrix(test.embeddings * scale)]
    ).tocsr()
    probs = clf.predict_proba(x_test)
    classes = list(clf.classes_)
    if setting["knn_weight"]:
        votes = _knn_votes(train, test.embeddings, classes, setting["knn_k"], setting["knn_temp"])
        probs = (1 - setting["knn_weight"]) * probs + setting["knn_weight"] * votes
    rejected = _out_of_scope(
        train, test.embeddings, 3, setting["oos_threshold"], setting["oos_margin"]
    )
    right = in_right = in_total = oos_right = oos_total = 0
    for row, gold in enumerate(test.intents):
        order = np.argsort(-probs[row])
        top, second = probs[row, order[0]], probs[row, order[1]]
        predicted = classes[order[0]]
        if predicted != OUT_OF_SCOPE and rejected[row] and not is_only_numbers(test.texts[row]):
            predicted = OUT_OF_SCOPE
        elif top < setting["fallback"] or top - second < setting["ambiguity"]:
            predicted = "nlu_fallback"
        ok = predicted == gold or (gold == OUT_OF_SCOPE and predicted == "nlu_fallback")
        right += ok
        if gold == OUT_OF_SCOPE:
            oos_total += 1
            oos_right += ok
        else:
            in_total += 1
            in_right += ok
    return {
        "accuracy": round(right / len(test.intents), 4),
        "in_scope": round(in_right / in_total, 4),
        "oos": round(oos_right / oos_total, 4) if oos_total else 0.0,
    }


BASE = {
    "scale": 10.0,
    "C": 1.0,
    "balanced": True,
    "max_iter": 60,
    "knn_weight": 0.0,
    "knn_k": 5,
    "knn_temp": 0.05,
    "oos_threshold": 0.4,
    "oos_margin": 0.05,
    "fallback": 0.3,
    "ambiguity": 0.05,
}
GRID: dict[str, list[Any]] = {
    "scale": [5.0, 10.0, 15.0, 20.0],
    "C": [0.5, 1.0, 2.0, 4.0],
    "balanced": [True, False],
    "knn_weight": [0.0, 0.2, 0.35, 0.5],
    "knn_k": [3, 5, 10],
    "knn_temp": [0.02, 0.05, 0.1],
    "oos_threshold": [0.35, 0.4, 0.45],
    "oos_margin": [0.03, 0.05, 0.08],
    "fallback": [0.2, 0.3, 0.4],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / "nlu_data")
    parser.add_argument("--dev", type=Path, default=REPO / "bench" / "dev" / "nlu_dev.yml")
    parser.add_argument("--cache", type=Path, default=REPO / "var" / "nlu_sweep_embeddings.npz")
    parser.add_argument("--vary", nargs="*", default=list(GRID), help="settings varied one by one")
    parser.add_argument("--grid", nargs="*", default=[], help="settings varied jointly")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    args.cache.parent.mkdir(parents=True, exist_ok=True)

    from rasa.shared.nlu.training_data.loading import load_data

    started = time.perf_counter()
    data = load_nlu(args.data)
    train_data, test_data = data.train_test_split(train_frac=0.8, random_seed=args.seed)
    full = _split(data.intent_examples, args.cache)
    train = _split(train_data.intent_examples, args.cache)
    test = _split(test_data.intent_examples, args.cache)
    dev = _split(load_data(str(args.dev)).intent_examples, args.cache)
    print(f"features in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    split_vec, full_vec = _ngrams(train.texts), _ngrams(full.texts)
    split_cache: dict = {}
    full_cache: dict = {}

    settings = [dict(BASE)]
    for name in args.vary:
        settings += [{**BASE, name: value} for value in GRID[name] if value != BASE[name]]
    if args.grid:
        for values in itertools.product(*(GRID[name] for name in args.grid)):
            settings.append({**BASE, **dict(zip(args.grid, values, strict=True))})
    for setting in settings:
        changed = {k: v for k, v in setting.items() if v != BASE[k]} or "base"
        held = score(train, test, setting, split_vec, split_cache)
        on_dev = score(full, dev, setting, full_vec, full_cache)
        print(json.dumps({"changed": changed, "held_out": held, "dev": on_dev}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
