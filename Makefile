# Two commands on a fresh machine with Python 3 and make:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lint unit bench setup clean services

$(STAMP): pyproject.toml setup.py conformance/codec/native/_uper.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## demo: the csae53-2020 RSU profile against the built-in reference RSU over loopback UDP; run folder under reports/
demo: $(STAMP)
	$(BIN)/v2xc run --profile csae53-2020-rsu --target sim://rsu --out reports/demo-$$(date -u +%Y%m%dT%H%M%SZ)

## test: lint, type-check and run the test suite
test: lint unit

lint: $(STAMP)
	$(BIN)/ruff check conformance tests benchmarks
	$(BIN)/mypy

## what the tests need from Debian: a real MQTT broker (mosquitto, started by the tests on a free loopback port),
## headless Chromium for the HTML report test, and a CJK font so Chinese text renders in its screenshot
services:
	@command -v mosquitto >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 \
	  && [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq mosquitto chromium fonts-wqy-microhei >/dev/null; }

## unit: the whole suite; every registered check must be shown passing and failing, and no test may be skipped
## (tools are installed by `services`; only the field captures of the development workspace stay optional)
unit: $(STAMP) services
	V2XC_CHECK_COVERAGE=1 V2XC_STRICT_SKIPS=1 $(BIN)/python -m pytest -q --durations=15

## test-fast: lint and the tests without real-time observation windows (marker `live`); not a substitute for `make test`
test-fast: lint $(STAMP)
	$(BIN)/python -m pytest -q -m "not live"

## bench: codec throughput benchmark (see benchmarks/README.md)
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_codec.py
	$(BIN)/python benchmarks/bench_vectors.py --count 300
	$(BIN)/python benchmarks/bench_engine.py --frames 5000 --rate-seconds 10

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
