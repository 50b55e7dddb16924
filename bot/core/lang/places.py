"""Place names of the deployment's province (its communes and wards), as plain values.

Pure: `Places` is built from names passed in (`handlers.places` reads them from the maintained
`vietnam-provinces` package: the 34 provinces and their communes/wards after the 2025
reorganisation). The directory uses it so that a commune named in a question is found only if it
is an agency, and a typo is corrected only onto a real ward of the province — never invented
("xã Bình Thạnh" is not "UBND xã Bình Thanh" unless the province has a ward Bình Thanh and no
Bình Thạnh). Names found in plans are always kept, also those the package does not know.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.core.text import fold, nfc

# The package's division types as a name's level word ("Xã Tịnh Khê" → "xã").
LEVEL_WORDS = {"xa": "xã", "phuong": "phường", "thi tran": "thị trấn", "dac khu": "đặc khu"}


@dataclass(frozen=True)
class Ward:
    level: str  # "xã", "phường", "thị trấn", "đặc khu"
    name: str  # "Tịnh Khê"

    @property
    def ubnd_name(self) -> str:
        return f"UBND {self.level} {self.name}"


@dataclass
class Places:
    """The province and its wards; `knows(level, name)` compares names with their diacritics."""

    province: str = ""
    wards: tuple[Ward, ...] = ()
    _exact: set[tuple[str, str]] = field(default_factory=set, repr=False)
    _folded: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def from_names(cls, province: str, names: Iterable[str]) -> Places:
        """ "Xã Tịnh Khê", "Phường Cẩm Thành" … → Places."""
        wards = []
        for raw in names:
            name = nfc(raw).strip()
            folded = fold(name)
            for key, level in sorted(LEVEL_WORDS.items(), key=lambda kv: -len(kv[0])):
                if folded.startswith(key + " "):
                    wards.append(Ward(level, name[len(key) + 1 :].strip()))
                    break
        places = cls(nfc(province), tuple(wards))
        for ward in wards:
            places._exact.add((fold(ward.level), nfc(ward.name).lower()))
            places._folded.add(fold(ward.name))
        return places

    def __bool__(self) -> bool:
        return bool(self.wards)

    def knows(self, name: str, *, exact: bool = True) -> bool:
        """Whether a ward of the province is called `name` ("Tịnh Khê"; folded when not exact)."""
        if exact:
            return any(n == nfc(name).lower() for _, n in self._exact)
        return fold(name) in self._folded
