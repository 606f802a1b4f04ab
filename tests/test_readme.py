"""The README's figures are what parkgis prints now.

Every ```console block line ``$ parkgis …`` followed by printed output is run
(in-process, in a scratch folder, after the block's earlier commands) and its
output compared with the README's, line by line, whitespace aside. The
figures the README quotes in prose for ``reserve``, ``targets``, ``enforce``
and ``area`` are found by their wording and compared with the commands' JSON:
a changed figure, or reworded prose, fails here.
"""

from __future__ import annotations

import json
import re
import shlex

import pytest
from click.testing import CliRunner

from parkgis.cli import cli
from tests.conftest import REPO

README = (REPO / "README.md").read_text("utf-8")
PROSE = " ".join(README.split())  # prose with line breaks as spaces


def _console_blocks() -> list[list[tuple[str, list[str]]]]:
    """Each console block as (command, printed lines), continuation lines joined."""
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", README, flags=re.S):
        steps: list[tuple[str, list[str]]] = []
        for line in body.replace("\\\n", " ").splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps and line.strip():
                steps[-1][1].append(line)
        blocks.append(steps)
    return blocks


def _with_output() -> list[tuple[int, list[tuple[str, list[str]]]]]:
    """The steps of each block up to its last command that shows output."""
    out = []
    for k, steps in enumerate(_console_blocks()):
        shown = [i for i, (_, printed) in enumerate(steps) if printed]
        if shown:
            out.append((k, steps[: shown[-1] + 1]))
    return out


def run(command: str) -> str:
    args = shlex.split(command, comments=True)
    assert args[0] == "parkgis", command
    result = CliRunner().invoke(cli, args[1:], catch_exceptions=False)
    assert result.exit_code == 0, f"{command}\n{result.output}"
    return result.stdout


def figures(command: str) -> dict:
    return json.loads(run(f"{command} --format json"))


def quoted(pattern: str) -> tuple[str, ...]:
    """The groups of the one place in the README's prose the pattern matches."""
    found = re.findall(pattern, PROSE)
    assert len(found) == 1, f"README: {pattern!r} found {len(found)} times"
    return found[0] if isinstance(found[0], tuple) else (found[0],)


