"""The one agency vocabulary: kinds of units, relative and collective names, locality words.

Pure data and small pure predicates on folded text (`bot.core.text.fold`). The directory
(`bot.core.lang.agencies`) and the importers (`bot.core.importing.leads`, later `layouts`) read agency
names with these same lists, so a plan and a question mean the same agency by the same words.

- A **relative** name names a unit of someone implied: "Văn phòng Sở", "Thanh tra Sở",
  "Phòng Kế hoạch - Tài chính", "Văn phòng HĐND và UBND huyện" (of the plan's issuer, or of the
  asker's agency in a question).
- A **parent-carrying** name adds its parent: "Văn phòng Sở Y tế" (unit "Văn phòng Sở" of
  "Sở Y tế"), "Phòng Tư pháp huyện Tư Nghĩa" (unit "Phòng Tư pháp" of "UBND huyện Tư Nghĩa").
- A **collective** name names many agencies at once: "các sở, ban, ngành", "UBND các xã, phường".
"""

from __future__ import annotations

import re

# Kinds of agency, folded, that start a name and say what it is, not which one.
KINDS: tuple[str, ...] = tuple(
    sorted(
        {
            "uy ban nhan dan",
            "hoi dong nhan dan",
            "uy ban mat tran to quoc",
            "van phong",
            "chi cuc",
            "cuc",
            "so",
            "phong",
            "ban",
            "ban quan ly",
            "trung tam",
            "thanh tra",
            "cong an",
            "bo chi huy quan su",
            "bo chi huy bo doi bien phong",
            "bo",
            "toa an nhan dan",
            "vien kiem sat nhan dan",
            "vien",
            "benh vien",
            "truong",
            "dai",
            "bao",
            "hoi",
            "lien doan",
            "lien minh",
            "doan",
            "kho bac nha nuoc",
            "kho bac",
            "bao hiem xa hoi",
            "ngan hang",
            "quy",
            "cang vu",
            "tinh uy",
            "huyen uy",
            "thanh uy",
            "dang uy",
            "tong cong ty",
            "cong ty",
            "chi nhanh",
            "tinh doan",
            "hoi dong",
            "doi",
            "to",
        },
        key=lambda p: -len(p),
    )
)

# Words a written agency name starts with, folded (its kind, or a usual short form of it): a
# lead cell or a heading that starts so names an agency. The importers' one list.
NAME_STARTS: tuple[str, ...] = tuple(
    sorted(
        {
        "doanh nghiep",
        "tong cong ty",
        "to cong tac",
        "bo chi huy",
        "benh vien",
        "chinh phu",
        "lien doan",
        "lien minh",
        "ngan hang",
        "thanh tra",
        "tinh doan",
        "trung tam",
        "van phong",
        "bao hiem",
        "cuc thue",
        "dien luc",
        "hoi dong",
        "mat tran",
        "quoc hoi",
        "tap doan",
        "tieu ban",
        "chi cuc",
        "cong an",
        "cong ty",
        "kho bac",
        "toa an",
        "truong",
        "uy ban",
        "phong",
        "bhxh",
        "doan",
        "hdnd",
        "ubnd",
        "vien",
        "ban",
        "bao",
        "cac",
        "cuc",
        "dai",
        "doi",
        "hoi",
        "bo",
        "so",
        "to",
        "vu",
        },
        key=lambda p: (-len(p), p),
    )
)
# Starts that look like an agency word but open ordinary words ("Đối tượng", "Tổ chức hội nghị").
NOT_NAME_STARTS: tuple[str, ...] = (
    "ban hanh",
    "phong chong",
    "phong ngua",
    "bao cao",
    "bao dam",
    "bao ve",
    "dai hoi",
    "hoi nghi",
    "to chuc",
    "cac noi dung",
    "cac nhiem vu",
    "cac chi so",
    "cac van ban",
    "cac giai phap",
    "cac hoat dong",
    "doi moi",
    "cuc bo",
    "so hoa",
    "so lieu",
    "truong hop",
    "thi truong",
    "doi tuong",
    "san pham",
    "cac san pham",
    "du an",
    "tieu du an",
)
# People who answer for a unit ("Thủ trưởng các cơ quan", "Giám đốc Sở"): a heading that starts
# so assigns the unit's work too.
ROLE_STARTS: tuple[str, ...] = (
    "nguoi dung dau",
    "thuong truc",
    "tong thu ky",
    "thanh vien",
    "thu truong",
    "chu tich",
    "giam doc",
    "lanh dao",
)

# Kinds of *unit* (inside a Sở, a UBND): a name of one of these kinds followed by a parent
# ("… Sở Y tế", "… huyện Bình Sơn") carries its parent.
UNIT_KINDS: tuple[str, ...] = (
    "van phong",
    "thanh tra",
    "phong",
    "trung tam",
    "chi cuc",
    "ban",
    "doi",
    "to",
    "hoi dong nhan dan",
    "cong an",
)

