"""``parkgis cache``: where the geometry checks of parks read before are remembered.

Every command checks the park it reads; the geometry checks of an unchanged
park are taken from the cache (:mod:`parkgis.io.reading_cache`) instead of
being done again. ``parkgis cache info`` says where it is and what it holds,
``parkgis cache clear`` empties it. ``PARKGIS_CACHE_DIR=off`` turns it off.
"""

from __future__ import annotations

import click

from parkgis.cli.common import current_lang, emit, format_option, handle_errors, lang_option
from parkgis.io.reading_cache import KEEP, ReadingCache, cache_folder

__all__ = ["COMMANDS", "cache"]


@click.group()
def cache() -> None:
    """The remembered geometry checks of parks read before (PARKGIS_CACHE_DIR=off: none)."""


@cache.command()
@format_option
@lang_option
@handle_errors
def info(fmt: str, lang: str | None) -> None:
    """Where the cache is, how many checks it holds and their size."""
    folder = cache_folder()
    entries = ReadingCache(folder).entries() if folder is not None else []
    size = sum(p.stat().st_size for p in entries if p.exists())
    figures = {
        "folder": str(folder) if folder else None,
        "entries": len(entries),
        "keep": KEEP,
        "size_mb": round(size / 1e6, 2),
    }
    if fmt == "text" and current_lang(lang) == "zh":
        labels = {
            "folder": "缓存目录",
            "entries": "已存检查",
            "keep": "最多保留",
            "size_mb": "大小(MB)",
        }
        figures = {labels[k]: ("已关闭" if v is None else v) for k, v in figures.items()}
    emit(figures, fmt, lang=lang)


@cache.command()
@lang_option
@handle_errors
def clear(lang: str | None) -> None:
    """Remove every remembered check (the next command on each park checks it again)."""
    folder = cache_folder()
    removed = ReadingCache(folder).clear() if folder is not None else 0
    if current_lang(lang) == "zh":
        click.echo(f"已删除 {removed} 项缓存的检查结果")
    else:
        click.echo(f"removed {removed} remembered check(s)")


COMMANDS = [cache]
