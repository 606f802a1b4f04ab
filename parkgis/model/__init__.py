"""The data model: vocabularies, table schemas and the park value."""

from parkgis.model.park import Manifest, Park
from parkgis.model.schema import TABLES
from parkgis.model.vocab import VOCABULARIES

__all__ = ["TABLES", "VOCABULARIES", "Manifest", "Park"]
