"""Reading the quantity of a spoken basket item, and the packs of a product it takes."""

from __future__ import annotations

import pytest

from assistant.errors import CommerceError
from commerce.services.quantities import Kind, fit, packs_for, parse_quantity


@pytest.mark.parametrize(
    ("phrase", "kind", "packs", "amount", "unit", "product", "text"),
    [
        ("two litres of milk", Kind.AMOUNT, None, 2000.0, "ml", "milk", "two litres"),
        ("half a kilo of flour", Kind.AMOUNT, None, 500.0, "g", "flour", "half a kilo"),
        ("4 pints of milk", Kind.AMOUNT, None, 2273.044, "ml", "milk", "4 pints"),
        ("a thousand litres of milk", Kind.AMOUNT, None, 1e6, "ml", "milk", "a thousand litres"),
        ("a dozen eggs", Kind.ITEMS, None, 12.0, "each", "eggs", "a dozen"),
        ("half a dozen eggs", Kind.ITEMS, None, 6.0, "each", "eggs", "half a dozen"),
        ("6 eggs", Kind.ITEMS, None, 6.0, "each", "eggs", "6"),
        ("2 bananas", Kind.ITEMS, None, 2.0, "each", "bananas", "2"),
        ("a couple of bananas", Kind.ITEMS, None, 2.0, "each", "bananas", "a couple"),
        ("two loaves of bread", Kind.PACKS, 2, None, None, "bread", "two loaves"),
        ("three packs of butter", Kind.PACKS, 3, None, None, "butter", "three packs"),
        ("a bottle of cola", Kind.PACKS, 1, None, None, "cola", "a bottle"),
        ("two cans of cola", Kind.PACKS, 2, None, None, "cola", "two cans"),
        ("a head of lettuce", Kind.PACKS, 1, None, None, "lettuce", "a head"),
        ("two 2 litre bottles of cola", Kind.PACKS, 2, None, None, "cola", "two 2 litre bottles"),
        ("milk", Kind.NONE, None, None, None, "milk", None),
        ("tea bags", Kind.NONE, None, None, None, "tea bags", None),
        ("zero sugar cola", Kind.NONE, None, None, None, "0 sugar cola", None),
    ],
)
def test_quantity_read_from_the_phrase(phrase, kind, packs, amount, unit, product, text):
    quantity = parse_quantity(phrase)
    assert quantity.kind is kind
    assert quantity.packs == packs
    assert quantity.amount == (pytest.approx(amount) if amount is not None else None)
    assert quantity.unit == unit
    assert quantity.product == product
    assert quantity.text == text
    assert quantity.as_dict() == {
        "text": text,
        "packs": packs,
        "amount": quantity.amount,
        "unit": unit,
    }


def test_container_word_is_not_searched_for():
    assert parse_quantity("two loaves of bread").query == "bread"
    assert parse_quantity("a packet of crisps").query == "crisps"


def test_pack_size_inside_a_container_phrase_is_kept_for_ranking():
    quantity = parse_quantity("two 2 litre bottles of cola")
    assert quantity.packs == 2
    assert quantity.query == "2 litre cola"


@pytest.mark.parametrize(
    "phrase", ["zero eggs", "0 litres of milk", "zero packs of butter", "0 loaves of bread"]
)
def test_nothing_is_out_of_range(phrase):
    with pytest.raises(CommerceError) as caught:
        parse_quantity(phrase)
    assert (caught.value.code, caught.value.status) == ("quantity-out-of-range", 422)


@pytest.mark.parametrize(
    ("phrase", "size", "unit", "packs"),
    [
        # an amount: whole packs that cover it
        ("two litres of milk", 1.0, "L", 2),
        ("two litres of milk", 2.0, "L", 1),
        ("two litres of milk", 568.0, "ml", 4),
        ("4 pints of milk", 2.272, "L", 1),  # four pints is the 2.272 L bottle
        ("4 pints of milk", 568.0, "ml", 4),
        ("half a kilo of flour", 1.5, "kg", 1),
        ("two kilos of flour", 500.0, "g", 4),
        # items of an "each" product of n: packs of n
        ("a dozen eggs", 12.0, "each", 1),
        ("a dozen eggs", 6.0, "each", 2),
        ("ten eggs", 6.0, "each", 2),
        ("2 bananas", 1.0, "each", 2),
        ("2 bananas", 5.0, "each", 1),
        # items of a product sold by weight or volume: one pack an item
        ("2 bananas", 1.0, "kg", 2),
        ("three semi skimmed milk", 1.0, "L", 3),
        # packs are packs, whatever the size
        ("two loaves of bread", 800.0, "g", 2),
        ("three packs of butter", 250.0, "g", 3),
        # nothing said: one
        ("milk", 2.0, "L", 1),
    ],
)
def test_packs_for_a_product(phrase, size, unit, packs):
    assert packs_for(parse_quantity(phrase), size, unit) == packs


def test_exact_fits_waste_nothing_and_overshoot_is_measured():
    two_litres = parse_quantity("two litres of milk")
    assert fit(two_litres, 2.0, "L") == (1, 0.0)
    assert fit(two_litres, 1.0, "L") == (2, 0.0)
    packs, waste = fit(two_litres, 1.5, "L")
    assert packs == 2
    assert waste == pytest.approx(0.5)
    # a measure of another dimension is a guess: one pack, half wasted
    assert fit(two_litres, 6.0, "each") == (1, 0.5)
