"""Every user-facing sentence is in both catalogs, translated, and the compiled .mo match the .po."""

from __future__ import annotations

import re

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.core.i18n import LOCALE_DIR, _, catalog, use_language

# `_(` or `ngettext(` inside the braces of an f-string, however deeply nested in other calls.
_FSTRING_CALL = re.compile(r"""\bf["'][^"']*\{[^}]*\b(?:_|ngettext)\(""")
PLACEHOLDER = re.compile(r"\{[a-z_]*(?::[^}]*)?\}")


def source_messages() -> dict[object, list[str]]:
    """Every message id used in the code (Babel's extractor): `_()` ids are strings, `ngettext()`
    ids (singular, plural) pairs."""
    from babel.messages.extract import extract_from_dir

    found: dict[object, list[str]] = {}
    for package in ("bot", "handlers", "storage"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            LOCALE_DIR.parent / package,
            [("**.py", "python"), ("**/templates/**.html", "jinja2")],  # as .ci/babel.cfg
            keywords={"_": None, "ngettext": (1, 2)},
        ):
            key = tuple(message[:2]) if isinstance(message, tuple) else message
            found.setdefault(key, []).append(f"{package}/{filename}:{lineno}")
    return found


def _po(language: str):  # type: ignore[no-untyped-def]
    with (LOCALE_DIR / language / "LC_MESSAGES" / "nhacviec.po").open("rb") as fh:
        return read_po(fh, locale=language)


def test_every_message_is_translated_with_the_same_placeholders() -> None:
    used = source_messages()
    en = _po("en")
    vi = _po("vi")
    missing = []
    for key in used:
        msgid = key[0] if isinstance(key, tuple) else key
        translated = en.get(msgid)
        forms = translated.string if translated is not None else ""
        forms = forms if isinstance(forms, tuple) else (forms,)
        if vi.get(msgid) is None or translated is None or not all(forms) or isinstance(key, tuple) != isinstance(translated.id, tuple):
            missing.append(key)
            continue
        for form in forms:
            assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(form)), msgid
    assert not missing, f"run `bash .ci/catalogs`, translate the new entries in locales/en, run it again: {missing[:10]}"


def _meaning(catalog: Catalog) -> dict[object, object]:
    """What a catalog says, without its header or tool stamps: message id → translation(s).

    Only entries a compiled catalog carries count: translated, not fuzzy (Babel leaves fuzzy
    and empty entries out of the .mo). Plural entries keep every form.
    """
    said: dict[object, object] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        forms = tuple(message.string) if isinstance(message.string, list | tuple) else (message.string,)
        if not all(forms):
            continue
        said[tuple(message.id) if isinstance(message.id, list | tuple) else message.id] = forms
    return said


def test_compiled_catalogs_match_their_sources() -> None:
    """The .mo says what its .po says (ids, plural forms, translations); Babel's header stamps don't count."""
    for language in ("vi", "en"):
        source = _po(language)
        with (LOCALE_DIR / language / "LC_MESSAGES" / "nhacviec.mo").open("rb") as fh:
            compiled = read_mo(fh)
        assert _meaning(compiled) == _meaning(source), f"run `bash .ci/catalogs` to recompile {language}"
        assert compiled.plural_forms == source.plural_forms, language


def test_language_switch() -> None:
    catalog.cache_clear()
    with use_language("en"):
        assert _("Việc quá hạn") == "Overdue tasks"
    with use_language("vi"):
        assert _("Việc quá hạn") == "Việc quá hạn"


def test_no_translation_inside_f_strings() -> None:
    """Babel cannot extract `_()` written inside an f-string: such a sentence would never be translated."""
    offenders = [
        f"{path}:{n}"
        for package in ("bot", "handlers", "storage")
        for path in (LOCALE_DIR.parent / package).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _FSTRING_CALL.search(line)
    ]
    assert not offenders, offenders
