"""Which text encoding a shapefile's DBF (or a CSV) is really in.

Survey offices hand over shapefiles written on Chinese Windows machines: their
text is GBK, often with no ``.cpg`` sidecar and no language-driver byte, and
sometimes with a ``.cpg`` that lies. GDAL then reads GBK as Latin-1 without a
word, and 香香嘴 becomes ``ÏãÏã×ì``. This module reads the DBF bytes itself and
decides, saying why:

1. ``override`` (``--encoding``) wins, if the text decodes with it;
2. the ``.cpg`` sidecar, if the bytes agree with it;
3. the language-driver byte at offset 29 (0x4D and 0x7A: code page 936), if
   the bytes agree with it;
4. strict UTF-8 (pure ASCII is UTF-8);
5. strict GB18030 (a superset of GBK and GB2312) or Big5, told apart by
   content (below); when the content cannot tell them apart, the file is
   refused and ``--encoding BIG5`` or ``--encoding GBK`` settles it.

"The bytes agree" means more than "decode without error": Latin-1 decodes any
bytes, and GBK text now and then is valid UTF-8. A claim is refused when the
text is GBK Chinese that the claimed encoding would turn into mojibake, or
valid UTF-8 Chinese that GBK would turn into mojibake, or Big5 where the claim
says GBK (and the other way round).

Big5 (Taiwan, Hong Kong) and GBK share their byte ranges: Big5 text nearly
always decodes "validly" as GB18030, and GBK text often as Big5. Each reading
is scored by how Chinese text is made: the share of its characters outside the
script's common set (GB2312's 6,763 hanzi and its punctuation rows; Big5's
5,401 common characters and symbols) and the share among the most
frequent characters of general text and of land ledgers (simplified for GBK,
traditional for Big5). Big5 read as GBK gives kana, Greek, private-use and
rare characters; GBK read as Big5 gives rare traditional characters in no
sensible order. The reading that scores clearly better wins (GBK, far the
likelier, by a smaller margin than Big5): a single short value can be
undecidable, a column of them rarely is.

DBF field names are at most 10 bytes: a writer that cuts a UTF-8 or GBK name
there may cut inside a character. Such a name is read with the cut character
dropped, and the decision says so (:attr:`EncodingChoice.cut_names`).
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from parkgis.errors import EncodingError

__all__ = [
    "LDID_ENCODINGS",
    "EncodingChoice",
    "detect_shapefile_encoding",
    "detect_text_encoding",
]

# DBF language-driver ids (byte 29 of the header) and the code page each
# names, after ESRI's table; the ones Chinese data carries first. 0x57 means
# "ANSI", the code page of whichever machine wrote the file: it tells nothing.
LDID_ENCODINGS: dict[int, str | None] = {
    0x4D: "GBK",  # 936, Chinese (PRC, Singapore)
    0x7A: "GBK",  # 936, Chinese, as written by ESRI software
    0x4F: "CP950",  # 950, Chinese Big5 (Taiwan, Hong Kong)
    0x78: "CP950",
    0x13: "CP932",  # Japanese Shift-JIS
    0x7B: "CP932",
    0x4E: "CP949",  # Korean
    0x79: "CP949",
    0x01: "CP437",
    0x02: "CP850",
    0x03: "CP1252",
    0x57: None,  # ANSI: the writer's code page, unknown
    0x58: "CP1252",
    0x59: "CP1252",
    0x64: "CP852",
    0x65: "CP866",
    0xC8: "CP1250",
    0xC9: "CP1251",
    0xCA: "CP1254",
    0xCB: "CP1253",
}

# What .cpg files say, upper-cased, to an encoding Python and GDAL both know.
_CPG_NAMES = {
    "UTF-8": "UTF-8",
    "UTF8": "UTF-8",
    "65001": "UTF-8",
    "GBK": "GBK",
    "CP936": "GBK",
    "936": "GBK",
    "ANSI 936": "GBK",
    "GB2312": "GBK",
    "GB_2312-80": "GBK",
    "EUC-CN": "GBK",
    "GB18030": "GB18030",
    "54936": "GB18030",
    "BIG5": "CP950",
    "CP950": "CP950",
    "950": "CP950",
    "SHIFT_JIS": "CP932",
    "932": "CP932",
    "949": "CP949",
    "LATIN1": "ISO-8859-1",
    "88591": "ISO-8859-1",
}

# Characters Chinese text is made of, besides ASCII: ideographs, CJK and
# fullwidth punctuation, general punctuation (“”…—), circled numbers, box
# drawing, and the Latin-1 signs Chinese tables use (·×÷°±).
_CJK = re.compile(
    "[\u00b0\u00b1\u00b7\u00d7\u00f7\u2010-\u206f\u2100-\u218f\u2460-\u24ff\u2500-\u25ff"
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3200-\u33ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]"
)
_NON_ASCII = re.compile("[^\x00-\x7f]")
# A run of non-ASCII text, with the spaces, letters and digits inside it.
_RUN = re.compile(r"[^\x00-\x7f]+(?:[ \w-]*[^\x00-\x7f]+)*")
# Share of non-ASCII characters that must be Chinese for a reading to look
# like Chinese, and under which it looks like mojibake.
_LOOKS_CHINESE = 0.8
_LOOKS_WRONG = 0.5

# The most frequent characters of Chinese text (general text first, then the
# words of land ledgers), simplified, with common punctuation.
_FREQUENT_HANS = (
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之"
    "年过发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理"
    "心她本前开但因只从想实日军者意无力它与长把机十民第公此已工使情明性知全三又关点正业外将两高"
    "间由问很最重并物手应战向头文体政美相见被利什二等产或新己制身果加西斯月话合回特代内信表化老"
    "给世位次度门任常先海通教儿原东声提立及比员解水名真论处走义各入几口认条平系气题活尔更别打女"
    "变四神总何电数安少报才结反受目太量再感建务做接必场件计管期市直德资命山金指克许统区保至队形"
    "社便空决治展马科司五基眼书非则听白却界达光放强即像难且权思王象完设式色路记南品住告类求据程"
    "北边死张该交规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每"
    "济车亲极林服快办议往元英士证近失转夫令准布始怎呢存未远叫台单影具罗字爱击流备兵连调深商算质"
    "团集百需价花党华城石级整府离况亚请技际约示复病息究线似官火断精满支视消越器容照须九增研写称"
    "企八功吗包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六引历首医局突专费号尽另周较注语仅"
    "考落青随选列武红响虽推势参希古众构房半节土投某案黑维革划敌致陈律足态护七兴派孩验责营星够章"
    "音跟志底站严巴例防族供效续施留讲型料终答紧黄绝奇察母京段依批群项故按河米围江织害斗双境客纪"
    "采举杀攻父苏密低朝友诉止细愿千值仍男钱破网热助倒育属坐帝限船脸职速刻乐否刚威毛状率甚独球般"
    "普怕弹校苦创假久错承印晚兰试股拿脑预谁益阳若哪微尼继送急血惊伤素药适波夜省初喜卫源食险待述"
    "陆习置居劳财环排福纳欧登损超征储挂摘牌租块宗亩顷村镇乡县园编码签洽谈竣停缓途净积补耕草池塘"
    "坡阶湖店酒焦油脂粮库仓，。、：；（）《》“”"
)
# Traditional forms of the simplified characters above that Big5 does not have.
_HANS_ONLY = (
    "这个们来为国说时会对着过发经学现当没动还进样开从实军无长关点业将两间问应战头见产话内给门东声"
    "员论处义认条题尔别变总电数报结务场计资许统区队决马书则却达强难权设记类边张该规觉术领传师观让"
    "识带导争运飞风联组济车亲办议证转远单罗爱击备连调质团华级况亚请际约线断满视须写称吗轻农装广显"
    "标谈图历医专费号尽较语仅随选红响虽势参众节维敌陈态护兴验责营够严续讲终紧黄绝项围织双纪举杀苏"
    "诉细钱热属脸职乐刚状独弹创错兰试脑预谁阳继伤药卫险陆习劳财环纳欧损储块亩顷镇乡县园编码签缓净"
    "积补阶粮库仓"
)
_HANT_FORMS = (
    "這個們來為國說時會對著過發經學現當沒動還進樣開從實軍無長關點業將兩間問應戰頭見產話內給門東聲"
    "員論處義認條題爾別變總電數報結務場計資許統區隊決馬書則卻達強難權設記類邊張該規覺術領傳師觀讓"
    "識帶導爭運飛風聯組濟車親辦議證轉遠單羅愛擊備連調質團華級況亞請際約線斷滿視須寫稱嗎輕農裝廣顯"
    "標談圖歷醫專費號盡較語僅隨選紅響雖勢參眾節維敵陳態護興驗責營夠嚴續講終緊黃絕項圍織雙紀舉殺蘇"
    "訴細錢熱屬臉職樂剛狀獨彈創錯蘭試腦預誰陽繼傷藥衛險陸習勞財環納歐損儲塊畝頃鎮鄉縣園編碼簽緩淨"
    "積補階糧庫倉"
)
_FREQUENT_HANT = (
    _FREQUENT_HANS.translate(str.maketrans(_HANS_ONLY, _HANT_FORMS)) + "徵後裡臺麼於與並幾製乾註"
)
# How much better (out of 2) the GBK reading, or the Big5 reading, must score
# to be taken over the other.
_GBK_MARGIN = 0.15
_BIG5_MARGIN = 0.4
# A reading with more than this share of characters outside its script's
# common set is not plausible on its own.
_ODD = 0.25
# The longest DBF field name, in bytes: a longer one was cut there.
_NAME_BYTES = 10
_BIG5 = "CP950"


@dataclass(frozen=True)
class EncodingChoice:
    """The encoding chosen for a file's text, where it came from, and why.

    Attributes
    ----------
    encoding
        A name Python and GDAL both know: ``UTF-8``, ``GBK``, ``GB18030`` ...
    source
        ``override`` (given with ``--encoding``), ``cpg`` (the ``.cpg``
        sidecar), ``ldid`` (the DBF language-driver byte), ``bom`` (a byte-order
        mark), ``utf-8`` (the text is valid UTF-8) or ``gbk`` (the text is not
        UTF-8 but is valid GB18030).
    reason
        One or more sentences for the import report.
    warning, warning_zh
        A doubt the reader must see (text decoded as Big5), in English and
        Chinese, or None.
    warning_at
        Where the warning points: the field and the record (the line of a
        text file) of the first text it concerns.
    cut_names
        ``(raw, read)`` for each DBF field name cut inside a character: the
        name's bytes and the name read with the cut character dropped.
    """

    encoding: str
    source: str
    reason: str
    warning: str | None = None
    warning_zh: str | None = None
    warning_at: tuple[str, int | None] | None = None
    cut_names: tuple[tuple[bytes, str], ...] = ()


@dataclass(frozen=True)
class _Column:
    """The raw bytes of one text field, record by record."""

    name: str
    width: int
    data: bytes  # each record's bytes followed by b"\n", so no character spans records
    records: np.ndarray  # 1-based record number of each row of ``data``


@dataclass(frozen=True)
class _Failure:
    field: str
    record: int | None
    raw: bytes


def detect_shapefile_encoding(path: str | Path, *, override: str | None = None) -> EncodingChoice:
    """Decide the encoding of a shapefile's attribute text, and say why.

    Parameters
    ----------
    path
        The ``.shp`` (or ``.dbf``) file; the ``.dbf`` and ``.cpg`` beside it
        are read.
    override
        The encoding the user gave (``--encoding GBK``). It wins, provided the
        text decodes with it.

    Returns
    -------
    EncodingChoice

    Raises
    ------
    EncodingError
        When no ``.dbf`` is found, when ``override`` is unknown or does not
        decode the text, or when the text is neither UTF-8 nor GB18030; the
        message names the file, the field and the record, and says to pass
        ``--encoding``.
    """
    dbf = _sidecar(Path(path), ".dbf")
    if dbf is None:
        msg = f"{path}: no .dbf beside it, so its attributes cannot be read; hand over the .dbf too"
        raise EncodingError(msg)
    columns, ldid = _dbf_text(dbf)
    choice = _choose(
        columns,
        where=str(dbf),
        override=override,
        cpg=_read_cpg(dbf),
        ldid=ldid,
    )
    return _with_cut_names(choice, columns[-1])


def detect_text_encoding(data: bytes, *, where: str, override: str | None = None) -> EncodingChoice:
    """Decide the encoding of a text file's bytes (a CSV, a GeoJSON), and say why.

    A UTF-8 or UTF-16 byte-order mark settles it; else strict UTF-8, else
    strict GB18030, refusing mojibake as :func:`detect_shapefile_encoding`
    does.

    Parameters
    ----------
    data
        The file's bytes.
    where
        The file, for messages.
    override
        The encoding the user gave; it wins if the bytes decode with it.

    Raises
    ------
    EncodingError
        When the bytes decode with no candidate; the message gives the line.

    Examples
    --------
    >>> detect_text_encoding("地块编号,名称".encode("gbk"), where="x.csv").encoding
    'GB18030'
    >>> detect_text_encoding(b"\\xef\\xbb\\xbfid,name", where="x.csv").source
    'bom'
    """
    if override is None:
        if data.startswith(codecs.BOM_UTF8):
            return EncodingChoice("utf-8-sig", "bom", "UTF-8 byte-order mark at the start")
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return EncodingChoice("UTF-16", "bom", "UTF-16 byte-order mark at the start")
        utf16 = _utf16_without_bom(data)
        if utf16 is not None:
            return EncodingChoice(
                utf16,
                "utf-16",
                f"no byte-order mark, but a zero byte in most other places: {utf16} text",
            )
    column = _Column("text", 0, data, np.array([], dtype=np.int64))
    return _choose([column], where=where, override=override, cpg=None, ldid=None)


def _choose(
    columns: list[_Column],
    *,
    where: str,
    override: str | None,
    cpg: str | None,
    ldid: int | None,
) -> EncodingChoice:
    choice = _decide(columns, where=where, override=override, cpg=cpg, ldid=ldid)
    if choice.source != "override" and _is_big5(choice.encoding):
        return _warn_big5(choice, [c for c in columns if not c.data.isascii()])
    return choice


def _decide(
    columns: list[_Column],
    *,
    where: str,
    override: str | None,
    cpg: str | None,
    ldid: int | None,
) -> EncodingChoice:
    non_ascii = [c for c in columns if not c.data.isascii()]
    if override is not None:
        return _check_override(override, non_ascii, where)
    notes: list[str] = []
    if cpg is not None:
        encoding = _cpg_encoding(cpg)
        if encoding is None:
            notes.append(f"the .cpg says {cpg!r}, an encoding Python does not know; ignored")
        else:
            verdict = _judge(encoding, non_ascii, claim=f"the .cpg says {cpg!r}")
            if isinstance(verdict, str):
                notes.append(verdict)
            else:
                return EncodingChoice(verdict[0], "cpg", "; ".join([*notes, verdict[1]]))
    if ldid is not None:
        if ldid == 0:
            notes.append("no language-driver byte in the DBF header")
        elif ldid not in LDID_ENCODINGS:
            notes.append(f"language-driver byte 0x{ldid:02X} is not one parkgis knows; ignored")
        elif LDID_ENCODINGS[ldid] is None:
            notes.append(
                f"language-driver byte 0x{ldid:02X} means 'ANSI' (the writer's own code page); "
                "ignored"
            )
        else:
            claim = f"the language-driver byte 0x{ldid:02X} says {LDID_ENCODINGS[ldid]}"
            verdict = _judge(LDID_ENCODINGS[ldid] or "", non_ascii, claim=claim)
            if isinstance(verdict, str):
                notes.append(verdict)
            else:
                return EncodingChoice(verdict[0], "ldid", "; ".join([*notes, verdict[1]]))
    if not non_ascii:
        return EncodingChoice("UTF-8", "utf-8", "; ".join([*notes, "all text is ASCII"]))
    utf8 = _decode_all(non_ascii, "utf-8")
    if isinstance(utf8, str):
        gb = _decode_all(non_ascii, "gb18030") if _share(utf8) < _LOOKS_WRONG else None
        if isinstance(gb, str) and _share(gb) >= _LOOKS_CHINESE:
            return _gbk_or_big5(non_ascii, where=where, notes=notes, utf8=utf8)
        reason = f"the text is valid UTF-8 ({_sample(utf8)!r})"
        return EncodingChoice("UTF-8", "utf-8", "; ".join([*notes, reason]))
    return _gbk_or_big5(non_ascii, where=where, notes=notes, utf8=None)


def _gbk_or_big5(
    columns: list[_Column], *, where: str, notes: list[str], utf8: str | None
) -> EncodingChoice:
    """Text that is not UTF-8 (or is, but reads as mojibake): GBK or Big5, by content."""
    gb = _decode_all(columns, "gb18030")
    big5 = _decode_all(columns, _BIG5)
    if isinstance(gb, str) and isinstance(big5, str):
        verdict = _verdict(gb, big5)
    elif isinstance(gb, str):
        verdict = "gbk"
    elif isinstance(big5, str) and _fit(big5, _big5_level_one(), _FREQUENT_HANT)[0] <= _ODD:
        verdict = "big5"
    else:
        failure = gb if isinstance(gb, _Failure) else None
        raise _undecodable(
            where,
            failure,
            "neither UTF-8, GB18030 (GBK) nor Big5",
            "既不是 UTF-8，也不是 GB18030（GBK）或 Big5",
        )
    if verdict == "gbk":
        assert isinstance(gb, str)
        if utf8 is not None:
            reason = (
                f"the text is valid UTF-8 but reads as {_sample(utf8)!r}, while as GB18030 it "
                f"reads as Chinese {_sample(gb)!r}: GBK text, not UTF-8"
            )
        else:
            reason = f"the text is not valid UTF-8 but is valid GB18030 ({_sample(gb)!r})"
        if isinstance(big5, str):
            reason += f"; as Big5 it would read {_sample(big5)!r}, unlikely Chinese"
        return EncodingChoice("GB18030", "gbk", "; ".join([*notes, reason]))
    if verdict == "big5":
        assert isinstance(big5, str)
        reason = f"the text is not valid UTF-8 and reads as Big5 Chinese ({_sample(big5)!r})"
        if isinstance(gb, str):
            reason += f", while as GBK it would read {_sample(gb)!r}, unlikely Chinese"
        return EncodingChoice(_BIG5, "big5", "; ".join([*notes, reason]))
    raise _ambiguous(where, columns)


def _verdict(gb: str, big5: str) -> str | None:
    """``"gbk"`` or ``"big5"``: the reading that is clearly the better Chinese; else None.

    GBK is far the likelier in a Chinese park's files, so it wins by a small
    margin and Big5 only by a large one, and only when the GBK reading has
    characters that GBK Chinese does not use.
    """
    gb_odd, gb_frequent = _fit(gb, _gb_hanzi(), _FREQUENT_HANS)
    big5_odd, big5_frequent = _fit(big5, _big5_level_one(), _FREQUENT_HANT)
    gb_score = (1 - gb_odd) + gb_frequent
    big5_score = (1 - big5_odd) + big5_frequent
    if gb_score - big5_score >= _GBK_MARGIN and gb_odd <= _ODD:
        return "gbk"
    if big5_score - gb_score >= _BIG5_MARGIN and big5_odd <= _ODD and gb_odd > 0:
        return "big5"
    return None


def _fit(text: str, level_one: frozenset[str], frequent: str) -> tuple[float, float]:
    """Shares of the non-ASCII characters of ``text`` outside ``level_one`` and in ``frequent``.

    A sample tells as well as the whole: the first 200,000 characters.
    """
    chars = _NON_ASCII.findall(text[:200_000])
    if not chars:
        return 0.0, 1.0
    common = set(frequent)
    odd = sum(c not in level_one for c in chars) / len(chars)
    return odd, sum(c in common for c in chars) / len(chars)


@functools.cache
def _gb_hanzi() -> frozenset[str]:
    """GB2312's punctuation, digit and full-width rows and its 6,763 hanzi (levels 1 and 2)."""
    return _decoded_block("gb2312", [*range(0xA1, 0xA4), *range(0xB0, 0xF8)], [range(0xA1, 0xFF)])


