"""The assistant's own Rasa NLU components (run inside .venv-rasa, Python 3.10+ syntax).

config.yml names them by module path, e.g. ``nlu.components.SentenceEmbeddingFeaturizer``;
Rasa imports them with the repository root on ``sys.path`` (``rasa`` adds the working
directory, and the project starts Rasa from the repository root).

- ``encoder.py``: all-MiniLM-L6-v2 sentence embeddings in numpy, weights from a pinned package.
- ``components.py``: the featurizer that adds those embeddings beside the n-gram features, and
  the out-of-scope detector that compares a sentence's meaning with the training examples'.
- ``quantities.py``: the quantity reader after the CRF: numbers said ("twelve", "2", "a couple
  of") are quantities, never products; ``numbers.py`` reads them (plain Python, text2num).
"""
