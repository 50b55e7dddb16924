"""Social turns: thanks, acknowledgements, greetings and goodbyes, and the courtesy around questions.

Pure, on folded text (`bot.core.text.fold`). A message is a social turn when every word of it is
a social word, a polite particle ("ạ", "nhé", "nha") or a way of addressing someone ("anh",
"chị", "bạn", "anh chị ơi"): "cám ơn nhé", "vâng ạ", "ok em cảm ơn anh nhiều", "chào bạn". It
then gets a short reply of its own, never a task list. Which kind it is: thanks win over a
goodbye, a goodbye over a greeting, a greeting over an acknowledgement ("ok cảm ơn" is thanks).

Around a real question the same words are only courtesy ("chào bạn, cho mình hỏi … ạ"):
`courtesy_spans` finds them so the parser reads the question without them. Yes and no to an open
proposal are not read here (the conversation owns them).
"""

from __future__ import annotations

import re

SOCIAL_KINDS = ("thanks", "bye", "greeting", "ack")

def _phrases(words: str) -> str:
    """An alternation of ";"-separated phrases, longest first (so "đã rõ" wins over "đã")."""
    items = sorted({w.strip() for w in words.split(";") if w.strip()}, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in items) + ")"


_THANKS_WORDS = "cam on;cam ong;camon;cam om;thank;thanks;thank you;thankyou;thanks you;tks;thks;thx;ty;cmon"
_BYE_WORDS = "tam biet;bye;bye bye;goodbye;good bye;hen gap lai;chao tam biet;chuc ngu ngon"
_GREETING_WORDS = (
    "chao;xin chao;chao buoi sang;chao buoi trua;chao buoi chieu;chao buoi toi;hello;helo;hi;hey;alo;a lo;"
    "good morning;chuc buoi sang;chuc sang;chuc buoi sang tot lanh;chuc mot ngay tot lanh;chuc;ngay moi tot lanh;"
    "ngay moi vui ve;mot ngay tot lanh;mot ngay vui ve;buoi sang tot lanh;cuoi tuan vui ve;tot lanh;vui ve"
)
_ACK_WORDS = (
    "ok;oke;okie;okay;okela;oki;ok la;vang;da vang;da;u;uh;um;uhm;uk;uki;duoc;duoc roi;dc;ro roi;da ro;"
    "hieu roi;da hieu;nhan duoc;da nhan;da nhan duoc;noted;got it;tot;tot qua;hay qua;tuyet;tuyet voi;chuan;"
    "dung roi;the a;vay a;roi;nhat tri;dong y;hihi;hi hi;haha;ha ha;hehe;kk;kkk"
)
# Polite particles and ways of addressing someone: they carry no meaning of their own here.
_FILLER_WORDS = (
    "a;nhe;nha;nhen;nghe;ha;hen;day;roi;lam;nhieu;rat nhieu;qua;vay;oi;voi;ban;bot;em;anh;chi;co;chu;bac;"
    "ad;admin;sep;moi nguoi;ca nha;ca nhom;nhac viec;you;so much;anh chi;cac anh chi;minh;toi;tui;"
    "chung toi;chung em;rat;that;thiet;vui"
)
_THANKS, _BYE, _GREETING, _ACK = (_phrases(w) for w in (_THANKS_WORDS, _BYE_WORDS, _GREETING_WORDS, _ACK_WORDS))
_WORDS = re.compile(
    r"\b" + _phrases(";".join((_THANKS_WORDS, _BYE_WORDS, _GREETING_WORDS, _ACK_WORDS, _FILLER_WORDS))) + r"\b"
)
_KIND_PATTERNS = (
    ("thanks", re.compile(rf"\b{_THANKS}\b")),
    ("bye", re.compile(rf"\b{_BYE}\b")),
    ("greeting", re.compile(rf"\b{_GREETING}\b")),
    ("ack", re.compile(rf"\b{_ACK}\b")),
)
_LEFTOVER = re.compile(r"[^\W\d_]")

# Courtesy around a question, on folded text: an opening ("chào bạn,", "anh ơi", "dạ", "cho em
# hỏi", "xin hỏi", "làm ơn"), and a closing particle ("… ạ", "… nhé", "… với").
_ADDRESS = _phrases("ban;bot;em;anh;chi;ad;admin;anh chi;cac anh chi;nhac viec")
_OPENING = re.compile(
    rf"^\W*(?:(?:{_GREETING}|{_THANKS}|da|vang|ok|oke)(?:\s+{_ADDRESS})?(?:\s+oi)?\s*[,.!:;-]*\s*"
    rf"|{_ADDRESS}\s+oi\s*[,.!:;-]*\s*)+"
)
_ASKING = re.compile(
    r"\b(?:(?:cho|xin phep|lam on cho)\s+(?:em|minh|toi|tui|anh|chi|chung toi|chung em)\s+(?:duoc\s+)?hoi"
    r"(?:\s+(?:chut|ti|xiu|voi|nhe|nha))?|xin\s+hoi|lam on|vui long|giup\s+(?:em|minh|toi|tui)(?:\s+voi)?"
    r"|(?:em|minh|toi|tui)\s+(?:muon|can)\s+(?:hoi|biet|xem))\b"
)
_CLOSING = re.compile(r"(?:\s+(?:a|nhe|nha|nhen|voi|ha|a nhe|nhe a|voi a|duoc khong|dc khong|ko|khong a))+\W*$")


def social_turn(folded: str) -> str | None:
    """ "thanks" | "bye" | "greeting" | "ack" when the whole message is a social turn, else None."""
    text = " ".join(folded.replace("đ", "d").split())
    if not text or len(text) > 120:
        return None
    rest = _WORDS.sub(" ", text)
    if _LEFTOVER.search(rest) or re.search(r"\d", rest):
        return None
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(text):
            return kind
    return None


def courtesy_spans(folded: str) -> list[tuple[int, int]]:
    """Where courtesy words sit in a question (opening, "cho em hỏi", closing particles)."""
    spans: list[tuple[int, int]] = []
    opening = _OPENING.match(folded)
    if opening is not None and opening.end() > 0 and opening.end() < len(folded.rstrip()):
        spans.append(opening.span())
    spans.extend(m.span() for m in _ASKING.finditer(folded))
    closing = _CLOSING.search(folded)
    if closing is not None and closing.start() > 0:
        spans.append(closing.span())
    return spans
