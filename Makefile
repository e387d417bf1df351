# khomun: `make run` serves the bot on the bundled catalog; `make test` checks everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYTHAINLP_OFFLINE := 1
export PYTHAINLP_READ_ONLY := 1
export KHOMUN_DATA_DIR ?= var

.PHONY: run test lint fmt typecheck bench soak multi eval fit quality browser-deps postgres-deps clean

$(BIN)/khomun: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/khomun

run: $(BIN)/khomun
	test -f $(KHOMUN_DATA_DIR)/index.sqlite || $(BIN)/khomun index build
	$(BIN)/khomun serve --host 0.0.0.0 --port $${PORT:-8000}

# Debian's chromium and a Thai font for the browser tests (skipped when chromium is absent).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-thai-tlwg >/dev/null; \
	fi

# Debian's PostgreSQL and haproxy for the state tests on both backends and the two-instance tests
# (skipped when they are absent).
postgres-deps:
	@if { ! ls /usr/lib/postgresql/*/bin/initdb || ! [ -x /usr/sbin/haproxy ]; } >/dev/null 2>&1 \
		&& [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql haproxy >/dev/null; \
	fi

# ruff, and the layering (bot > intents > index > state, pyproject's [tool.importlinter])
lint: $(BIN)/khomun
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt: $(BIN)/khomun
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(BIN)/khomun
	$(BIN)/mypy

test: $(BIN)/khomun lint typecheck
	$(BIN)/python -m pytest

# Search quality: the judged development set, our extra set, and the four sets written blind.
eval: $(BIN)/khomun
	@for set in dev extra blind holdout unseen phrased needs final d e f g h i j k l m n o p q r s chatd chate chatf chatg chath chati chatj chatk chatl chatm chatn chato chatp; do echo "== $$set"; \
		$(BIN)/khomun eval tests/data/$$set-queries.jsonl --catalog index/data/datagoth.jsonl.gz || exit 1; done

# Speed figures for docs/benchmarks.md: search (bundled and 50k catalogs), then webhooks under load on
# SQLite and PostgreSQL alternately (a throwaway cluster), then two instances behind haproxy.
bench: $(BIN)/khomun
	$(BIN)/python bench/search_bench.py --sizes 1237,50000 --out docs/bench-search.json
	$(BIN)/python bench/webhook_load.py --seconds 10 --workers 2 --backends sqlite,postgresql --rounds 3
	$(MAKE) multi

# The answer model (index/data/answer_model.json) and the small-talk model (intents/data/chat_model.json),
# refitted on every judged set; print out-of-fold and held-out-set figures.
fit: $(BIN)/khomun
	$(BIN)/python bench/fit_answer.py tests/data/{dev,extra,blind,holdout,unseen,phrased,needs,final,d,e,f,g,h,i,j,k,l,m,n,o,p,q}-queries.jsonl --write
	$(BIN)/python bench/fit_chat.py tests/data/{dev,extra,blind,holdout,unseen,phrased,needs,final,d,e,f,g,h,i,j,k,l,m,n,o,p,q,chatd,chate,chatf,chatg,chath,chati,chatj,chatk,chatl,chatm,chatn,chato,chatp}-queries.jsonl --write

# Quality per kind beside a never-abstaining BM25 baseline (docs/quality.md).
quality: $(BIN)/khomun
	$(BIN)/python bench/quality.py tests/data/{dev,extra,blind,holdout,unseen,phrased,needs,final,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,chatd,chate,chatf,chatg,chath,chati,chatj,chatk,chatl,chatm,chatn,chato,chatp}-queries.jsonl --out docs/quality.md

# Chaos on loopback (~100 s): mixed load at concurrency 50, malformed bodies, API faults, kill -9
# and restart midway; fails when an acknowledged message is lost or duplicated, on a 5xx or a traceback.
soak: $(BIN)/khomun
	$(BIN)/python bench/soak.py

# Two instances on one PostgreSQL behind haproxy (~60 s): the shared-state tests, then 1,000 messages
# at concurrency 20 through the balancer with a kill -9 of one instance midway and its restart.
multi: $(BIN)/khomun postgres-deps
	KHOMUN_SLOW_TESTS=1 $(BIN)/python -m pytest -q -s tests/test_multi_instance.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