# Kinds that are bodies on their own (a parent written after them is another body's name).
TOP_KINDS: tuple[str, ...] = ("so", "uy ban nhan dan", "ubnd", "cong an tinh", "bo")

# Administrative levels, folded, longest first ("thị xã" before "xã").
LEVELS: tuple[str, ...] = ("thi xa", "thi tran", "thanh pho", "tinh", "huyen", "xa", "phuong", "quan")
# Levels below the province: "huyện Bình Sơn" names the UBND of that place.
LOCAL_LEVELS: tuple[str, ...] = ("thi xa", "thi tran", "thanh pho", "huyen", "xa", "phuong", "quan")
# Place words that say where, not which ("Sở Tư pháp tỉnh" is "Sở Tư pháp").
PLACE_WORDS = frozenset({"tinh", "huyen"})

# Word abbreviations (long form, short form), folded.
WORD_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("uy ban nhan dan", "ubnd"),
    ("hoi dong nhan dan", "hdnd"),
    ("van phong", "vp"),
    ("thanh pho", "tp"),
    ("cong an", "ca"),
    ("trung tam", "tt"),
    ("ban quan ly", "bql"),
    ("mat tran to quoc", "mttq"),
    ("thi xa", "tx"),
)
EXPAND = {"ubnd": "uy ban nhan dan", "hdnd": "hoi dong nhan dan", "vp": "van phong", "tp": "thanh pho"}

# Bodies a "Văn phòng" may serve together ("Văn phòng HĐND và UBND huyện" is one office).
_SERVED_BODIES = r"(?:hdnd|hoi dong nhan dan|ubnd|uy ban nhan dan|doan dbqh|doan dai bieu quoc hoi|dbqh)"
_COMPOUND_OFFICE = re.compile(rf"^van phong(?:\s+{_SERVED_BODIES})+$")

# Names relative to an implied parent, folded and whole: the unit kind alone, or with "Sở"/a level.
_RELATIVE_WHOLE = re.compile(
    r"^(?:van phong|vp|thanh tra|ban|phong|chi cuc|trung tam)"
    r"(?:\s+(?:so|ubnd|uy ban nhan dan|hdnd(?:\s+va\s+ubnd)?|cuc|ban|huyen|xa|phuong|thi xa|thanh pho|thi tran|quan))?$"
    r"|^van phong\s+(?:hdnd|hoi dong nhan dan|doan dbqh)(?:\s+va\s+(?:ubnd|uy ban nhan dan|hdnd))?"
    r"(?:\s+(?:huyen|xa|phuong|thi xa|thanh pho|thi tran|quan))?$"
)
# Collective names: "các sở, ban, ngành", "UBND các xã, phường", "các phòng, đơn vị thuộc Sở".
_COLLECTIVE = re.compile(
    r"^(?:cac|nhung)\s|\s(?:cac|nhung)\s+(?:xa|phuong|thi tran|huyen|so|phong|don vi|co quan|ban|nganh|dia phuong|truong|tinh)\b"
    r"|^(?:ubnd|uy ban nhan dan)\s+cap\s+(?:xa|huyen)\b|\bdia phuong\s+lien quan\b|\bdon vi\s+lien quan\b"
    r"|^(?:cac\s+)?so\s+ban\s+nganh\b|^(?:cac\s+)?so\s+nganh\b"
)
# The most words a collective phrase above spans ("uy ban nhan dan cap huyen": 6): a name growing
# piece by piece becomes collective only through its last this many words (`leads._Name`).
COLLECTIVE_WORDS = 8
# Units that name their kind and a subject, so they are units of the implied parent when
# they name no place: "Phòng Tư pháp", "Phòng Kế hoạch - Tài chính", "Trung tâm Y tế".
_UNIT_START = re.compile(r"^(?:van phong|vp|thanh tra|phong|chi cuc|trung tam|ban|doi|to|cong an)\b")


def compact_words(folded: str) -> str:
    """Folded words with punctuation turned into single spaces ("kế hoạch - tài chính")."""
    return " ".join(re.sub(r"[^a-z0-9&]+", " ", folded).split())


# A person's title ("Trưởng Ban Chỉ đạo", "Giám đốc Sở"): not an agency of the directory.
PERSON_TITLES: tuple[str, ...] = (
    "truong ban",
    "truong phong",
    "pho truong",
    "pho chu tich",
    "pho giam doc",
    "chu tich",
    "giam doc",
    "bi thu",
    "thu truong",
    "lanh dao",
    "nguoi dung dau",
    "can bo",
    "cong chuc",
)


def is_bare_kind(folded_words: str) -> bool:
    """A kind word alone ("sở", "bộ", "phòng"): the start of a name, not yet a name."""
    return folded_words in _BARE_KINDS


_BARE_KINDS = frozenset({"so", "bo", "phong", "ban", "cuc", "vu", "vien", "trung tam", "chi cuc", "uy ban", "ubnd"})


def is_collective(folded: str) -> bool:
    """ "các sở, ban, ngành", "UBND các xã, phường": names many agencies at once."""
    return bool(_COLLECTIVE.search(compact_words(folded)))


