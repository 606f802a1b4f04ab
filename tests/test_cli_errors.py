"""No traceback, ever: every failure of every command is one line and an exit status.

The safety net (``parkgis.cli.common.safety_net``) is applied by the ``parkgis``
group itself, so every command — and any command added later — is inside it.
Failures are injected into each command's callback; Ctrl-C is also sent as a
real SIGINT to ``parkgis import`` running in a subprocess, at several moments.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from parkgis.cli import cli
from parkgis.errors import InputError
from parkgis.io.store import atomic_path, read_park

INTERNAL_ZH = "parkgis: 内部错误: RuntimeError: boom — 请加 --debug 重新运行查看详情并报告此问题\n"
INTERNAL_EN = (
    "parkgis: internal error: RuntimeError: boom — run again with --debug for the traceback, "
    "and report it\n"
)
NOTHING_ZH = "parkgis: 已中断，未写入任何内容\n"
NOTHING_EN = "parkgis: interrupted; nothing was written\n"


def _leaves(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _leaves(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def _required_args(path: tuple[str, ...], tmp: Path) -> list[str]:
    """The fewest arguments with which each command gets as far as its callback."""
    source = tmp / "parcels.geojson"
    source.write_text('{"type": "FeatureCollection", "features": []}', "utf-8")
    store = ["--store", "postgresql://user@127.0.0.1:1/db?park=x"]
    change = ["--date", "2013-01-01", "--note", "测试", "--by", "测试"]
    return {
        ("import",): [str(source), "-o", str(tmp / "new.gpkg")],
        ("status", "set"): ["P1", "--date", "2013-01-01", "--by", "测试"],
        ("copy",): ["-o", str(tmp / "copy.gpkg")],
        ("export",): ["-o", str(tmp / "out.gpkg")],
        ("db", "init"): store,
        ("db", "push"): store,
        ("db", "pull"): [*store, "-o", str(tmp / "pulled.gpkg")],
        ("db", "list"): store,
        ("serve",): ["park.gpkg"],
        ("users", "add"): ["park.gpkg", "a"],
        ("users", "remove"): ["park.gpkg", "a"],
        ("users", "passwd"): ["park.gpkg", "a"],
        ("users", "list"): ["park.gpkg"],
        ("split",): [str(source), "A", "--parts", "a.geojson", *change],
        ("merge",): [str(source), "A", "B", "--into", "C", *change],
    }.get(path, [])


COMMANDS = sorted(path for path, _ in _leaves(cli))


def test_the_commands_are_all_listed():
    expected = [("info",), ("validate",), ("area",), ("import",), ("buildable",), ("reserve",),
                ("gaps",), ("targets",), ("enforce",), ("map",), ("brief",), ("status", "set"),
                ("status", "show"), ("history",), ("copy",), ("db", "init"), ("db", "push"),
                ("db", "pull"), ("db", "list")]  # fmt: skip
    expected += [("landuse",), ("export",)]
    expected += [("serve",), ("users", "add"), ("users", "remove"), ("users", "passwd"),
                 ("users", "list")]  # fmt: skip
    expected += [("cache", "info"), ("cache", "clear")]
    expected += [("split",), ("merge",)]
    assert sorted(expected) == COMMANDS


def _inject(monkeypatch, path: tuple[str, ...], error: BaseException) -> None:
    command = dict(_leaves(cli))[path]

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(command, "callback", fail)


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=True)


@pytest.mark.parametrize("path", COMMANDS, ids=["-".join(p) for p in COMMANDS])
def test_every_command_is_inside_the_net(path, tmp_path, monkeypatch):
    args = [*path, *_required_args(path, tmp_path)]
    # A defect of parkgis: one line asking for --debug and a report, exit 3.
    _inject(monkeypatch, path, RuntimeError("boom"))
    result = _run(*args)
    assert (result.exit_code, result.stderr) == (3, INTERNAL_ZH)
    assert isinstance(result.exception, SystemExit)
    result = _run("--lang", "en", *args)
    assert (result.exit_code, result.stderr) == (3, INTERNAL_EN)
    # An input that cannot be read: its message in the language asked for, exit 2.
    _inject(monkeypatch, path, InputError("a.shp: no .dbf", zh="a.shp: 缺少 .dbf 文件"))
    assert (_run(*args).exit_code, _run(*args).stderr) == (
        2,
        "parkgis: 错误: a.shp: 缺少 .dbf 文件\n",
    )
    assert _run("--lang", "en", *args).stderr == "parkgis: error: a.shp: no .dbf\n"
    # A file the system refuses: named, with the way out, exit 2.
    _inject(monkeypatch, path, PermissionError(13, "Permission denied", "/srv/park"))
    result = _run(*args)
    assert (result.exit_code, result.stderr) == (
        2, "parkgis: 错误: 无法读写 /srv/park: Permission denied; 请检查路径和权限\n"
    )  # fmt: skip
    # Ctrl-C before anything was written: one line, exit 130.
    _inject(monkeypatch, path, KeyboardInterrupt())
    result = _run(*args)
    assert (result.exit_code, result.stderr) == (130, NOTHING_ZH)
    assert _run("--lang", "en", *args).stderr == NOTHING_EN


def test_a_command_added_later_is_inside_the_net(monkeypatch):
    @click.command()
    def boom() -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(cli.commands, "boom", boom)
    result = _run("boom")
    assert (result.exit_code, result.stderr) == (3, INTERNAL_ZH)


def test_a_command_lang_option_sets_the_language_of_messages(monkeypatch):
    _inject(monkeypatch, ("area",), InputError("in English", zh="中文"))
    assert _run("area", "--lang", "en").stderr == "parkgis: error: in English\n"
    assert _run("--lang", "en", "area", "--lang", "zh").stderr == "parkgis: 错误: 中文\n"


def test_debug_shows_the_traceback(monkeypatch):
    _inject(monkeypatch, ("info",), RuntimeError("boom"))
    result = _run("--debug", "info")
    assert isinstance(result.exception, RuntimeError) and str(result.exception) == "boom"


def test_click_usage_errors_stay_click_s():
    result = _run("area", "--format", "yaml")
    assert result.exit_code == 2
    assert "Usage: " in result.stderr and "'yaml' is not one of" in result.stderr


def test_interrupted_after_a_write_says_what_was_written(tmp_path, monkeypatch):
    target = tmp_path / "written.txt"

    def write_then_interrupt(**kwargs):
        with atomic_path(target) as tmp:
            tmp.write_text("done", "utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(dict(_leaves(cli))[("info",)], "callback", write_then_interrupt)
    result = _run("info")
    assert (result.exit_code, result.stderr) == (130, f"parkgis: 已中断；中断前已写入: {target}\n")
    result = _run("--lang", "en", "info")
    assert result.stderr == f"parkgis: interrupted; already written: {target}\n"


# --------------------------------------------------------------------------- subprocesses


def _python(code: str, *args: str) -> subprocess.Popen:
    """Run ``python -c CODE ARGS`` with this checkout importable; stdout and stderr piped."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-c", code, *args]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def test_a_store_url_without_psycopg_says_what_to_install():
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from parkgis.cli import main; sys.argv = ['parkgis', *sys.argv[1:]]; main()"
    )
    install = "pip install 'parkgis[postgis]' (psycopg 3)"
    for args, message in [
        (["area", "postgresql://u@127.0.0.1:1/db?park=x"],
         f"parkgis: 错误: 使用 PostgreSQL 存储需要 psycopg, 但尚未安装: {install}\n"),
        (["--lang", "en", "db", "list", "--store", "postgresql://u@127.0.0.1:1/db"],
         f"parkgis: error: a PostgreSQL store needs psycopg, which is not installed: {install}\n"),
    ]:  # fmt: skip
        _, err = _python(code, *args).communicate(timeout=120)
        assert err.decode() == message


