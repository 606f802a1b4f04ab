"""Dependencies earned: what ``pip install -e .`` pulls, and what parkgis's code reads.

The offline map's third-party files are package data of parkgis, the same
bytes folium-offline 0.20 embeds (``scripts/vendor_assets.py --check``);
no module reads a private attribute of folium; fiona and folium-offline are
no dependency of an install.
"""

import hashlib
import re
import sys
from importlib import resources
from pathlib import Path

import pytest

from parkgis.maps.assets import ASSETS, asset_text, notices

REPO = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _requirements() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    return [re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in project["dependencies"]]


def test_an_install_pulls_neither_fiona_nor_folium_offline():
    needed = _requirements()
    assert "fiona" not in needed and "folium-offline" not in needed
    assert "python-calamine" in needed and "pyogrio" in needed
    extras = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    assert any(r.startswith("fiona") for r in extras["optional-dependencies"]["fiona"])
    assert "fiona is not needed" in (REPO / "README.md").read_text("utf-8")


def test_no_code_reads_a_private_attribute_of_folium():
    private = re.compile(r"\b(offlinefolium|folium)(\.\w+)*\._\w+|import _res\b|\._template\b")
    hits = [
        f"{path.relative_to(REPO)}:{n}"
        for path in (REPO / "parkgis").rglob("*.py")
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if private.search(line) or "offlinefolium" in line
    ]
    assert hits == []


def test_vendored_files_are_package_data_listed_with_their_hashes():
    vendor = resources.files("parkgis.maps").joinpath("static", "vendor")
    sums = {}
    for line in vendor.joinpath("SHA256SUMS").read_text("utf-8").splitlines():
        digest, name, url = line.split("  ")
        sums[name] = (digest, url)
    assert set(sums) == {a.name for a in ASSETS}
    for asset in ASSETS:
        data = vendor.joinpath(asset.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sums[asset.name][0]
        assert sums[asset.name][1] == asset.url
        assert asset.version in asset.url
        assert f"{asset.project} {asset.version}" in notices()
    assert "parkgis/maps/static/vendor" in notices()
    assert asset_text("leaflet.js").startswith("/* @preserve")


def test_vendored_files_are_those_of_folium_offline_where_installed():
    """Where the bench extra brought folium-offline in, the files are byte for byte its own."""
    pytest.importorskip("offlinefolium", reason="folium-offline is only in the bench extra")
    import subprocess

    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "vendor_assets.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
