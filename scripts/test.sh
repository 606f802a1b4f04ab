#!/usr/bin/env bash
# Install what the test suite needs (Debian packages and Python packages), then run it.
# Used by README's second command and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# postgresql-postgis pulls the PostGIS extension for the distribution's PostgreSQL
# (postgresql-15-postgis-3 on Debian 12); tests/conftest.py starts a server of its own.
# python3-qgis (QGIS 3.22, for Debian's /usr/bin/python3) opens a park's GeoPackage in
# tests/test_qgis_style.py; it installs in ~45 s (measured, --no-install-recommends).
# libpango-1.0-0, libpangoft2-1.0-0 and libharfbuzz-subset0 are what WeasyPrint (the pdf
# extra) loads to write PDF briefings (tests/test_brief_pdf.py).
debs=(chromium chromium-driver fonts-noto-cjk poppler-utils postgresql postgis postgresql-postgis
      python3-qgis libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
missing=()
for deb in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || missing+=("$deb")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python -m pip install --quiet --disable-pip-version-check -e '.[test]'
python -m pytest "$@"
