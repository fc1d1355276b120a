"""Plain records describing the seed catalog; the database seeder turns them into rows."""

from __future__ import annotations

from dataclasses import dataclass, field

# Units a pack size is expressed in. Volumes and masses are converted with pint elsewhere;
# "each" counts items (eggs, rolls, bananas); "pack" is a multi-item household pack.
UNITS = ("ml", "L", "g", "kg", "each")


@dataclass(frozen=True)
class ProductSpec:
    """One product as sold: a brand's pack of a generic item."""

    sku: str  # stable, e.g. "DAI-0001"
    name: str  # what a customer would say and see, e.g. "Semi-Skimmed Milk"
    brand: str
    department: str  # produce, dairy, bakery, meat & fish, pantry, frozen, drinks, ...
    aisle: str
    size: float  # pack size in `unit`, e.g. 2.0 with unit "L"
    unit: str  # one of UNITS
    price_cents: int
    category: str  # generic item key shared by substitutes and recipes, e.g. "milk", "egg"
    synonyms: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class StoreSpec:
    id: str  # slug, e.g. "riverside"
    name: str
    address: str
    timezone: str  # IANA name
    # weekday (0 = Monday) -> ("HH:MM", "HH:MM") opening and closing time, local
    opening_hours: dict[int, tuple[str, str]]
    latitude: float | None = None  # WGS84 degrees
    longitude: float | None = None


@dataclass(frozen=True)
class IngredientSpec:
    line: str  # as printed in the recipe, e.g. "2 cups milk"
    quantity: float  # in `unit`
    unit: str  # one of UNITS (already converted from cups/tbsp for the seeder)
    category: str  # matches ProductSpec.category
    pantry: bool = False  # a staple people usually have (salt, oil): skipped unless asked


@dataclass(frozen=True)
class RecipeSpec:
    slug: str
    name: str
    servings: int
    meal: str  # breakfast, lunch, dinner, dessert, snack
    minutes: int
    ingredients: tuple[IngredientSpec, ...]
    tags: tuple[str, ...] = field(default_factory=tuple)
