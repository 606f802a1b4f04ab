"""The core imports no shell library: files, browsers and documents stay in the shell."""

import subprocess
import sys

CORE = [
    "parkgis",
    "parkgis.errors",
    "parkgis.measure.units",
    "parkgis.measure.area",
    "parkgis.measure.crs",
    "parkgis.model.vocab",
    "parkgis.model.schema",
    "parkgis.model.park",
    "parkgis.check.problems",
    "parkgis.model.history",
    "parkgis.model.reshape",
    "parkgis.land.allocation",
    "parkgis.land.buildable",
    "parkgis.land.constraints",
    "parkgis.land.enforce",
    "parkgis.land.gaps",
    "parkgis.land.reserve",
    "parkgis.land.tables",
    "parkgis.land.targets",
]
SHELL_ONLY = ["pyogrio", "fiona", "folium", "click", "docx", "rich", "openpyxl", "playwright"]


def test_core_imports_no_shell_library():
    code = (
        "import importlib, sys\n"
        f"for m in {CORE!r}: importlib.import_module(m)\n"
        f"print(','.join(m for m in {SHELL_ONLY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_module_declares_all():
    import importlib
    import pkgutil

    import parkgis

    missing = []
    for info in pkgutil.walk_packages(parkgis.__path__, "parkgis."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        if not hasattr(module, "__all__"):
            missing.append(info.name)
    assert missing == []
