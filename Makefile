# Two commands on a fresh Debian 12 machine:
#   make run    installs what is missing, builds, starts the node (127.0.0.1:3000)
#   make test   installs what is missing, builds, runs every test
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_FLAGS ?=
ARGS ?=
CTEST_ARGS ?=
JOBS ?= $(shell nproc)

.PHONY: deps build run test test-asan bench bench-compare clean fuzz package

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) > $(BUILD).cmake.log || (cat $(BUILD).cmake.log; exit 1)
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/apps/hearth serve $(ARGS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j 2 --timeout 300 $(CTEST_ARGS)

# The suite under ASan/UBSan, but for the slowest end-to-end suites (label
# release_only: they run in `make test`) and the benchmarks, so CI fits its time.
# The Debian package (build/hearth_VERSION_ARCH.deb): binary, systemd unit,
# sample config, the hearth user and /var/lib/hearth.
package: build
	cd $(BUILD) && cpack -G DEB

test-asan:
	$(MAKE) test BUILD=build-asan BUILD_TYPE=Debug CMAKE_FLAGS="-DHEARTH_SANITIZE=ON -DHEARTH_BENCHMARKS=OFF" \
	  CTEST_ARGS="-LE release_only"

# Every benchmark beside its peer, then one table (benchmarks/report.py) also
# written as benchmarks/results/latest.json. BENCH_QUICK=1: short runs (CI
# checks they still work), their table kept in the build dir instead.
BENCH_RESULTS = $(if $(filter 1,$(BENCH_QUICK)),$(BUILD)/bench-quick,benchmarks/results)
bench: export HEARTH_BENCH_ROWS = $(abspath $(BUILD))/bench-rows.jsonl
bench: build
	@bash scripts/install-deps.sh bench
	@rm -f $(HEARTH_BENCH_ROWS)
	$(BUILD)/benchmarks/hearth_bench
	bash benchmarks/cgi_throughput.sh $(BUILD)
	bash benchmarks/load_rss.sh $(BUILD)
	node benchmarks/couch_latency.mjs $(BUILD)/apps/hearth
	$(BUILD)/benchmarks/market_bench $(BUILD)/apps/hearth
	$(BUILD)/benchmarks/cluster_bench $(BUILD)/apps/hearth $(BUILD)/benchmarks/hello_cgi
	$(BUILD)/benchmarks/scale_bench $(BUILD)/apps/hearth
	HEARTH_BIN=$(BUILD)/apps/hearth node benchmarks/settle_bench.mjs
	@python3 benchmarks/report.py table $(HEARTH_BENCH_ROWS) $(BENCH_RESULTS)

# The latest run beside the one before it.
bench-compare:
	@python3 benchmarks/report.py compare $(BENCH_RESULTS)

# libFuzzer targets (clang) over the parsers strangers reach; FUZZ_SECONDS each.
fuzz:
	@bash scripts/install-deps.sh fuzz
	bash scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

clean:
	rm -rf build build-asan build-fuzz build.cmake.log build-asan.cmake.log build-fuzz.cmake.log