def mu(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_readme_quotes_console_output():
    # validate, area --by acquisition_status, area --by zone, status set: at least these.
    assert sum(len([s for s in steps if s[1]]) for _, steps in _with_output()) >= 4


@pytest.mark.parametrize("block", _with_output(), ids=lambda b: f"block{b[0]}")
def test_console_blocks_print_what_the_readme_shows(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # 'parkgis copy -o mypark' and maps write here
    for command, printed in block[1]:
        output = run(command)
        if printed:
            got = [line.split() for line in output.splitlines() if line.strip()]
            assert got == [line.split() for line in printed], command


@pytest.fixture(scope="module")
def reserve_then() -> dict:
    return figures("parkgis reserve --as-of 2013-06-30")


@pytest.fixture(scope="module")
def reserve_now() -> dict:
    return figures("parkgis reserve --as-of 2026-12-01")


def test_reserve_at_the_report_date(reserve_then):
    f = reserve_then
    (available,) = quoted(r"shows the report's problem \(.*?\): (\d+) mu available now")
    assert mu(available) == round(f["available_mu"], 2)
    (reserve,) = quoted(r"([\d.]+) mu of unacquired reserve")
    assert reserve == f"{f['reserve_mu']:.2f}"
    demand, *each = quoted(
        r"assumes (\d+) mu \(佳龙工艺品 (\d+), 佳南木制品 (\d+), "
        r"清洁能源汽车改装 (\d+), 标准化厂房 (\d+)\)"
    )
    assert mu(demand) == f["demand_mu"]
    assert [mu(x) for x in each] == [p["need_mu"] for p in f["projects_waiting"]]
    names = [p["name"][:4] for p in f["projects_waiting"]]
    assert names == ["佳龙工艺", "佳南木制", "清洁能源", "标准化厂"]
    now, after, first, closed = quoted(
        r"shortfall is (\d+) mu now, (\d+) mu after the first reserve parcel arrives in "
        r"(\d{4}Q\d), and closed in (\d{4}Q\d)"
    )
    assert mu(now) == f["shortfall_mu"]
    arrivals = [q for q in f["by_quarter"] if q["new_reserve_mu"] > 0]
    assert (arrivals[0]["quarter"], round(arrivals[0]["shortfall_mu"], 2)) == (first, mu(after))
    assert f["shortfall_closes_in"] == closed
    assert f["overdue_mu"] == 0


def test_reserve_today_is_overdue_and_never_closes(reserve_now):
    f = reserve_now
    overdue, short = quoted(
        r"all ([\d.]+) mu are overdue \(逾期未征收.*?\) and the (\d+) mu shortfall is not closed"
    )
    assert overdue == f"{f['overdue_mu']:.2f}" == f"{f['reserve_mu']:.2f}"
    assert mu(short) == f["shortfall_after_scheduled_mu"] == f["shortfall_mu"]
    assert f["shortfall_closes_in"] is None
    assert quoted(r"缺口消除季度: (未消除)") == ("未消除",)
    assert "未消除" in run("parkgis reserve --as-of 2026-12-01")


def test_targets_and_enforce():
    rows = {t["metric"]: t for t in figures("parkgis targets --today 2013-06-30")["targets"]}
    pct, done, plan, projects, of, factory, space = quoted(
        r"gives the report's ([\d.]+) % of the infrastructure investment \(([\d,]+) of "
        r"([\d,]+) 万元\), (\d+) of (\d+) new projects, (\d+) of ([\d,]+) m² of standard"
    )
    infra = rows["新增基础设施投入"]
    assert (f"{infra['pct']:.1f}", mu(done), mu(plan)) == (pct, infra["actual"], infra["target"])
    new = rows["新入园项目"]
    assert (mu(projects), mu(of)) == (new["actual"], new["target"])
    space_row = rows["新增标准化厂房面积"]
    assert (mu(factory), mu(space)) == (space_row["actual"], space_row["target"])
    names = quoted(r"enforce` flags (\S+) and (\S+) as building without a land title")
    risks = figures("parkgis enforce")["title_risks"]
    flagged = [r["company"] for r in risks if r["risk"] == "building_without_title"]
    assert sorted(names) == sorted(flagged)


def test_the_first_half_sites_and_the_reserve_measure_what_the_readme_says():
    sites, reserve = quoted(
        r"\(可供建设用地536亩; zone 新增开发区\) measure (\d+) mu, and the land still to "
        r"acquire at xx山上台阶地, 傅家店 and beside 山清米业 (\d+) mu"
    )
    parcels = figures("parkgis area")
    h1 = sum(p["area_mu"] for p in parcels if p["zone"] == "新增开发区")
    unacquired = sum(p["area_mu"] for p in parcels if p["acquisition_status"] == "unacquired")
    assert (round(h1), round(unacquired)) == (mu(sites), mu(reserve))


# --------------------------------------------------------------------------- the sample park

SOURCE = REPO.parent / "shared" / "source" / "000_03c0617e8ed61f37.txt"


@pytest.mark.skipif(not SOURCE.is_file(), reason="the source report is kept beside the checkout")
def test_the_sample_parks_quotes_are_on_the_report_lines_it_gives():
    """data/parcels/yuanba.md: each quote is in the report, on the line(s) given."""
    lines = SOURCE.read_text("utf-8").splitlines()
    text, spans = "", []
    for number, line in enumerate(lines, start=1):
        if re.match(r"\d+、", line):  # the report's pages, one line each
            body = re.sub(r"^\d+、", "", line)
            spans.append((len(text), len(text) + len(body), number))
            text += body
    readme = (REPO / "data" / "parcels" / "yuanba.md").read_text("utf-8")
    section = readme.split("## Figures taken from the report")[1].split("## Assumptions")[0]
    rows = [
        [cell.strip() for cell in r.strip().strip("|").split(" | ")]
        for r in section.splitlines()
        if r.startswith("| ")
    ]
    checked, given = 0, None
    for figure, _, line, words in rows[2:]:
        given = [int(n) for n in re.findall(r"\d+", line)]
        if words == "(same line)":
            continue
        found = set()
        for quote in words.split(" and "):
            start = text.find(quote.rstrip("。"))
            assert start >= 0, f"{figure}: {quote!r} is not in the report"
            end = start + len(quote.rstrip("。"))
            found |= {n for a, b, n in spans if a < end and b > start}
        assert min(found) == given[0] and max(found) == given[-1], (figure, sorted(found), line)
        checked += 1
    assert checked >= 25  # every row but the "(same line)" ones (29 today)
