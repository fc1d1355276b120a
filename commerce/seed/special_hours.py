"""The seed's holiday and special opening hours (``data/special_hours.yml``) as dated rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from dateutil.easter import easter

from commerce.models import Store
from commerce.services.common import WEEKDAYS

DATA = Path(__file__).with_name("data") / "special_hours.yml"
ENTRIES: list[dict[str, Any]] = yaml.safe_load(DATA.read_text())


def _day(entry: dict[str, Any], year: int) -> date:
    if "easter" in entry:
        return easter(year) + timedelta(days=int(entry["easter"]))
    month, day = (int(part) for part in str(entry["date"]).split("-"))
    return date(year, month, day)


def special_hours_rows(stores: Iterable[Store], years: Iterable[int]) -> list[dict[str, Any]]:
    """store_special_hours rows for ``stores`` in ``years``: an entry's opening or closing
    time replaces that weekday's, the other stays; a store closed that weekday stays closed."""
    rows = []
    for store in stores:
        for year in years:
            for entry in ENTRIES:
                if "stores" in entry and store.id not in entry["stores"]:
                    continue
                day = _day(entry, year)
                weekly = store.opening_hours.get(WEEKDAYS[day.weekday()])
                opens = closes = None
                if weekly and not entry.get("closed"):
                    opens = str(entry.get("opens", weekly[0]))
                    closes = str(entry.get("closes", weekly[1]))
                    if opens >= closes:
                        opens = closes = None
                rows.append(
                    {
                        "store_id": store.id,
                        "day": day,
                        "name": str(entry["name"]),
                        "opens": opens,
                        "closes": closes,
                    }
                )
    return rows
