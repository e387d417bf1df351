"""The catalog record: one CKAN dataset, cleaned, as every layer sees it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PORTAL_URL = "https://data.go.th"

#: Formats worth downloading first, best first; a format not listed ranks between the machine-
#: readable ones and PDF. "All resource data" ZIP bundles and documentation files come last.
FORMAT_PREFERENCE = ("CSV", "XLSX", "XLS", "JSON", "GEOJSON", "XML", "KML", "GML", "SHP", "RDF")
_LAST_FORMATS = ("PDF", "DOC", "DOCX", "PPT", "JPG", "IMAGE", "ZIP")
#: a file that describes the data instead of holding it: a data dictionary or metadata sheet
_DOCUMENTATION = re.compile(
    r"meta_?data|^metada|meta data|data ?dict|dictionary|พจนานุกรม|^คำอธิบาย|schema", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    format: str
    url: str

    @property
    def is_bundle(self) -> bool:
        """The portal's synthetic "All resource data" ZIP of every file."""
        return self.name.strip().lower() == "all resource data"

    @property
    def is_documentation(self) -> bool:
        """A data dictionary or metadata sheet (พจนานุกรมข้อมูล, metadata_....xlsx): about the
        data, not the data."""
        file_name = self.url.rsplit("/", 1)[-1]
        return bool(_DOCUMENTATION.search(self.name.strip()) or _DOCUMENTATION.search(file_name))

    @property
    def format_rank(self) -> int:
        """Where the format stands in FORMAT_PREFERENCE (lower is better)."""
        fmt = self.format.strip().upper()
        if fmt in FORMAT_PREFERENCE:
            return FORMAT_PREFERENCE.index(fmt)
        if fmt in _LAST_FORMATS:
            return len(FORMAT_PREFERENCE) + 1 + _LAST_FORMATS.index(fmt)
        return len(FORMAT_PREFERENCE)


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    title: str
    id: str = ""
    notes: str = ""
    tags: tuple[str, ...] = ()
    organization: str = ""
    groups: tuple[str, ...] = ()
    license: str = ""
    metadata_modified: str = ""
    resources: tuple[Resource, ...] = ()
    num_resources: int = 0
    formats: tuple[str, ...] = field(default=())

    @property
    def page_url(self) -> str:
        return f"{PORTAL_URL}/dataset/{self.name}"

    @property
    def best_resource(self) -> Resource | None:
        """The file a user most likely wants: the data in the most usable format (CSV, then
        XLSX/XLS, JSON, other machine-readable, PDF last); a data dictionary or the bundle only
        when there is nothing else. Ties keep the catalog's order."""
        if not self.resources:
            return None
        return min(self.resources, key=lambda r: (r.is_bundle, r.is_documentation, r.format_rank))