@functools.cache
def _big5_level_one() -> frozenset[str]:
    """Big5's symbols and its 5,401 common characters (A140-A3BF, A440-C67E)."""
    trails = [range(0x40, 0x7F), range(0xA1, 0xFF)]
    return _decoded_block(_BIG5, list(range(0xA1, 0xC7)), trails) - _decoded_block(
        _BIG5, [0xC6], [range(0xA1, 0xFF)]
    )


def _decoded_block(encoding: str, leads: list[int], trails: list[range]) -> frozenset[str]:
    out = set()
    for lead in leads:
        for trail in (t for r in trails for t in r):
            try:
                out.add(bytes([lead, trail]).decode(encoding))
            except UnicodeDecodeError:
                continue
    return frozenset(out)


def _warn_big5(choice: EncodingChoice, columns: list[_Column]) -> EncodingChoice:
    """``choice`` with the warning every Big5 reading carries, pointing at its first text."""
    at = _first_text(columns)
    if at is None:
        return choice
    sample = at.raw.decode(choice.encoding, errors="replace")
    warning = (
        f"the text was decoded as Big5 (traditional Chinese, as written in Taiwan or Hong "
        f"Kong): {_place(at)} reads as {sample!r}; parkgis's terms are simplified Chinese, so "
        "check the values read, and pass --encoding GBK if the file is in fact GBK"
    )
    warning_zh = (
        f"文本按 Big5（繁体中文，台湾、香港常用）解码：{_place_zh(at)}读作“{sample}”；parkgis 的"
        "术语为简体中文，请核对读出的值；如文件实为 GBK，请加 --encoding GBK"
    )
    return replace(choice, warning=warning, warning_zh=warning_zh, warning_at=(at.field, at.record))


