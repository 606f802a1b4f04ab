"""Every command over every case of the corpus: no traceback, no silently wrong figure."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

from corpus.harness import Case, check_case

_HERE = Path(__file__).parent


def _cases() -> list[Case]:
    cases: list[Case] = []
    for info in sorted(pkgutil.iter_modules([str(_HERE)]), key=lambda i: i.name):
        if info.name.startswith("cases_"):
            cases += importlib.import_module(f"corpus.{info.name}").CASES
    return cases


CASES = _cases()


def test_corpus_is_large_and_ids_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert len(CASES) >= 50


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, tmp_path: Path) -> None:
    check_case(case, tmp_path)
