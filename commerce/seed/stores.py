"""The seed stores: three Greenleaf shops in the invented English town of Wrenford, and one
in the (equally invented) harbour town of Port Wren on Jersey, which has its own IANA zone
but, like the catalog, prices in pounds and pence.

Opening hours are local wall-clock times; weekday 0 is Monday; every store opens every day.
The English stores keep the six-hour Sunday trading limit; all close earlier on Sundays.
Places are invented too: Wrenford's three stores lie a mile or two apart (Riverside in the
south-west, Old Town in the centre, Northgate in the north); Port Wren is on Jersey's coast.
"""

from __future__ import annotations

from commerce.seed.specs import StoreSpec

__all__ = ["STORES"]


def _hours(
    weekdays: tuple[str, str], saturday: tuple[str, str], sunday: tuple[str, str]
) -> dict[int, tuple[str, str]]:
    return {**dict.fromkeys(range(5), weekdays), 5: saturday, 6: sunday}


STORES: tuple[StoreSpec, ...] = (
    StoreSpec(
        id="riverside",
        name="Greenleaf Riverside",
        address="14 Mill Quay, Riverside Retail Park, Wrenford",
        timezone="Europe/London",
        opening_hours=_hours(("07:00", "22:00"), ("07:00", "22:00"), ("10:00", "16:00")),
        latitude=52.19852,
        longitude=-1.72618,
    ),
    StoreSpec(
        id="old-town",
        name="Greenleaf Old Town",
        address="3 Market Street, Wrenford",
        timezone="Europe/London",
        opening_hours=_hours(("08:00", "20:00"), ("08:00", "18:00"), ("11:00", "17:00")),
        latitude=52.20523,
        longitude=-1.70811,
    ),
    StoreSpec(
        id="northgate",
        name="Greenleaf Northgate",
        address="Unit 2, Northgate Shopping Centre, Holloway Road, Wrenford",
        timezone="Europe/London",
        opening_hours=_hours(("07:00", "21:00"), ("08:00", "20:00"), ("10:00", "16:00")),
        latitude=52.21984,
        longitude=-1.70472,
    ),
    StoreSpec(
        id="harbour",
        name="Greenleaf Harbour",
        address="7 Pier Road, Port Wren, Jersey",
        timezone="Europe/Jersey",
        opening_hours=_hours(("08:00", "21:00"), ("08:00", "21:00"), ("10:00", "18:00")),
        latitude=49.18803,
        longitude=-2.10902,
    ),
)
