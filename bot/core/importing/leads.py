"""From a lead cell as written ("Phòng HC-TH, Trung tâm Ứng dụng…") to the agencies it names.

Pure code: the directory is passed in. Decisions (DESIGN.md "The domain"):
- A cell may name several agencies, separated by ";", "," or " và ", but a comma also lives
  inside names ("Sở Văn hóa, Thể thao và Du lịch"), so the cell is only cut where the next
  piece starts with an agency word (Sở, Phòng, Văn phòng, Trung tâm, UBND, …); a "Văn phòng"
  serving several bodies ("Văn phòng HĐND và UBND huyện") and collective names ("các sở, ban,
  ngành", "UBND các xã, phường") stay whole.
- An agency is its name *and its parent*. A relative name ("Văn phòng Sở", "Phòng Tư pháp") is a
  unit of the plan's issuer, matched only among the issuer's own units; a name carrying its parent
  ("Văn phòng Sở Y tế", "Phòng Nội vụ huyện Bình Sơn") goes under that parent (created when new,
  "huyện Bình Sơn" meaning "UBND huyện Bình Sơn"); a collective name is one agency under the issuer.
- Any other name is matched in the whole directory; unknown, it becomes a new top-level agency
  when it reads like a body of the province (Sở …, UBND …, "… tỉnh"), else a unit of the issuer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.lang import vocabulary
from bot.core.lang.agencies import Directory
from bot.core.text import fold, nfc

AGENCY_WORDS = vocabulary.NAME_STARTS
_PROVINCE_LEVEL = re.compile(
    r"^(so|ubnd|uy ban|bo|cong an|bo chi huy|toa an|vien kiem sat|kho bac|cuc|bhxh|bao hiem|hdnd|mat tran|tinh doan)\b"
    r"|\b(tinh|huyen|thanh pho|thi xa|quan|xa|phuong)\b"
)
_RELATIVE = re.compile(r"\b(so|ban|cuc|chi cuc|trung tam)$")
_SEPARATORS = re.compile(r"(\s*(?:;|,|\bvà\b|\bva\b|\+|\n)\s*)", re.IGNORECASE)
_STARTS_AGENCY = re.compile(r"^(?:" + "|".join(sorted(AGENCY_WORDS, key=len, reverse=True)) + r")\b")
_LEAD_NOISE = re.compile(r"^(?:chủ trì|chu tri|cơ quan chủ trì|đơn vị chủ trì)\s*[:\-]\s*", re.IGNORECASE)


_DANGLING = re.compile(r"\b(?:va|cac|hoac|voi|cua|va cac|nhung)$")
_OTHER_STARTS = ("thong tan xa", "dai ", "bao ", "hoi ", "lien hiep", "doan ", "hoc vien", "truong ")


def is_agency_name(name: str, known: bool = False) -> bool:
    """The one rule for a name proposed for the directory (issue 26): already in the directory
    (`known`), or a collective name ("các sở, ban, ngành", "UBND các xã, phường"), or it opens
    with an agency word and names more than the kind ("Sở Xây dựng", "UBND xã Tịnh Ấn", "Văn
    phòng Sở") and does not break off ("… thành phố và các"). A bare place ("Phường Trúc Lâm"),
    a fragment ("đối tượng") or a person's title ("Trưởng Ban Chỉ đạo") is not an agency."""
    if known:
        return True
    words = vocabulary.compact_words(fold(nfc(name)))
    if not words or len(words) > 160:
        return False
    if vocabulary.is_collective(words):
        return True
    if _DANGLING.search(words) or vocabulary.is_bare_kind(words):
        return False
    if words.startswith(vocabulary.NOT_NAME_STARTS) or words.startswith(vocabulary.PERSON_TITLES):
        return False
    if words.startswith(_OTHER_STARTS) or words.startswith("tinh doan"):
        return True
    if words.split()[0] in vocabulary.LEVELS:
        return False
    return bool(_STARTS_AGENCY.match(words)) and (len(words.split()) >= 2 or vocabulary.is_relative(words))


def split_agencies(text: str) -> list[str]:
    """Cut a lead cell into agency names, only where a new agency clearly starts.

    Linear in the cell's length (issue 23 item 7): a name glued from many pieces keeps its
    folded words and its checks as it grows (`_Name`), instead of folding all of it again for
    every piece added."""
    text = _LEAD_NOISE.sub("", nfc(text)).strip(" .;:-")
    if not text:
        return []
    parts = _SEPARATORS.split(text)  # name, separator, name, separator, …
    names = [_Name(parts[0].strip(" .;:-"))]
    headed = False  # the last name was opened by its head's title ("Thủ trưởng sở, ban, ngành")
    for separator, piece in zip(parts[1::2], parts[2::2], strict=False):
        piece = piece.strip(" .;:-")
        if not piece:
            continue
        last = names[-1]
        folded_piece = fold(piece)
        if re.match(_HEAD_TITLE, folded_piece):
            names.append(_Name(piece))  # "…, Thủ trưởng sở, ban, ngành và Chủ tịch UBND xã": the next body
            headed = True
        elif headed and not _STARTS_AGENCY.match(folded_piece):
            last.glue(separator, piece)  # "Thủ trưởng sở, | ban, | ngành"
        elif _keeps_together(last, separator, piece):
            last.glue(separator, piece)
        elif (" " in piece and (_STARTS_AGENCY.match(folded_piece) or is_agency_name(piece))) or last.empty:
            names.append(_Name(piece))
            headed = False
        else:  # "Sở Văn hóa, Thể thao và Du lịch": not a new agency, glue it back as written.
            last.glue(separator, piece)
    return [headed_body(written) for written in (name.text() for name in names) if written]


# The title of the person heading a body ("Thủ trưởng sở, ban, ngành", "Chủ tịch UBND xã,
# phường"): in a lead list it names the body they head.
_HEAD_TITLE = r"(?:thu truong|chu tich|nguoi dung dau|lanh dao)\s+(?:cac\s+)?(?=\S)"


def headed_body(name: str) -> str:
    """A lead written as the head of a body, as the body: "Thủ trưởng sở, ban, ngành thành phố"
    → "sở, ban, ngành thành phố", "Chủ tịch Ủy ban nhân dân xã, phường" → "Ủy ban nhân dân xã,
    phường"; any other name (and "Chủ tịch" over no body) as written."""
    match = re.match(_HEAD_TITLE, fold(name))
    if match is None:
        return name
    cut = len(fold(name[: match.end()]).split())
    body = nfc(" ".join(name.split()[cut - (1 if fold(name).split()[cut - 1] == "cac" else 0) :]))
    folded = fold(body)
    if vocabulary.is_collective(folded) or re.match(r"(?:ubnd|uy ban nhan dan|hdnd)\b", folded):
        return body
    return name


# "Văn phòng HĐND | và | UBND huyện": an office serving several bodies, one name.
_SHARED_OFFICE = re.compile(
    r"(?:van phong|vp)(?:\s+(?:hdnd|hoi dong nhan dan|doan dbqh|doan dai bieu quoc hoi))+"
)
_SHARED_OFFICE_WORDS = frozenset("van phong vp hdnd hoi dong nhan dan doan dbqh dai bieu quoc".split())
_SERVES_BODIES = re.compile(r"(?:ubnd|uy ban nhan dan|hdnd|hoi dong nhan dan)\b")


class _Name:
    """A name being glued from a cell's pieces, as written, with what the splitting rules ask of
    it kept up to date piece by piece: its folded words (`compact_words(fold(...))`), whether it
    names many agencies (`is_collective`), and how many of its words cannot be part of a shared
    office's name. Each piece costs its own length, not the name's."""

    def __init__(self, first: str) -> None:
        self.parts = [first]
        self.last_part = first
        self.words = vocabulary.compact_words(fold(first)).split()
        self.collective = vocabulary.is_collective(" ".join(self.words))
        self.not_office = sum(word not in _SHARED_OFFICE_WORDS for word in self.words)

    @property
    def empty(self) -> bool:
        return not self.last_part and len(self.parts) == 1

    def text(self) -> str:
        return "".join(self.parts)

    def glue(self, separator: str, piece: str) -> None:
        added = separator + piece
        new = vocabulary.compact_words(fold(added)).split()
        # Where the name and the added text meet, a word may run on ("…&" + "và"): the words of
        # the last piece and the added text together say so.
        before = vocabulary.compact_words(fold(self.last_part)).split()
        together = vocabulary.compact_words(fold(self.last_part + added)).split()
        old_count = len(self.words)
        if before and new and len(together) < len(before) + len(new):
            merged = self.words[-1] + new[0]
            self.not_office -= self.words[-1] not in _SHARED_OFFICE_WORDS
            self.words[-1] = merged
            self.not_office += merged not in _SHARED_OFFICE_WORDS
            new = new[1:]
            old_count -= 1
        self.words.extend(new)
        self.not_office += sum(word not in _SHARED_OFFICE_WORDS for word in new)
        self.parts.append(added)
        self.last_part = piece
        if not self.collective:
            self.collective = _collective_since(self.words, old_count)

    def compact(self) -> str:
        return " ".join(self.words)

    def shared_office(self) -> bool:
        """The name so far is a shared office's ("Văn phòng HĐND", "VP Đoàn ĐBQH và HĐND").

        Read whole at most once per name: only while all its words are an office's, and only
        before a " và " (asked at one); gluing that " và " on puts "va" among its words."""
        return self.not_office == 0 and bool(_SHARED_OFFICE.fullmatch(self.compact()))


def _collective_since(words: list[str], old_count: int) -> bool:
    """Whether `words` name many agencies, knowing their first `old_count` words did not: a
    collective phrase is at most `vocabulary.COLLECTIVE_WORDS` words long, so only the words
    from that far before the new ones need looking at (a phrase anchored at the name's start
    is looked at while the name is that short)."""
    start = max(0, old_count - vocabulary.COLLECTIVE_WORDS)
    if start == 0:
        return vocabulary.is_collective(" ".join(words))
    # "0" stands for the words before the window: nothing anchored at the start matches there.
    return vocabulary.is_collective("0 " + " ".join(words[start:]))


def _keeps_together(before: _Name, separator: str, piece: str) -> bool:
    """ "Văn phòng HĐND | và | UBND huyện", "UBND các xã, | phường": one name, not two."""
    if before.collective and (not _STARTS_AGENCY.match(fold(piece)) or len(piece.split()) == 1):
        return True
    if "va" in fold(separator) and before.shared_office():
        return bool(_SERVES_BODIES.match(fold(piece)))
    return False


def is_province_level(name: str) -> bool:
    """Reads like a body of the province itself (not a unit inside the plan's issuer)."""
    f = fold(name)
    return bool(_PROVINCE_LEVEL.search(f)) and not _RELATIVE.search(f)


# -- placing names in the directory ---------------------------------------------------------

# Where a new agency goes: None (the top), an existing agency's id, or a chain to create from the
# top (or from an existing id first): ("UBND huyện Tư Nghĩa",) or (12, "Văn phòng Sở").
ParentRef = int | str | tuple[int | str, ...] | None
# What storage takes for one placed name: the id of the agency it matched, or where to find or
# create it (its name and parent).
Place = int | tuple[str, ParentRef]


@dataclass
class Placement:
    """What one agency name of a plan became: an existing agency, or a new one under a parent."""

    written: str
    name: str  # the name stored (a parent-carrying name without its parent: "Văn phòng Sở")
    parent: ParentRef = None
    agency_id: int | None = None  # the existing agency it matched
    status: str = "new"  # "matched" | "new" | "ambiguous"
    path: list[str] = field(default_factory=list)  # names from the top down to it
    choices: list[str] = field(default_factory=list)  # for "ambiguous": the candidates

    @property
    def place(self) -> Place:
        """What `Storage.save_plan` takes: the matched agency's id, else the (name, parent) pair."""
        return self.agency_id if self.agency_id is not None else (self.name, self.parent)

    def label(self) -> str:
        return " › ".join(self.path)


def _matched(directory: Directory, agency_id: int, written: str) -> Placement:
    record = directory.record(agency_id)
    assert record is not None
    return Placement(written, record.name, record.parent_id, agency_id, "matched", directory.path(agency_id))


def _child_named(directory: Directory, parent_id: int, name: str) -> int | None:
    """The unit of `parent_id` called `name` (its bare name, or a spelling the directory knows)."""
    folded = fold(name)
    for child in directory.children(parent_id):
        record = directory.record(child)
        if record is not None and fold(record.name) == folded:
            return child
    found = directory.resolve(name, asker_id=parent_id)
    if found.agency_id is not None:
        record = directory.record(found.agency_id)
        if record is not None and record.parent_id == parent_id:
            return found.agency_id
    return None


def _under(
    directory: Directory, written: str, name: str, parent_id: int | None, parent_chain: tuple[int | str, ...]
) -> Placement:
    """`name` as a unit of an existing agency (`parent_id`) or of a chain still to create."""
    if parent_id is not None:
        hit = _child_named(directory, parent_id, name)
        if hit is not None:
            return _matched(directory, hit, written)
        return Placement(written, name, parent_id, None, "new", [*directory.path(parent_id), name])
    names = [p for p in parent_chain if isinstance(p, str)]
    return Placement(written, name, parent_chain, None, "new", [*names, name])


def _parent_of(directory: Directory, written: str) -> tuple[str, int | None, tuple[int | str, ...]] | None:
    """A name carrying its parent → (the unit's own name, the parent's id or None, chain to create)."""
    folded = fold(written)
    split = vocabulary.split_parent(folded)
    if split is None:
        return None
    index, parent_kind, level = split
    words = re.sub(r"[^\w&]+", " ", nfc(written)).split()
    if len(words) != len(vocabulary.compact_words(folded).split()):
        return None
    head, tail = words[:index], words[index:]
    parent_name = " ".join(tail)
    if parent_kind == "ubnd" and level:
        parent_name = "UBND " + parent_name
    # The unit's own name: "Văn phòng" + "Sở", "Thanh tra" + "huyện", else as written.
    head_folded = fold(" ".join(head))
    own = " ".join(head)
    kind_only = re.fullmatch(
        r"(?:van phong|vp|thanh tra|cong an|ban chi huy quan su)(?:\s+(?:hdnd|ubnd|hoi dong nhan dan|va))*",
        head_folded,
    )
    if kind_only:
        own = (
            f"{own} {tail[0]}"
            if parent_kind == "so"
            else (f"{own} {' '.join(tail[: len(level.split())])}" if level else own)
        )
    written_own = own
    # The written part before the parent keeps its own dash/comma spelling.
    cut = re.search(r"\s+(?=" + re.escape(tail[0]) + r"\b)", nfc(written))
    if cut and not kind_only:
        written_own = nfc(written)[: cut.start()].strip(" ,;-")
    found = directory.resolve(parent_name)
    parent_id = found.agency_id
    if parent_id is not None:
        record = directory.record(parent_id)
        if record is not None and vocabulary.is_relative(fold(record.name)) and record.parent_id is not None:
            parent_id = None
    return written_own, parent_id, (parent_name,)


def place_names(
    text: str, *, directory: Directory, issuer_id: int | None, issuer: str | None = None
) -> list[Placement]:
    """Every agency a lead (or partner) cell names, placed in the directory relative to the issuer.

    `issuer_id` is the plan's issuer when the directory knows it; `issuer` its name when it is new.
    """
    placed: list[Placement] = []
    issuer_chain: tuple[int | str, ...] = (nfc(issuer),) if issuer and issuer_id is None else ()
    for written in split_agencies(text):
        placed.append(_place_one(written, directory, issuer_id, issuer, issuer_chain))
    unique: dict[tuple[str, object], Placement] = {}
    for placement in placed:
        unique.setdefault((fold(placement.name), placement.parent), placement)
    return list(unique.values())


# Notes written in brackets after a name: its role in the task, not part of the name.
_ROLE_NOTE = re.compile(
    r"\s*[(\[]\s*(?:cơ quan |đơn vị )?(?:chủ trì|phối hợp|thường trực|tham mưu|đầu mối|nếu có|chính|"
    r"chu tri|phoi hop|thuong truc|tham muu|dau moi|neu co)[^)\]]*[)\]]\s*",
    re.IGNORECASE,
)
_BRACKETED_PARENT = re.compile(r"^(?P<unit>[^()]+?)\s*\((?P<parent>[^()]+)\)\s*$")


def _place_one(
    written: str,
    directory: Directory,
    issuer_id: int | None,
    issuer: str | None,
    issuer_chain: tuple[int | str, ...],
) -> Placement:
    name = _ROLE_NOTE.sub(" ", written).strip(" ,;.-")
    if name and name != written:
        placement = _place_one(name, directory, issuer_id, issuer, issuer_chain)
        placement.written = written
        return placement
    bracketed = _BRACKETED_PARENT.match(written)
    if bracketed and vocabulary.is_relative(fold(bracketed["unit"])):
        # "Văn phòng Sở (Sở Y tế)": the directory's own way of writing a unit with its parent.
        parent = directory.resolve(bracketed["parent"])
        chain: tuple[int | str, ...] = () if parent.agency_id is not None else (bracketed["parent"].strip(),)
        return _under(directory, written, bracketed["unit"].strip(), parent.agency_id, chain)
    folded = fold(written)
    if issuer_id is not None:
        record = directory.record(issuer_id)
        if record is not None and fold(record.name) == folded:
            return _matched(directory, issuer_id, written)
    elif issuer and fold(issuer) == folded:
        return Placement(written, nfc(issuer), None, None, "new", [nfc(issuer)])
    has_issuer = issuer_id is not None or bool(issuer_chain)
    if vocabulary.is_collective(folded):
        if has_issuer:
            return _under(directory, written, written, issuer_id, issuer_chain)
        return _top(directory, written)
    carried = _parent_of(directory, written)
    if carried is not None:
        own, parent_id, chain = carried
        if parent_id is not None or chain:
            return _under(directory, written, own, parent_id, chain)
    if vocabulary.is_relative(folded):
        if has_issuer:
            return _under(directory, written, written, issuer_id, issuer_chain)
        return _top(directory, written)
    found = directory.resolve(written, asker_id=issuer_id)
    if found.agency_id is not None:
        return _matched(directory, found.agency_id, written)
    if found.ambiguous:
        return Placement(
            written,
            written,
            _new_parent(written, issuer_id, issuer_chain),
            None,
            "ambiguous",
            [written],
            list(found.suggestions),
        )
    new_parent = _new_parent(written, issuer_id, issuer_chain)
    if isinstance(new_parent, int):
        return _under(directory, written, written, new_parent, ())
    if new_parent:
        return _under(directory, written, written, None, new_parent)
    return Placement(written, written, None, None, "new", [written])


def _top(directory: Directory, written: str) -> Placement:
    found = directory.resolve(written)
    if found.agency_id is not None:
        return _matched(directory, found.agency_id, written)
    return Placement(written, written, None, None, "new", [written])


def _new_parent(
    written: str, issuer_id: int | None, issuer_chain: tuple[int | str, ...]
) -> int | tuple[int | str, ...] | None:
    if is_province_level(written):
        return None
    if issuer_id is not None:
        return issuer_id
    return issuer_chain or None
