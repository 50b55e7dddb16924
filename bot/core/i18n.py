"""Translations: every user-facing sentence goes through `_` (gettext catalogs in `locales/`).

Message ids are the Vietnamese sentences (Vietnamese first); `locales/en` translates them.
The language is a context variable, so a handler sets it once per request (`use_language`)
and every pure module that calls `_` answers in the asker's language without passing it around.
The catalogs are made with Babel's own commands (`bash .ci/catalogs`: extract, update,
compile) and the compiled `.mo` are committed; a test checks they say what the `.po` say.
"""

from __future__ import annotations

import contextlib
import gettext
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path

import locales

DOMAIN = "nhacviec"
LANGUAGES = ("vi", "en")
LOCALE_DIR = Path(locales.__file__).parent

_default_language = "vi"  # the process's language outside a request: `set_default_language`
_current: ContextVar[str | None] = ContextVar("nhacviec_language", default=None)


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """The translations of one language; unknown languages fall back to the Vietnamese ids."""
    language = language if language in LANGUAGES else "vi"
    mo = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if mo.exists():
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    return gettext.NullTranslations()


def set_default_language(language: str) -> None:
    """The language of the command line and of anything said outside a request (the entry points
    pass `NHACVIEC_LANGUAGE` from the settings; the core never reads the environment)."""
    global _default_language
    _default_language = language if language in LANGUAGES else "vi"


def _language() -> str:
    return _current.get() or _default_language


def current_language() -> str:
    """The language `_` speaks now (a page's `lang` attribute)."""
    return _language()


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
    return catalog(_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalog(_language()).ngettext(singular, plural, n)
