"""HTML reply text: escaping what plans and users wrote, and the plain-text view of a reply.

Replies are pieces of HTML (only <b>, <i>, <code>); every text from a plan or a user goes in
through `esc`. Channels without markup, the console and JSON show `plain_text`.
"""

from __future__ import annotations

import html
import re


def esc(text: object) -> str:
    """Escape user or plan text for an HTML reply."""
    return html.escape(str(text), quote=False)


_TAGS = re.compile(r"<[^>]+>")


def plain_text(markup: str) -> str:
    """What HTML reply text shows as plain text: for channels without markup, the console and JSON."""
    return html.unescape(_TAGS.sub("", markup))


def split_blocks(blocks: list[str], limit: int) -> list[str]:
    """Join blocks into messages of at most `limit` characters, cutting only between blocks.

    A single block longer than the limit (a 10,000-character title) is cut at line breaks,
    then hard, as a last resort.
    """
    messages: list[str] = []
    current = ""
    for block in blocks:
        pieces = [block]
        if len(block) > limit:
            pieces = [block[i : i + limit] for i in range(0, len(block), limit)]
        for piece in pieces:
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages or [""]
