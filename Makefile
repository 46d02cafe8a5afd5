# Prescient: `make run` and `make test` work on a fresh Debian machine (they install what is missing).
SWIFT ?= swift
LISTEN ?= 0.0.0.0:9201
ARGS ?=

.PHONY: deps build release run test bench bench-ingest bench-models bench-durability bench-write-memory clean proto fuzz fuzz-seeds

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product prescient

run: release
	.build/release/prescient serve --listen $(LISTEN) $(ARGS)

# Every test: unit tests, codec and store tests, and the end-to-end tests that start a real
# Prometheus against a live Prescient (swift-testing; they need the debug build's binary).
test: deps
	$(SWIFT) build --build-tests
	# The model tests are CPU-bound and the end-to-end tests wait on live servers, so they run
	# apart: on two cores, model fits sharing the run would starve the servers' handlers of
	# Swift's thread pool. Apart or together the two take the same time (~85 s + ~55 s).
	$(SWIFT) test --skip-build --filter ModelsTests
	$(SWIFT) test --skip-build --filter RemoteAdapterTests
	scripts/test-rules.sh
	python3 scripts/test-dashboards.py --self-test
	# Every dashboard query against `prescient serve --demo` and a real Prometheus (~8 min:
	# it waits for enough scraped history for the offset queries).
	python3 scripts/test-dashboards.py

bench: bench-ingest bench-models bench-write-memory

# Ingest against VictoriaMetrics on one core, and RSS per series.
bench-ingest: deps
	$(SWIFT) build -c release --product prescient
	scripts/bench-ingest.sh

# Models (ordo-one/package-benchmark): fit time on a 2,016-point window, update time per point, forecast time,
# and streaming replay of 4,032 points (points/s = 4,032 / its wall clock). About 2.5 minutes.
bench-models: deps
	Benchmarks/run-models.sh

# Peak RSS with 60 clients posting 30 MB bodies at once, limits.max_inflight_body_bytes at its
# default against off (about 20 s).
bench-write-memory: deps
	$(SWIFT) build -c release --product prescient
	scripts/bench-write-memory.sh

# Ingest with --data-dir (fsync always / 100ms) against in-memory, and recovery times.
bench-durability: deps
	$(SWIFT) build -c release --product prescient
	scripts/bench-durability.sh

# libFuzzer targets (Fuzz/) with AddressSanitizer and LeakSanitizer, FUZZ_RUNS executions each,
# one target after another; not part of `make test`. The full run: make fuzz FUZZ_RUNS=10000000
FUZZ_RUNS ?= 200000
fuzz: deps
	FUZZ_RUNS=$(FUZZ_RUNS) scripts/fuzz.sh

# Rewrites the committed seed corpus Fuzz/corpus/ from Tests/RemoteAdapterTests/FuzzSeedCorpus.swift.
fuzz-seeds: deps
	$(SWIFT) build --build-tests
	PRESCIENT_WRITE_FUZZ_SEEDS=1 $(SWIFT) test --skip-build --filter FuzzSeedCorpusTests

proto:
	scripts/generate-proto.sh

clean:
	rm -rf .build
