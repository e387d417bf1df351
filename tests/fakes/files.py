"""A fake portal serving the messy data files Thai agencies publish, for previews.

Served on 127.0.0.1 and reached as ``http://localhost:<port>`` (tests allow "localhost" through
KHOMUN_FETCH_ALLOW_HOSTS, so a redirect to 127.0.0.1 itself is still refused):

- ``/dataset/temples/resource/<TEMPLES_ID>/download/temples.csv``: a cp874 (TIS-620) CSV with an
  ETag and Last-Modified, answering If-None-Match with 304;
- ``/dataset/budget/resource/<DATASTORE_ID>/download/budget.csv``: a resource the portal also holds
  in its DataStore (``/api/3/action/datastore_search``); any other resource id there is a 404;
- ``/files/population.xlsx``: Thai headers under a blank row and a merged title row;
- ``/files/broken.xlsx``: not a spreadsheet at all; ``/files/huge.csv``: 50 MB, streamed;
- ``/files/slow.csv``: answers after ``SLOW_SECONDS``;
- ``/redirect/loopback`` -> 127.0.0.1, ``/redirect/private`` -> 10.0.0.1 (never connected to).
"""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import openpyxl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.serve import serve_app

__all__ = ["DATASTORE_ID", "HUGE_BYTES", "SLOW_SECONDS", "TEMPLES_ID", "FakeFiles", "serve_fake_files"]

TEMPLES_ID = "0b7c7d0e-1111-4a2b-9c3d-5e6f70819203"
DATASTORE_ID = "5a1f2e3d-2222-4b5c-8d7e-0f1a2b3c4d5e"
HUGE_BYTES = 50 * 1024 * 1024
SLOW_SECONDS = 2.0
ETAG = '"temples-v1"'

TEMPLES_CSV = "ลำดับ,ชื่อวัด,อำเภอ,จังหวัด\r\n" + "".join(
    f"{i},วัดที่ {i},เมืองเชียงใหม่,เชียงใหม่\r\n" for i in range(1, 38)
)


def population_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append(["จำนวนประชากรจากการทะเบียน จำแนกตามเพศ ปี 2566"])
    sheet.merge_cells("A2:D2")
    sheet.append(["จังหวัด", "ชาย", "หญิง", "รวม"])
    for name, men, women in (
        ("กรุงเทพมหานคร", 2_619_000, 2_852_000),
        ("เชียงใหม่", 876_000, 921_000),
        ("ขอนแก่น", 887_000, 908_000),
        ("ภูเก็ต", 201_000, 219_000),
        ("สงขลา", 697_000, 740_000),
        ("นครราชสีมา", 1_299_000, 1_332_000),
    ):
        sheet.append([name, men, women, men + women])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class FakeFiles:
    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.full_bodies: Counter[str] = Counter()
        self.base = ""
        self.app = Starlette(
            routes=[
                Route("/dataset/temples/resource/{rid}/download/temples.csv", self.temples),
                Route("/dataset/budget/resource/{rid}/download/budget.csv", self.budget),
                Route("/api/3/action/datastore_search", self.datastore),
                Route("/files/population.xlsx", self.population),
                Route("/files/broken.xlsx", self.broken),
                Route("/files/huge.csv", self.huge),
                Route("/files/slow.csv", self.slow),
                Route("/redirect/loopback", self.to_loopback),
                Route("/redirect/private", self.to_private),
            ]
        )

    def url(self, path: str) -> str:
        return self.base + path

    async def temples(self, request: Request) -> Response:
        self.hits["temples"] += 1
        if request.headers.get("if-none-match") == ETAG:
            return Response(status_code=304, headers={"ETag": ETAG})
        self.full_bodies["temples"] += 1
        return Response(
            TEMPLES_CSV.encode("cp874"),
            media_type="text/csv",
            headers={"ETag": ETAG, "Last-Modified": "Tue, 01 Oct 2024 08:00:00 GMT"},
        )

    async def budget(self, request: Request) -> Response:
        self.hits["budget-file"] += 1
        return Response(b"this file is not read: the DataStore answers", media_type="text/csv")

    async def datastore(self, request: Request) -> Response:
        self.hits["datastore"] += 1
        if request.query_params.get("resource_id") != DATASTORE_ID:
            body = {"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}}
            return JSONResponse(body, 404)
        fields = [
            {"id": "_id", "type": "int"},
            {"id": "ปีงบประมาณ", "type": "text"},
            {"id": "งบประมาณ (ล้านบาท)", "type": "numeric"},
        ]
        records = [{"_id": i, "ปีงบประมาณ": str(2560 + i), "งบประมาณ (ล้านบาท)": 1000 + i} for i in range(1, 6)]
        return JSONResponse(
            {"success": True, "result": {"fields": fields, "records": records, "total": 1234}}
        )

    async def population(self, request: Request) -> Response:
        return Response(
            population_xlsx(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )

    async def broken(self, request: Request) -> Response:
        return Response(
            b"PK\x03\x04 this is not really a zip file at all", media_type="application/octet-stream"
        )

    async def huge(self, request: Request) -> Response:
        self.hits["huge"] += 1
        line = "2566,เชียงใหม่,ฝุ่น PM2.5,42\n".encode()
        header = "ปี,จังหวัด,ตัวชี้วัด,ค่า\n".encode()

        async def body() -> AsyncIterator[bytes]:
            sent = len(header)
            yield header
            chunk = line * (65536 // len(line))
            while sent < HUGE_BYTES:
                yield chunk
                await asyncio.sleep(0)  # lets Starlette notice the client hung up
                sent += len(chunk)
                self.hits["huge-bytes"] = sent

        return StreamingResponse(body(), media_type="text/csv")

    async def slow(self, request: Request) -> Response:
        await asyncio.sleep(SLOW_SECONDS)
        return PlainTextResponse("a,b\n1,2\n")

    async def to_loopback(self, request: Request) -> Response:
        port = self.base.rsplit(":", 1)[1]
        return RedirectResponse(f"http://127.0.0.1:{port}/files/population.xlsx", 302)

    async def to_private(self, request: Request) -> Response:
        return RedirectResponse("http://10.0.0.1/internal/secrets.csv", 302)


@contextmanager
def serve_fake_files() -> Iterator[FakeFiles]:
    fake = FakeFiles()
    with serve_app(fake.app) as url:
        fake.base = url.replace("127.0.0.1", "localhost")
        yield fake
