"""Dietary words in what customers say, and which products and recipes suit them.

``read_wishes("vegan sausages")`` -> ``Wishes(diets={"vegan"}, quick=False, rest="sausages")``:
the diets ("vegan", "vegetarian", "gluten-free") and "quick" said, and the words left to search
for. ``suits(product)`` says, per diet, whether a product is known to suit it (True), known not
to (False) or not known (None). It is read from what the catalog holds — department, aisle,
category and name — by the tables below: a name that says so ("Vegan Green Pesto",
"Gluten-Free Penne", "Meat-Free Mince") decides; else meat and fish, then animal products
(dairy, eggs, honey, gelatine, animal rennet cheeses), then what is made with wheat, rye or
barley. Household, personal care and pet goods are no food: nothing is known of them.

Search ranks what is known to suit a diet first, keeps what is not known after it, and leaves
out what is known not to suit ("vegan milk" is oat, soya, almond... never whole milk; "vegan
cheese" finds none rather than cottage cheese). A vegan product is vegetarian too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final, Protocol

__all__ = ["DIETS", "QUICK_NAMES", "Wishes", "quick_product", "read_wishes", "suits"]

DIETS: Final = ("vegan", "vegetarian", "gluten-free")

# Said -> diet. Longest phrases first, so "gluten free" is not read as "free".
_DIET_PHRASES: Final = (
    (r"plant[\s-]?based|vegan", "vegan"),
    (r"vegetarian|veggie|veg(?=\s)|meat[\s-]?free|meatless|no meat|without meat", "vegetarian"),
    (r"gluten[\s-]?free|no gluten|without gluten|coeliac|celiac|non[\s-]?gluten", "gluten-free"),
)
_DIET_RE: Final = re.compile(
    r"\b(?:" + "|".join(f"(?P<d{i}>{p})" for i, (p, _) in enumerate(_DIET_PHRASES)) + r")\b",
    re.IGNORECASE,
)
_QUICK_RE: Final = re.compile(
    r"\b(?:quick|quickly|quicker|quickest|fast|speedy|rapid|in a hurry|in a rush|easy|simple"
    r"|(?:in |under |less than )?(?:10|15|20|25|30|ten|fifteen|twenty|thirty)[\s-]?"
    r"min(?:ute)?s?)\b",
    re.IGNORECASE,
)
# What makes a product quick: it is ready, or cooks, in minutes.
QUICK_NAMES: Final = re.compile(
    r"\b(?:instant|quick|easy cook|microwave|ready to (?:eat|serve)|ready[\s-]?made|express"
    r"|fast action|pre[\s-]?cooked|cooked|in minutes)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Wishes:
    """What a query asks of what it finds, besides its words."""

    diets: frozenset[str] = field(default_factory=frozenset)
    quick: bool = False
    rest: str = ""  # the query without the diet and quick words

    def __bool__(self) -> bool:
        return bool(self.diets) or self.quick


def read_wishes(text: str) -> Wishes:
    """The diets and "quick" said in ``text``, and the rest of its words."""
    diets: set[str] = set()

    def diet(match: re.Match[str]) -> str:
        diets.add(_DIET_PHRASES[int(str(match.lastgroup)[1:])][1])
        return " "

    rest = _DIET_RE.sub(diet, text)
    quick = bool(_QUICK_RE.search(rest))
    rest = _QUICK_RE.sub(" ", rest)
    rest = re.sub(r"\b(?:food|foods|options?|stuff|friendly|suitable|for|recipes?)\b", " ", rest)
    return Wishes(frozenset(diets), quick, " ".join(rest.split()))


class ProductLike(Protocol):
    """A catalog product or its seed spec: what ``suits`` reads."""

    @property
    def name(self) -> str: ...
    @property
    def department(self) -> str: ...
    @property
    def aisle(self) -> str: ...
    @property
    def category(self) -> str: ...


NOT_FOOD: Final = frozenset(("household", "personal care", "pet"))
NOT_FOOD_AISLES: Final = frozenset(("Baby Toiletries", "Nappies & Wipes"))

# --- meat and fish: not vegetarian --------------------------------------------------------------
_MEAT_CATEGORIES: Final = frozenset(
    (
        "fish fingers", "prawns", "salmon", "white fish", "chicken nuggets", "tinned fish",
        "tuna", "fish sauce", "worcestershire sauce", "fish pie mix", "mackerel",
        "smoked salmon", "tuna steak",
    )
)  # fmt: skip
_MEAT_WORDS: Final = re.compile(
    r"\b(?:beef|pork|ham|bacon|sausages?|chipolatas?|lamb|chicken|turkey|duck|fish|fisherman'?s"
    r"|prawns?|tuna|salmon|anchov(?:y|ies)|mackerel|sardines?|cod|haddock|pollock|hake|pepperoni"
    r"|chorizo|salami|prosciutto|pancetta|gammon|meat|carne|cottage pie|shepherd'?s pie"
    r"|caesar|gelatine|jelly babies|marshmallows?|fruit gums|cola bottles|sour worms"
    r"|parmesan|grana padano|pesto|lard|suet)\b",
    re.IGNORECASE,
)
# --- animal products a vegetarian eats: not vegan -----------------------------------------------
_ANIMAL_CATEGORIES: Final = frozenset(
    (
        "butter", "cheddar", "cheese", "cottage cheese", "cream cheese", "feta", "halloumi",
        "mascarpone", "mozzarella", "ricotta", "fresh pasta", "cream", "creme fraiche",
        "soured cream", "custard", "dessert", "egg", "honey", "mayonnaise", "cake", "cookie",
        "doughnut", "muffin", "croissant", "scone", "teacake", "english muffin", "naan",
        "garlic bread", "ice cream", "frozen dessert", "yorkshire pudding", "pizza",
        "hot chocolate", "biscuits", "chocolate spread",
    )
)  # fmt: skip
_ANIMAL_WORDS: Final = re.compile(
    r"\b(?:milk|cheese|cheesy|butter|cream|creamy|yog(?:h)?urt|eggs?|honey|brioche|custard"
    r"|mayonnaise|mayo|ghee|whey|tzatziki|sour cream|crème|creme)\b",
    re.IGNORECASE,
)
# ... unless the word is about a plant: "oat milk", "coconut cream", "peanut butter"
_PLANT_WORDS: Final = re.compile(
    r"\b(?:oat|soya|soy|almond|cashew|coconut|rice|hazelnut|pea|peanut|cocoa|shea) "
    r"(?:milk|drink|cream|yog(?:h)?urt|butter)\b(?! chocolate)|\bcream (?:crackers|soda)\b"
    r"|\bbutter beans\b|\bcoconut milk\b|\bcoconut cream\b",
    re.IGNORECASE,
)
# --- wheat, rye, barley (and oats, which are rarely kept apart): not gluten-free ---------------
_GLUTEN_CATEGORIES: Final = frozenset(
    (
        "bread", "baguette", "bread roll", "garlic bread", "cake", "cookie", "doughnut",
        "muffin", "bagel", "croissant", "crumpet", "english muffin", "scone", "teacake", "naan",
        "pitta", "tortilla", "flour", "bread flour", "self-raising flour", "couscous",
        "lasagne sheets", "noodles", "pasta", "fresh pasta", "cereal", "granola", "muesli",
        "oats", "biscuits", "crackers", "pastry", "yorkshire pudding", "pizza", "ready meal",
        "fish fingers", "chicken nuggets", "burger", "sausage", "meat-free sausage",
        "veggie burger", "soy sauce", "stock cube", "gravy", "frozen dessert", "yeast",
        "cooking sauce", "soup",
    )
)  # fmt: skip
_GLUTEN_WORDS: Final = re.compile(
    r"\b(?:wheat|barley|rye|malt|malted|spelt|breaded|battered|crumbed|pastry|pie|crackers?"
    r"|biscuits?|wafer|cookies?|cones?|couscous|bulgur|seitan|beer)\b",
    re.IGNORECASE,
)
_GLUTEN_FREE_ANYWAY: Final = re.compile(
    r"\b(?:rice (?:noodles|cakes)|tamari|cornflour|corn tortilla|buckwheat)\b", re.IGNORECASE
)
# Aisles where a food is made of one thing and nothing else is added.
_PLAIN_AISLES: Final = frozenset(
    (
        "Fruit", "Vegetables", "Salad", "Fresh Herbs", "Milk", "Eggs", "Cream", "Butter & Spreads",
        "Cheese", "Yoghurts", "Beef", "Chicken", "Lamb", "Pork", "Fish & Seafood", "Water",
        "Juice & Squash", "Tea & Coffee", "Frozen Fruit", "Frozen Vegetables", "Oils & Vinegars",
        "Herbs & Spices", "Dried Fruit & Nuts", "Soft Drinks", "Baby Milk",
    )
)  # fmt: skip
# Aisles of plant foods only.
_PLANT_AISLES: Final = frozenset(
    (
        "Fruit", "Vegetables", "Salad", "Fresh Herbs", "Juice & Squash", "Water", "Soft Drinks",
        "Frozen Fruit", "Frozen Vegetables", "Oils & Vinegars", "Herbs & Spices",
        "Dried Fruit & Nuts", "Tea & Coffee",
    )
)  # fmt: skip
# Whole categories that are plain plants (vegan), whatever their aisle.
_PLANT_CATEGORIES: Final = frozenset(
    (
        "rice", "quinoa", "lentils", "chickpeas", "beans", "kidney beans", "baked beans",
        "chopped tomatoes", "passata", "tomato puree", "sweetcorn", "coconut milk", "olives",
        "pickles", "tinned fruit", "nuts", "dried fruit", "sugar", "golden syrup", "maple syrup",
        "jam", "marmalade", "peanut butter", "tahini", "cornflour", "cocoa powder",
        "baking powder", "bicarbonate of soda", "vanilla extract", "tofu", "hummus", "ketchup",
        "mustard", "brown sauce", "hot sauce", "soy sauce", "sweet chilli sauce",
        "barbecue sauce", "vinegar", "popcorn", "crisps", "tortilla chips", "oats", "pasta",
        "noodles", "flour", "bread flour", "self-raising flour", "couscous", "bread",
        "baguette", "bread roll", "bagel", "crumpet", "pitta", "tortilla", "frozen potatoes",
        "oven chips", "peas", "frozen vegetables", "frozen fruit", "berries", "curry paste",
        "dip", "meat-free mince", "veggie burger", "yeast", "lasagne sheets", "pastry",
        "salt", "black pepper", "dried herbs", "seasoning",
    )
)  # fmt: skip


# Categories with no meat or fish, whatever else they hold.
_VEGETARIAN_CATEGORIES: Final = frozenset(
    (
        "chocolate", "cereal", "granola", "muesli", "crackers", "cooking sauce", "ice lolly",
        "baby snacks", "salad dressing", "custard",
    )
)  # fmt: skip
# Categories known to hold no gluten (besides plain foods and plants).
_GLUTEN_FREE_CATEGORIES: Final = frozenset(
    ("honey", "mayonnaise", "custard", "tinned fish", "tuna", "prawns", "salmon", "chocolate")
)


def _named(name: str) -> dict[str, bool]:
    """What the product's own name says about diets."""
    said: dict[str, bool] = {}
    lowered = name.lower()
    if "vegan" in lowered or "plant-based" in lowered or "plant based" in lowered:
        said["vegan"] = said["vegetarian"] = True
    elif re.search(r"vegetarian|meat-free|meat free|veggie", lowered):
        said["vegetarian"] = True
    if re.search(r"gluten[\s-]?free", lowered):
        said["gluten-free"] = True
    if "dairy-free" in lowered or "dairy free" in lowered:
        said.setdefault("vegetarian", True)
    return said