def is_relative(folded: str) -> bool:
    """A name of a unit of an implied parent: "Văn phòng Sở", "Thanh tra huyện", "Phòng …"."""
    words = compact_words(folded)
    if _RELATIVE_WHOLE.match(words) or _COMPOUND_OFFICE.match(words):
        return True
    if is_collective(folded):
        return True
    if not _UNIT_START.match(words):
        return False
    # "Phòng Tư pháp": a unit kind with a subject and no place or parent named.
    return split_parent(folded) is None and not _names_place(words)


def _names_place(words: str) -> bool:
    """The name says where: "… tỉnh", "… huyện Bình Sơn" (not a bare "… huyện": that is relative)."""
    items = words.split()
    if len(items) > 1 and items[-1] == "tinh":
        return True
    for index, word in enumerate(items[1:], start=1):
        two = " ".join(items[index : index + 2])
        level = two if two in ("thi xa", "thi tran", "thanh pho") else word
        after = items[index + len(level.split()) :]
        if level in _SPLIT_LEVELS and after and after[0] not in _NOT_PLACE_AFTER.get(level, _LIST):
            return True
    return False


# Levels that start a parent inside a unit's name ("quận" is left out: "quản lý" folds to it).
_SPLIT_LEVELS = ("thi xa", "thi tran", "thanh pho", "huyen", "xa", "phuong")
# Words after a level word that make it an ordinary word ("xã hội", "phương án") or a list of
# levels ("huyện, thị xã, thành phố": every district, not one).
_LIST = ("va", "thi", "thanh", "xa", "phuong", "huyen", "quan", "tinh", "cac")
_NOT_PLACE_AFTER = {
    "xa": (*_LIST, "hoi"),
    "phuong": (*_LIST, "an", "tien", "thuc", "phap", "huong"),
}


def split_parent(folded: str) -> tuple[int, str, str] | None:
    """Where a name carries its parent: (word index, kind of parent, level) or None.

    "van phong so y te" → (2, "so", ""); "phong tu phap huyen tu nghia" → (3, "ubnd", "huyen");
    "van phong so" → None (relative); "so y te" → None (a body, not a unit).
    The word index is the first word of the parent part in `compact_words(folded)`.
    """
    words = compact_words(folded).split()
    if len(words) < 3 or not _UNIT_START.match(" ".join(words)):
        return None
    kind_len = 2 if " ".join(words[:2]) in ("van phong", "thanh tra", "chi cuc", "trung tam") else 1
    for index in range(kind_len, len(words) - 1):
        word = words[index]
        rest = words[index + 1 :]
        if word == "so" and rest and rest[0] not in ("va", "ban", "nganh"):
            return index, "so", ""
        if (
            word in ("ubnd",)
            and words[index - 1] != "va"
            and rest
            and rest[0] in ("tinh", "huyen", "xa", "phuong", "thanh", "thi", "quan")
        ):
            if index == kind_len and " ".join(words[:kind_len]) in ("van phong", "vp"):
                return None  # "Văn phòng UBND tỉnh" is a body of its own
            return index, "ubnd", ""
        two = " ".join(words[index : index + 2])
        level = two if two in ("thi xa", "thi tran", "thanh pho") else word
        if level in _SPLIT_LEVELS:
            after = words[index + len(level.split()) :]
            if (
                after
                and after[0] not in _NOT_PLACE_AFTER.get(level, _LIST)
                and index >= kind_len + (0 if kind_len == 2 else 1)
            ):
                return index, "ubnd", level
    return None

# Abbreviations officers type for what a task is about, folded: a topic "báo cáo CCHC" searches
# titles for "cải cách hành chính". Only long-established ones, never an agency's initials.
TOPIC_ABBREVIATIONS: dict[str, str] = {
    "cchc": "cai cach hanh chinh",
    "tthc": "thu tuc hanh chinh",
    "cds": "chuyen doi so",
    "dvc": "dich vu cong",
    "dvctt": "dich vu cong truc tuyen",
    "vbqppl": "van ban quy pham phap luat",
    "qppl": "quy pham phap luat",
    "pbgdpl": "pho bien giao duc phap luat",
    "ktxh": "kinh te xa hoi",
    "cntt": "cong nghe thong tin",
    "pccc": "phong chay chua chay",
    "attp": "an toan thuc pham",
    "antt": "an ninh trat tu",
    "atgt": "an toan giao thong",
    "bcd": "ban chi dao",
    "ntm": "nong thon moi",
    "gpmb": "giai phong mat bang",
    "xdcb": "xay dung co ban",
    "dtc": "dau tu cong",
    "csdl": "co so du lieu",
    "hcc": "hanh chinh cong",
    "tcd": "tiep cong dan",
    "ccvc": "cong chuc vien chuc",
    "cbcc": "can bo cong chuc",
    "cbccvc": "can bo cong chuc vien chuc",
    "ptbvr": "phat trien bao ve rung",
    "vphc": "vi pham hanh chinh",
}
