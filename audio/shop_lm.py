"""The recogniser knows the shop: a language model built from the NLU training sentences and
the catalog (product names, brands, units, numbers, store names, times, recipes). The catalog's
names come from the commerce service's vocabulary (``CatalogTerms.from_vocabulary``).

``ensure_shop_model(nlu_dir, folder, terms)`` writes, into ``folder`` (``var/speech`` by default):

* ``corpus.txt``   — the normalised sentences the model is estimated from;
* ``shop.arpa``    — an interpolated Kneser-Ney trigram model (``audio.arpa``) for pocketsphinx;
* ``shop.dict``    — pronunciations of every word of the corpus: pocketsphinx's CMU dictionary
  where it has the word, espeak-ng's phonemes mapped to ARPAbet where it does not;
* ``phrases.json`` — the phrase list for vosk's ``KaldiRecognizer`` (ending in ``[unk]``);
* ``stamp.json``   — the digest of everything above's inputs. Nothing is rebuilt while the
  NLU sentences, the catalog, the dictionary and this builder's version are unchanged.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from audio import arpa, g2p
from audio.errors import SpeechToTextError
from audio.text import normalize, number_words

log = logging.getLogger(__name__)

BUILD_VERSION = "shop-lm-4"  # bump when the corpus recipe or the file formats change
UNK = "[unk]"

_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def strip_annotations(example: str) -> str:
    """``add [two](quantity) [milk](product)`` -> ``add two milk``."""
    return _ANNOTATION.sub(r"\1", example)


def nlu_sentences(nlu_dir: Path) -> list[str]:
    """Every intent example of ``nlu_data/*/nlu.yml``, annotations stripped, in file order."""
    sentences: list[str] = []
    for path in sorted(nlu_dir.glob("*/nlu.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        for item in data.get("nlu") or []:
            if "intent" not in item:
                continue
            for line in str(item.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    sentences.append(strip_annotations(line[2:]).strip())
    return sentences


@dataclass(frozen=True)
class CatalogTerms:
    """The names a customer may say, normalised: what the LM and the corrector know."""

    products: tuple[str, ...]  # product names, generic items and their synonyms
    brands: tuple[str, ...]
    recipes: tuple[str, ...]
    stores: tuple[str, ...]
    brand_products: tuple[str, ...]  # "heinz tomato ketchup": how brands are said with names
    # (generic item, how it is measured: "volume" / "weight" / "count"): "two litres of milk"
    measures: tuple[tuple[str, str], ...] = ()

    def all_names(self) -> tuple[str, ...]:
        return tuple(sorted({*self.products, *self.brands, *self.recipes, *self.stores}))

    @classmethod
    def from_vocabulary(cls, vocabulary: Mapping[str, Any]) -> CatalogTerms:
        """From the commerce service's vocabulary (``GET /v1/catalog/vocabulary``)."""

        def clean(values: Iterable[str]) -> tuple[str, ...]:
            return tuple(sorted({n for n in (normalize(v) for v in values) if n}))

        measures: dict[str, str] = {}
        for item, dimension in vocabulary["measures"].items():
            measures.setdefault(normalize(item), dimension)
        return cls(
            measures=tuple(sorted(measures.items())),
            products=clean(vocabulary["products"]),
            brands=clean(vocabulary["brands"]),
            recipes=clean(vocabulary["recipes"]),
            stores=clean(vocabulary["stores"]),
            brand_products=clean(vocabulary["brand_products"]),
        )


UNITS = (
    "litre", "litres", "liter", "liters", "pint", "pints", "kilo", "kilos", "kilogram",
    "kilograms", "gram", "grams", "millilitres", "pack", "packs", "bottle", "bottles", "tin",
    "tins", "can", "cans", "jar", "jars", "box", "boxes", "loaf", "loaves", "bag", "bags",
    "dozen", "bunch", "carton", "cartons", "tub", "tubs",
)  # fmt: skip
QUANTITIES = (
    "a", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "twelve", "half a", "a couple of", "a dozen", "some", "a few", "twenty", "five hundred",
    "two hundred and fifty",
)  # fmt: skip
DAYS = (
    "today", "tomorrow", "tonight", "this afternoon", "this evening", "on monday",
    "on tuesday", "on wednesday", "on thursday", "on friday", "on saturday", "on sunday",
    "saturday morning", "sunday afternoon", "next monday", "next friday", "the day after tomorrow",
)  # fmt: skip


def _times() -> list[str]:
    hours = [number_words(h) for h in range(1, 13)]
    times = [f"{h} {s}" for h in hours for s in ("o'clock", "pm", "am", "thirty", "fifteen")]
    times += [f"half past {h}" for h in hours] + [f"quarter past {h}" for h in hours]
    times += [f"quarter to {h}" for h in hours] + hours + ["noon", "midday"]
    return times


def template_sentences(terms: CatalogTerms) -> list[str]:
    """Carrier sentences that put every catalog name, unit, number and time in context.

    Deterministic: each name is rotated through a few templates rather than all of them,
    so the corpus stays a few thousand sentences.
    """
    product_templates = (
        "add {q} {p}", "add {p} to my basket", "put {q} {p} on my list", "do you have {p}",
        "how much is the {p}", "search for {p}", "remove the {p}", "i need {q} {p}",
        "is there any {p} in stock", "add {q} {u} of {p}", "buy {p} again", "find me {p}",
    )  # fmt: skip
    out: list[str] = []
    for i, name in enumerate(terms.products):
        for k in range(3):
            template = product_templates[(i * 3 + k) % len(product_templates)]
            out.append(
                template.format(
                    p=name, q=QUANTITIES[(i + k) % len(QUANTITIES)], u=UNITS[(i + k) % len(UNITS)]
                )
            )
    # Quantities with the units each item is sold in: "two litres of milk", "a kilo of apples".
    amounts = {
        "volume": ("a litre of", "two litres of", "a pint of", "four pints of", "half a litre of",
                   "a bottle of", "two cartons of", "five hundred millilitres of"),
        "weight": ("a kilo of", "two kilos of", "five hundred grams of", "a bag of",
                   "two hundred grams of", "a pack of", "half a kilo of"),
        "count": ("a", "two", "three", "six", "a pack of", "a box of", "a dozen"),
    }  # fmt: skip
    carriers = ("add {} {}", "i need {} {}", "put {} {} in my basket")
    for i, (item, measure) in enumerate(terms.measures):
        for k, carrier in enumerate(carriers):
            out.append(carrier.format(amounts[measure][(i + k) % len(amounts[measure])], item))
    for i, name in enumerate(terms.brand_products):
        out.append(("add {}" if i % 2 else "do you have {}").format(name))
    for i, brand in enumerate(terms.brands):
        out.append(("add some {}" if i % 2 else "anything from {}").format(brand))
    for recipe in terms.recipes:
        out += [f"how do i make {recipe}", f"add the ingredients for {recipe}"]
        out.append(f"add {recipe} for {number_words(2 + len(recipe) % 6)} people")
    times = _times()
    for i, store in enumerate(terms.stores):
        for k, day in enumerate(DAYS):
            time = times[(i * len(DAYS) + k) % len(times)]
            out.append(f"book a pickup at the {store} store {day} at {time}")
        out += [f"when does the {store} store close", f"pick up from {store}"]
    for k, day in enumerate(DAYS):
        out.append(f"move my pickup to {day} at {times[(k * 7) % len(times)]}")
    for n in range(1, 21):
        out.append(f"the {['first', 'second', 'third', 'fourth', 'fifth'][n % 5]} one")
        out.append(f"add {number_words(n)}")
    return out


_PRODUCT = re.compile(r"\[([^\]]+)\]\(product\)")


def whisper_prompt(nlu_dir: Path, terms: CatalogTerms, products: int = 14) -> str:
    """Text that primes Whisper with the shop's words: how customers talk to it, the store
    names, and the products the NLU sentences name most (a prompt holds a few dozen words, so
    the rest of the catalog is left to the correction step). Built afresh at every start from
    the NLU data and the catalog, so it follows both."""
    counts: dict[str, int] = {}
    for path in sorted(nlu_dir.glob("*/nlu.yml")):
        for name in _PRODUCT.findall(path.read_text()):
            key = normalize(name)
            counts[key] = counts.get(key, 0) + 1
    named = sorted(counts, key=lambda n: (-counts[n], n))[:products]
    stores = [s.title() for s in terms.stores if not s.startswith("greenleaf")]
    return (
        f"Greenleaf groceries at {', '.join(stores)}. Add two litres of {', '.join(named)} "
        "to my basket. Book a pickup tomorrow at 5 pm."
    )


def shop_corpus(nlu_dir: Path, terms: CatalogTerms) -> list[str]:
    """Normalised sentences: the NLU examples, then the catalog templates."""
    sentences = [normalize(s) for s in nlu_sentences(nlu_dir)]
    sentences += [normalize(s) for s in template_sentences(terms)]
    return [s for s in sentences if s]


@dataclass(frozen=True)
class ShopModel:
    """The built artefacts (paths) and the vocabulary they cover."""

    folder: Path
    digest: str
    vocabulary: frozenset[str]

    @property
    def arpa(self) -> Path:
        return self.folder / "shop.arpa"

    @property
    def dictionary(self) -> Path:
        return self.folder / "shop.dict"

    @property
    def phrases_file(self) -> Path:
        return self.folder / "phrases.json"

    @property
    def corpus_file(self) -> Path:
        return self.folder / "corpus.txt"

    def phrases(self) -> list[str]:
        """The vosk phrase list (sentences, names and single words), ``[unk]`` last."""
        phrases: list[str] = json.loads(self.phrases_file.read_text())
        return phrases


def default_dictionary() -> Path:
    """pocketsphinx's bundled CMU dictionary."""
    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"


def _digest(corpus: list[str], dictionary: Path) -> str:
    h = hashlib.sha256(BUILD_VERSION.encode())
    h.update(hashlib.sha256(dictionary.read_bytes()).digest())
    for sentence in corpus:
        h.update(sentence.encode())
        h.update(b"\n")
    return h.hexdigest()


def _phrase_list(corpus: list[str], terms: CatalogTerms, vocabulary: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for phrase in [*corpus, *terms.all_names(), *sorted(vocabulary)]:
        seen.setdefault(phrase, None)
    return [*seen, UNK]


def ensure_shop_model(
    nlu_dir: Path,
    folder: Path,
    terms: CatalogTerms,
    dictionary: Path | None = None,
) -> ShopModel:
    """Build the shop LM, dictionary and phrase list into ``folder`` unless they are current:
    from the NLU sentences in ``nlu_dir`` (``*/nlu.yml``) and the catalog's ``terms``."""
    dictionary = dictionary or default_dictionary()
    corpus = shop_corpus(nlu_dir, terms)
    digest = _digest(corpus, dictionary)
    stamp = folder / "stamp.json"
    vocabulary = frozenset(w for s in corpus for w in s.split())
    if _current(stamp, digest):
        return ShopModel(folder, digest, vocabulary)
    folder.parent.mkdir(parents=True, exist_ok=True)
    # processes starting together (the gateway's recogniser workers) build it once, in turn
    with (folder.parent / f".{folder.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _current(stamp, digest):
            return ShopModel(folder, digest, vocabulary)
        _build(folder, corpus, digest, dictionary, terms, vocabulary)
    return ShopModel(folder, digest, vocabulary)


def _current(stamp: Path, digest: str) -> bool:
    if not stamp.exists():
        return False
    try:
        return bool(json.loads(stamp.read_text()).get("digest") == digest)
    except json.JSONDecodeError:
        log.warning("ignoring a damaged %s", stamp)
        return False


def _build(
    folder: Path,
    corpus: list[str],
    digest: str,
    dictionary: Path,
    terms: CatalogTerms,
    vocabulary: frozenset[str],
) -> None:
    log.info("building the shop language model in %s (%d sentences)", folder, len(corpus))
    work = Path(tempfile.mkdtemp(prefix=".shop-lm-", dir=folder.parent))
    try:
        (work / "corpus.txt").write_text("\n".join(corpus) + "\n")
        model = arpa.estimate((s.split() for s in corpus), order=3)
        model.write_arpa(work / "shop.arpa")
        missing = _write_dictionary(work / "shop.dict", vocabulary, dictionary)
        phrases = _phrase_list(corpus, terms, vocabulary)
        (work / "phrases.json").write_text(json.dumps(phrases, indent=0))
        (work / "stamp.json").write_text(
            json.dumps(
                {
                    "digest": digest,
                    "version": BUILD_VERSION,
                    "sentences": len(corpus),
                    "words": len(vocabulary),
                    "g2p_words": missing,
                },
                indent=1,
            )
        )
        if folder.exists():
            shutil.rmtree(folder)
        work.rename(folder)
    except Exception:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _write_dictionary(path: Path, vocabulary: Iterable[str], base: Path) -> list[str]:
    """Write pronunciations of ``vocabulary``; return the words espeak-ng had to supply."""
    if not base.exists():
        raise SpeechToTextError("stt-model-missing", f"pronunciation dictionary {base} is missing")
    known = g2p.read_dictionary(base)
    lines: list[str] = []
    missing = sorted(w for w in vocabulary if w not in known)
    supplied = g2p.pronounce_many(missing)
    for word in sorted(vocabulary):
        prons = known.get(word) or [supplied[word]]
        for k, phones in enumerate(prons):
            lines.append(f"{word} {phones}" if k == 0 else f"{word}({k + 1}) {phones}")
    path.write_text("\n".join(lines) + "\n")
    if missing:
        log.info("pronunciations from espeak-ng for %d words: %s", len(missing), missing[:20])
    return missing
