"""The catalog record: one CKAN dataset, cleaned, as every layer sees it."""

from __future__ import annotations

from dataclasses import dataclass, field

PORTAL_URL = "https://data.go.th"

#: Formats worth downloading first, best first. "All resource data" ZIP bundles come last.
FORMAT_PREFERENCE = ("CSV", "XLSX", "XLS", "JSON", "GEOJSON", "XML", "KML", "SHP", "PDF", "DOCX", "ZIP")


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    format: str
    url: str

    @property
    def is_bundle(self) -> bool:
        """The portal's synthetic "All resource data" ZIP of every file."""
        return self.name.strip().lower() == "all resource data"


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
        """The file a user most likely wants: a real file in the most usable format, never the
        bundle unless it is all there is."""
        if not self.resources:
            return None

        def rank(r: Resource) -> tuple[int, int]:
            fmt = r.format.upper()
            pref = FORMAT_PREFERENCE.index(fmt) if fmt in FORMAT_PREFERENCE else len(FORMAT_PREFERENCE)
            return (1 if r.is_bundle else 0, pref)

        return min(self.resources, key=rank)
