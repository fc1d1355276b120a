"""Product search over the real seed catalog (as generated, and at 12,000 products): what
customers say finds what they mean."""

from __future__ import annotations

import pytest

from commerce.search import SearchIndex
from commerce.search_fields import SearchDoc
from commerce.seed.catalog import GLOBAL_SYNONYMS as CATALOG_SYNONYMS
from commerce.seed.catalog import generate_products
from commerce.seed.specs import ProductSpec
from commerce.text import SizeHint, size_in_base_units


class _Catalog:
    """An index over the generated seed catalog, with its specs by SKU."""

    def __init__(self, count: int | None) -> None:
        specs = generate_products(count)
        self.by_sku = {s.sku: s for s in specs}
        self.index = SearchIndex((_doc(i + 1, s) for i, s in enumerate(specs)), CATALOG_SYNONYMS)

    def top(self, query: str, n: int = 1) -> list[ProductSpec]:
        hits = self.index.search(query, limit=n)
        assert hits, f"no hits for {query!r}"
        return [self.by_sku[h.sku] for h in hits]


def _doc(product_id: int, s: ProductSpec) -> SearchDoc:
    return SearchDoc(
        product_id, s.sku, s.name, s.brand, s.department, s.category, s.size, s.unit, s.synonyms
    )


@pytest.fixture(scope="module", params=[None, 12_000], ids=["default", "12k"])
def catalog(request: pytest.FixtureRequest) -> _Catalog:
    return _Catalog(request.param)


@pytest.mark.parametrize(
    "query", ["to percent milk", "two percent milk", "2% milk", "too per cent milk"]
)
def test_catalog_two_percent_milk(catalog: _Catalog, query: str) -> None:
    top = catalog.top(query)[0]
    assert "2%" in top.name
    assert top.category == "milk"


@pytest.mark.parametrize("query", ["sour dough", "sourdough", "sour dough bread"])
def test_catalog_sourdough(catalog: _Catalog, query: str) -> None:
    assert "sourdough" in catalog.top(query)[0].name.lower()


@pytest.mark.parametrize(("query", "name"), [("coke", "Cola"), ("diet coke", "Diet Cola")])
def test_catalog_coke_is_cola(catalog: _Catalog, query: str, name: str) -> None:
    top3 = catalog.top(query, 3)
    assert all(p.category == "cola" for p in top3)
    assert top3[0].name == name


@pytest.mark.parametrize(
    "query",
    [
        "2 litre semi skimmed milk",
        "two litres of semi skimmed milk",
        "semi skimmed milk 2l",
        "can you find me two litres of semi-skimmed milk please",
    ],
)
def test_catalog_two_litre_semi_skimmed(catalog: _Catalog, query: str) -> None:
    top = catalog.top(query)[0]
    assert top.name == "Semi-Skimmed Milk"
    assert size_in_base_units(top.size, top.unit) == SizeHint(2000.0, "ml")


def test_catalog_four_pints(catalog: _Catalog) -> None:
    top = catalog.top("for pints of semi skimmed milk")[0]
    assert "Semi-Skimmed Milk" in top.name
    assert (top.size, top.unit) == (2.272, "L")


@pytest.mark.parametrize("query", ["dozen eggs", "a dozen eggs", "12 eggs", "twelve eggs"])
def test_catalog_dozen_eggs(catalog: _Catalog, query: str) -> None:
    top = catalog.top(query)[0]
    assert top.category == "egg"
    assert (top.size, top.unit) == (12.0, "each")


@pytest.mark.parametrize(
    "query", ["bananas", "banana", "bananna", "can you find me some bananas please"]
)
def test_catalog_bananas_first(catalog: _Catalog, query: str) -> None:
    top3 = catalog.top(query, 3)
    assert top3[0].name == "Bananas"
    assert all(p.category == "banana" for p in top3)


def test_catalog_generic_milk_is_cows_milk(catalog: _Catalog) -> None:
    top = catalog.top("milk", 10)
    assert all(p.category == "milk" for p in top)
    plant = ("oat", "almond", "soya", "cashew", "rice", "coconut")
    first_names = [p.name.lower() for p in top[:5]]
    assert not [n for n in first_names if any(w in n for w in plant)]


@pytest.mark.parametrize(
    ("query", "category"),
    [
        ("zucchini", "courgette"),
        ("cheddar chese", "cheddar"),
        ("tooth paste", "toothpaste"),
        ("sereal", "cereal"),
        ("kernflakes", "cereal"),
        ("flower", "flour"),
        ("yogurt", "yoghurt"),
        ("milk chocolate", "chocolate"),
        ("pasta", "pasta"),
        ("tea bags", "tea"),
        ("two loaves of bread", "bread"),
        ("do you have any peanut butter", "peanut butter"),
        ("ground beef", "beef mince"),
    ],
)
def test_catalog_top_category(catalog: _Catalog, query: str, category: str) -> None:
    assert catalog.top(query)[0].category == category


def test_catalog_brand_and_item(catalog: _Catalog) -> None:
    brand = next(p.brand for p in catalog.by_sku.values() if p.category == "milk"
                 and p.brand != "Greenleaf")  # fmt: skip
    for p in catalog.top(f"{brand} milk", 3):
        assert (p.brand, p.category) == (brand, "milk")


def test_catalog_500_grams_of_flour(catalog: _Catalog) -> None:
    top = catalog.top("500 grams of plain flour")[0]
    assert top.name == "Plain Flour"
    assert (top.size, top.unit) == (500.0, "g")


@pytest.mark.parametrize(
    ("query", "match"),
    [
        # measured on the gateway: a score cannot tell these apart (35.9, 57.4 vs 59.1, 59.5)
        ("butcher", "brand"),  # "butter" misheard: Brackenhill Butchers' drumsticks
        ("keyboard", "sound"),  # Wild Bird Seed, only by the sound of "bird"
        ("sourdough", "name"),
        ("teabags", "name"),
        ("pasta", "category"),  # Penne is a pasta: the kind asked for
        ("coke", "synonym"),
        ("a kilo of apples", "name"),
    ],
)
def test_catalog_match_kinds(catalog: _Catalog, query: str, match: str) -> None:
    hits = catalog.index.search(query, limit=3)
    assert hits
    assert hits[0].match == match


def test_catalog_products_are_found_by_their_names(catalog: _Catalog) -> None:
    names = sorted({p.name for p in catalog.by_sku.values()})
    missed = [n for n in names if catalog.top(n)[0].name != n]
    assert len(missed) <= len(names) // 100, missed