def _ambiguous(where: str, columns: list[_Column]) -> EncodingError:
    """The refusal of text that reads as plausibly GBK as Big5."""
    at = _first_text(columns)
    assert at is not None
    gb = at.raw.decode("gb18030", errors="replace")
    big5 = at.raw.decode(_BIG5, errors="replace")
    msg = (
        f"{where}: cannot tell whether the text is GBK or Big5 (traditional Chinese, Taiwan or "
        f"Hong Kong): {_place(at)} reads as {gb!r} in GBK and as {big5!r} in Big5; pass "
        "--encoding GBK or --encoding BIG5"
    )
    zh = (
        f"{where}：无法判断文本是 GBK 还是 Big5（繁体中文，台湾、香港常用）编码：{_place_zh(at)}"
        f"按 GBK 读作“{gb}”，按 Big5 读作“{big5}”；请加 --encoding GBK 或 --encoding BIG5 指定"
    )
    return EncodingError(msg, zh=zh)


def _first_text(columns: list[_Column]) -> _Failure | None:
    """The first field value (or line, or field name) with non-ASCII text."""
    for column in columns:
        for position, byte in enumerate(column.data):
            if byte >= 0x80:
                return _failure(column, position)
    return None


def _check_override(override: str, columns: list[_Column], where: str) -> EncodingChoice:
    try:
        codecs.lookup(override)
        encoding: str | None = override
    except LookupError:
        encoding = _cpg_encoding(override)  # "936", "ANSI 936" ...
    if encoding is None:
        msg = f"--encoding {override!r} is not an encoding Python knows; try GBK, GB18030 or UTF-8"
        raise EncodingError(msg)
    decoded = _decode_all(columns, encoding)
    if isinstance(decoded, _Failure):
        raise _undecodable(where, decoded, f"not valid {override}", f"不是有效的 {override} 文本")
    return EncodingChoice(encoding, "override", f"given with --encoding {override}")


