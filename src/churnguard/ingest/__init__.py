"""Ingest: read users' files and queries, map their headers, parse and validate every value."""

from churnguard.ingest.checks import MAX_ERRORS_SHOWN, Validated, validate
from churnguard.ingest.mapping import SYNONYMS, read_mapping_file, resolve_mapping
from churnguard.ingest.readers import RawData, detect_encoding, from_arrow, read_file, read_query

__all__ = [
    "MAX_ERRORS_SHOWN",
    "SYNONYMS",
    "RawData",
    "Validated",
    "detect_encoding",
    "from_arrow",
    "read_file",
    "read_mapping_file",
    "read_query",
    "resolve_mapping",
    "validate",
]
