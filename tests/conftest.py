"""Shared fixtures: one index of the bundled catalog per test session (building takes seconds)."""

from __future__ import annotations

import os
import shutil

os.environ["PYTHAINLP_OFFLINE"] = "1"
os.environ["PYTHAINLP_READ_ONLY"] = "1"

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings
from index.build import build_index
from index.catalog import bundled_catalog_path, load_jsonl
from index.search import SearchEngine
from intents import Conversation
from tests.pg_cluster import Cluster, start_cluster

DATA = Path(__file__).parent / "data"


# -- the web service on a copy of the session's index, once per test module (a module that needs
# -- other settings defines its own `settings`, `app` or `client`)
@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, index_path: Path) -> Settings:
    data = tmp_path_factory.mktemp("data")
    shutil.copy(index_path, data / "index.sqlite")
    return Settings(data_dir=data, secret_key="test-secret")


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[Starlette]:
    app = create_app(settings)
    yield app
    app.state.services.close()


@pytest.fixture(scope="module")
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between two tries of a platform API call (bot.retry), recorded, not spent."""
    from bot import retry

    spent: list[float] = []

    async def pause(seconds: float) -> None:
        spent.append(seconds)

    monkeypatch.setattr(retry, "pause", pause)
    return spent


@pytest.fixture(scope="session")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled catalog, indexed once. Read-only: copy it before changing anything."""
    path = tmp_path_factory.mktemp("index") / "index.sqlite"
    build_index(load_jsonl(bundled_catalog_path()), path, source="bundled")
    return path


@pytest.fixture(scope="session")
def engine(index_path: Path) -> SearchEngine:
    return SearchEngine(index_path)


@pytest.fixture()
def conversation(engine: SearchEngine) -> Conversation:
    return Conversation(engine)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/data/*.tsv golden files from the current output",
    )


@pytest.fixture()
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs in its own folder, so the default data dir (./var) is never shared between
    tests or written into the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster (tests/pg_cluster.py); skips when PostgreSQL is absent."""
    try:
        with start_cluster() as cluster:
            yield cluster
    except LookupError as err:
        if os.environ.get("KHOMUN_REQUIRE_POSTGRES"):  # CI: a skip would hide a missing install
            pytest.fail(str(err))
        pytest.skip(str(err))


@pytest.fixture(params=["sqlite", "postgresql"])
def state_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """Where a test's state database lives, once per backend: a SQLite file, then a fresh schema
    on the test PostgreSQL cluster."""
    if request.param == "sqlite":
        yield tmp_path / "state.sqlite"
        return
    cluster: Cluster = request.getfixturevalue("postgres")
    url = cluster.database_url()
    try:
        yield url
    finally:
        cluster.drop(url)