def _judge(encoding: str, columns: list[_Column], *, claim: str) -> tuple[str, str] | str:
    """``(encoding, reason)`` if the bytes agree with ``claim``, else why not."""
    if not columns:
        return encoding, f"{claim} (all text is ASCII)"
    if _is_utf8(encoding):
        decoded = _decode_all(columns, "utf-8")
        if isinstance(decoded, _Failure):
            return f"{claim} but {_place(decoded)} is not valid UTF-8, so it is wrong; not trusted"
        gb = _decode_all(columns, "gb18030") if _share(decoded) < _LOOKS_WRONG else None
        if isinstance(gb, str) and _share(gb) >= _LOOKS_CHINESE:
            return (
                f"{claim} and the text is valid UTF-8, but it reads as {_sample(decoded)!r} while "
                f"as GB18030 it reads as Chinese {_sample(gb)!r}; not trusted"
            )
        return "UTF-8", f"{claim} and the text decodes with it ({_sample(decoded)!r})"
    utf8 = _decode_all(columns, "utf-8")
    if isinstance(utf8, str) and _share(utf8) >= _LOOKS_CHINESE:
        return (
            f"{claim} but the text is valid UTF-8 Chinese ({_sample(utf8)!r}) that {encoding} "
            "would garble; not trusted"
        )
    if _single_byte(encoding):
        gb = _decode_all(columns, "gb18030")
        if isinstance(gb, str) and _share(gb) >= _LOOKS_CHINESE:
            garbled = _decode_all(columns, encoding)
            shown = f" as {_sample(garbled)!r}" if isinstance(garbled, str) else ""
            return (
                f"{claim} but the text is GBK Chinese ({_sample(gb)!r}) that {encoding} "
                f"would read{shown}; not trusted"
            )
    decoded = _decode_all(columns, encoding)
    if isinstance(decoded, _Failure) and encoding == "GBK":
        wider = _decode_all(columns, "gb18030")
        doubt = (
            _other_script("GB18030", wider, columns, claim=claim)
            if isinstance(wider, str)
            else None
        )
        if doubt is not None:
            return doubt
        if isinstance(wider, str):
            reason = (
                f"{claim}; {_place(decoded)} needs GB18030, GBK's superset, which decodes all "
                f"the text ({_sample(wider)!r})"
            )
            return "GB18030", reason
    if isinstance(decoded, _Failure):
        return f"{claim} but {_place(decoded)} is not valid {encoding}; not trusted"
    if _is_big5(encoding) or _is_gb(encoding):
        doubt = _other_script(encoding, decoded, columns, claim=claim)
        if doubt is not None:
            return doubt
    return encoding, f"{claim} and the text decodes with it ({_sample(decoded)!r})"


