"""Well-known recipes for the seed data, their ingredient lines converted to catalog units.

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
from typing import Any

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


# (slug, name, servings, meal, minutes, tags, ((printed line, category), ...))
_Recipe = tuple[str, str, int, str, int, tuple[str, ...], tuple[tuple[str, str], ...]]

# fmt: off
_RECIPES: tuple[_Recipe, ...] = (
    ("pancakes", "Pancakes", 4, "breakfast", 20, ("vegetarian", "quick", "family"), (
        ("1 1/2 cups plain flour", "flour"),
        ("2 cups milk", "milk"),
        ("3 eggs", "egg"),
        ("1 tbsp butter, melted", "butter"),
        ("1 tbsp caster sugar", "sugar"),
        ("a pinch of salt", "salt"),
        ("1 lemon, cut into wedges", "lemon"),
    )),
    ("spaghetti-bolognese", "Spaghetti Bolognese", 4, "dinner", 60, ("family", "freezable"), (
        ("1 tbsp olive oil", "olive oil"),
        ("1 onion, finely chopped", "onion"),
        ("2 cloves garlic, crushed", "garlic"),
        ("1 carrot, grated", "carrot"),
        ("500 g beef mince", "beef mince"),
        ("400 g tin chopped tomatoes", "chopped tomatoes"),
        ("2 tbsp tomato puree", "tomato puree"),
        ("1 beef stock cube", "stock cube"),
        ("1 tsp dried oregano", "dried herbs"),
        ("400 g spaghetti", "pasta"),
        ("40 g parmesan, grated", "parmesan"),
    )),
    ("chicken-curry", "Chicken Curry", 4, "dinner", 45, ("spicy", "family"), (
        ("2 tbsp vegetable oil", "vegetable oil"),
        ("1 onion, chopped", "onion"),
        ("3 cloves garlic, crushed", "garlic"),
        ("20 g fresh ginger, grated", "ginger"),
        ("3 tbsp tikka masala curry paste", "curry paste"),
        ("4 chicken breasts, diced", "chicken breast"),
        ("400 g tin chopped tomatoes", "chopped tomatoes"),
        ("150 ml double cream", "cream"),
        ("300 g basmati rice", "rice"),
        ("a handful of coriander, chopped", "coriander"),
    )),
    ("omelette", "Cheese Omelette", 1, "breakfast", 10, ("vegetarian", "quick", "gluten-free"), (
        ("3 eggs", "egg"),
        ("1 tbsp butter", "butter"),
        ("30 g cheddar, grated", "cheddar"),
        ("1 tbsp chives, chopped", "chives"),
        ("a pinch of salt", "salt"),
        ("a pinch of black pepper", "black pepper"),
    )),
    ("guacamole", "Guacamole", 4, "snack", 10, ("vegan", "gluten-free", "no-cook"), (
        ("3 ripe avocados", "avocado"),
        ("1 lime, juiced", "lime"),
        ("1/2 red onion, finely chopped", "onion"),
        ("1 tomato, diced", "tomato"),
        ("1 red chilli, finely chopped", "chilli"),
        ("a handful of coriander, chopped", "coriander"),
        ("a pinch of salt", "salt"),
    )),
    ("banana-bread", "Banana Bread", 8, "snack", 75, ("vegetarian", "baking"), (
        ("3 ripe bananas, mashed", "banana"),
        ("1/3 cup butter, melted", "butter"),
        ("3/4 cup caster sugar", "sugar"),
        ("1 egg, beaten", "egg"),
        ("1 tsp vanilla extract", "vanilla extract"),
        ("1 tsp bicarbonate of soda", "bicarbonate of soda"),
        ("a pinch of salt", "salt"),
        ("1 1/2 cups plain flour", "flour"),
    )),
    ("shepherds-pie", "Shepherd's Pie", 4, "dinner", 90, ("family", "comfort food"), (
        ("1 tbsp vegetable oil", "vegetable oil"),
        ("500 g lamb mince", "lamb mince"),
        ("1 onion, chopped", "onion"),
        ("2 carrots, diced", "carrot"),
        ("2 tbsp tomato puree", "tomato puree"),
        ("1 tbsp worcestershire sauce", "worcestershire sauce"),
        ("1 beef stock cube", "stock cube"),
        ("900 g potatoes, peeled", "potato"),
        ("50 g butter", "butter"),
        ("100 ml milk", "milk"),
        ("100 g frozen peas", "peas"),
    )),
    ("chickpea-curry", "Chickpea Curry", 4, "dinner", 35, ("vegan", "gluten-free"), (
        ("1 tbsp vegetable oil", "vegetable oil"),
        ("1 onion, chopped", "onion"),
        ("3 cloves garlic, crushed", "garlic"),
        ("20 g fresh ginger, grated", "ginger"),
        ("2 tbsp medium curry powder", "curry powder"),
        ("1 tsp ground turmeric", "turmeric"),
        ("2 x 400 g tins chickpeas, drained", "chickpeas"),
        ("400 g tin chopped tomatoes", "chopped tomatoes"),
        ("400 ml tin coconut milk", "coconut milk"),
        ("100 g baby spinach", "spinach"),
        ("300 g basmati rice", "rice"),
    )),
    ("vegetable-stir-fry", "Vegetable Stir Fry", 2, "dinner", 20, ("vegetarian", "quick"), (
        ("150 g medium egg noodles", "noodles"),
        ("1 tbsp vegetable oil", "vegetable oil"),
        ("1 red pepper, sliced", "pepper"),
        ("1 carrot, cut into matchsticks", "carrot"),
        ("1 head broccoli, cut into small florets", "broccoli"),
        ("4 spring onions, sliced", "spring onion"),
        ("2 cloves garlic, sliced", "garlic"),
        ("15 g fresh ginger, grated", "ginger"),
        ("3 tbsp soy sauce", "soy sauce"),
        ("1 tbsp honey", "honey"),
    )),
    ("spaghetti-carbonara", "Spaghetti Carbonara", 4, "dinner", 25, ("quick", "italian"), (
        ("400 g spaghetti", "pasta"),
        ("150 g smoked bacon lardons", "bacon"),
        ("3 eggs", "egg"),
        ("60 g parmesan, finely grated", "parmesan"),
        ("2 cloves garlic, peeled", "garlic"),
        ("1 tbsp olive oil", "olive oil"),
        ("a pinch of black pepper", "black pepper"),
    )),
    ("tomato-soup", "Tomato Soup", 4, "lunch", 50, ("vegetarian", "gluten-free", "freezable"), (
        ("2 tbsp olive oil", "olive oil"),
        ("1 onion, chopped", "onion"),
        ("1 carrot, chopped", "carrot"),
        ("2 cloves garlic, crushed", "garlic"),
        ("1 kg ripe tomatoes, quartered", "tomato"),
        ("2 tbsp tomato puree", "tomato puree"),
        ("1 vegetable stock cube", "stock cube"),
        ("1 tsp caster sugar", "sugar"),
        ("100 ml double cream", "cream"),
        ("a handful of basil", "basil"),
    )),
    ("porridge", "Porridge with Honey and Blueberries", 2, "breakfast", 10,
     ("vegetarian", "quick"), (
        ("1 cup porridge oats", "oats"),
        ("2 cups milk", "milk"),
        ("a pinch of salt", "salt"),
        ("1 tbsp honey", "honey"),
        ("a handful of blueberries", "berries"),
    )),
    ("fruit-salad", "Fruit Salad", 6, "dessert", 15, ("vegan", "gluten-free", "no-cook"), (
        ("1 pineapple, peeled and chopped", "pineapple"),
        ("2 apples, cored and chopped", "apple"),
        ("2 oranges, segmented", "orange"),
        ("1 mango, diced", "mango"),
        ("250 g strawberries, hulled", "berries"),
        ("200 g seedless grapes, halved", "grape"),
        ("2 kiwi fruit, sliced", "kiwi"),
        ("1 lime, juiced", "lime"),
    )),
    ("macaroni-cheese", "Macaroni Cheese", 4, "dinner", 40,
     ("vegetarian", "family", "comfort food"), (
        ("300 g macaroni", "pasta"),
        ("50 g butter", "butter"),
        ("50 g plain flour", "flour"),
        ("600 ml milk", "milk"),
        ("200 g mature cheddar, grated", "cheddar"),
        ("1 tsp english mustard", "mustard"),
        ("a pinch of salt", "salt"),
    )),
    ("fish-pie", "Fish Pie", 4, "dinner", 75, ("family", "comfort food"), (
        ("320 g fish pie mix", "fish pie mix"),
        ("150 g cooked king prawns", "prawns"),
        ("1 kg potatoes, peeled", "potato"),
        ("50 g butter", "butter"),
        ("40 g plain flour", "flour"),
        ("500 ml milk", "milk"),
        ("a handful of parsley, chopped", "parsley"),
        ("100 g frozen peas", "peas"),
        ("1 lemon, zested", "lemon"),
    )),
    ("chicken-fajitas", "Chicken Fajitas", 4, "dinner", 30, ("family", "spicy"), (
        ("3 chicken breasts, sliced", "chicken breast"),
        ("2 peppers, sliced", "pepper"),
        ("1 red onion, sliced", "onion"),
        ("2 tsp smoked paprika", "paprika"),
        ("1 tsp ground cumin", "cumin"),
        ("1 tsp chilli powder", "chilli powder"),
        ("2 tbsp olive oil", "olive oil"),
        ("1 lime, juiced", "lime"),
        ("8 tortilla wraps", "tortilla"),
        ("150 ml soured cream", "soured cream"),
        ("100 g cheddar, grated", "cheddar"),
    )),
    ("salmon-with-rice", "Honey Soy Salmon with Rice", 2, "dinner", 25,
     ("quick", "high protein"), (
        ("2 salmon fillets", "salmon"),
        ("150 g basmati rice", "rice"),
        ("2 tbsp soy sauce", "soy sauce"),
        ("1 tbsp honey", "honey"),
        ("1 clove garlic, grated", "garlic"),
        ("200 g long-stem broccoli", "broccoli"),
        ("1 tsp sesame oil", "sesame oil"),
    )),
    ("egg-fried-rice", "Egg Fried Rice", 2, "dinner", 20, ("vegetarian", "quick"), (
        ("200 g long grain rice", "rice"),
        ("2 tbsp vegetable oil", "vegetable oil"),
        ("3 eggs, beaten", "egg"),
        ("4 spring onions, sliced", "spring onion"),
        ("150 g frozen peas", "peas"),
        ("2 tbsp soy sauce", "soy sauce"),
        ("1 tsp sesame oil", "sesame oil"),
    )),
    ("chicken-caesar-salad", "Chicken Caesar Salad", 2, "lunch", 25, ("high protein",), (
        ("2 romaine lettuces", "lettuce"),
        ("2 chicken breasts", "chicken breast"),
        ("2 slices bread, cubed", "bread"),
        ("40 g parmesan, shaved", "parmesan"),
        ("3 tbsp mayonnaise", "mayonnaise"),
        ("1 lemon, juiced", "lemon"),
        ("1 clove garlic, crushed", "garlic"),
        ("2 tbsp olive oil", "olive oil"),
        ("1 tsp dijon mustard", "mustard"),
    )),
    ("lentil-soup", "Lentil Soup", 4, "lunch", 45, ("vegan", "gluten-free", "freezable"), (
        ("1 tbsp olive oil", "olive oil"),
        ("1 onion, chopped", "onion"),
        ("2 carrots, diced", "carrot"),
        ("2 sticks celery, diced", "celery"),
        ("2 cloves garlic, crushed", "garlic"),
        ("200 g red split lentils", "lentils"),
        ("2 vegetable stock cubes", "stock cube"),
        ("400 g tin chopped tomatoes", "chopped tomatoes"),
        ("1 tsp ground cumin", "cumin"),
    )),
    ("scones", "Scones with Jam and Cream", 8, "snack", 30, ("vegetarian", "baking"), (
        ("350 g self-raising flour", "self-raising flour"),
        ("1 tsp baking powder", "baking powder"),
        ("85 g butter, cubed", "butter"),
        ("3 tbsp caster sugar", "sugar"),
        ("175 ml milk", "milk"),
        ("1 tsp vanilla extract", "vanilla extract"),
        ("1 egg, beaten", "egg"),
        ("4 tbsp strawberry jam", "jam"),
        ("227 g clotted cream", "cream"),
    )),
    ("french-toast", "French Toast", 2, "breakfast", 15, ("vegetarian", "quick"), (
        ("4 slices bread", "bread"),
        ("2 eggs", "egg"),
        ("1/2 cup milk", "milk"),
        ("1 tsp ground cinnamon", "cinnamon"),
        ("1 tbsp butter", "butter"),
        ("2 tbsp maple syrup", "maple syrup"),
        ("a handful of berries", "berries"),
    )),
    ("chilli-con-carne", "Chilli Con Carne", 4, "dinner", 60, ("spicy", "freezable"), (
        ("1 tbsp vegetable oil", "vegetable oil"),
        ("1 onion, chopped", "onion"),
        ("2 cloves garlic, crushed", "garlic"),
        ("1 red pepper, chopped", "pepper"),
        ("500 g beef mince", "beef mince"),
        ("1 tsp chilli powder", "chilli powder"),
        ("1 tsp ground cumin", "cumin"),
        ("1 tsp paprika", "paprika"),
        ("400 g tin chopped tomatoes", "chopped tomatoes"),
        ("400 g tin red kidney beans, drained", "kidney beans"),
        ("1 beef stock cube", "stock cube"),
        ("2 tbsp tomato puree", "tomato puree"),
        ("300 g long grain rice", "rice"),
    )),
    ("margherita-pizza", "Margherita Pizza", 2, "dinner", 90, ("vegetarian", "italian"), (
        ("300 g strong white bread flour", "bread flour"),
        ("7 g fast action dried yeast", "yeast"),
        ("1 tsp salt", "salt"),
        ("1 tbsp olive oil", "olive oil"),
        ("200 ml warm water", "water"),
        ("100 g passata", "passata"),
        ("125 g mozzarella, torn", "mozzarella"),
        ("a handful of basil", "basil"),
    )),
    ("lasagne", "Lasagne", 6, "dinner", 120, ("family", "italian", "freezable"), (
        ("1 tbsp olive oil", "olive oil"),
        ("1 onion, chopped", "onion"),
        ("2 cloves garlic, crushed", "garlic"),
        ("500 g beef mince", "beef mince"),
        ("2 x 400 g tins chopped tomatoes", "chopped tomatoes"),
        ("2 tbsp tomato puree", "tomato puree"),
        ("1 tsp dried oregano", "dried herbs"),
        ("12 lasagne sheets", "lasagne sheets"),
        ("50 g butter", "butter"),
        ("50 g plain flour", "flour"),
        ("600 ml milk", "milk"),
        ("100 g mature cheddar, grated", "cheddar"),
        ("30 g parmesan, grated", "parmesan"),
    )),
    ("greek-salad", "Greek Salad", 4, "lunch", 15, ("vegetarian", "gluten-free", "no-cook"), (
        ("1 cucumber, chunked", "cucumber"),
        ("4 tomatoes, cut into wedges", "tomato"),
        ("1 red onion, thinly sliced", "onion"),
        ("1 green pepper, sliced", "pepper"),
        ("200 g feta", "feta"),
        ("100 g kalamata olives", "olives"),
        ("3 tbsp extra virgin olive oil", "olive oil"),
        ("1 tsp dried oregano", "dried herbs"),
    )),
    ("roast-chicken", "Roast Chicken with Potatoes", 4, "dinner", 110,
     ("sunday lunch", "family"), (
        ("1 whole chicken", "whole chicken"),
        ("1 kg potatoes, peeled and halved", "potato"),
        ("4 carrots, halved", "carrot"),
        ("2 tbsp vegetable oil", "vegetable oil"),
        ("1 lemon, halved", "lemon"),
        ("1 bulb garlic, halved", "garlic"),
        ("a handful of thyme", "thyme"),
        ("2 tbsp gravy granules", "gravy"),
    )),
    ("beef-stew", "Beef Stew", 6, "dinner", 180, ("comfort food", "freezable"), (
        ("1 kg diced beef", "stewing beef"),
        ("2 tbsp plain flour", "flour"),
        ("2 tbsp vegetable oil", "vegetable oil"),
        ("2 onions, chopped", "onion"),
        ("3 carrots, chunked", "carrot"),
        ("2 sticks celery, sliced", "celery"),
        ("2 beef stock cubes", "stock cube"),
        ("2 tbsp tomato puree", "tomato puree"),
        ("1 tbsp worcestershire sauce", "worcestershire sauce"),
        ("500 g potatoes, chunked", "potato"),
        ("a handful of thyme", "thyme"),
    )),
    ("thai-green-curry", "Thai Green Chicken Curry", 4, "dinner", 35, ("spicy", "gluten-free"), (
        ("1 tbsp vegetable oil", "vegetable oil"),
        ("3 tbsp thai green curry paste", "curry paste"),
        ("400 ml tin coconut milk", "coconut milk"),
        ("500 g boneless chicken thighs", "chicken thigh"),
        ("1 tbsp fish sauce", "fish sauce"),
        ("1 tsp light brown soft sugar", "sugar"),
        ("150 g fine green beans", "green beans"),
        ("1 lime", "lime"),
        ("a handful of basil", "basil"),
        ("300 g jasmine rice", "rice"),
    )),
    ("mushroom-risotto", "Mushroom Risotto", 4, "dinner", 45, ("vegetarian", "gluten-free"), (
        ("1 tbsp olive oil", "olive oil"),
        ("1 onion, finely chopped", "onion"),
        ("2 cloves garlic, crushed", "garlic"),
        ("300 g arborio risotto rice", "rice"),
        ("250 g chestnut mushrooms, sliced", "mushroom"),
        ("2 vegetable stock cubes", "stock cube"),
        ("50 g butter", "butter"),
        ("50 g parmesan, grated", "parmesan"),
        ("a handful of parsley, chopped", "parsley"),
    )),
    ("blueberry-muffins", "Blueberry Muffins", 12, "snack", 35, ("vegetarian", "baking"), (
        ("2 cups plain flour", "flour"),
        ("3/4 cup caster sugar", "sugar"),
        ("2 tsp baking powder", "baking powder"),
        ("1/2 tsp salt", "salt"),
        ("1/3 cup vegetable oil", "vegetable oil"),
        ("1 egg", "egg"),
        ("1/2 cup milk", "milk"),
        ("1 cup blueberries", "berries"),
        ("1 tsp vanilla extract", "vanilla extract"),
    )),
    ("chocolate-brownies", "Chocolate Brownies", 16, "dessert", 50, ("vegetarian", "baking"), (
        ("200 g dark chocolate", "chocolate"),
        ("175 g butter", "butter"),
        ("325 g caster sugar", "sugar"),
        ("3 eggs", "egg"),
        ("130 g plain flour", "flour"),
        ("50 g cocoa powder", "cocoa powder"),
        ("50 g walnut halves, chopped", "nuts"),
    )),
    ("victoria-sponge", "Victoria Sponge", 8, "dessert", 50, ("vegetarian", "baking"), (
        ("200 g butter, softened", "butter"),
        ("200 g caster sugar", "sugar"),
        ("4 eggs", "egg"),
        ("200 g self-raising flour", "self-raising flour"),
        ("1 tsp baking powder", "baking powder"),
        ("2 tbsp milk", "milk"),
        ("4 tbsp strawberry jam", "jam"),
        ("150 ml double cream", "cream"),
    )),
    ("hummus", "Hummus", 6, "snack", 10, ("vegan", "gluten-free", "no-cook"), (
        ("400 g tin chickpeas, drained", "chickpeas"),
        ("2 tbsp tahini", "tahini"),
        ("1 lemon, juiced", "lemon"),
        ("1 clove garlic, crushed", "garlic"),
        ("3 tbsp extra virgin olive oil", "olive oil"),
        ("1/2 tsp ground cumin", "cumin"),
        ("a pinch of salt", "salt"),
    )),
    ("full-english-breakfast", "Full English Breakfast", 2, "breakfast", 25, ("weekend",), (
        ("4 pork sausages", "sausage"),
        ("4 rashers back bacon", "bacon"),
        ("2 eggs", "egg"),
        ("415 g tin baked beans", "baked beans"),
        ("2 tomatoes, halved", "tomato"),
        ("150 g mushrooms, sliced", "mushroom"),
        ("2 slices bread", "bread"),
        ("1 tbsp vegetable oil", "vegetable oil"),
    )),
    ("jacket-potatoes", "Jacket Potatoes with Beans and Cheese", 4, "lunch", 75,
     ("vegetarian", "family"), (
        ("4 baking potatoes", "potato"),
        ("415 g tin baked beans", "baked beans"),
        ("100 g cheddar, grated", "cheddar"),
        ("a knob of butter", "butter"),
        ("a pinch of salt", "salt"),
    )),
    ("tuna-pasta-bake", "Tuna Pasta Bake", 4, "dinner", 40, ("family",), (
        ("300 g fusilli", "pasta"),
        ("2 x 145 g tins tuna, drained", "tuna"),
        ("198 g tin sweetcorn, drained", "sweetcorn"),
        ("400 g tin chopped tomatoes", "chopped tomatoes"),
        ("150 g mature cheddar, grated", "cheddar"),
        ("1 onion, chopped", "onion"),
        ("1 tbsp olive oil", "olive oil"),
    )),
    ("berry-smoothie", "Berry Smoothie", 2, "breakfast", 5, ("vegetarian", "quick", "no-cook"), (
        ("1 banana", "banana"),
        ("1 cup frozen mixed berries", "berries"),
        ("1/2 cup greek yoghurt", "yoghurt"),
        ("1/2 cup milk", "milk"),
        ("1 tbsp honey", "honey"),
    )),
    ("avocado-toast", "Avocado Toast with Poached Eggs", 2, "breakfast", 15,
     ("vegetarian", "quick"), (
        ("2 slices sourdough", "bread"),
        ("1 avocado", "avocado"),
        ("1/2 lemon", "lemon"),
        ("a pinch of chilli flakes", "chilli powder"),
        ("2 eggs", "egg"),
        ("a pinch of salt", "salt"),
    )),
    ("beef-burgers", "Homemade Beef Burgers", 4, "dinner", 30, ("family", "bbq"), (
        ("500 g beef mince", "beef mince"),
        ("1 small onion, finely chopped", "onion"),
        ("1 egg", "egg"),
        ("4 brioche burger buns", "bread roll"),
        ("1 little gem lettuce", "lettuce"),
        ("2 tomatoes, sliced", "tomato"),
        ("4 slices cheddar", "cheddar"),
        ("2 tbsp tomato ketchup", "ketchup"),
    )),
    ("pesto-pasta", "Pesto Pasta with Green Beans", 4, "dinner", 15, ("vegetarian", "quick"), (
        ("400 g penne", "pasta"),
        ("190 g jar green pesto", "pesto"),
        ("150 g fine green beans", "green beans"),
        ("25 g parmesan, grated", "parmesan"),
        ("a handful of basil", "basil"),
    )),
    ("bangers-and-mash", "Bangers and Mash", 4, "dinner", 40, ("family", "comfort food"), (
        ("8 pork sausages", "sausage"),
        ("1 kg potatoes, peeled", "potato"),
        ("50 g butter", "butter"),
        ("100 ml milk", "milk"),
        ("2 onions, sliced", "onion"),
        ("2 tbsp gravy granules", "gravy"),
        ("200 g frozen peas", "peas"),
    )),
)
# fmt: on


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
    return tuple(
        RecipeSpec(
            slug=slug,
            name=name,
            servings=servings,
            meal=meal,
            minutes=minutes,
            ingredients=tuple(_ingredient(line, category) for line, category in lines),
            tags=tags,
        )
        for slug, name, servings, meal, minutes, tags, lines in _RECIPES
    )


def __getattr__(name: str) -> tuple[RecipeSpec, ...]:
    if name == "RECIPES":
        return _build()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
