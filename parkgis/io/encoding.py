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
5. strict GB18030 (a superset of GBK and GB2312).

"The bytes agree" means more than "decode without error": Latin-1 decodes any
bytes, and GBK text now and then is valid UTF-8. A claim is refused when the
text is GBK Chinese that the claimed encoding would turn into mojibake, or
valid UTF-8 Chinese that GBK would turn into mojibake.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
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
    """

    encoding: str
    source: str
    reason: str


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
    return _choose(
        columns,
        where=str(dbf),
        override=override,
        cpg=_read_cpg(dbf),
        ldid=ldid,
    )


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
            reason = (
                f"the text is valid UTF-8 but reads as {_sample(utf8)!r}, while as GB18030 it "
                f"reads as Chinese {_sample(gb)!r}: GBK text, not UTF-8"
            )
            return EncodingChoice("GB18030", "gbk", "; ".join([*notes, reason]))
        reason = f"the text is valid UTF-8 ({_sample(utf8)!r})"
        return EncodingChoice("UTF-8", "utf-8", "; ".join([*notes, reason]))
    gb = _decode_all(non_ascii, "gb18030")
    if isinstance(gb, str):
        reason = f"the text is not valid UTF-8 but is valid GB18030 ({_sample(gb)!r})"
        return EncodingChoice("GB18030", "gbk", "; ".join([*notes, reason]))
    raise EncodingError(_undecodable(where, gb, "neither UTF-8 nor GB18030 (GBK)"))


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
        raise EncodingError(_undecodable(where, decoded, f"not valid {override}"))
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
        if isinstance(wider, str):
            reason = (
                f"{claim}; {_place(decoded)} needs GB18030, GBK's superset, which decodes all "
                f"the text ({_sample(wider)!r})"
            )
            return "GB18030", reason
    if isinstance(decoded, _Failure):
        return f"{claim} but {_place(decoded)} is not valid {encoding}; not trusted"
    return encoding, f"{claim} and the text decodes with it ({_sample(decoded)!r})"


def _decode_all(columns: list[_Column], encoding: str) -> str | _Failure:
    """All the text decoded strictly, or where the first failure is."""
    parts = []
    for column in columns:
        try:
            parts.append(column.data.decode(encoding))
        except UnicodeDecodeError as exc:
            return _failure(column, exc.start)
    return "\n".join(parts)


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


def _undecodable(where: str, failure: _Failure | str, what: str) -> str:
    place = _place(failure) if isinstance(failure, _Failure) else "its text"
    return (
        f"{where}: {place} is {what}; pass the file's encoding with --encoding "
        "(e.g. --encoding GBK, --encoding BIG5 or --encoding UTF-8)"
    )


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