def _other_script(encoding: str, decoded: str, columns: list[_Column], *, claim: str) -> str | None:
    """Why a GBK claim on Big5 text (or a Big5 claim on GBK text) is not trusted, if it is so."""
    claims_big5 = _is_big5(encoding)
    other = _decode_all(columns, "gb18030" if claims_big5 else _BIG5)
    if not isinstance(other, str):
        return None
    gb, big5 = (other, decoded) if claims_big5 else (decoded, other)
    verdict = _verdict(gb, big5)
    if claims_big5 and verdict == "gbk":
        return (
            f"{claim} but the text reads as GBK Chinese ({_sample(gb)!r}) and as Big5 only as "
            f"{_sample(big5)!r}; not trusted"
        )
    if not claims_big5 and verdict == "big5":
        return (
            f"{claim} but the text reads as Big5 Chinese ({_sample(big5)!r}) and as GBK only as "
            f"{_sample(gb)!r}; not trusted"
        )
    return None


def _decode_all(columns: list[_Column], encoding: str) -> str | _Failure:
    """All the text decoded strictly, or where the first failure is.

    A field name cut inside a character at the 10-byte limit is decoded
    without the cut character (see :func:`_decode_name`).
    """
    parts = []
    for column in columns:
        if column.width < 0:  # field names, one a line
            offset = 0
            for name in column.data.split(b"\n"):
                try:
                    parts.append(_decode_name(name, encoding)[0])
                except UnicodeDecodeError as exc:
                    return _failure(column, offset + exc.start)
                offset += len(name) + 1
            continue
        try:
            parts.append(column.data.decode(encoding))
        except UnicodeDecodeError as exc:
            return _failure(column, exc.start)
    return "\n".join(parts)


