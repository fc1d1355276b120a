"""The seed catalog, stores and recipes: deterministic, realistic and consistent with each other."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from commerce.seed.catalog import (
    CATEGORIES,
    CATEGORY_UNITS,
    DEFAULT_PRODUCTS,
    DEPARTMENTS,
    GLOBAL_SYNONYMS,
    MAX_PRODUCTS,
    generate_products,
)
from commerce.seed.recipes import RECIPES, ingredient_quantity, parse_line
from commerce.seed.specs import UNITS, ProductSpec
from commerce.seed.stores import STORES

BENCHMARK = 12_000
_BASE = {"ml": ("ml", 1.0), "L": ("ml", 1000.0), "g": ("g", 1.0), "kg": ("g", 1000.0)}


@pytest.fixture(scope="module")
def products() -> list[ProductSpec]:
    return generate_products()


@pytest.fixture(scope="module")
def benchmark() -> list[ProductSpec]:
    return generate_products(BENCHMARK)


def _base(size: float, unit: str) -> tuple[float, str]:
    dimension, factor = _BASE.get(unit, ("each", 1.0))
    return size * factor, dimension


# -- products ----------------------------------------------------------------------------------


def test_deterministic(products: list[ProductSpec]) -> None:
    assert generate_products() == products
    assert generate_products(BENCHMARK) == generate_products(BENCHMARK)


def test_seed_moves_prices_only(products: list[ProductSpec]) -> None:
    other = generate_products(seed=7)
    assert [(p.sku, p.name, p.brand, p.size) for p in other] == [
        (p.sku, p.name, p.brand, p.size) for p in products
    ]
    assert [p.price_cents for p in other] != [p.price_cents for p in products]


def test_default_size() -> None:
    """(How fast it generates is the seed benchmark's to say, not a timed test's.)"""
    products = generate_products(None)
    assert 2_000 <= len(products) == DEFAULT_PRODUCTS <= 2_600
    assert generate_products(100) == products, "never smaller than the default catalog"


def test_benchmark_extends_the_default(
    products: list[ProductSpec], benchmark: list[ProductSpec]
) -> None:
    assert len(benchmark) == BENCHMARK
    assert benchmark[: len(products)] == products, "default SKUs stay put in bigger catalogs"
    assert MAX_PRODUCTS >= 20_000
    with pytest.raises(ValueError, match="at most"):
        generate_products(MAX_PRODUCTS + 1)


def test_skus_unique_and_stable_format(benchmark: list[ProductSpec]) -> None:
    skus = [p.sku for p in benchmark]
    assert len(set(skus)) == len(skus)
    prefixes: dict[str, set[str]] = defaultdict(set)
    for p in benchmark:
        assert re.fullmatch(r"[A-Z]{3}-\d{5}", p.sku), p.sku
        prefixes[p.department].add(p.sku[:3])
    assert all(len(found) == 1 for found in prefixes.values())
    assert len({next(iter(found)) for found in prefixes.values()}) == len(DEPARTMENTS)


def test_unique_brand_name_size(benchmark: list[ProductSpec]) -> None:
    keys = Counter((p.brand, p.name, p.size, p.unit) for p in benchmark)
    assert [key for key, n in keys.items() if n > 1] == []


def test_departments_units_prices(products: list[ProductSpec]) -> None:
    assert len(DEPARTMENTS) == 11
    assert {p.department for p in products} == set(DEPARTMENTS)
    for p in products:
        assert p.unit in UNITS, p
        assert p.size > 0, p
        assert p.price_cents > 0, p
        assert p.category in CATEGORIES
        assert all((p.name, p.brand, p.aisle)), p
        assert not re.search(r"\bproduct \d+|lorem", p.name, re.IGNORECASE), p.name
        assert not p.name.startswith(p.brand), p.name
        assert all(s == s.lower() for s in p.synonyms), p
    assert len({p.brand for p in products}) >= 30
    assert {p.brand for p in products if p.department == "dairy"} > {"Greenleaf"}


def test_bigger_packs_are_cheaper_per_unit(benchmark: list[ProductSpec]) -> None:
    lines: dict[tuple[str, str, str], list[tuple[float, int]]] = defaultdict(list)
    for p in benchmark:
        size, dimension = _base(p.size, p.unit)
        lines[p.brand, p.name, dimension].append((size, p.price_cents))
    compared = 0
    for key, packs in lines.items():
        packs.sort()
        for (small, small_price), (big, big_price) in itertools.pairwise(packs):
            assert big_price > small_price, key
            assert big_price / big < small_price / small, key
            compared += 1
    assert compared > 1_000


def test_premium_dearer_value_cheaper(products: list[ProductSpec]) -> None:
    price = {(p.brand, p.name, p.size, p.unit): p.price_cents for p in products}
    pairs = 0
    for (brand, name, size, unit), cents in price.items():
        if brand != "Greenleaf":
            continue
        if (premium := price.get(("Greenleaf Reserve", name, size, unit))) is not None:
            assert premium > cents, name
            pairs += 1
        if (value := price.get(("Greenleaf Everyday", name, size, unit))) is not None:
            assert value < cents, name
            pairs += 1
    assert pairs >= 20


def _find(products: list[ProductSpec], name: str) -> list[ProductSpec]:
    return [p for p in products if p.name == name]


def test_realistic_names_and_packs(products: list[ProductSpec]) -> None:
    for name in (
        "Semi-Skimmed Milk", "2% Reduced Fat Milk", "Oat Milk", "Free Range Large Eggs",
        "Sourdough Loaf", "Cola", "Diet Cola", "Courgettes", "Plain Flour", "Self-Raising Flour",
        "Spaghetti", "Basmati Rice", "Chickpeas", "Beef Mince", "Toilet Roll",
    ):  # fmt: skip
        assert _find(products, name), name
    milk = {(p.size, p.unit) for p in _find(products, "Whole Milk") if p.brand == "Greenleaf"}
    assert {(568.0, "ml"), (1.0, "L"), (2.0, "L"), (2.272, "L")} <= milk
    eggs = {p.size for p in products if p.category == "egg"}
    assert eggs == {6.0, 12.0}
    assert {p.unit for p in products if p.category == "egg"} == {"each"}
    assert {(p.size, p.unit) for p in _find(products, "Bananas")} >= {(1.0, "each"), (1.0, "kg")}
    flour = {(p.size, p.unit) for p in _find(products, "Plain Flour")}
    assert {(500.0, "g"), (1.5, "kg")} <= flour


def test_categories_recipes_and_habits_need(products: list[ProductSpec]) -> None:
    needed = (
        "milk", "egg", "butter", "flour", "self-raising flour", "sugar", "salt", "olive oil",
        "vegetable oil", "baking powder", "onion", "garlic", "tomato", "chopped tomatoes", "pasta",
        "rice", "chickpeas", "chicken breast", "beef mince", "bacon", "cheddar", "parmesan",
        "mozzarella", "cheese", "cream", "yoghurt", "potato", "carrot", "pepper", "lemon",
        "banana", "berries", "oats", "honey", "bread", "tortilla", "lettuce", "cucumber",
        "avocado", "coconut milk", "curry paste", "stock cube", "soy sauce", "noodles", "salmon",
        "prawns", "apple", "coffee", "tea", "orange juice", "cereal", "cola", "toilet paper",
        "washing up liquid", "nappies", "dog food",
    )  # fmt: skip
    assert set(needed) <= {p.category for p in products}


def test_product_synonyms(products: list[ProductSpec]) -> None:
    def synonyms(category: str) -> set[str]:
        return {s for p in products if p.category == category for s in p.synonyms}

    assert "coke" in synonyms("cola")
    assert "zucchini" in synonyms("courgette")
    assert "eggplant" in synonyms("aubergine")
    assert "chips" in synonyms("crisps")
    assert "diapers" in synonyms("nappies")
    assert {"mince", "ground beef"} <= synonyms("beef mince")
    assert "cilantro" in synonyms("coriander")
    assert "scallions" in synonyms("spring onion")
    assert "shrimp" in synonyms("prawns")
    assert "jelly" in synonyms("jam")
    assert "diet coke" in next(p for p in products if p.name == "Diet Cola").synonyms


def test_global_synonyms() -> None:
    assert 40 <= len(GLOBAL_SYNONYMS) <= 80
    assert GLOBAL_SYNONYMS["coke"] == ("cola",)
    assert "courgette" in GLOBAL_SYNONYMS["zucchini"]
    assert "zucchini" in GLOBAL_SYNONYMS["courgette"]
    assert "aubergine" in GLOBAL_SYNONYMS["eggplant"]
    assert {"cola", "lemonade"} <= set(GLOBAL_SYNONYMS["soda"])
    for word, meanings in GLOBAL_SYNONYMS.items():
        assert word == word.lower().strip(), word
        assert meanings, word
        assert all(m == m.lower() and m != word for m in meanings), word


# -- stores ------------------------------------------------------------------------------------


def _minutes_open(hours: tuple[str, str]) -> int:
    (opens, closes) = (int(t[:2]) * 60 + int(t[3:]) for t in hours)
    return closes - opens


def test_stores() -> None:
    assert len(STORES) >= 3
    assert len({s.id for s in STORES}) == len(STORES)
    assert {"riverside", "old-town", "harbour"} <= {s.id for s in STORES}
    assert len({tuple(sorted(s.opening_hours.items())) for s in STORES}) == len(STORES)
    assert sum(s.timezone == "Europe/London" for s in STORES) > len(STORES) / 2
    for store in STORES:
        ZoneInfo(store.timezone)
        assert store.name.startswith("Greenleaf "), store
        assert store.address, store
        assert set(store.opening_hours) == set(range(7)), "open every day, 0 = Monday"
        for hours in store.opening_hours.values():
            assert all(re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", t) for t in hours), hours
            assert _minutes_open(hours) > 0
        sunday, monday = store.opening_hours[6], store.opening_hours[0]
        assert _minutes_open(sunday) < _minutes_open(monday), "shorter on Sundays"


# -- recipes -----------------------------------------------------------------------------------


def test_recipes_are_complete() -> None:
    assert len(RECIPES) >= 30
    assert len({r.slug for r in RECIPES}) == len(RECIPES)
    assert {r.meal for r in RECIPES} <= {"breakfast", "lunch", "dinner", "dessert", "snack"}
    assert {r.meal for r in RECIPES} >= {"breakfast", "lunch", "dinner", "dessert", "snack"}
    names = {r.name.lower() for r in RECIPES}
    for dish in ("pancakes", "spaghetti bolognese", "guacamole", "banana bread", "fish pie"):
        assert dish in names
    for recipe in RECIPES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", recipe.slug)
        assert min(recipe.servings, recipe.minutes) > 0, recipe.slug
        assert recipe.tags, recipe.slug
        assert len(recipe.ingredients) >= 4
        categories = [i.category for i in recipe.ingredients]
        assert len(set(categories)) == len(categories), f"{recipe.slug}: one line per category"
        assert not all(i.pantry for i in recipe.ingredients)


def test_every_ingredient_can_be_bought(products: list[ProductSpec]) -> None:
    sold: dict[str, set[str]] = defaultdict(set)
    for p in products:
        sold[p.category].add(_base(p.size, p.unit)[1])
    for recipe in RECIPES:
        for ingredient in recipe.ingredients:
            where = f"{recipe.slug}: {ingredient.line}"
            assert ingredient.category in sold, where
            assert ingredient.unit in ("ml", "g", "each"), where
            assert ingredient.unit in sold[ingredient.category], f"no pack in {where}"
            assert ingredient.quantity > 0, where


def test_pantry_staples() -> None:
    lines = [i for r in RECIPES for i in r.ingredients]
    assert all(i.pantry for i in lines if i.category in ("salt", "black pepper", "stock cube"))
    assert all(not i.pantry for i in lines if i.category in ("egg", "chicken breast", "pasta"))
    sugar = {i.pantry for i in lines if i.category == "sugar"}
    assert sugar == {True, False}, "a teaspoon of sugar is a staple, 325 g is shopping"


def test_pancakes_need_eggs() -> None:
    pancakes = next(r for r in RECIPES if r.slug == "pancakes")
    lines = {i.line: (i.quantity, i.unit, i.category) for i in pancakes.ingredients}
    assert lines["3 eggs"] == (3.0, "each", "egg")
    # US customary cup: 2 x 236.59 ml
    assert lines["2 cups milk"] == (473.2, "ml", "milk")


# -- conversions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qty", "unit", "category", "expected"),
    [
        (2, "cups", "milk", (473.2, "ml")),  # US cup, as documented
        (1, "pint", "milk", (568.3, "ml")),  # imperial pint, as sold
        (1, "cup", "flour", (125.4, "g")),
        (1, "tbsp", "butter", (14.2, "g")),
        (3, "", "egg", (3.0, "each")),
        (1, "each", "onion", (1.0, "each")),
        (2, "cloves", "garlic", (0.2, "each")),
        (2, "slices", "bread", (80.0, "g")),
        (1, "tin", "coconut milk", (400.0, "ml")),
        (500, "g", "beef mince", (500.0, "g")),
        (1.5, "kg", "potato", (1500.0, "g")),
        (4, "fl oz", "cream", (118.3, "ml")),
    ],
)
def test_ingredient_quantity(
    qty: float, unit: str, category: str, expected: tuple[float, str]
) -> None:
    assert ingredient_quantity(qty, unit, category) == expected


@pytest.mark.parametrize(
    ("qty", "unit", "category"),
    [(1, "furlong", "milk"), (1, "cup", "unicorn"), (2, "cloves", "milk"), (1, "cup", "egg")],
)
def test_ingredient_quantity_refuses_nonsense(qty: float, unit: str, category: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        ingredient_quantity(qty, unit, category)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2 cups milk", (2.0, "cups")),
        ("1 1/2 cups plain flour", (1.5, "cups")),
        ("1/2 tsp salt", (0.5, "tsp")),
        ("a pinch of salt", (1.0, "pinch")),
        ("3 eggs", (3.0, "")),
        ("2 x 400 g tins chickpeas, drained", (800.0, "g")),
        ("4 fl oz double cream", (4.0, "fl oz")),
        ("2 cloves garlic, crushed", (2.0, "cloves")),
    ],
)
def test_parse_line(line: str, expected: tuple[float, str]) -> None:
    assert parse_line(line) == expected


def test_units_of_every_category_are_known() -> None:
    assert set(CATEGORY_UNITS) == set(CATEGORIES)
    assert all(units and set(units) <= set(UNITS) for units in CATEGORY_UNITS.values())


def test_importing_the_seed_modules_does_not_load_pint() -> None:
    code = (
        "import sys, commerce.seed.catalog, commerce.seed.recipes, commerce.seed.stores\n"
        "assert 'pint' not in sys.modules, 'pint loaded at import time'\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=root)
