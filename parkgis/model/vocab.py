"""Bilingual vocabularies: acquisition status, step, project stage, title ...

The terms are data, kept in ``vocab.toml`` beside this module: each has a
code, a Chinese and an English label, aliases, an order and a colour. A lookup
accepts the code, either label or any alias, ignoring case and spaces.

Examples
--------
>>> ACQUISITION.code("已征收")
'acquired'
>>> ACQUISITION.code("净地")
'leveled'
>>> STAGE.label("construction", lang="zh")
'基础建设'
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources

from parkgis.errors import VocabularyError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "ACQUISITION",
    "CONSTRAINT_KIND",
    "DEMAND_EXCLUSION",
    "FIGURE_BASIS",
    "FINDING_REASON",
    "FUNDING",
    "LAND_USE",
    "LANGS",
    "RESERVE_ROLE",
    "STAGE",
    "STEP",
    "TITLE",
    "TITLE_RISK",
    "VOCABULARIES",
    "Term",
    "Vocabulary",
]

LANGS = ("zh", "en")


@dataclass(frozen=True)
class Term:
    """One term of a vocabulary."""

    code: str
    zh: str
    en: str
    colour: str
    order: int
    aliases: tuple[str, ...] = ()
    out_of_order: bool = False

    def label(self, lang: str = "zh") -> str:
        """Return the label in ``lang`` (``"zh"`` or ``"en"``)."""
        _check_lang(lang)
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Vocabulary:
    """An ordered set of terms, looked up by code, label or alias."""

    name: str
    title_zh: str
    title_en: str
    terms: tuple[Term, ...]
    _index: dict[str, Term] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for term in self.terms:
            for key in (term.code, term.zh, term.en, *term.aliases):
                norm = _normalise(key)
                other = self._index.get(norm)
                if other is not None and other.code != term.code:
                    msg = f"vocabulary {self.name}: {key!r} names both {other.code} and {term.code}"
                    zh = (
                        f"术语表 {self.name}（{self.title_zh}）：{key!r} 同时指 {other.code} 和 "
                        f"{term.code}；请在 vocab.toml 中只保留一个"
                    )
                    raise VocabularyError(msg, zh=zh)
                self._index[norm] = term

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and _normalise(value) in self._index

    @property
    def codes(self) -> list[str]:
        """The codes in their order."""
        return [t.code for t in self.terms]

    def title(self, lang: str = "zh") -> str:
        """The vocabulary's own name, e.g. 征收状态."""
        _check_lang(lang)
        return self.title_zh if lang == "zh" else self.title_en

    def term(self, value: str, *, where: str = "", where_zh: str = "") -> Term:
        """Find the term for a code, label or alias.

        Parameters
        ----------
        value
            What the ledger or file says.
        where
            Where the value was found, for the error message, e.g.
            ``"parcels row parcel_id=P-017"``.
        where_zh
            The same in Chinese, for the Chinese message (``where`` if not
            given), e.g. ``"地块 parcel_id=P-017"``.

        Raises
        ------
        VocabularyError
            Naming the value, the place and the accepted terms.
        """
        found = self._index.get(_normalise(value)) if isinstance(value, str) else None
        if found is None:
            place = f" in {where}" if where else ""
            accepted = ", ".join(f"{t.code}/{t.zh}" for t in self.terms)
            msg = (
                f"{self.name} {value!r}{place} is not a known term; expected one of: "
                f"{accepted} (or an alias listed in parkgis/model/vocab.toml)"
            )
            place_zh = f"（{where_zh or where}）" if where_zh or where else " "
            accepted_zh = "、".join(f"{t.code}/{t.zh}" for t in self.terms)
            zh = (
                f"{self.title_zh} {value!r}{place_zh}不是已知术语；应为以下之一：{accepted_zh}"
                f"（或 parkgis/model/vocab.toml 中列出的别名）"
            )
            raise VocabularyError(msg, zh=zh)
        return found

    def code(self, value: str, *, where: str = "", where_zh: str = "") -> str:
        """Return the canonical code for a code, label or alias.

        Examples
        --------
        >>> from parkgis.model.vocab import ACQUISITION
        >>> ACQUISITION.code("已征收")
        'acquired'
        >>> try:
        ...     ACQUISITION.code("征收", where="parcels row parcel_id=P-017")
        ... except VocabularyError as err:
        ...     print(err.text("zh").split("；")[0])
        征收状态 '征收'（parcels row parcel_id=P-017）不是已知术语
        """
        return self.term(value, where=where, where_zh=where_zh).code

    def label(self, value: str, *, lang: str = "zh") -> str:
        """Return the label of a term in ``lang``."""
        return self.term(value).label(lang)

    def colour(self, value: str) -> str:
        """Return the term's colour as ``#rrggbb``."""
        return self.term(value).colour

    def rank(self, value: str) -> int:
        """Return the term's position in the chain (0 first)."""
        return self.term(value).order


def _normalise(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip().lower()
    return "".join(text.split()).replace("-", "_")


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise VocabularyError(
            f"language {lang!r} is not supported; use one of {LANGS}",
            zh=f"不支持语言 {lang!r}；请使用 {'、'.join(LANGS)} 之一",
        )


def _load() -> dict[str, Vocabulary]:
    text = resources.files("parkgis.model").joinpath("vocab.toml").read_text("utf-8")
    data = tomllib.loads(text)
    vocabs = {}
    for name, spec in data.items():
        terms = tuple(
            Term(
                code=t["code"],
                zh=t["zh"],
                en=t["en"],
                colour=t["colour"],
                order=i,
                aliases=tuple(t.get("aliases", ())),
                out_of_order=bool(t.get("out_of_order", False)),
            )
            for i, t in enumerate(spec["terms"])
        )
        vocabs[name] = Vocabulary(name, spec["label"]["zh"], spec["label"]["en"], terms)
    return vocabs


VOCABULARIES: dict[str, Vocabulary] = _load()
ACQUISITION = VOCABULARIES["acquisition_status"]
STEP = VOCABULARIES["acquisition_step"]
STAGE = VOCABULARIES["stage"]
TITLE = VOCABULARIES["title_status"]
CONSTRAINT_KIND = VOCABULARIES["constraint_kind"]
LAND_USE = VOCABULARIES["land_use"]
FUNDING = VOCABULARIES["funding_status"]
RESERVE_ROLE = VOCABULARIES["reserve_role"]
FIGURE_BASIS = VOCABULARIES["figure_basis"]
DEMAND_EXCLUSION = VOCABULARIES["demand_exclusion"]
FINDING_REASON = VOCABULARIES["finding_reason"]
TITLE_RISK = VOCABULARIES["title_risk"]
