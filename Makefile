# trunkguard front door. `make run` and `make test` work on a fresh Debian 12 machine.

JOBS        ?= 2
BUILD       ?= build
ASAN_BUILD  ?= build-asan
FUZZ_BUILD  ?= build-fuzz
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_SECONDS ?= 600
CMAKE_FLAGS ?=

# ccache keys on paths relative to the checkout, so a fresh clone reuses earlier builds.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps configure build gateway test unit integration integration-targets sanitize \
        fuzz-smoke run bench fuzz format format-check clean deb deb-test dashboard demo

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DTG_WERROR=ON $(CMAKE_FLAGS)

# Everything: the gateway, every test and benchmark.
build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The gateway binary alone: what `make run` needs on a fresh machine.
gateway: configure
	cmake --build $(BUILD) -j $(JOBS) --target trunkguard

# Everything a change must pass: the tree as clang-format writes it; the Release gateway against
# real peers (every integration test, the package, the SRTP allocation test); every unit,
# conformance and CLI test under ASan+UBSan, with the integration tests labelled `sanitize`;
# then every fuzz target for a bounded time. The unit tests are built and run once, under the
# sanitizers (`make unit` runs them in the Release build).
test: format-check integration sanitize fuzz-smoke
	@echo "make test: all stages passed"

# Unit, conformance and CLI tests (seconds).
unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE integration

# What the Release stage of `make test` runs needs: the gateway, its man page and the package's
# changelog (package.deb), and the SRTP tests (their allocation test cannot run under ASan).
integration-targets: configure
	cmake --build $(BUILD) -j $(JOBS) --target trunkguard manpage deb-changelog srtp_unit_tests

# The integration tests (minutes, serial), the package's tests and the Release-only unit tests.
integration: integration-targets
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L 'integration|package|release'

sanitize: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTG_SANITIZE=ON -DTG_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -LE 'integration|package'
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -L sanitize

$(FUZZ_BUILD)/build.ninja:
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTG_FUZZ=ON

fuzz-smoke: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS)

fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The committed dashboard bundle (dashboard/dist/) rebuilt from dashboard/src/ with the pinned
# npm packages; ctest's dashboard.bundle_is_fresh fails until this is run after a change.
dashboard:
	cd dashboard && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund && node build.mjs

# The gateway with the dashboard, a sipp PBX and provider making calls, and sipvicious scanning
# and guessing passwords on the public zone; prints the dashboard's URL and a one-time login.
demo: gateway
	python3 scripts/demo.py $(BUILD)/trunkguard

# The gateway on the example config (loopback ports); Ctrl-C stops it.
run: gateway
	$(BUILD)/trunkguard run --config config/trunkguard.example.yaml

bench: build
	@scripts/install-deps.sh --bench
	$(BUILD)/bench/sip_bench --benchmark_counters_tabular=true
	$(BUILD)/bench/guard_bench
	$(BUILD)/bench/policy_bench
	$(BUILD)/bench/srtp_bench
	$(BUILD)/bench/fraud_bench
	python3 bench/load/run_load.py --binary $(BUILD)/trunkguard
	python3 bench/load/run_load.py --binary $(BUILD)/trunkguard --policy-compare
	python3 bench/load/run_load.py --binary $(BUILD)/trunkguard --store-compare
	python3 bench/load/run_load.py --binary $(BUILD)/trunkguard --trunk-tls --rate 500
	python3 bench/load/run_dos.py --binary $(BUILD)/trunkguard --flood $(BUILD)/bench/tg_flood
	python3 bench/fraud/run_fraud.py --binary $(BUILD)/trunkguard
	python3 bench/media/run_media.py --build $(BUILD)

# The Debian package (cmake/package.cmake), in $(BUILD)/: trunkguard_<version>_<arch>.deb.
deb: configure
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=/usr
	cmake --build $(BUILD) -j $(JOBS) --target trunkguard manpage deb-changelog
	cd $(BUILD) && cpack -G DEB

# Builds the package, then inspects it (dpkg-deb, lintian) and installs it into a throwaway root
# (also part of `make unit` as the ctest package.deb).
deb-test: deb
	tests/package/deb_test.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

# The tree as clang-format (.clang-format) writes it; `make format` fixes what this reports.
format-check: deps
	clang-format --dry-run --Werror $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