def _decode_name(raw: bytes, encoding: str) -> tuple[str, bool]:
    """A DBF field name decoded, and whether it was cut inside its last character.

    Raises
    ------
    UnicodeDecodeError
        When the bytes are not ``encoding`` even allowing for a cut at the end.
    """
    try:
        return raw.decode(encoding), False
    except UnicodeDecodeError:
        if len(raw) < _NAME_BYTES:
            raise
        decoder = codecs.getincrementaldecoder(encoding)()
        text = decoder.decode(raw, final=False)  # raises on bytes invalid before the end
        if not decoder.getstate()[0]:  # pragma: no cover - nothing held back: not a cut
            raise
        return text, True


def _with_cut_names(choice: EncodingChoice, names: _Column) -> EncodingChoice:
    """``choice`` with the field names cut inside a character, and a sentence for each."""
    cut: list[tuple[bytes, str]] = []
    for raw in names.data.split(b"\n"):
        try:
            text, was_cut = _decode_name(raw, choice.encoding)
        except UnicodeDecodeError:  # pragma: no cover - the choice decodes every name
            continue
        if was_cut:
            cut.append((raw, text))
    if not cut:
        return choice
    said = "; ".join(
        f"field name {raw!r} cut inside a character: read as {text!r}" for raw, text in cut
    )
    return replace(choice, reason=f"{choice.reason}; {said}", cut_names=tuple(cut))


