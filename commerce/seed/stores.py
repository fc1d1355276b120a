"""The seed stores, from ``data/stores.yml`` (three shops in Wrenford, one on Jersey).

Opening hours are local wall-clock times; weekday 0 is Monday; every store opens every day.
Places are invented too (latitude and longitude in the data file): Wrenford's three stores lie
a mile or two apart (Riverside in the south-west, Old Town in the centre, Northgate in the
north); Port Wren is on Jersey's coast.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from commerce.seed.specs import StoreSpec

__all__ = ["STORES"]

DATA = Path(__file__).with_name("data") / "stores.yml"


def _degrees(value: object) -> float | None:
    return None if value is None else float(str(value))


def _store(entry: dict[str, object]) -> StoreSpec:
    hours = entry["hours"]
    assert isinstance(hours, dict)
    week = {**dict.fromkeys(range(5), hours["weekdays"]), 5: hours["saturday"], 6: hours["sunday"]}
    return StoreSpec(
        id=str(entry["id"]),
        name=str(entry["name"]),
        address=str(entry["address"]),
        timezone=str(entry["timezone"]),
        opening_hours={day: (str(opens), str(closes)) for day, (opens, closes) in week.items()},
        latitude=_degrees(entry.get("latitude")),
        longitude=_degrees(entry.get("longitude")),
    )


STORES: tuple[StoreSpec, ...] = tuple(_store(e) for e in yaml.safe_load(DATA.read_text()))
