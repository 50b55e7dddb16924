"""The agency directory: names, abbreviations and relative names → one agency.

Officers write agency names every way: "Sở TT&TT", "STTTT", "so thong tin truyen thong",
"VP UBND tỉnh", "Văn phòng Sở" (meaning *their* Sở). The directory is built once from the stored
agencies and then answers per question, so lookups go through an exact dictionary of
"compact keys" (folded, punctuation and spaces removed) first; fuzzy matching with rapidfuzz is
only a fallback, and it must never bend an unknown name onto a close one ("Sở Ngoại vụ" is not
"Sở Nội vụ"): the distinctive words of a name (not "Sở", "tỉnh", "UBND"…) must match with at
most a small typo.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.core.domain import AgencyRecord
from bot.core.lang import vocabulary
from bot.core.lang.places import Places
from bot.core.text import fold, fold_words, nfc, remember_long

# Words dropped from initials and fuzzy cores (but initials are also tried with them).
STOP_WORDS = frozenset({"va", "cua", "cac", "voi"})

WORD_ABBREVIATIONS = vocabulary.WORD_ABBREVIATIONS
# Short forms expanded before fuzzy matching (only the unambiguous ones).
_EXPAND = vocabulary.EXPAND
# Kinds of agency, longest first: the word(s) a name starts with that say what it is, not which.
TYPE_PREFIXES: tuple[str, ...] = vocabulary.KINDS
# Place words that say where, not which ("Sở Tư pháp tỉnh" is "Sở Tư pháp").
_PLACE_WORDS = vocabulary.PLACE_WORDS
# Administrative levels written right after the kind ("UBND *huyện* Bình Sơn", "Công an *xã* …").
_LEVELS = vocabulary.LEVELS

# Words that start an agency name in a question, folded. A strong one that leads to no agency
# is reported as "not found"; a weak one ("Ban", "Trường", "huyện") is only tried.
_STRONG_TRIGGERS = frozenset(
    """so;ubnd;uy ban;van phong;vp;chi cuc;cuc;phong;thanh tra;cong an;trung tam;hdnd;hoi dong nhan dan;
    benh vien;kho bac;ban quan ly;ngan hang;tinh uy;huyen uy;thanh uy;tinh doan;lien doan;toa an;
    vien kiem sat;bo chi huy;dang uy;ban dan toc;xa;phuong;thi tran;thi xa""".replace("\n", "").split(";")
)
_WEAK_TRIGGERS = frozenset(
    {"ban", "bo", "vien", "truong", "dai", "quy", "huyen", "tinh", "hoi", "doan", "bao"}
)
# Without diacritics these first words are everyday words too ("phong trao", "cuc ky", "bao cao").
_ASCII_WEAK = frozenset({"phong", "cuc", "xa", "phuong", "thi"})
# With diacritics the first syllable must be spelled as in an agency name ("số" is not "Sở").
_ACCENTED_FIRST = frozenset(
    """sở ubnd ủy uỷ văn vp chi cục phòng thanh công trung hđnd hội bệnh kho ban ngân tỉnh huyện thành
    liên tòa toà viện bộ đảng trường đài quỹ đoàn báo xã phường thị""".split()
)
# Words that end an agency name inside a question.
_BOUNDARY_WORDS = frozenset(
    {
        "co",
        "viec",
        "gi",
        "nao",
        "cua",
        "toi",
        "khong",
        "nhung",
        "cac",
        "la",
        "dang",
        "can",
        "phai",
        "lam",
        "nhiem",
        "hay",
        "duoc",
        "chua",
        "con",
        "voi",
        "cho",
        "sao",
        "ai",
        "xem",
        "liet",
        "danh",
        "minh",
        "em",
        "anh",
        "chi",
        "oi",
        "nhe",
        "a",
        "trong",
        "ve",
        "bao",
    }
)
# Derived abbreviations that are also everyday words are not used as keys.
_COMMON_WORDS = frozenset(
    {
        "toi",
        "viec",
        "cua",
        "gi",
        "nao",
        "co",
        "thang",
        "nam",
        "quy",
        "tuan",
        "ngay",
        "han",
        "xong",
        "tat",
        "ca",
        "cat",
        "con",
        "cho",
        "ban",
        "sao",
        "tim",
        "ai",
        "ve",
        "la",
        "va",
        "hay",
        "qua",
        "mai",
        "nay",
        "sau",
        "so",
        "ho",
        "tin",
        "tra",
        "the",
        "vui",
        "bao",
    }
)
_UNKNOWN_ABBREVIATION = re.compile(r"(?:S|SO|SỞ|UBND|VP|CC|BQL)[A-ZĐ&]{2,7}")
_HARD_BREAK = re.compile(r"[?!.;:|()\[\]\n\"“”]")
_TOKEN = re.compile(r"[\w&]+")
_NON_KEY = re.compile(r"[^a-z0-9]")
_VOWELS = re.compile(r"[aeiouy]")

# "UBND huyện", "UBND xã" with no place: the asker's own district/commune.
_OWN_UBND_KEYS = {
    f"{kind}{level.replace(' ', '')}": level
    for kind in ("ubnd", "uybannhandan")
    for level in ("huyen", "xa", "phuong", "thi xa", "thanh pho", "thi tran", "quan")
}

# Key kinds, best first: what the agency is called, then spellings of it, then initials, then the
# agency a qualified name names when the directory has no such agency of its own (questions only).
_NAME, _VARIANT, _INITIALS, _QUALIFIED = 0, 1, 2, 3

# A name with its role in a plan after it: "Sở Tài chính - Cơ quan thường trực Ban Chỉ đạo",
# "Sở Nội vụ (cơ quan chủ trì)". It is that agency (the role is a note), on folded text.
_QUALIFIER = re.compile(
    r"^(?P<base>.+?)\s*(?:[-–—:,]\s*|\(\s*)(?:la\s+)?(?:(?:co quan|don vi)\s+(?:thuong truc|chu tri|dau moi"
    r"|tham muu|giup viec|dieu phoi)|thuong truc|thanh vien|(?:pho\s+)?truong ban|(?:to|nhom)\s+truong"
    r"|dau moi|tham muu|giup viec)\b"
)
# Words before a place name that say which level it is ("tỉnh Quảng Trị", "tp Cần Thơ").
_PLACE_LEVEL_WORDS = frozenset({"tinh", "tp", "thanh pho", "huyen", "quan", "thi xa", "tx", "xa", "phuong", "thi tran"})


@dataclass
class Resolution:
    """What a name resolved to: an agency (or None), how sure, and what else it may be."""

    agency_id: int | None
    score: float = 0.0
    suggestions: list[str] = field(default_factory=list)
    text: str = ""  # the words of the question read as the agency name
    ambiguous: bool = False  # several agencies fit equally well (the suggestions are they)


def compact(text: str) -> str:
    """The exact-match key: folded, only letters and digits ("Sở TT&TT" → "sotttt")."""
    return _NON_KEY.sub("", fold(text))


def _words(text: str) -> list[str]:
    return fold_words(text).replace("&", " ").split()


def _expand(words: list[str]) -> list[str]:
    out: list[str] = []
    for index, word in enumerate(words):
        if word == "ca" and index == 0:
            out.extend(["cong", "an"])
        else:
            out.extend(_EXPAND.get(word, word).split())
    return out


def _type_of(words: list[str]) -> tuple[str, list[str]]:
    """Split expanded folded words into (kind of agency, the rest)."""
    joined = " ".join(words)
    for prefix in TYPE_PREFIXES:
        if joined == prefix or joined.startswith(prefix + " "):
            return prefix, words[len(prefix.split()) :]
    return "", words


@lru_cache(maxsize=8192)
def _analyse(name: str) -> tuple[str, str, str]:
    """(kind, level, distinctive part) of a name: the distinctive part must match for two names
    to be one agency; kind and level, when both names have them, must be equal.

    A trailing "tỉnh"/"huyện" is a level only when written in lower case or typed without
    capitals at all ("Thanh tra tỉnh"), never in a place name ("Sơn Tịnh").
    """
    originals = re.findall(r"\w+", nfc(name))
    typed_lower = nfc(name) == nfc(name).lower()
    pairs: list[tuple[str, bool]] = []  # (folded word, written lower-case)
    for index, word in enumerate(originals):
        folded = fold(word)
        long = "cong an" if folded == "ca" and index == 0 else _EXPAND.get(folded)
        if long:
            pairs.extend((w, True) for w in long.split())
        else:
            pairs.append((folded, word == word.lower() or typed_lower))
    words = [w for w, _ in pairs]
    kind, rest_words = _type_of(words)
    rest = pairs[len(words) - len(rest_words) :]
    level = ""
    for candidate in _LEVELS:
        size = len(candidate.split())
        if len(rest) > size and " ".join(w for w, _ in rest[:size]) == candidate:
            level, rest = candidate, rest[size:]
            break
    if len(rest) > 1 and rest[-1][0] in _PLACE_WORDS and rest[-1][1]:
        level = level or rest[-1][0]
        rest = rest[:-1]
    core = " ".join(w for w, _ in rest if w not in STOP_WORDS)
    if not core:
        core = " ".join(w for w in words if w not in STOP_WORDS)
    return kind, level, core


def _close_enough(query: str, target: str) -> int | None:
    """Edit distance when `query` is `target` with small typos, else None.

    Word by word: each word equal, or a long word (≥ 4 letters) with one edit that keeps its
    first letter ("truon" for "truong", not "Vinh" for "Bình", not "Ngoại" for "Nội"). Names
    with a different number of words may differ only by spacing and one edit per 8 letters.
    """
    q_words, t_words = query.split(), target.split()
    if len(q_words) == len(t_words):
        total = 0
        for q, t in zip(q_words, t_words, strict=True):
            if q == t:
                continue
            if len(t) < 4 or q[:1] != t[:1]:
                return None
            distance = Levenshtein.distance(q, t, score_cutoff=1)
            if distance > 1:
                return None
            total += distance
        return total if total <= max(1, len(target) // 5) else None
    q_flat, t_flat = query.replace(" ", ""), target.replace(" ", "")
    allowed = len(t_flat) // 8
    distance = Levenshtein.distance(q_flat, t_flat, score_cutoff=allowed)
    return distance if distance <= allowed and q_flat[:1] == t_flat[:1] else None


def _substitutions(words: list[str]) -> Iterator[list[str]]:
    """The name with common word abbreviations applied or undone, each alone and all at once."""
    joined = " " + " ".join(words) + " "
    forms = {joined}
    for long, short in WORD_ABBREVIATIONS:
        for form in list(forms):
            if f" {long} " in form:
                forms.add(form.replace(f" {long} ", f" {short} "))
            if f" {short} " in form and short in _EXPAND.keys() | {"ca"}:
                forms.add(form.replace(f" {short} ", f" {long} "))
    for form in forms:
        yield form.split()


def _groups_initials(words: list[str], *, pairs: bool = True) -> Iterator[str]:
    """Initials of the words: each syllable ("TN&MT"), and each two-syllable word ("TĐC")."""
    content = [w for w in words if w not in STOP_WORDS]
    yield "".join(w[0] for w in content)
    yield "".join(w[0] for w in words)
    if not pairs:
        return
    groups: list[list[str]] = [[]]
    for w in words:
        if w in STOP_WORDS:
            groups.append([])
        else:
            groups[-1].append(w)
    yield "".join(g[i][0] for g in groups for i in range(0, len(g), 2))


def _derived_keys(name: str) -> Iterator[tuple[int, str]]:
    """Every key a name is known by: (kind of key, compact key)."""
    base = _words(name)
    if not base:
        return
    yield _NAME, "".join(base)
    for words in _substitutions(base):
        yield _VARIANT, "".join(words)
        yield _VARIANT, "".join(w for w in words if w not in STOP_WORDS)
    expanded = _expand(base)
    kind, rest = _type_of(expanded)
    if len(expanded) >= 2:
        for initials in _groups_initials(expanded, pairs=False):
            yield _INITIALS, initials
    if kind and rest:
        kind_words = kind.split()
        short_kinds = {"".join(kind_words), "".join(w[0] for w in kind_words)}
        for long, short in WORD_ABBREVIATIONS:
            if kind == long:
                short_kinds.add(short)
        tails = [rest]
        if rest and rest[-1] in _PLACE_WORDS:
            tails.append(rest[:-1])
        for tail in tails:
            if len(tail) < 2:
                continue
            for initials in _groups_initials(tail):
                if len(initials) < 2:
                    continue
                for short_kind in short_kinds:
                    yield _INITIALS, short_kind + initials
                    if tail is not rest:
                        yield _INITIALS, short_kind + initials + rest[-1]


@dataclass
class _Entry:
    id: int
    name: str
    parent_id: int | None
    kind: str
    level: str
    core: str
    expanded: str
    scoped: bool = False  # a relative unit ("Văn phòng Sở"): found by that name only near its parent


def _looks_abbreviated(token: str) -> bool:
    """A token typed as an abbreviation: "STTTT", "TT&TT", "skhcn" (no vowel), "LĐ"."""
    if "&" in token:
        return True
    letters = [c for c in token if c.isalpha()]
    if sum(1 for c in letters if c.isupper()) >= 2:
        return True
    return not _VOWELS.search(fold(token)) and len(token) >= 2


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    folded = fold(ch)
    return folded[0] if folded else " "


@remember_long
def fold_aligned(text: str) -> str:
    """`fold` that keeps every character in place, so spans found in it map back to `text`."""
    return text.translate({ord(ch): _fold_char(ch) for ch in set(text)})


class Directory:
    """All agencies, with their keys, built once; resolution is then a dictionary lookup."""

    def __init__(self, records: Iterable[AgencyRecord], *, places: Places | None = None) -> None:
        self._records: dict[int, AgencyRecord] = {r.id: r for r in records}
        # The province's communes and wards (NHACVIEC_PROVINCE): typos in a commune's name are
        # corrected only onto a real ward, and a commune the province does not have is not invented.
        self.places = places or Places()
        self._children: dict[int, list[int]] = defaultdict(list)
        for record in self._records.values():
            if record.parent_id is not None and record.parent_id in self._records:
                self._children[record.parent_id].append(record.id)
        self._full: dict[int, str] = {}
        self._keys: dict[str, dict[int, int]] = defaultdict(dict)  # key → {agency id: best key kind}
        # Keys of relative units by their bare name ("vanphongso"): only for askers near the parent.
        self._scoped: dict[str, dict[int, int]] = defaultdict(dict)
        self._abbreviations: dict[int, set[str]] = defaultdict(set)
        self._entries: list[_Entry] = []
        for record in self._records.values():
            self._index(record)
        self._cores = [e.core for e in self._entries]
        # "Sở Nông nghiệp" is how people say "Sở Nông nghiệp và Phát triển nông thôn".
        self._core_prefixes: dict[str, list[_Entry]] = defaultdict(list)
        for entry in self._entries:
            words = entry.core.split()
            if _QUALIFIER.match(fold_aligned(nfc(entry.name))):
                continue  # "Sở Nội vụ" is not short for "Sở Nội vụ - cơ quan thường trực …"
            if entry.kind and entry.kind != entry.core.split()[0]:
                for size in range(2, len(words)):
                    self._core_prefixes[" ".join(words[:size])].append(entry)
        self._expanded_names = [e.expanded for e in self._entries]
        # Qualified names count as the agency they name: a unit of it in the tree's view.
        self._virtual_parent: dict[int, int] = {}
        for record in self._records.values():
            self._index_qualified(record)
        # Places a local government's name says ("quang tri" → UBND tỉnh Quảng Trị).
        self._places: dict[str, list[int]] = defaultdict(list)
        for entry in self._entries:
            if entry.kind == "uy ban nhan dan" and entry.level and entry.core and entry.core not in _LEVELS:
                if not vocabulary.is_collective(fold(entry.name)):
                    self._places[entry.core].append(entry.id)
        self._max_key = max((len(k) for k in [*self._keys, *self._scoped]), default=0)

    # -- building -------------------------------------------------------------------------

    def _add_key(self, key: str, agency_id: int, kind: int, *, scoped: bool = False) -> None:
        if not key:
            return
        if kind == _INITIALS:
            if len(key) < 3 or key in _COMMON_WORDS:
                return
            self._abbreviations[agency_id].add(key)
        table = self._scoped if scoped else self._keys
        known = table[key].get(agency_id)
        if known is None or kind < known:
            table[key][agency_id] = kind

    def _index(self, record: AgencyRecord) -> None:
        parent = self._records.get(record.parent_id) if record.parent_id is not None else None
        # A relative unit ("Văn phòng Sở", "Phòng Tư pháp") is that only inside its parent.
        scoped = parent is not None and vocabulary.is_relative(fold(record.name))
        own_names = [nfc(record.name)]
        names = [nfc(a) for a in record.aliases]
        full = self.full_name(record.id)
        if full != own_names[0]:
            names.append(full)
        if parent is not None:
            # "Văn phòng Sở" of "Sở Công Thương" is also "Văn phòng Sở Công Thương", and
            # "Phòng Tư pháp" of "UBND huyện Tư Nghĩa" is "Phòng Tư pháp huyện Tư Nghĩa".
            own, up = _words(record.name), _words(parent.name)
            kind, _ = _type_of(_expand(up))
            ups = [up]
            if kind in ("uy ban nhan dan", "ubnd") and len(up) > 1:
                ups.append(up[1:])
            for up in ups:
                names.append(" ".join(own + up))
                for overlap in range(min(len(own), len(up)), 0, -1):
                    if own[-overlap:] == up[:overlap]:
                        names.append(" ".join(own + up[overlap:]))
                        break
        for position, name in enumerate(own_names):
            for key_kind, key in _derived_keys(name):
                self._add_key(
                    key, record.id, _NAME if position == 0 and key_kind == _NAME else key_kind, scoped=scoped
                )
        for name in names:
            for key_kind, key in _derived_keys(name):
                self._add_key(key, record.id, key_kind)
        for alias in record.aliases:
            self._add_key(compact(alias), record.id, _NAME)
        # "UBND huyện Bình Sơn" is also what people call "huyện Bình Sơn", "xã Bình Hải".
        expanded_words = _expand(_words(record.name))
        kind_words, place = _type_of(expanded_words)
        if (
            kind_words == "uy ban nhan dan"
            and len(place) >= 2
            and place[0] in vocabulary.LOCAL_LEVELS + ("thi", "thanh")
        ):
            self._add_key("".join(place), record.id, _VARIANT)
        unit_kind, level, core = _analyse(record.name)
        if not level and parent is not None:
            level = _analyse(parent.name)[1]  # a unit of a huyện is at the huyện's level
        expanded = " ".join(_expand(_words(record.name)))
        self._entries.append(
            _Entry(record.id, record.name, record.parent_id, unit_kind, level, core, expanded, scoped)
        )

    def _index_qualified(self, record: AgencyRecord) -> None:
        """ "Sở Tài chính - Cơ quan thường trực Ban Chỉ đạo" is Sở Tài chính: under it in the tree
        when the directory has it, else found by its name in questions (never by the importer,
        which then creates Sở Tài chính when a plan names it, and the next build links the two)."""
        name = nfc(record.name)
        match = _QUALIFIER.match(fold_aligned(name))
        if match is None:
            return
        base = name[: match.end("base")].strip(" -–—:,(")
        if not base or not vocabulary.compact_words(fold(base)):
            return
        known = {
            i: k
            for i, k in self._keys.get(compact(base), {}).items()
            if i != record.id and k <= _VARIANT and i not in self._virtual_parent
        }
        if len(known) == 1:
            (parent,) = known
            if record.id not in self.descendants(parent) and parent not in self.descendants(record.id):
                self._virtual_parent[record.id] = parent
                self._children[parent].append(record.id)
            return
        if not known:
            for _kind, key in _derived_keys(base):
                if key and record.id not in self._keys.get(key, {}):
                    self._keys[key][record.id] = _QUALIFIED

    # -- reading --------------------------------------------------------------------------

    def __contains__(self, agency_id: object) -> bool:
        return agency_id in self._records

    def __len__(self) -> int:
        return len(self._records)

    def record(self, agency_id: int) -> AgencyRecord | None:
        return self._records.get(agency_id)

    def full_name(self, agency_id: int) -> str:
        """The name that says which agency it is: a unit named relatively gets its parent added."""
        cached = self._full.get(agency_id)
        if cached is not None:
            return cached
        record = self._records.get(agency_id)
        if record is None:
            return ""
        name = nfc(record.name)
        parent = self._records.get(record.parent_id) if record.parent_id is not None else None
        if parent is not None and parent.id != record.id:
            parent_folded = fold_words(parent.name)
            parent_core = _analyse(parent.name)[2]
            own = fold_words(name)
            if parent_folded not in own and parent_core not in " ".join(_expand(own.split())):
                name = (
                    f"{name} ({self.full_name(parent.id) if parent.parent_id != record.id else parent.name})"
                )
        self._full[agency_id] = name
        return name

    def descendants(self, agency_id: int) -> set[int]:
        """The agency itself and every unit under it (asking about an agency covers them)."""
        found = {agency_id}
        stack = [agency_id]
        while stack:
            for child in self._children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def ancestors(self, agency_id: int) -> list[int]:
        """The agency's parent, its parent's parent, … (nearest first, never looping)."""
        found: list[int] = []
        current = agency_id
        while True:
            record = self._records.get(current)
            parent = record.parent_id if record is not None else None
            if parent is None or parent not in self._records:
                parent = self._virtual_parent.get(current)
            if parent is None or parent in found or parent == agency_id:
                break
            found.append(parent)
            current = parent
        return found

    def path(self, agency_id: int) -> list[str]:
        """Names from the top of the tree down to the agency ("Sở Y tế", "Văn phòng Sở")."""
        ids = [agency_id, *self.ancestors(agency_id)]
        return [self._records[i].name for i in reversed(ids) if i in self._records]

    def children(self, agency_id: int | None) -> list[int]:
        """The units right under an agency (None: the agencies at the top), in id order."""
        if agency_id is None:
            return sorted(
                i for i, r in self._records.items() if r.parent_id is None or r.parent_id not in self._records
            )
        return sorted(self._children.get(agency_id, ()))

    def _scope(self, asker_id: int | None) -> set[int]:
        """Parents whose relative units an asker may name: the asker and the agencies above it."""
        if asker_id is None or asker_id not in self._records:
            return set()
        return {asker_id, *self.ancestors(asker_id)}

    def _candidates(self, key: str, asker_id: int | None) -> dict[int, int]:
        """Agencies known by a key: everyone's full names, and relative names inside the asker's scope."""
        found = self._keys.get(key) or self._own_ubnd(key, asker_id)
        scoped = self._scoped.get(key)
        if scoped:
            scope = self._scope(asker_id)
            near = {i: k for i, k in scoped.items() if self._records[i].parent_id in scope}
            if not near and not found and len(scoped) == 1:
                # A collective name ("các sở, ban, ngành") only one issuer uses is that one.
                (only,) = scoped
                # … by its name as written: "UBND huyện" is not "UBND các huyện".
                if scoped[only] == _NAME and vocabulary.is_collective(fold(self._records[only].name)):
                    near = dict(scoped)
                # Asked from nowhere (the command line, an admin of no agency), a relative name
                # only one agency has, written as the directory shows it ("Công an thành phố"), is it.
                elif scoped[only] == _NAME and asker_id is None:
                    near = dict(scoped)
            if near:
                found = {**found}
                for i, k in near.items():
                    if i not in found or k < found[i]:
                        found[i] = k
        return found

    def _own_ubnd(self, key: str, asker_id: int | None) -> dict[int, int]:
        """ "UBND huyện" said by an officer of a district: that district's UBND (nearest up)."""
        level = _OWN_UBND_KEYS.get(key)
        if level is None or asker_id is None or asker_id not in self._records:
            return {}
        for agency_id in (asker_id, *self.ancestors(asker_id)):
            kind, own_level, _core = _analyse(self._records[agency_id].name)
            if kind == "uy ban nhan dan" and own_level == level:
                return {agency_id: _VARIANT}
        return {}

    def relative_matches(self, name: str) -> list[int]:
        """Relative units of any parent called `name` ("Văn phòng Sở": every Sở's), for suggestions."""
        return sorted(self._scoped.get(compact(name), {}))

    def abbreviations(self, agency_id: int) -> set[str]:
        """The derived abbreviations of an agency, as compact keys ("stttt", "sotttt")."""
        return set(self._abbreviations.get(agency_id, set()))

    # -- resolving ------------------------------------------------------------------------

    def _closeness(self, agency_id: int, asker_id: int | None) -> int:
        """How near an agency is to the asker: lower is nearer (for relative names)."""
        if asker_id is None or asker_id not in self._records:
            record = self._records[agency_id]
            return 2 if record.parent_id is None else 3
        asker = self._records[asker_id]
        record = self._records[agency_id]
        if agency_id == asker_id or record.parent_id == asker_id:
            return 0
        if asker.parent_id is not None and (
            record.parent_id == asker.parent_id or agency_id == asker.parent_id
        ):
            return 1
        if agency_id in self.descendants(asker_id):
            return 1
        return 2 if record.parent_id is None else 3

    def _pick(self, candidates: dict[int, int], asker_id: int | None, score: float) -> Resolution:
        best_kind = min(candidates.values())
        ids = [i for i, k in candidates.items() if k == best_kind]
        if len(ids) == 1:
            return Resolution(ids[0], score)
        ranked = sorted(ids, key=lambda i: (self._closeness(i, asker_id), self.full_name(i)))
        first, second = ranked[0], ranked[1]
        if self._closeness(first, asker_id) < self._closeness(second, asker_id):
            return Resolution(first, score * 0.99)
        return Resolution(None, 0.0, [self.full_name(i) for i in ranked[:5]], ambiguous=True)

    def _exact(
        self, key: str, asker_id: int | None, *, initials_ok: bool = True, qualified: bool = False
    ) -> Resolution | None:
        candidates = self._candidates(key, asker_id)
        if not initials_ok or not qualified:
            candidates = {
                i: k
                for i, k in candidates.items()
                if (initials_ok or k != _INITIALS) and (qualified or k != _QUALIFIED)
            }
        if not candidates:
            return None
        return self._pick(candidates, asker_id, 1.0)

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Agencies whose names look like `name`, for a "did you mean" line."""
        query = " ".join(_expand(_words(name)))
        if not query or not self._entries:
            return []
        found = process.extract(query, self._expanded_names, scorer=fuzz.ratio, score_cutoff=60, limit=limit)
        return [self.full_name(self._entries[index].id) for _, _, index in found]

    def _fuzzy(self, name: str, asker_id: int | None) -> Resolution:
        kind, level, core = _analyse(name)
        if not core or not self._entries:
            return Resolution(None, 0.0, [])
        hits: dict[int, int] = {}
        scope = self._scope(asker_id)
        for _, _, index in process.extract(core, self._cores, scorer=fuzz.ratio, score_cutoff=75, limit=30):
            entry = self._entries[index]
            if entry.scoped and entry.parent_id not in scope:
                continue
            if kind and entry.kind and kind != entry.kind:
                continue
            if level and entry.level and level != entry.level:
                continue
            distance = _close_enough(core, entry.core)
            if (
                distance
                and self.places
                and level in vocabulary.LOCAL_LEVELS
                and not self._typo_of_a_ward(name, core, entry.core)
            ):
                continue
            if distance is not None:
                hits[entry.id] = distance
        if not hits and len(core.split()) >= 2:
            for entry in self._core_prefixes.get(core, ()):
                if entry.scoped and entry.parent_id not in scope:
                    continue
                if (not kind or kind == entry.kind) and (
                    not level or not entry.level or level == entry.level
                ):
                    hits[entry.id] = 1
        if not hits:
            return Resolution(None, 0.0, self.suggest(name))
        best = min(hits.values())
        score = 1.0 - best / max(len(core), 1)
        return self._pick({i: d for i, d in hits.items() if d == best}, asker_id, score)

    def _typo_of_a_ward(self, name: str, core: str, target: str) -> bool:
        """ "xã Tinh Khe" may be "UBND xã Tịnh Khê" only when the province has a ward Tịnh Khê and
        the words typed are not the name of another ward."""
        typed = " ".join(re.findall(r"\w+", nfc(name))[-len(core.split()) :])
        if self.places.knows(typed) or self.places.knows(typed, exact=False):
            return False  # a real ward of its own (or the same name): never bent onto another
        return self.places.knows(target, exact=False)

    def resolve(self, name: str, *, asker_id: int | None = None, qualified: bool = False) -> Resolution:
        """The agency called `name` (exact keys first, then a strict fuzzy match), or suggestions.

        `qualified`: also the agency a qualified name names ("Sở Tài chính" for "Sở Tài chính - Cơ
        quan thường trực Ban Chỉ đạo" when no Sở Tài chính of its own is known): for questions.
        """
        name = nfc(name)[:300]
        key = compact(name)
        if not key:
            return Resolution(None, 0.0, [], name)
        found = self._exact(key, asker_id, qualified=qualified)
        if found is None:
            words = _words(name)
            if words and words[-1] in _PLACE_WORDS:
                # "Sở Tư pháp tỉnh" is "Sở Tư pháp": only for agencies at the top, not units.
                top = {
                    i: k
                    for i, k in self._keys.get(compact(" ".join(words[:-1])), {}).items()
                    if k != _INITIALS and self._records[i].parent_id is None
                }
                found = self._pick(top, asker_id, 1.0) if top else None
        if found is None:
            found = self._fuzzy(name, asker_id)
        found.text = name
        return found

    def place_in_text(self, folded: str) -> tuple[int, tuple[int, int]] | None:
        """A place a local government of the directory is named after, in folded text: the UBND's
        id and the span of its words ("tỉnh Quảng Trị", "quang tri", "tp can tho", "gio linh").

        A one-word place counts only after its level word ("tp Huế"); "UBND" before it makes it
        the agency's own name, not a place beside one.
        """
        tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(folded)]
        words = [folded[a:b] for a, b in tokens]
        for i in range(len(words)):
            if words[i] in ("ubnd", "uy") or (i and words[i - 1] in ("ubnd", "dan")):
                continue
            for size in (4, 3, 2, 1):
                phrase = " ".join(words[i : i + size])
                ids = self._places.get(phrase)
                if not ids or len(words[i : i + size]) < size:
                    continue
                start = i
                for level_size in (2, 1):
                    level = " ".join(words[max(0, i - level_size) : i])
                    if i - level_size >= 0 and level in _PLACE_LEVEL_WORDS:
                        start = i - level_size
                        break
                if size == 1 and start == i:
                    continue
                if start > 0 and words[start - 1] in ("ubnd", "dan"):
                    continue  # "UBND huyện Gio Linh": the agency itself
                return ids[0], (tokens[start][0], tokens[i + size - 1][1])
        return None

    def find_in_text(
        self, text: str, *, asker_id: int | None = None, qualified: bool = True
    ) -> tuple[Resolution, str] | None:
        """The agency named inside a question, and the question without its name.

        Exact keys are tried on every run of words (longest first); failing that, words that
        start like an agency ("Sở …", "UBND …") are read up to the next question word and
        resolved strictly. None when nothing in the text looks like an agency.
        """
        text = nfc(text)[:500]
        folded = fold_aligned(text)
        tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
        if not tokens:
            return None
        keys = [_NON_KEY.sub("", folded[a:b]) for a, b in tokens]
        breaks = [
            bool(_HARD_BREAK.search(text[tokens[i][1] : tokens[i + 1][0]])) for i in range(len(tokens) - 1)
        ]
        best: tuple[int, int, Resolution] | None = None
        for i in range(len(tokens)):
            key = ""
            for j in range(i, min(len(tokens), i + 14)):
                if j > i and breaks[j - 1]:
                    break
                key += keys[j]
                if len(key) > self._max_key:
                    break
                if best is not None and j - i < best[1] - best[0]:
                    continue
                if key not in self._keys and key not in self._scoped and key not in _OWN_UBND_KEYS:
                    continue
                span_tokens = [text[a:b] for a, b in tokens[i : j + 1]]
                initials_ok = j - i <= 2 and any(_looks_abbreviated(t) for t in span_tokens)
                found = self._exact(key, asker_id, initials_ok=initials_ok, qualified=qualified)
                if found is None:
                    continue
                if best is None or (j - i) > (best[1] - best[0]):
                    best = (i, j, found)
        if best is not None:
            best = self._other_parent(text, folded, tokens, breaks, best)
        if best is None:
            best = self._fuzzy_in_text(text, folded, tokens, breaks, asker_id)
        if best is None:
            return None
        i, j, found = best
        start, end = tokens[i][0], tokens[j][1]
        found.text = text[start:end]
        rest = nfc(text[:start] + " " + text[end:])
        return found, rest

    def _other_parent(
        self,
        text: str,
        folded: str,
        tokens: list[tuple[int, int]],
        breaks: list[bool],
        best: tuple[int, int, Resolution],
    ) -> tuple[int, int, Resolution]:
        """A unit found by its bare name but written with a parent it does not have
        ("phòng tư pháp *huyện Tư Nghĩa*" when only Bình Sơn's is known) is not that unit."""
        i, j, found = best
        if found.agency_id is None:
            return best
        record = self._records[found.agency_id]
        span_folded = folded[tokens[i][0] : tokens[j][1]]
        if record.parent_id is None and not vocabulary.is_relative(span_folded):
            return best
        end = self._parent_words_end(folded, tokens, breaks, j)
        if end is None:
            return best
        name = text[tokens[i][0] : tokens[end][1]]
        return i, end, Resolution(None, 0.0, self.suggest(name))

    @staticmethod
    def _parent_words_end(
        folded: str, tokens: list[tuple[int, int]], breaks: list[bool], j: int
    ) -> int | None:
        """The last token of a parent named right after token j ("huyện Tư Nghĩa", "Sở Y tế")."""
        words = [folded[a:b] for a, b in tokens]
        k = j + 1
        if k >= len(words) or breaks[j]:
            return None
        if words[j] == "so":  # "Thanh tra Sở | Ngoại vụ": the Sở is named
            stops = ("thang", "quy", "nam", "tuan", "ngay", "tinh")
            if words[k] in _BOUNDARY_WORDS or words[k].isdigit() or words[k] in stops:
                return None
            end = k
            while end + 1 < len(words) and end - k < 5 and not breaks[end]:
                after = words[end + 1]
                if after in _BOUNDARY_WORDS or after.isdigit() or after in stops:
                    break
                end += 1
            return end
        if words[k] in ("thi", "thanh") and k + 1 < len(words) and words[k + 1] in ("xa", "tran", "pho"):
            k += 1
        elif words[k] not in ("huyen", "xa", "phuong", "so", "ubnd", "quan"):
            return None
        end = k
        while end + 1 < len(words) and end - k < 4 and not breaks[end]:
            nxt = words[end + 1]
            if nxt in _BOUNDARY_WORDS or nxt.isdigit() or nxt in ("thang", "quy", "nam", "tuan", "ngay"):
                break
            end += 1
        return end if end > k else None

    @staticmethod
    def _trigger(folded: str, tokens: list[tuple[int, int]], i: int) -> bool | None:
        """Whether words from token i start like an agency: True strong, False weak, None no."""
        words = [folded[a:b] for a, b in tokens[i : i + 4]]
        for size in range(len(words), 0, -1):
            phrase = " ".join(words[:size])
            if phrase in _STRONG_TRIGGERS:
                return True
            if phrase in _WEAK_TRIGGERS:
                return False
        return None

    def _fuzzy_in_text(
        self, text: str, folded: str, tokens: list[tuple[int, int]], breaks: list[bool], asker_id: int | None
    ) -> tuple[int, int, Resolution] | None:
        first_failure: tuple[int, int, Resolution] | None = None
        for i, (a, b) in enumerate(tokens):
            token = text[a:b]
            lower = token.lower()
            ascii_token = lower == folded[a:b]
            if not ascii_token and lower not in _ACCENTED_FIRST:
                continue
            strength = self._trigger(folded, tokens, i)
            if strength is None:
                continue
            strong = strength and not (ascii_token and folded[a:b] in _ASCII_WEAK)
            j = i
            while j + 1 < len(tokens) and j - i < 12 and not breaks[j]:
                a2, b2 = tokens[j + 1]
                if folded[a2:b2] in _BOUNDARY_WORDS or folded[a2:b2].isdigit():
                    break
                j += 1
            if j == i and not _looks_abbreviated(token):
                continue
            best_here: tuple[int, int, Resolution] | None = None
            for end in range(j, i, -1):
                name = text[tokens[i][0] : tokens[end][1]]
                found = self._fuzzy(name, asker_id)
                if found.agency_id is not None and (best_here is None or found.score > best_here[2].score):
                    best_here = (i, end, found)
            if best_here is not None:
                return self._other_parent(text, folded, tokens, breaks, best_here)
            if first_failure is None and strong:
                name = text[tokens[i][0] : tokens[j][1]]
                first_failure = (i, j, Resolution(None, 0.0, self.suggest(name)))
        if first_failure is None:
            # "SXD", "UBND-XYZ": written like an agency abbreviation, but no agency has it.
            for i, (a, b) in enumerate(tokens):
                token = text[a:b]
                if _UNKNOWN_ABBREVIATION.fullmatch(token) and _looks_abbreviated(token):
                    return i, i, Resolution(None, 0.0, [])
        return first_failure