PARCELS = 6_000
# The child says when parkgis is loaded, then runs `parkgis import` as the console script
# would; Ctrl-C while Python itself loads the package is not parkgis's to catch.
CHILD = (
    "import sys, parkgis.cli\n"
    "sys.stderr.write('ready\\n'); sys.stderr.flush()\n"
    "sys.argv = ['parkgis', *sys.argv[1:]]; parkgis.cli.main()"
)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    """PARCELS 50 m squares in EPSG:4544: an import of a few seconds."""
    x, y = 500_000.0, 3_577_000.0
    corners = [(x + (i % 100) * 60, y + (i // 100) * 60) for i in range(PARCELS)]
    frame = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(PARCELS)], "acquisition_status": "已征收"},
        geometry=[box(cx, cy, cx + 50, cy + 50) for cx, cy in corners],
        crs="EPSG:4544",
    )
    path = tmp_path_factory.mktemp("big") / "big.gpkg"
    frame.to_file(path, engine="pyogrio")
    return path


def _import(source: Path, out: Path, delay: float | None) -> tuple[int, list[str], float]:
    """Run `parkgis import SOURCE -o OUT`; send SIGINT ``delay`` s after parkgis is loaded.

    Returns the exit status, the lines of standard error after "ready", and the time
    taken from "ready" on.
    """
    child = _python(CHILD, "import", str(source), "-o", str(out))
    assert child.stderr.readline() == b"ready\n"
    start = time.perf_counter()
    if delay is not None:
        time.sleep(delay)
        child.send_signal(signal.SIGINT)
    with child.stderr:
        err = child.stderr.read()  # the same buffered reader as readline: nothing lost
    child.wait(timeout=300)
    return child.returncode, err.decode().splitlines(), time.perf_counter() - start


def test_ctrl_c_during_import_leaves_no_half_written_park(big_file, tmp_path):
    # Uninterrupted: a complete park, into folders that did not exist.
    code, err, took = _import(big_file, tmp_path / "full" / "new" / "park.gpkg", None)
    assert (code, err) == (0, [])
    assert len(read_park(tmp_path / "full" / "new" / "park.gpkg").parcels) == PARCELS
    outcomes = set()
    for i, share in enumerate([0.0, 0.2, 0.4, 0.6, 0.8, 0.95]):  # of the time it takes
        run = tmp_path / f"run{i}"
        run.mkdir()
        out = run / "new" / "park.gpkg"
        code, err, _ = _import(big_file, out, 0.05 + took * share)
        assert not any("Traceback" in line for line in err), err
        if code == 0 or (code == -signal.SIGINT and err == []):
            # Finished before the signal came, or while Python was exiting (when it
            # restores the default SIGINT action): the park is complete.
            outcomes.add("finished")
            assert len(read_park(out).parcels) == PARCELS
            continue
        assert code == 130, (i, share, err)
        assert len(err) == 1, err
        if err == ["parkgis: 已中断，未写入任何内容"]:
            outcomes.add("nothing")
            assert list(run.iterdir()) == []  # not the park, not its parents, no leftovers
        else:
            outcomes.add("written")
            assert err == [f"parkgis: 已中断；中断前已写入: {out}"]
            assert len(read_park(out).parcels) == PARCELS
            assert [p.name for p in out.parent.iterdir()] == ["park.gpkg"]
    assert "nothing" in outcomes  # at least one signal came in the middle of the import
