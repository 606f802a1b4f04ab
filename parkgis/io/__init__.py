"""The shell: reading and writing parks and the files survey offices hand over."""

from parkgis.io.encoding import EncodingChoice, detect_shapefile_encoding, detect_text_encoding
from parkgis.io.ledger import LedgerRead, read_ledger
from parkgis.io.vector import BrokenFeature, LayerRead, read_layer

__all__ = [
    "BrokenFeature",
    "EncodingChoice",
    "LayerRead",
    "LedgerRead",
    "detect_shapefile_encoding",
    "detect_text_encoding",
    "read_layer",
    "read_ledger",
]
