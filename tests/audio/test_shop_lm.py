from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from audio.correction import TranscriptCorrector
from audio.g2p import read_dictionary
from audio.shop_lm import (
    UNK,
    CatalogTerms,
    ShopModel,
    ensure_shop_model,
    nlu_sentences,
    strip_annotations,
)

ROOT = Path(__file__).resolve().parents[2]


def test_annotations_are_stripped() -> None:
    line = "add [two](quantity) [litres](unit) of [semi skimmed milk](product)"
    line += ' from [x]{"entity": "brand"}'
    assert strip_annotations(line) == "add two litres of semi skimmed milk from x"


def test_corpus_holds_the_nlu_sentences_and_the_catalog(
    shop: ShopModel, terms: CatalogTerms
) -> None:
    corpus = set(shop.corpus_file.read_text().splitlines())
    assert "add a dozen eggs" in corpus  # nlu_data/basket: "add a [dozen](unit) [eggs](product)"
    assert len(nlu_sentences(ROOT / "nlu_data")) > 1000
    assert "basmati rice" in terms.products
    assert "riverside" in terms.stores
    assert {"basmati", "greenleaf", "riverside", "litres", "tomorrow"} <= shop.vocabulary


def test_every_word_of_the_lm_has_a_pronunciation(shop: ShopModel) -> None:
    dictionary = read_dictionary(shop.dictionary)
    unigrams = set()
    section = ""
    for line in shop.arpa.read_text().splitlines():
        if line.startswith("\\"):
            section = line
        elif section == "\\1-grams:" and line.strip():
            unigrams.add(line.split("\t")[1])
    assert len(unigrams) > 1000
    assert unigrams - {"<s>", "</s>"} <= set(dictionary)
    assert dictionary["basmati"] == ["B AE Z M AA T IY"]  # from espeak-ng, not in CMUdict
    stamp = json.loads((shop.folder / "stamp.json").read_text())
    assert "basmati" in stamp["g2p_words"]


def test_vosk_phrase_list_ends_with_unk(shop: ShopModel) -> None:
    phrases = shop.phrases()
    assert phrases[-1] == UNK
    assert UNK not in phrases[:-1]
    assert "basmati rice" in phrases
    assert "add a dozen eggs" in phrases
    assert "milk" in phrases


def test_rebuilt_only_when_sentences_or_catalog_change(tmp_path: Path, terms: CatalogTerms) -> None:
    nlu_dir = tmp_path / "project" / "nlu_data"
    shutil.copytree(ROOT / "nlu_data", nlu_dir)
    folder = tmp_path / "speech"
    first = ensure_shop_model(nlu_dir, folder, terms)
    built = first.arpa.stat().st_mtime_ns
    again = ensure_shop_model(nlu_dir, folder, terms)
    assert again.digest == first.digest
    assert again.arpa.stat().st_mtime_ns == built
    nlu = nlu_dir / "basket" / "nlu.yml"
    nlu.write_text(
        nlu.read_text().replace(
            "- add [milk](product)\n", "- add [milk](product)\n    - fetch me some zebrafruit\n", 1
        )
    )
    changed = ensure_shop_model(nlu_dir, folder, terms)
    assert changed.digest != first.digest
    assert "zebrafruit" in changed.vocabulary
    assert "zebrafruit" in changed.dictionary.read_text()
    new_recipe = replace(terms, recipes=(*terms.recipes, "quokka stew"))
    recatalogued = ensure_shop_model(nlu_dir, folder, new_recipe)
    assert recatalogued.digest != changed.digest
    assert "quokka" in recatalogued.vocabulary
    assert not list(tmp_path.glob(".shop-lm-*"))  # no build folders left behind


def test_corrector_snaps_near_misses_onto_catalog_names(
    shop: ShopModel, terms: CatalogTerms
) -> None:
    corrector = TranscriptCorrector(terms.all_names(), shop.vocabulary)
    assert corrector.correct("add some chick peace") == "add some chickpeas"
    assert corrector.correct("do you have basmaty rice") == "do you have basmati rice"
    assert corrector.correct("put some chedder in the basket") == "put some cheddar in the basket"
    assert corrector.correct("add to percent milk") == "add two percent milk"
    assert corrector.correct("add for pints of milk") == "add four pints of milk"


def test_corrector_leaves_shop_words_and_unrelated_words_alone(
    shop: ShopModel, terms: CatalogTerms
) -> None:
    corrector = TranscriptCorrector(terms.all_names(), shop.vocabulary)
    for text in ("where is my order", "add two litres of milk to my basket", "go to the shop"):
        assert corrector.correct(text) == text
    assert corrector.correct("xylophone quartet") == "xylophone quartet"


def _build_in_process(folder: str, terms: CatalogTerms) -> str:
    from audio.shop_lm import ensure_shop_model

    return ensure_shop_model(ROOT / "nlu_data", Path(folder), terms).digest


def test_processes_starting_together_build_the_model_once_without_failing(
    tmp_path: Path, terms: CatalogTerms
) -> None:
    """The gateway's recogniser workers start at once and find the model stale together: one
    builds it, the others wait and use it (they raced and failed before)."""
    import multiprocessing

    folder = tmp_path / "speech" / "shop"
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        digests = pool.starmap(_build_in_process, [(str(folder), terms)] * 3)
    assert len(set(digests)) == 1
    assert (folder / "stamp.json").is_file()
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".shop-lm-")] == []


def test_an_error_raised_in_a_worker_process_reaches_its_caller_whole() -> None:
    import pickle

    from assistant.errors import CommerceError, SpeechToTextError

    error = pickle.loads(  # noqa: S301 - our own bytes, as between worker processes
        pickle.dumps(SpeechToTextError("stt-failed", "Whisper: out of memory"))
    )
    assert (type(error), error.code, error.message) == (
        SpeechToTextError,
        "stt-failed",
        "Whisper: out of memory",
    )
    full = pickle.loads(  # noqa: S301 - our own bytes
        pickle.dumps(CommerceError("slot-full", "Full.", 409, {"free": [1]}))
    )
    assert (full.status, full.details) == (409, {"free": [1]})
