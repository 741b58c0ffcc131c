# tells -- the two commands of the README, and a few more.
#   make demo    install what is missing, build, investigate the demo case
#   make check   build with ASan+UBSan (gcc) and warning-free with clang,
#                then run every test; ends with "N passed, N failed"
BUILD       ?= build
CHECK_BUILD ?= build-check
CLANG_BUILD ?= build-clang
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
MAKEFLAGS   += --no-print-directory

.PHONY: all deps build demo check bench fuzz clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_RULE_MESSAGES=OFF >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	@sh demo/run.sh $(BUILD)

check: deps
	@cmake -S . -B $(CHECK_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTELLS_SANITIZE=ON -DTELLS_WERROR=ON -DCMAKE_RULE_MESSAGES=OFF >/dev/null
	@cmake --build $(CHECK_BUILD) -j$(JOBS)
	@CC=clang cmake -S . -B $(CLANG_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTELLS_WERROR=ON >/dev/null
	@cmake --build $(CLANG_BUILD) -j$(JOBS) >/dev/null
	@sh tests/run.sh $(CHECK_BUILD)

bench: build
	@sh bench/bench_intake.sh $(BUILD)

fuzz: deps
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTELLS_FUZZ=ON -DTELLS_SANITIZE=ON >/dev/null
	@cmake --build build-fuzz -j$(JOBS)

clean:
	rm -rf $(BUILD) $(CHECK_BUILD) $(CLANG_BUILD) build-fuzz demo-case