def _failure(column: _Column, position: int) -> _Failure:
    if column.width == 0:  # a whole text file: the record is the line
        line = column.data.count(b"\n", 0, position) + 1
        start = column.data.rfind(b"\n", 0, position) + 1
        end = column.data.find(b"\n", position)
        return _Failure(column.name, line, column.data[start : end if end >= 0 else None])
    if column.width < 0:  # field names, one a line
        start = column.data.rfind(b"\n", 0, position) + 1
        end = column.data.find(b"\n", position)
        return _Failure(column.name, None, column.data[start : end if end >= 0 else None])
    row = position // (column.width + 1)
    start = row * (column.width + 1)
    raw = column.data[start : start + column.width].rstrip(b" \x00")
    return _Failure(column.name, int(column.records[row]), raw)


def _place(failure: _Failure) -> str:
    if failure.field == "text":
        return f"line {failure.record} ({failure.raw[:60]!r})"
    if failure.record is None:
        return f"a field name ({failure.raw!r})"
    return f"field {failure.field!r} of record {failure.record} ({failure.raw!r})"


def _place_zh(failure: _Failure) -> str:
    if failure.field == "text":
        return f"第 {failure.record} 行（{failure.raw[:60]!r}）"
    if failure.record is None:
        return f"字段名（{failure.raw!r}）"
    return f"第 {failure.record} 条记录的字段 {failure.field!r}（{failure.raw!r}）"


def _undecodable(where: str, failure: _Failure | None, what: str, what_zh: str) -> EncodingError:
    place = _place(failure) if failure is not None else "its text"
    place_zh = _place_zh(failure) if failure is not None else "其文本"
    msg = (
        f"{where}: {place} is {what}; pass the file's encoding with --encoding "
        "(e.g. --encoding GBK, --encoding BIG5 or --encoding UTF-8)"
    )
    zh = (
        f"{where}：{place_zh}{what_zh}；请用 --encoding 指定文件的编码"
        "（如 --encoding GBK、--encoding BIG5 或 --encoding UTF-8）"
    )
    return EncodingError(msg, zh=zh)