def suits(product: ProductLike) -> dict[str, bool | None]:
    """Per diet: True (known to suit), False (known not to), None (not known)."""
    if product.department in NOT_FOOD or product.aisle in NOT_FOOD_AISLES:
        return dict.fromkeys(DIETS, None)
    named = _named(product.name)
    category = product.category.lower()
    name = product.name
    text = f"{name} {category}"

    vegetarian: bool | None
    if "vegetarian" in named:
        vegetarian = True
    elif product.department == "produce":
        vegetarian = True  # "Lamb's Lettuce" and "Beef Tomatoes" are plants
    elif (
        category in _MEAT_CATEGORIES
        or (product.department == "meat & fish" and product.aisle != "Meat-Free")
        or _MEAT_WORDS.search(name)
    ):
        vegetarian = False
    elif (
        product.aisle in _PLAIN_AISLES
        or category in _PLANT_CATEGORIES
        or category in _ANIMAL_CATEGORIES
        or category in _VEGETARIAN_CATEGORIES
    ):
        vegetarian = True
    else:
        vegetarian = None

    vegan: bool | None
    plant = _PLANT_WORDS.search(name)
    animal_left = _ANIMAL_WORDS.search(_PLANT_WORDS.sub(" ", name))
    if "vegan" in named:
        vegan = True
    elif vegetarian is False:
        vegan = False
    elif product.department == "produce":
        vegan = True
    elif plant and not animal_left:
        vegan = True  # "Oat Milk", "Coconut Yoghurt", "Peanut Butter", "Butter Beans"
    elif re.search(r"dairy[\s-]?free", name, re.IGNORECASE):
        vegan = True if category == "spread" else None  # no milk, maybe egg
    elif (
        category in _ANIMAL_CATEGORIES
        or animal_left
        or _ANIMAL_WORDS.search(category)
        or (product.department == "dairy" and product.aisle != "Dips")
    ):
        vegan = False
    elif category in _PLANT_CATEGORIES or product.aisle in _PLANT_AISLES:
        vegan = True
    else:
        vegan = None

    gluten_free: bool | None
    if "gluten-free" in named or _GLUTEN_FREE_ANYWAY.search(text):
        gluten_free = True
    elif category in _GLUTEN_CATEGORIES or _GLUTEN_WORDS.search(name):
        gluten_free = False
    elif (
        product.aisle in _PLAIN_AISLES
        or category in _PLANT_CATEGORIES
        or category in _GLUTEN_FREE_CATEGORIES
        or product.department in ("produce", "dairy", "drinks", "meat & fish")
    ):
        gluten_free = True if category not in ("fresh pasta", "dessert") else None
    else:
        gluten_free = None
    return {"vegan": vegan, "vegetarian": vegetarian, "gluten-free": gluten_free}


def quick_product(product: ProductLike) -> bool:
    """Ready, or cooked, in minutes ("Instant Noodles", "Easy Cook Long Grain Rice")."""
    return bool(QUICK_NAMES.search(product.name))
