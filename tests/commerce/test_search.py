"""Product search over speech-recogniser output, on a small fixture catalog (the real catalog:
``test_search_catalog.py``; robustness: ``test_search_robustness.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from commerce.search import SearchIndex
from commerce.search_fields import MATCH_KINDS, SearchDoc, SearchHit
from commerce.text import PINT_ML, SizeHint, extract_size_hint, size_in_base_units

# sku, name, brand, department, category, size, unit, synonyms
_ROWS: list[tuple[str, str, str, str, str, float, str, tuple[str, ...]]] = [
    ("DAI-0001", "Whole Milk", "Meadow Farm", "dairy", "milk", 1, "L", ()),
    ("DAI-0002", "Whole Milk", "Meadow Farm", "dairy", "milk", 2, "L", ()),
    ("DAI-0003", "Semi-Skimmed Milk", "Meadow Farm", "dairy", "milk", 1, "L", ()),
    ("DAI-0004", "Semi-Skimmed Milk", "Meadow Farm", "dairy", "milk", 2, "L", ()),
    ("DAI-0005", "Semi-Skimmed Milk", "Meadow Farm", "dairy", "milk", 2.272, "L", ()),
    ("DAI-0006", "2% Reduced Fat Milk", "Meadow Farm", "dairy", "milk", 1, "L", ()),
    ("DAI-0007", "Skimmed Milk", "Greenleaf", "dairy", "milk", 1, "L", ()),
    ("DAI-0008", "Whole Milk", "Greenleaf", "dairy", "milk", 1, "L", ()),
    ("DAI-0009", "Oat Milk Barista Edition", "Oatfield", "dairy", "plant milk", 1, "L", ()),
    ("DAI-0010", "Free Range Large Eggs", "Happy Hen", "dairy", "egg", 6, "each", ()),
    ("DAI-0011", "Free Range Large Eggs", "Happy Hen", "dairy", "egg", 12, "each", ()),
    ("DAI-0012", "Medium Eggs", "Happy Hen", "dairy", "egg", 15, "each", ()),
    ("DAI-0013", "Greek Style Yogurt", "Meadow Farm", "dairy", "yogurt", 500, "g", ()),
    ("DAI-0014", "Strawberry Yoghurt", "Greenleaf", "dairy", "yogurt", 4, "each", ()),
    ("DAI-0015", "Mature Cheddar Cheese", "Meadow Farm", "dairy", "cheese", 400, "g", ()),
    ("DAI-0016", "Red Leicester Cheese", "Meadow Farm", "dairy", "cheese", 400, "g", ()),
    ("DAI-0017", "Salted Butter", "Greenleaf", "dairy", "butter", 250, "g", ()),
    ("SNA-0001", "Milk Chocolate Bar", "Cocoa & Co", "snacks", "chocolate", 100, "g", ()),
    ("SNA-0002", "Milk Chocolate Digestives", "Crumbs", "snacks", "biscuit", 300, "g", ()),
    ("PRO-0001", "Bananas", "Greenleaf", "produce", "banana", 5, "each", ()),
    ("PRO-0002", "Fairtrade Bananas Loose", "Sunny Isles", "produce", "banana", 1, "each", ()),
    ("PRO-0003", "Vine Tomatoes", "Greenleaf", "produce", "tomato", 6, "each", ()),
    ("PRO-0004", "Cherry Tomatoes", "Greenleaf", "produce", "tomato", 250, "g", ()),
    ("PRO-0005", "Courgettes", "Greenleaf", "produce", "courgette", 3, "each", ()),
    ("PRO-0006", "Baby Potatoes", "Greenleaf", "produce", "potato", 1, "kg", ()),
    ("PAN-0001", "Chopped Tomatoes", "Tuscan Sun", "pantry", "canned tomato", 400, "g", ()),
    ("PAN-0002", "Plain Flour", "Miller's", "pantry", "flour", 1.5, "kg", ()),
    ("PAN-0003", "Plain Flour", "Miller's", "pantry", "flour", 500, "g", ()),
    ("PAN-0004", "Self Raising Flour", "Miller's", "pantry", "flour", 1.5, "kg", ()),
    ("PAN-0005", "Cornflakes", "Sunrise", "pantry", "cereal", 500, "g", ()),
    ("PAN-0006", "Bran Flakes", "Sunrise", "pantry", "cereal", 750, "g", ()),
    ("PAN-0007", "Crunchy Peanut Butter", "Nutty", "pantry", "peanut butter", 340, "g", ()),
    ("PAN-0008", "Basmati Rice", "Tuscan Sun", "pantry", "rice", 1, "kg", ()),
    ("BAK-0001", "Sourdough Loaf", "Village Bakery", "bakery", "bread", 800, "g", ()),
    ("BAK-0002", "Thick Sliced White Bread", "Village Bakery", "bakery", "bread", 800, "g", ()),
    ("BAK-0003", "Wholemeal Bread", "Village Bakery", "bakery", "bread", 800, "g", ()),
    ("BAK-0004", "Banana Bread", "Village Bakery", "bakery", "cake", 400, "g", ()),
    ("BAK-0005", "Meat Loaf", "Butcher's Block", "meat", "meat loaf", 500, "g", ()),
    ("DRI-0001", "Cola", "Fizzco", "drinks", "cola", 2, "L", ()),
    ("DRI-0002", "Diet Cola", "Fizzco", "drinks", "cola", 2, "L", ()),
    ("DRI-0003", "Cloudy Lemonade", "Fizzco", "drinks", "lemonade", 2, "L", ("fizzy pop",)),
    ("DRI-0004", "Orange Juice", "Sunrise", "drinks", "juice", 1, "L", ("oj",)),
    ("HEA-0001", "Fresh Mint Toothpaste", "Brightsmile", "health", "toothpaste", 75, "ml", ()),
    ("HEA-0002", "Soft Toothbrush", "Brightsmile", "health", "toothbrush", 1, "each", ()),
    ("FRO-0001", "Garden Peas", "Frosty", "frozen", "pea", 900, "g", ()),
]

GLOBAL_SYNONYMS = {"coke": ("cola",), "zucchini": ("courgette",), "aubergine": ("eggplant",)}


def _docs() -> list[SearchDoc]:
    return [
        SearchDoc(i + 1, sku, name, brand, dept, cat, float(size), unit, syn)
        for i, (sku, name, brand, dept, cat, size, unit, syn) in enumerate(_ROWS)
    ]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(_docs(), GLOBAL_SYNONYMS)


_INDEX: list[SearchIndex] = []


def _shared_index() -> SearchIndex:
    """The fixture index for hypothesis tests (which cannot take function-scoped fixtures)."""
    if not _INDEX:
        _INDEX.append(SearchIndex(_docs(), GLOBAL_SYNONYMS))
    return _INDEX[0]


_BY_SKU = {row[0]: row for row in _ROWS}


def _names(hits: Sequence[SearchHit]) -> list[str]:
    return [_BY_SKU[h.sku][1] for h in hits]


def _top(index: SearchIndex, query: str) -> str:
    hits = index.search(query)
    assert hits, f"no hits for {query!r}"
    return hits[0].sku


# -- interface ---------------------------------------------------------------------------------


def test_len_and_hit_shape(index: SearchIndex) -> None:
    assert len(index) == len(_ROWS)
    hits = index.search("bananas", limit=3)
    assert 1 <= len(hits) <= 3
    assert all(isinstance(h, SearchHit) for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].product_id == next(d.product_id for d in _docs() if d.sku == hits[0].sku)


def test_default_synonyms_and_empty_index() -> None:
    assert SearchIndex([]).search("milk") == []
    assert len(SearchIndex([])) == 0
    assert SearchIndex(_docs()).search("milk")


@pytest.mark.parametrize("query", ["", "   ", "?!.,", "the", "can you find me", "xyzzyqwv"])
def test_nothing_useful_gives_empty(index: SearchIndex, query: str) -> None:
    assert index.search(query) == []


def test_limit(index: SearchIndex) -> None:
    assert index.search("milk", limit=0) == []
    assert len(index.search("milk", limit=2)) == 2


def test_deterministic_tie_break_by_sku(index: SearchIndex) -> None:
    hits = index.search("whole milk", limit=5)
    tied = [h for h in hits if h.score == hits[0].score]
    assert [h.sku for h in tied] == sorted(h.sku for h in tied)
    assert hits == index.search("whole milk", limit=5)


# -- plurals and lemmas ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "sku"),
    [
        ("eggs", "DAI-0010"),
        ("egg", "DAI-0010"),
        ("tomatoes", "PRO-0003"),
        ("tomato", "PRO-0003"),
        ("potato", "PRO-0006"),
        ("courgette", "PRO-0005"),
        ("pea", "FRO-0001"),
    ],
)
def test_plurals_and_lemmas(index: SearchIndex, query: str, sku: str) -> None:
    top3 = [h.sku for h in index.search(query, limit=3)]
    assert sku in top3


def test_loaves_of_bread_finds_bread_not_meat_loaf(index: SearchIndex) -> None:
    hits = index.search("two loaves of bread", limit=3)
    assert all(_BY_SKU[h.sku][4] == "bread" for h in hits)


# -- misspellings and sound-alikes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "category"),
    [
        ("bananna", "banana"),
        ("yoghurt", "yogurt"),
        ("yogurt", "yogurt"),
        ("cheddar chese", "cheese"),
        ("sereal", "cereal"),
        ("kernflakes", "cereal"),
        ("toothpast", "toothpaste"),
        ("basmatti rise", "rice"),
    ],
)
def test_misspellings_and_sound_alikes(index: SearchIndex, query: str, category: str) -> None:
    assert _BY_SKU[_top(index, query)][4] == category


def test_cheddar_chese_prefers_cheddar(index: SearchIndex) -> None:
    assert _top(index, "cheddar chese") == "DAI-0015"


@pytest.mark.parametrize(
    "query", ["to percent milk", "two percent milk", "2% milk", "2 percent milk"]
)
def test_percent_homophones(index: SearchIndex, query: str) -> None:
    assert _top(index, query) == "DAI-0006"


def test_for_pints_of_milk(index: SearchIndex) -> None:
    assert _top(index, "for pints of semi skimmed milk") == "DAI-0005"


# -- split and joined words --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "sku"),
    [
        ("sour dough", "BAK-0001"),
        ("sourdough bread", "BAK-0001"),
        ("tooth paste", "HEA-0001"),
        ("corn flakes", "PAN-0005"),
        ("cornflakes", "PAN-0005"),
        ("bran flakes", "PAN-0006"),
        ("branflakes", "PAN-0006"),
        ("semiskimmed milk", "DAI-0003"),
        ("peanutbutter", "PAN-0007"),
    ],
)
def test_split_and_joined_words(index: SearchIndex, query: str, sku: str) -> None:
    assert _top(index, query) == sku


# -- synonyms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "category"),
    [
        ("coke", "cola"),
        ("zucchini", "courgette"),
        ("zuchini", "courgette"),
        ("fizzy pop", "lemonade"),
        ("oj", "juice"),
    ],
)
def test_synonyms(index: SearchIndex, query: str, category: str) -> None:
    assert _BY_SKU[_top(index, query)][4] == category


def test_diet_coke(index: SearchIndex) -> None:
    assert _top(index, "diet coke") == "DRI-0002"


# -- size hints --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "sku"),
    [
        ("2 litre whole milk", "DAI-0002"),
        ("two litres of whole milk", "DAI-0002"),
        ("whole milk 2l", "DAI-0002"),
        ("1 litre whole milk", "DAI-0001"),
        ("a litre of semi skimmed milk", "DAI-0003"),
        ("2 litre semi skimmed milk", "DAI-0004"),
        ("4 pints of semi skimmed milk", "DAI-0005"),
        ("12 eggs", "DAI-0011"),
        ("a dozen eggs", "DAI-0011"),
        ("half a dozen free range eggs", "DAI-0010"),
        ("500 grams of plain flour", "PAN-0003"),
        ("plain flour 1.5 kg", "PAN-0002"),
        ("one and a half kilos of plain flour", "PAN-0002"),
    ],
)
def test_size_hints(index: SearchIndex, query: str, sku: str) -> None:
    assert _top(index, query) == sku


def test_size_hint_does_not_override_the_product(index: SearchIndex) -> None:
    # a 2 L pack of something else must not beat semi-skimmed milk of another size
    assert _BY_SKU[_top(index, "2 litre semi skimmed milk")][1] == "Semi-Skimmed Milk"
    assert _BY_SKU[_top(index, "1 litre cola")][4] == "cola"


@pytest.mark.parametrize(
    ("text", "rest", "hint"),
    [
        ("2 litre milk", "milk", SizeHint(2000.0, "ml")),
        ("two litres of milk", "milk", SizeHint(2000.0, "ml")),
        ("milk 2l", "milk", SizeHint(2000.0, "ml")),
        ("Milk 500ML", "milk", SizeHint(500.0, "ml")),
        ("a pint of milk", "milk", SizeHint(PINT_ML, "ml")),
        ("half a litre of cream", "cream", SizeHint(500.0, "ml")),
        ("12 eggs", "eggs", SizeHint(12.0, "each")),
        ("a dozen eggs", "eggs", SizeHint(12.0, "each")),
        ("half a dozen eggs", "eggs", SizeHint(6.0, "each")),
        ("pack of 6 rolls", "rolls", SizeHint(6.0, "each")),
        ("six pack of cola", "cola", SizeHint(6.0, "each")),
        ("500 grams of flour", "flour", SizeHint(500.0, "g")),
        ("a kilo of potatoes", "potatoes", SizeHint(1000.0, "g")),
        ("2 kilos of potatoes", "potatoes", SizeHint(2000.0, "g")),
        ("1.5kg potatoes", "potatoes", SizeHint(1500.0, "g")),
        ("to percent milk", "2% milk", None),
        ("milk", "milk", None),
        ("", "", None),
    ],
)
def test_extract_size_hint(text: str, rest: str, hint: SizeHint | None) -> None:
    got_rest, got_hint = extract_size_hint(text)
    assert got_rest == rest
    if hint is None:
        assert got_hint is None
    else:
        assert got_hint is not None
        assert got_hint.unit == hint.unit
        assert got_hint.amount == pytest.approx(hint.amount)


def test_extract_size_hint_pints_and_bare_counts() -> None:
    rest, hint = extract_size_hint("for pints of milk")
    assert rest == "milk"
    assert hint is not None
    assert hint.unit == "ml"
    assert hint.amount == pytest.approx(2272.0, abs=2)
    assert extract_size_hint("2 bananas", bare_counts=False) == ("2 bananas", None)


def test_size_in_base_units() -> None:
    assert size_in_base_units(2, "L") == SizeHint(2000.0, "ml")
    assert size_in_base_units(1.5, "kg") == SizeHint(1500.0, "g")
    assert size_in_base_units(6, "each") == SizeHint(6.0, "each")
    assert size_in_base_units(1, "furlong") is None


# -- filler words and ranking ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "can you find me some bananas",
        "do you have any bananas",
        "I need bananas please",
        "um bananas",
        "have you got bananas",
    ],
)
def test_filler_words_do_not_hurt(index: SearchIndex, query: str) -> None:
    assert [h.sku for h in index.search(query, limit=3)] == [
        h.sku for h in index.search("bananas", limit=3)
    ]


def test_generic_milk_returns_milk_not_chocolate(index: SearchIndex) -> None:
    hits = index.search("milk", limit=8)
    cats = [_BY_SKU[h.sku][4] for h in hits]
    assert cats[:6] == ["milk"] * 6
    assert "Milk Chocolate Bar" not in _names(hits[:6])


def test_milk_chocolate_prefers_chocolate(index: SearchIndex) -> None:
    assert _top(index, "milk chocolate") == "SNA-0001"


def test_bananas_before_banana_bread(index: SearchIndex) -> None:
    hits = index.search("bananas", limit=3)
    assert _BY_SKU[hits[0].sku][4] == "banana"
    assert _BY_SKU[hits[1].sku][4] == "banana"


def test_brand_plus_item_prefers_brand(index: SearchIndex) -> None:
    assert _BY_SKU[_top(index, "greenleaf milk")][2] == "Greenleaf"
    assert _top(index, "greenleaf whole milk") == "DAI-0008"


def test_name_match_beats_brand_or_department_match(index: SearchIndex) -> None:
    # "butter" is in the name of the Greenleaf butter, only the department of nothing else
    assert _top(index, "butter") == "DAI-0017"
    hits = index.search("dairy yogurt", limit=2)
    assert all(_BY_SKU[h.sku][4] == "yogurt" for h in hits)


def test_short_full_cover_beats_long_partial(index: SearchIndex) -> None:
    assert _top(index, "cola") == "DRI-0001"
    assert _top(index, "white bread") == "BAK-0002"


def test_unknown_extra_word_still_finds_product(index: SearchIndex) -> None:
    assert _BY_SKU[_top(index, "blorptastic bananas")][4] == "banana"


# -- how a hit was found -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "sku", "match"),
    [
        ("bananas", "PRO-0001", "name"),  # a word of the name, as said
        ("banana", "PRO-0001", "name"),  # ... or its singular
        ("sour dough", "BAK-0001", "name"),  # ... or two spoken halves of one name word
        ("tooth paste", "HEA-0001", "name"),
        ("oj", "DRI-0004", "synonym"),  # the product's own other name
        ("coke", "DRI-0001", "synonym"),  # a word that means every cola
        ("cereal", "PAN-0005", "category"),  # Cornflakes: the kind, not the name
        ("butcher", "BAK-0005", "brand"),  # Meat Loaf by Butcher's Block: no product named
        ("frozen", "FRO-0001", "department"),
        ("bananna", "PRO-0001", "fuzzy"),  # misspelt
        ("flower", "PAN-0002", "sound"),  # only sounds like flour
    ],
)
def test_each_hit_says_how_it_was_found(
    index: SearchIndex, query: str, sku: str, match: str
) -> None:
    hits = index.search(query)
    assert hits[0].sku == sku
    assert hits[0].match == match


def test_the_surest_evidence_wins(index: SearchIndex) -> None:
    # "milk" is also the category, "semi skimmed" the name: a name match
    assert {h.match for h in index.search("semi skimmed milk", limit=3)} == {"name"}
    # a guessed word does not make a word said less sure: "cheddar" is in the name
    assert index.search("cheddar chese")[0].match == "name"
    # the brand word and the name word of the same product: the name
    assert index.search("butchers meat loaf")[0].match == "name"
    # Greek Style Yogurt by a spelling variant of its name word, as sure as the name
    assert {h.sku: h.match for h in index.search("yoghurt")} == {
        "DAI-0014": "name",
        "DAI-0013": "name",
    }
    # Meat Loaf is a name match for "loaf", the other loaves too ("Sourdough Loaf")
    assert all(h.match == "name" for h in index.search("loaf"))


def test_every_hit_has_a_match_kind(index: SearchIndex) -> None:
    for query in ("milk", "bread", "dairy yogurt", "greenleaf", "zuchini", "kernflakes"):
        assert all(h.match in MATCH_KINDS for h in index.search(query)), query
