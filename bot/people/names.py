"""How towns and programmes are called in each language (the keys live in services.profile)."""

from __future__ import annotations

from bot.kit.texts import N_, _
from bot.people.profile import CITIES, PROGRAMMES

CITY_NAMES: dict[str, str] = {
    "beograd": N_("Belgrade"),
    "novi_sad": N_("Novi Sad"),
    "nis": N_("Niš"),
    "kragujevac": N_("Kragujevac"),
    "krusevac": N_("Kruševac"),
    "cacak": N_("Čačak"),
    "kraljevo": N_("Kraljevo"),
    "novi_pazar": N_("Novi Pazar"),
    "pirot": N_("Pirot"),
    "dimitrovgrad": N_("Dimitrovgrad"),
    "ada": N_("Ada"),
    "nova_crnja": N_("Nova Crnja"),
    "sremska_mitrovica": N_("Sremska Mitrovica"),
    "ruma": N_("Ruma"),
    "sofia": N_("Sofia"),
    "plovdiv": N_("Plovdiv"),
    "varna": N_("Varna"),
    "other": N_("Another place"),
}

PROGRAMME_NAMES: dict[str, str] = {
    "safety_net": N_("Safety net for youth in foster care"),
    "nova": N_("NOVA: work and activation"),
    "reintegration": N_("Reintegration of returnees"),
    "duga": N_("Duga: local offices"),
    "di_bg": N_("Leaving care in Bulgaria"),
}

assert set(CITY_NAMES) == set(CITIES) and set(PROGRAMME_NAMES) == set(PROGRAMMES)


def city_name(key: str | None) -> str:
    return _(CITY_NAMES[key]) if key in CITY_NAMES else "—"


def programme_name(key: str | None) -> str:
    return _(PROGRAMME_NAMES[key]) if key in PROGRAMME_NAMES else "—"
