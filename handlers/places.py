"""The deployment's province from the `vietnam-provinces` package (NHACVIEC_PROVINCE)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from bot.core.lang.places import Places
from bot.core.text import fold

if TYPE_CHECKING:  # the package loads its data on import: only where a place is named
    from vietnam_provinces import Province


class UnknownProvince(ValueError):
    pass


def _match(name: str) -> Province:
    from vietnam_provinces import Province

    wanted = fold(name).replace("tinh ", "").replace("thanh pho ", "").strip()
    provinces = list(Province.iter_all())
    for province in provinces:
        plain = fold(province.name).replace("thanh pho ", "").strip()
        if wanted in (plain, province.codename.replace("_", " ")):
            return province
    raise UnknownProvince(", ".join(sorted(p.name for p in provinces)))


@lru_cache(maxsize=4)
def load_places(name: str) -> Places:
    """The province called `name` ("Quảng Ngãi", "tỉnh Quảng Ngãi") with its communes and wards."""
    if not name.strip():
        return Places()
    from vietnam_provinces import Ward

    province = _match(name)
    wards = [w.name for w in Ward.iter_by_province(province.code)]
    return Places.from_names(province.name, wards)
