"""Gettext catalogs in `locales/`: compiling, deriving Serbian Latin and English, checking."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from bot.i18n.latin import to_latin
from bot.i18n.locales import EN, LOCALES, SR_CYRL, SR_LATN

ROOT = Path(__file__).resolve().parents[2]
LOCALES_DIR = ROOT / "locales"
DOMAIN = "messages"
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"

_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_TAG = re.compile(r"</?([a-z-]+)")


def po_path(locale: str, root: Path = LOCALES_DIR) -> Path:
    return root / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def write_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, include_previous=False)


def compile_all(root: Path = LOCALES_DIR, *, force: bool = False) -> list[Path]:
    """Writes each `.mo` whose `.po` is newer. aiogram refuses a `.po` without its `.mo`."""
    written = []
    for locale in LOCALES:
        po = po_path(locale, root)
        mo = po.with_suffix(".mo")
        if not po.exists():
            raise FileNotFoundError(f"missing catalog {po}")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalog = read_catalog(po, locale)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        tmp.replace(mo)  # atomic: a second process never reads half a file
        written.append(mo)
    return written


def derive_latin(cyrillic: Catalog) -> Catalog:
    latin = Catalog(
        locale=SR_LATN,
        domain=DOMAIN,
        project=cyrillic.project,
        version=cyrillic.version,
        fuzzy=False,
    )
    for message in cyrillic:
        if not message.id:
            continue
        latin.add(
            message.id,
            _latin(message.string),
            locations=message.locations,
            flags=message.flags,
            auto_comments=message.auto_comments,
            user_comments=message.user_comments,
            context=message.context,
        )
    return latin


def fill_english(catalog: Catalog) -> int:
    """The English texts are the msgids: every msgstr is its msgid, never a fuzzy guess."""
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        forms = _forms(message.id)
        wanted = forms if len(forms) > 1 else forms[0]
        if message.string != wanted or message.fuzzy:
            message.string = wanted
            message.flags.discard("fuzzy")
            filled += 1
    return filled


def sync(root: Path = LOCALES_DIR) -> None:
    """After `pybabel update`: fill English, regenerate Serbian Latin from Cyrillic."""
    en_path = po_path(EN, root)
    english = read_catalog(en_path, EN)
    fill_english(english)
    write_catalog(english, en_path)
    cyrillic = read_catalog(po_path(SR_CYRL, root), SR_CYRL)
    write_catalog(derive_latin(cyrillic), po_path(SR_LATN, root))


@dataclass(frozen=True)
class Problem:
    locale: str
    msgid: str
    what: str

    def __str__(self) -> str:
        return f"{self.locale}: {self.msgid[:60]!r}: {self.what}"


def check(root: Path = LOCALES_DIR) -> list[Problem]:
    """Everything a release needs from the catalogs; an empty list means ready."""
    problems: list[Problem] = []
    template = read_catalog(root / f"{DOMAIN}.pot")
    expected = {_key(m) for m in template if m.id}
    catalogs = {locale: read_catalog(po_path(locale, root), locale) for locale in LOCALES}
    for locale, catalog in catalogs.items():
        problems.extend(_check_catalog(locale, catalog, expected))
    latin = derive_latin(catalogs[SR_CYRL])
    for message in latin:
        if not message.id:
            continue
        stored = catalogs[SR_LATN].get(message.id, message.context)
        if stored is None or stored.string != message.string:
            problems.append(Problem(SR_LATN, _text(message.id), "differs from the Cyrillic"))
    return problems


def _check_catalog(
    locale: str, catalog: Catalog, expected: set[tuple[str, str | None]]
) -> Iterator[Problem]:
    present = {_key(m) for m in catalog if m.id}
    for msgid, _ctx in sorted(expected - present, key=str):
        yield Problem(locale, msgid, "missing (run pybabel update)")
    for msgid, _ctx in sorted(present - expected, key=str):
        yield Problem(locale, msgid, "obsolete (not in the template)")
    plural = get_plural(locale)
    if catalog.num_plurals != plural.num_plurals:
        yield Problem(
            locale, "", f"has {catalog.num_plurals} plural forms, CLDR says {plural.num_plurals}"
        )
    for message in catalog:
        if not message.id:
            continue
        msgid = _text(message.id)
        if message.fuzzy:
            yield Problem(locale, msgid, "fuzzy")
        if not _translated(message):
            yield Problem(locale, msgid, "not translated")
            continue
        yield from _check_shape(locale, message)


def _forms(value: object) -> tuple[str, ...]:
    """A message's id or string as a tuple: one item, or one per plural form."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple | list):
        return tuple(str(v) for v in value)
    return ()


def _check_shape(locale: str, message: Message) -> Iterator[Problem]:
    sources = _forms(message.id)
    strings = _forms(message.string)
    want_placeholders = set(_PLACEHOLDER.findall(sources[-1]))
    want_tags = sorted(_TAG.findall(sources[0]))
    for string in strings:
        if set(_PLACEHOLDER.findall(string)) != want_placeholders:
            yield Problem(locale, _text(message.id), f"placeholders differ: {string[:60]!r}")
        if sorted(_TAG.findall(string)) != want_tags:
            yield Problem(locale, _text(message.id), f"HTML tags differ: {string[:60]!r}")


def _translated(message: Message) -> bool:
    strings = _forms(message.string)
    return bool(strings) and all(s.strip() for s in strings)


def _key(message: Message) -> tuple[str, str | None]:
    return _text(message.id), message.context


def _text(msgid: object) -> str:
    forms = _forms(msgid)
    return forms[0] if forms else ""


def _latin(value: object) -> str | tuple[str, ...]:
    if isinstance(value, str):
        return to_latin(value)
    return tuple(to_latin(v) for v in _forms(value))
