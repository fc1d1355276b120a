from __future__ import annotations

import math
from pathlib import Path

import pytest

from audio import arpa
from audio.g2p import ipa_to_arpabet, pronounce, pronounce_many

CORPUS = [
    ["add", "milk", "to", "my", "basket"],
    ["add", "eggs", "to", "my", "basket"],
    ["add", "two", "litres", "of", "milk"],
    ["remove", "the", "milk"],
    ["i", "live", "in", "san", "francisco"],
    ["san", "francisco", "is", "foggy"],
    ["remove", "the", "eggs", "from", "my", "basket"],
]


def test_every_context_distribution_sums_to_one() -> None:
    model = arpa.estimate(CORPUS, order=3)
    vocabulary = sorted(model.vocabulary - {arpa.BOS})
    histories = [(), ("add",), ("my",), (arpa.BOS,), ("add", "two"), ("the", "milk"), ("zz",)]
    histories += [g[:-1] for g in model.logprob if len(g) == 3][:40]
    for history in histories:
        total = sum(10 ** model.log10_prob(w, history) for w in vocabulary)
        assert total == pytest.approx(1.0, abs=1e-6), history


def test_kneser_ney_lowers_words_seen_in_one_context_only() -> None:
    # "francisco" is as frequent as "basket"'s neighbours but only ever follows "san":
    # its continuation unigram must be below that of "milk", seen after many words.
    model = arpa.estimate(CORPUS, order=3)
    assert model.log10_prob("francisco") < model.log10_prob("milk")
    assert model.log10_prob("francisco", ["san"]) > math.log10(0.5)


def test_arpa_file_loads_in_pocketsphinx(tmp_path: Path) -> None:
    from pocketsphinx import NGramModel

    path = arpa.estimate(CORPUS, order=3).write_arpa(tmp_path / "t.arpa")
    text = path.read_text()
    assert text.startswith("\\data\\")
    assert "\\3-grams:" in text
    assert text.rstrip().endswith("\\end\\")
    loaded = NGramModel.readfile(str(path))
    model = arpa.estimate(CORPUS, order=3)
    # pocketsphinx's own back-off arithmetic gives our probabilities (its log base is 1.0001;
    # its word lists run from the predicted word back through the history)
    for words in (["milk", "of", "litres"], ["francisco", "san"], ["foggy", "the", "remove"]):
        theirs = loaded.prob(words) * math.log10(1.0001)
        ours = model.log10_prob(words[0], list(reversed(words[1:])))
        assert theirs == pytest.approx(ours, abs=0.01)


def test_ipa_is_mapped_to_arpabet() -> None:
    assert ipa_to_arpabet("b æ z m ˈɑː ɾ i") == ["B", "AE", "Z", "M", "AA", "T", "IY"]
    assert ipa_to_arpabet("tʃ ˈɪ k p iː z") == ["CH", "IH", "K", "P", "IY", "Z"]
    assert ipa_to_arpabet("s ˈaʊ ɚ d ˌoʊ") == ["S", "AW", "ER", "D", "OW"]


def test_espeak_supplies_pronunciations_for_unknown_words() -> None:
    assert pronounce("basmati") == "B AE Z M AA T IY"
    batch = pronounce_many(["chickpeas", "greenleaf", "sourdough"])
    assert batch["chickpeas"] == "CH IH K P IY Z"
    assert batch["greenleaf"].startswith("G R IY N L IY F")
