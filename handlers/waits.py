"""Waits never swallow (issue 24 item 4): the rule that tells a note from a question.

While the bot waits for free text (a result's note, a progress note, an extension's date and
reason, a manager's reason to reject), a message is read in this order:

1. It reads as a question — it ends with "?", or opens with a question word ("ai", "bao giờ",
   "khi nào", "những việc", "cho tôi hỏi", "có … không"…), or the question reader understands it
   (an agency named with a period or a status: "việc của Văn phòng Sở tháng này") and it has none
   of a note's words → it is answered as a question; one line says the wait is still open.
2. It could be either — the question reader understands it, but it also reads like a report
   ("đã gửi…", "đang…", "chờ…", "xong…") → answered as a question, with one tap to keep it as
   the note (or reason) instead.
3. Anything else is the note (or reason).

A command always ends the wait and runs (the router).
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from bot.core.i18n import _
from bot.core.lang.questions import parse_question
from bot.core.replies import Button, Reply
from bot.core.text import fold
from handlers import extensions, results_chat
from handlers.commands import Buttons, Payload, Wait
from handlers.conversation import CHOICE_TTL
from handlers.tasks_cmds import question

if TYPE_CHECKING:
    from handlers.conversation import Conversation, Turn

FREE_TEXT_WAITS = (*results_chat.WAITS, *extensions.WAITS)
KEEP = Payload("keep", ("token",))

_OPENERS = re.compile(
    r"^(?:ai|gi|bao gio|bao nhieu|bao lau|khi nao|luc nao|tai sao|vi sao|sao|the nao|nhu the nao|lam sao"
    r"|liet ke|cho (?:toi|em|minh|anh|chi)?\s*(?:hoi|xem|biet)|xin hoi|hoi|xem|tim|tra cuu"
    r"|nhung viec|cac viec|viec gi|viec nao|con viec|con gi|nao|o dau|dau)\b"
)
_YES_NO_QUESTION = re.compile(r"^(?:co|da|con)\b.*\b(?:khong|chua|ko|k)$")
_NOTE_WORDS = re.compile(
    r"\b(?:da|dang|se|cho|xong|gui|nop|hoan thanh|trinh|ky|phat hanh|vuong|thieu|can them|bao cao so|so \d+)\b"
)


def reads_as(turn: Turn, text: str, directory: Any) -> str:
    """ "question" | "either" | "note" (the rule in the module's docstring)."""
    stripped = text.strip()
    folded = " ".join(fold(stripped).strip(" .!").split())
    if not folded:
        return "note"
    if stripped.endswith("?") or _OPENERS.match(folded) or _YES_NO_QUESTION.match(folded):
        return "question"
    parsed = parse_question(
        stripped,
        today=turn.ctx.today(),
        directory=directory,
        asker_id=turn.user.agency_id if turn.user else None,
    )
    understood = (
        parsed.intent == "tasks"
        and (parsed.agency_id is not None or bool(parsed.agency_name_asked))
        and not parsed.own_agency
        and (parsed.end is not None or parsed.status != "open" or parsed.asks_lead)
    )
    if not understood:
        return "note"
    return "either" if _NOTE_WORDS.search(folded) else "question"


def still_open(what: Wait) -> str:
    """The one line under an answer given while a wait is open."""
    lines = {
        Wait.DONE_EVIDENCE: _("(Vẫn đang chờ ghi chú kết quả — không bắt buộc; gõ /huy để thôi.)"),
        Wait.PROGRESS_NOTE: _("(Vẫn đang chờ ghi chú tiến độ — không bắt buộc; gõ /huy để thôi.)"),
        Wait.EXT_DATE: _("(Vẫn đang chờ ngày hạn mới và lý do xin gia hạn; gõ /huy để thôi.)"),
        Wait.EXT_REASON: _("(Vẫn đang chờ lý do xin gia hạn; gõ /huy để thôi.)"),
        Wait.EXT_REJECT: _("(Vẫn đang chờ lý do từ chối; gõ /huy để thôi.)"),
    }
    return lines.get(what, _("(Vẫn đang chờ tin nhắn của bạn; gõ /huy để thôi.)"))


async def _take(turn: Turn, conv: Conversation, waiting: tuple[Wait, Any]) -> list[Reply] | None:
    if waiting[0] in results_chat.WAITS:
        return await results_chat.evidence(turn, conv, waiting)
    return await extensions.typed(turn, conv, waiting)


ASCII_DIGITS = frozenset("0123456789")


async def during_wait(turn: Turn, conv: Conversation, waiting: tuple[Wait, Any]) -> list[Reply] | None:
    """A free-text message while `waiting` is open: a question is answered (the wait stays open),
    a note is taken; None when the wait is over (the message is then handled as any other)."""
    what, data = waiting
    if results_chat.fresh(turn, data) is None:
        await conv.state.stop_waiting(turn.req.account)
        return None
    text = turn.req.text
    if not turn.approved:  # a removed account: the gate refuses with its sentence, nothing is stored
        return await _take(turn, conv, waiting)
    if turn.req.file_name is None and text.strip() and not any(c.isalpha() or c in ASCII_DIGITS for c in text):
        # "²", "…", "👍": no word and no number, so no note or reason (a stray key, a reaction)
        return [Reply([_("Chưa lưu gì: ghi chú cần có chữ hoặc số."), still_open(what)])]
    if turn.req.file_name is None and text.strip():
        if what is Wait.EXT_DATE and extensions.parse_extension(text, today=turn.ctx.today()) and "?" not in text:
            kind = "note"  # a date typed for the request is the request
        else:
            kind = reads_as(turn, text, await turn.ctx.directory())
        if kind != "note":
            answer = await question(turn)
            line = still_open(what)
            if kind == "question":
                answer[-1].blocks.append(line)
                return answer
            token = secrets.token_hex(4)
            await conv.state.remember(
                f"keep:{token}", {"account": turn.req.account, "text": text[:4000]}, CHOICE_TTL
            )
            answer.append(
                Reply(
                    [_("Tôi đã trả lời như một câu hỏi. Nếu đó là ghi chú của bạn, bấm để lưu:"), line],
                    buttons=[[Button(_("Lưu làm ghi chú"), KEEP.build(token))]],
                )
            )
            return answer
    return await _take(turn, conv, waiting)


async def keep_as_note(turn: Turn, conv: Conversation, rest: str) -> list[Reply]:
    """The tap under an ambiguous message: it was the note (or reason) after all."""
    found = await conv.state.recall(f"keep:{rest}") if rest.isascii() and rest.isalnum() else None
    waiting = await conv.state.waiting(turn.req.account)
    if not found or found.get("account") != turn.req.account or waiting is None or waiting[0] not in FREE_TEXT_WAITS:
        return [Reply([_("Không còn gì đang chờ ghi chú; chưa lưu gì.")])]
    await conv.state.forget(f"keep:{rest}")
    turn.req.text = str(found["text"])
    return await _take(turn, conv, waiting) or [Reply([_("Không còn gì đang chờ ghi chú; chưa lưu gì.")])]


BUTTONS = (Buttons(KEEP, keep_as_note),)
