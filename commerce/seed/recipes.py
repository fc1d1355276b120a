"""Well-known recipes for the seed data (``data/recipes.yml``), their ingredient lines
converted to catalog units.

Conventions a caller must know:

* cup, tbsp, tsp and fl oz are **US customary** measures, as pint defines them: 1 cup =
  236.6 ml, so "2 cups milk" is 473.2 ml; 1 tbsp = 14.8 ml; 1 tsp = 4.9 ml.
* "pint" is the **imperial** pint (568 ml), the size milk is sold in here.
* pinch = 1/16 tsp, dash = 1/8 tsp and handful = 1/2 cup (volumes); knob = 15 g (butter).
* Volumes of things sold by weight (flour, sugar, butter, rice, oats, spices...) become grams
  through a small density table; things sold by count take a typical size ("2 cloves garlic"
  is 0.2 of a bulb, "1 carrot" 75 g, "2 slices bread" 80 g).
* Quantities are in ml, g or each, rounded to 0.1 (0.01 for each).

``RECIPES`` is built on first access: loading pint takes about a third of a second, which
importing this module should not cost.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml

from commerce.seed.catalog import CATEGORY_UNITS
from commerce.seed.specs import IngredientSpec, RecipeSpec

__all__ = ["RECIPES", "ingredient_quantity", "parse_line"]

RECIPES: tuple[RecipeSpec, ...]  # built lazily by __getattr__ below

_DIMENSION = {"ml": "ml", "L": "ml", "g": "g", "kg": "g", "each": "each"}

# Text unit (lowercase) -> canonical unit. Measures go through pint, counts through _PIECES.
_UNIT_WORDS: dict[str, str] = {
    **dict.fromkeys(("cup", "cups"), "cup"),
    **dict.fromkeys(("tbsp", "tbsps", "tablespoon", "tablespoons"), "tbsp"),
    **dict.fromkeys(("tsp", "tsps", "teaspoon", "teaspoons"), "tsp"),
    **dict.fromkeys(("ml", "millilitre", "millilitres", "milliliter", "milliliters"), "ml"),
    **dict.fromkeys(("l", "litre", "litres", "liter", "liters"), "l"),
    **dict.fromkeys(("g", "gram", "grams", "gramme", "grammes"), "g"),
    **dict.fromkeys(("kg", "kilo", "kilos", "kilogram", "kilograms"), "kg"),
    **dict.fromkeys(("oz", "ounce", "ounces"), "oz"),
    **dict.fromkeys(("lb", "lbs", "pound", "pounds"), "lb"),
    **dict.fromkeys(("fl oz", "fluid ounce", "fluid ounces"), "fl oz"),
    **dict.fromkeys(("pint", "pints"), "pint"),
    **dict.fromkeys(("pinch", "pinches"), "pinch"),
    **dict.fromkeys(("dash", "dashes"), "dash"),
    **dict.fromkeys(("handful", "handfuls"), "handful"),
    **dict.fromkeys(("knob", "knobs"), "knob"),
    **dict.fromkeys(("", "each", "head", "heads", "bulb", "bulbs"), "each"),
    **dict.fromkeys(("clove", "cloves"), "clove"),
    **dict.fromkeys(("rasher", "rashers"), "rasher"),
    **dict.fromkeys(("slice", "slices"), "slice"),
    **dict.fromkeys(("tin", "tins", "can", "cans"), "tin"),
    **dict.fromkeys(("fillet", "fillets"), "fillet"),
    **dict.fromkeys(("sheet", "sheets"), "sheet"),
    **dict.fromkeys(("stick", "sticks"), "stick"),
    **dict.fromkeys(("bunch", "bunches"), "bunch"),
}
_PINT_NAMES = {
    "cup": "cup", "tbsp": "tablespoon", "tsp": "teaspoon", "ml": "milliliter", "l": "liter",
    "g": "gram", "kg": "kilogram", "oz": "ounce", "lb": "pound", "fl oz": "fluid_ounce",
    "pint": "imperial_pint", "pinch": "cooking_pinch", "dash": "cooking_dash",
    "handful": "handful", "knob": "knob",
}  # fmt: skip

# g per ml, for measuring by volume what is sold by weight (or the other way round).
_DENSITY: dict[str, float] = {
    "flour": 0.53, "self-raising flour": 0.53, "bread flour": 0.55, "cornflour": 0.5,
    "sugar": 0.85, "butter": 0.96, "rice": 0.78, "oats": 0.38, "couscous": 0.73,
    "quinoa": 0.72, "lentils": 0.82, "salt": 1.2, "baking powder": 0.9,
    "bicarbonate of soda": 0.95, "yeast": 0.6, "cocoa powder": 0.42, "chocolate": 0.6,
    "cheddar": 0.42, "parmesan": 0.4, "mozzarella": 0.45, "cheese": 0.42, "feta": 0.5,
    "cream cheese": 1.0, "yoghurt": 1.05, "honey": 1.42, "jam": 1.33, "golden syrup": 1.4,
    "peanut butter": 1.08, "tahini": 1.0, "tomato puree": 1.1, "curry paste": 1.05,
    "pesto": 0.95, "chopped tomatoes": 1.02, "passata": 1.03, "ketchup": 1.15,
    "mustard": 1.05, "gravy": 0.55, "black pepper": 0.45, "cumin": 0.42, "paprika": 0.46,
    "chilli powder": 0.5, "curry powder": 0.42, "turmeric": 0.5, "garam masala": 0.42,
    "cinnamon": 0.53, "ground ginger": 0.42, "nutmeg": 0.45, "dried herbs": 0.15,
    "seasoning": 0.5, "berries": 0.63, "grape": 0.6, "tomato": 0.6, "mushroom": 0.3,
    "peas": 0.6, "sweetcorn": 0.65, "nuts": 0.55, "dried fruit": 0.6, "olives": 0.65,
    "spinach": 0.13, "ginger": 0.5, "chilli": 0.5, "coriander": 0.1, "parsley": 0.1,
    "basil": 0.1, "mint": 0.1, "chives": 0.1, "dill": 0.1, "thyme": 0.15, "rosemary": 0.15,
}  # fmt: skip

# (category, counted unit) -> the amount of the catalog unit one of them is.
_PIECES: dict[tuple[str, str], tuple[float, str]] = {
    ("garlic", "clove"): (0.1, "each"),  # a bulb has about ten cloves
    ("celery", "stick"): (0.1, "each"),
    ("spring onion", "each"): (0.125, "each"),  # sold by the bunch of eight
    ("bacon", "rasher"): (25, "g"),
    ("bacon", "slice"): (25, "g"),
    ("bread", "slice"): (40, "g"),
    ("cheddar", "slice"): (20, "g"),
    ("ham", "slice"): (25, "g"),
    ("chopped tomatoes", "tin"): (400, "g"),
    ("chickpeas", "tin"): (400, "g"),
    ("kidney beans", "tin"): (400, "g"),
    ("beans", "tin"): (400, "g"),
    ("baked beans", "tin"): (415, "g"),
    ("soup", "tin"): (400, "g"),
    ("tuna", "tin"): (145, "g"),
    ("sweetcorn", "tin"): (198, "g"),
    ("coconut milk", "tin"): (400, "ml"),
    ("carrot", "each"): (75, "g"),
    ("parsnip", "each"): (100, "g"),
    ("shallot", "each"): (30, "g"),
    ("chilli", "each"): (10, "g"),
    ("mushroom", "each"): (20, "g"),
    ("clementine", "each"): (80, "g"),
    ("stone fruit", "each"): (120, "g"),
    ("chicken breast", "each"): (150, "g"),
    ("chicken thigh", "each"): (110, "g"),
    ("whole chicken", "each"): (1500, "g"),
    ("steak", "each"): (225, "g"),
    ("pork", "each"): (150, "g"),
    ("lamb", "each"): (100, "g"),
    ("sausage", "each"): (67, "g"),
    ("meat-free sausage", "each"): (50, "g"),
    ("salmon", "each"): (120, "g"),
    ("salmon", "fillet"): (120, "g"),
    ("white fish", "fillet"): (140, "g"),
    ("lasagne sheets", "each"): (17, "g"),
    ("lasagne sheets", "sheet"): (17, "g"),
    ("coriander", "bunch"): (30, "g"),
    ("parsley", "bunch"): (30, "g"),
    ("basil", "bunch"): (30, "g"),
    ("mint", "bunch"): (30, "g"),
}

# Staples people usually have: pantry whatever the amount, or up to an amount (ml / g).
_ALWAYS_PANTRY = frozenset(
    {
        "salt", "black pepper", "olive oil", "vegetable oil", "sesame oil", "baking powder",
        "bicarbonate of soda", "stock cube", "soy sauce", "fish sauce", "worcestershire sauce",
        "vinegar", "dried herbs", "seasoning", "cumin", "paprika", "chilli powder",
        "curry powder", "turmeric", "garam masala", "cinnamon", "nutmeg", "ground ginger",
        "vanilla extract", "tomato puree", "mustard", "ketchup", "water",
    }
)  # fmt: skip
_PANTRY_UP_TO: dict[str, float] = {
    "sugar": 30, "flour": 30, "self-raising flour": 30, "cornflour": 30, "butter": 15,
    "honey": 30, "milk": 60,
}  # fmt: skip


@functools.cache
def _registry() -> Any:
    """The pint registry, built once on first use (it takes about 0.3 s)."""
    import pint

    registry: Any = pint.UnitRegistry()
    registry.define("cooking_pinch = teaspoon / 16")
    registry.define("cooking_dash = teaspoon / 8")
    registry.define("handful = cup / 2")
    registry.define("knob = 15 * gram")
    return registry


def _rounded(amount: float, unit: str) -> tuple[float, str]:
    return round(amount, 2 if unit == "each" else 1), unit


def ingredient_quantity(text_qty: float, text_unit: str, category: str) -> tuple[float, str]:
    """Convert a recipe quantity to the units the category's products are sold in.

    Args:
        text_qty: The printed number, e.g. ``2`` in "2 cups milk".
        text_unit: The printed unit, e.g. "cups", "tbsp", "g", "cloves"; "" or "each" for a
            plain count ("3 eggs").
        category: A product category of the catalog, e.g. "milk".

    Returns:
        ``(quantity, unit)`` with unit "ml", "g" or "each".

    Raises:
        ValueError: Unknown unit or category, or no sensible conversion between them.
    """
    unit = _UNIT_WORDS.get(text_unit.strip().lower().rstrip("."))
    if unit is None:
        raise ValueError(f"unknown unit {text_unit!r}")
    if category not in CATEGORY_UNITS:
        raise ValueError(f"no products in category {category!r}")
    sold_in = {_DIMENSION[u] for u in CATEGORY_UNITS[category]}
    if unit not in _PINT_NAMES:  # a count: eggs, cloves, tins, slices
        if (category, unit) in _PIECES:
            amount, piece_unit = _PIECES[category, unit]
            return _rounded(text_qty * amount, piece_unit)
        if unit == "each" and "each" in sold_in:
            return _rounded(text_qty, "each")
        raise ValueError(f"no size known for a {unit} of {category}")
    quantity = _registry().Quantity(text_qty, _PINT_NAMES[unit])
    density = _DENSITY.get(category)
    if quantity.check("[volume]"):
        ml = float(quantity.to("milliliter").magnitude)
        if "ml" in sold_in:
            return _rounded(ml, "ml")
        if "g" in sold_in and density is not None:
            return _rounded(ml * density, "g")
    else:
        grams = float(quantity.to("gram").magnitude)
        if "g" in sold_in:
            return _rounded(grams, "g")
        if "ml" in sold_in and density is not None:
            return _rounded(grams / density, "ml")
    raise ValueError(f"cannot measure {category} (sold in {sorted(sold_in)}) in {text_unit!r}")


_NUMBER = re.compile(r"(\d+(?:\.\d+)?)$|(\d+)/(\d+)$")


def _number(token: str) -> float | None:
    match = _NUMBER.match(token)
    if match is None:
        return None
    if match.group(1):
        return float(match.group(1))
    return int(match.group(2)) / int(match.group(3))


def parse_line(line: str) -> tuple[float, str]:
    """The quantity and unit word of a recipe line: "1 1/2 cups plain flour" -> (1.5, "cups").

    Understands "a"/"an", whole numbers, decimals, fractions, "2 x 400 g tins" (800 g) and
    "fl oz". A line without a known unit word is a count and gets unit "".
    """
    words = line.replace(",", " ").split()
    first = words[0].lower() if words else ""
    quantity = 1.0 if first in ("a", "an") else _number(first)
    if quantity is None:
        raise ValueError(f"no quantity at the start of {line!r}")
    rest = words[1:]
    if rest and "/" in rest[0] and (fraction := _number(rest[0])) is not None:
        quantity, rest = quantity + fraction, rest[1:]
    if len(rest) >= 2 and rest[0].lower() == "x" and (each := _number(rest[1])) is not None:
        quantity, rest = quantity * each, rest[2:]
    two = " ".join(rest[:2]).lower()
    if two in _UNIT_WORDS and " " in two:
        return quantity, two
    if rest and rest[0].lower() in _UNIT_WORDS:
        return quantity, rest[0].lower()
    return quantity, ""


DATA = Path(__file__).with_name("data") / "recipes.yml"


def _is_pantry(category: str, quantity: float) -> bool:
    if category in _ALWAYS_PANTRY:
        return True
    return quantity <= _PANTRY_UP_TO.get(category, -1.0)


def _ingredient(line: str, category: str) -> IngredientSpec:
    text_qty, text_unit = parse_line(line)
    quantity, unit = ingredient_quantity(text_qty, text_unit, category)
    return IngredientSpec(
        line=line,
        quantity=quantity,
        unit=unit,
        category=category,
        pantry=_is_pantry(category, quantity),
    )


@functools.cache
def _build() -> tuple[RecipeSpec, ...]:
    """The recipes of data/recipes.yml, each ingredient line ``[printed line, category]``."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    recipes = yaml.load(DATA.read_text(), Loader=loader)  # noqa: S506 - a safe loader
    return tuple(
        RecipeSpec(
            slug=r["slug"],
            name=r["name"],
            servings=r["servings"],
            meal=r["meal"],
            minutes=r["minutes"],
            ingredients=tuple(_ingredient(line, category) for line, category in r["ingredients"]),
            tags=tuple(r["tags"]),
        )
        for r in recipes
    )


def __getattr__(name: str) -> tuple[RecipeSpec, ...]:
    if name == "RECIPES":
        return _build()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
