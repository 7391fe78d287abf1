# Thin wrapper over CMake; the build itself is described in CMakeLists.txt.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 20
JOBS       ?= 2

.PHONY: all deps build build-asan build-fuzz run test fuzz bench format clean

all: build

deps:
	bash scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

build-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DSLATE_SANITIZE=ON
	cmake --build $(BUILD_ASAN) -j$(JOBS)

# The libFuzzer targets (tests/fuzz), built with clang.
build-fuzz: deps
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=Debug -DSLATE_FUZZ=ON \
		-DFUZZ_SECONDS=$(FUZZ_SECONDS)
	cmake --build $(BUILD_FUZZ) -j$(JOBS)

run: build
	exec ./$(BUILD)/core/slated --config config/slate.json

test: build build-asan build-fuzz
	ctest --test-dir $(BUILD) --output-on-failure
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir $(BUILD_ASAN) --output-on-failure
	ctest --test-dir $(BUILD_FUZZ) --output-on-failure

# Each fuzz target for 10 minutes (FUZZ_SECONDS=... to change).
fuzz: FUZZ_SECONDS = 600
fuzz: build-fuzz
	ctest --test-dir $(BUILD_FUZZ) --output-on-failure

bench: build
	bash bench/run.sh
	bash bench/upload.sh
	bash bench/jobs.sh
	bash bench/hash.sh
	bash bench/thumbnails.sh
	bash bench/ingest.sh

format:
	find core sdk plugins tests -name '*.[ch]' -print0 | xargs -0 -r clang-format -i

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
