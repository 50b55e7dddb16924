"""Translations: every user-facing sentence goes through `_` (gettext catalogs in `locales/`).

Message ids are the Vietnamese sentences (Vietnamese first); `locales/en` translates them.
The language is a context variable, so a handler sets it once per request (`use_language`)
and every pure module that calls `_` answers in the asker's language without passing it around.
The catalogs are compiled to `.mo` (committed, checked by a test); if a `.mo` is missing the
`.po` is read with Babel instead, so a checkout always speaks both languages.
"""

from __future__ import annotations

import contextlib
import gettext
import os
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path

import locales

DOMAIN = "nhacviec"
LANGUAGES = ("vi", "en")
LOCALE_DIR = Path(locales.__file__).parent

DEFAULT_LANGUAGE: str = os.environ.get("NHACVIEC_LANGUAGE", "vi")
_current: ContextVar[str] = ContextVar("nhacviec_language", default=DEFAULT_LANGUAGE)  # noqa: B039 - a str is immutable


class _PoTranslations(gettext.NullTranslations):
    """A catalog read straight from a `.po` file (used only when the `.mo` is missing)."""

    def __init__(self, po_path: Path) -> None:
        super().__init__()
        from babel.messages.pofile import read_po

        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        self._messages: dict[str, str] = {}
        self._plurals: dict[str, tuple[str, ...]] = {}
        for message in catalog:
            if not message.id or not message.string:
                continue
            if isinstance(message.id, tuple):
                self._plurals[message.id[0]] = tuple(message.string)
            else:
                self._messages[message.id] = message.string

    def gettext(self, message: str) -> str:
        return self._messages.get(message) or message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        forms = self._plurals.get(msgid1)
        if not forms or not forms[0]:
            return msgid1 if n == 1 else msgid2
        return forms[0] if len(forms) == 1 or n == 1 else forms[1]


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """The translations of one language; unknown languages fall back to the Vietnamese ids."""
    language = language if language in LANGUAGES else "vi"
    mo = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    po = mo.with_suffix(".po")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    if po.exists():
        return _PoTranslations(po)
    return gettext.NullTranslations()


def current_language() -> str:
    return _current.get()


@contextlib.contextmanager
def use_language(language: str | None) -> Iterator[None]:
    """Answer in `language` inside the block (a request's user language)."""
    token = _current.set(language if language in LANGUAGES else "vi")
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """Translate `message` (a Vietnamese sentence) into the current language."""
    return catalog(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalog(_current.get()).ngettext(singular, plural, n)


def compile_catalogs() -> None:
    """Compile every `locales/*/LC_MESSAGES/*.po` into its `.mo` (run after editing a catalog)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        with po.open("rb") as fh:
            cat = read_po(fh)
        with po.with_suffix(".mo").open("wb") as out:
            write_mo(out, cat)
    catalog.cache_clear()


def source_messages() -> dict[str | tuple[str, str], list[str]]:
    """Every message id used in the code, with where it is used.

    `_()` ids are strings; `ngettext()` ids are (singular, plural) pairs (in Vietnamese both are
    the same sentence; English needs the two forms).
    """
    from babel.messages.extract import extract_from_dir

    root = LOCALE_DIR.parent
    found: dict[str | tuple[str, str], list[str]] = {}
    for package in ("bot", "handlers", "storage"):
        method_map = [("**.py", "python")]
        keywords = {"_": None, "ngettext": (1, 2)}
        for filename, lineno, message, _comments, _context in extract_from_dir(
            root / package, method_map, keywords=keywords
        ):
            key = tuple(message[:2]) if isinstance(message, tuple) else message
            found.setdefault(key, []).append(f"{package}/{filename}:{lineno}")
    return found


def update_catalogs() -> None:
    """Add every new message id of the code to both catalogs (keeping translations), drop unused ones."""
    from babel.messages.pofile import read_po, write_po

    used = source_messages()
    singular = {k[0] if isinstance(k, tuple) else k: k for k in used}
    for language in LANGUAGES:
        po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        with po.open("rb") as fh:
            cat = read_po(fh, locale=language)
        for key, places in used.items():
            msgid = key[0] if isinstance(key, tuple) else key
            message = cat.get(msgid)
            if message is not None and isinstance(message.id, tuple) != isinstance(key, tuple):
                cat.delete(msgid)  # a sentence that became plural (or stopped being): translate anew
                message = None
            if message is None:
                if isinstance(key, tuple):
                    forms = (key[0],) if language == "vi" else ("", "")
                    message = cat.add(key, forms)
                else:
                    message = cat.add(key, key if language == "vi" else "")
            message.locations = [(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in places]
        for message in list(cat):
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            if msgid and msgid not in singular:
                cat.delete(msgid)
        with po.open("wb") as fh:
            write_po(fh, cat, width=100, sort_output=True)
    compile_catalogs()


if __name__ == "__main__":  # python -m bot.i18n [update]
    import sys

    if sys.argv[1:] == ["update"]:
        update_catalogs()
    else:
        compile_catalogs()
