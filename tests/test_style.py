"""The code passes the project's linter (ruff, configured in pyproject.toml)."""

import subprocess
import sys

from tests.conftest import REPO


def test_ruff_check_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--output-format", "concise",
         "parkgis", "tests", "benchmarks", "scripts"],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