def _share(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that Chinese text is made of.

    A sample tells as well as the whole: the first 200,000 characters.
    """
    text = text[:200_000]
    non_ascii = len(_NON_ASCII.findall(text))
    return len(_CJK.findall(text)) / non_ascii if non_ascii else 1.0


def _sample(text: str, *, length: int = 24) -> str:
    """The first few non-ASCII runs of ``text``, to show a reader."""
    runs = _RUN.findall(text[:2000])
    out = " ".join(list(dict.fromkeys(runs))[:3])
    return out if len(out) <= length else out[:length] + "…"


def _field_label(name: bytes) -> str:
    """A field's name for messages, before its encoding is known."""
    try:
        return name.decode("utf-8").strip()
    except UnicodeDecodeError:
        return name.decode("gb18030", errors="replace").strip()


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name == "utf-8"


def _is_big5(encoding: str) -> bool:
    return codecs.lookup(encoding).name in {"cp950", "big5", "big5hkscs"}


def _is_gb(encoding: str) -> bool:
    return codecs.lookup(encoding).name in {"gbk", "gb18030", "gb2312"}


def _utf16_without_bom(data: bytes) -> str | None:
    """``UTF-16-LE`` or ``-BE`` for text with a zero byte in most other places, else None.

    Text saved as "Unicode" without its byte-order mark: ASCII letters, digits,
    commas and line ends each carry a zero byte, on the odd places
    (little-endian) or on the even ones; the other places seldom hold one (a
    character such as 蜀, U+8700, does).
    """
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    odd, even = sample[1::2], sample[0::2]
    for zeros, other, name in ((odd, even, "UTF-16-LE"), (even, odd, "UTF-16-BE")):
        if zeros.count(0) < 0.2 * len(zeros) or other.count(0) > 0.25 * zeros.count(0):
            continue
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if sum(c.isprintable() or c in "\t\r\n" for c in text[:2048]) >= 0.95 * len(text[:2048]):
            return name
    return None


def _single_byte(encoding: str) -> bool:
    """True for code pages where every byte is one character (Latin-1, CP1252 ...)."""
    return len(bytes(range(256)).decode(encoding, errors="replace")) == 256


def _cpg_encoding(text: str) -> str | None:
    """The encoding a ``.cpg`` (or ``--encoding``) names, or None if unknown."""
    key = " ".join(text.strip().upper().split())
    if key in _CPG_NAMES:
        return _CPG_NAMES[key]
    digits = key.removeprefix("ANSI ").removeprefix("CP")
    if digits.isdigit():
        if digits.startswith("8859") and len(digits) > 4:
            key = f"ISO-8859-{digits[4:]}"
        else:
            key = f"CP{digits}"
    try:
        codecs.lookup(key)
    except LookupError:
        return None
    return key


def _sidecar(path: Path, suffix: str) -> Path | None:
    """The file beside ``path`` with ``suffix``, in either case."""
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


def _read_cpg(dbf: Path) -> str | None:
    cpg = _sidecar(dbf, ".cpg")
    if cpg is None:
        return None
    return cpg.read_bytes().decode("ascii", errors="replace").strip()


def _dbf_text(dbf: Path) -> tuple[list[_Column], int]:
    """The bytes of a DBF's field names and text fields, and its language-driver byte.

    DBF layout: record count at byte 4 (uint32), header length at 8 and record
    length at 10 (uint16), language driver at 29; 32-byte field descriptors
    from byte 32 up to a 0x0D byte (name in bytes 0-10, type at 11, width at
    16); each record is a deletion flag (``*`` = deleted) then the fields.
    """
    data = dbf.read_bytes()
    if len(data) < 32:
        msg = f"{dbf}: only {len(data)} bytes, too short to be a DBF file"
        raise EncodingError(msg)
    n_records = int.from_bytes(data[4:8], "little")
    header_len = int.from_bytes(data[8:10], "little")
    record_len = int.from_bytes(data[10:12], "little")
    ldid = data[29]
    names: list[bytes] = []
    fields: list[tuple[bytes, int, int]] = []  # name, offset in record, width
    offset = 1
    pos = 32
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        desc = data[pos : pos + 32]
        name = desc[:11].split(b"\x00", 1)[0]
        width = desc[16]
        names.append(name)
        if desc[11:12] in (b"C", b"c"):
            fields.append((name, offset, width))
        offset += width
        pos += 32
    columns: list[_Column] = []
    header = _Column("(field names)", -1, b"\n".join(names), np.array([], dtype=np.int64))
    if record_len == 0:
        return [header], ldid
    available = max(0, (len(data) - header_len) // record_len)
    n = min(n_records, available)
    rows = np.frombuffer(data, dtype=np.uint8, count=n * record_len, offset=header_len)
    rows = rows.reshape(n, record_len)
    live = rows[:, 0] != ord("*")
    records = np.flatnonzero(live) + 1
    rows = rows[live]
    newline = np.full((len(rows), 1), ord("\n"), dtype=np.uint8)
    for name, start, width in fields:
        block = rows[:, start : start + width]
        data_bytes = np.hstack([block, newline]).tobytes()
        columns.append(_Column(_field_label(name), width, data_bytes, records))
    # Names last, so that samples shown to the reader are values.
    return [*columns, header], ldid
