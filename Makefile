# A thin wrapper around meson for the README's two commands:
#   make run    installs what is missing, builds, starts the app
#   make test   the same set-up, then the whole test suite, the net/
#               tests again under ASan/UBSan, and each fuzzer for 20 s
BUILDDIR      ?= _build
ASAN_BUILDDIR ?= _build-asan
FUZZ_BUILDDIR ?= _build-fuzz
FUZZ_SECONDS  ?= 300
FUZZERS       := protocol link server
MESON_ARGS    ?=

.PHONY: all deps build run test test-asan fuzz test-fuzz bench clean

all: build

deps:
	@build-aux/install-deps.sh

$(BUILDDIR)/build.ninja:
	meson setup $(BUILDDIR) $(MESON_ARGS)

build: deps $(BUILDDIR)/build.ninja
	meson compile -C $(BUILDDIR)

run: build
	$(BUILDDIR)/ui/lattice

test: build
	@status=0; \
	meson test -C $(BUILDDIR) --print-errorlogs || status=1; \
	$(MAKE) --no-print-directory test-asan || status=1; \
	$(MAKE) --no-print-directory test-fuzz || status=1; \
	exit $$status

$(ASAN_BUILDDIR)/build.ninja:
	meson setup $(ASAN_BUILDDIR) -Dnet-only=true \
	  -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

test-asan: deps $(ASAN_BUILDDIR)/build.ninja
	meson compile -C $(ASAN_BUILDDIR)
	meson test -C $(ASAN_BUILDDIR) --print-errorlogs

# libFuzzer harnesses of tests/fuzz/, FUZZ_SECONDS each, under ASan and
# UBSan; new inputs go to $(FUZZ_BUILDDIR)/corpus/, crashes to
# $(FUZZ_BUILDDIR)/artifacts/ (copy each into tests/fuzz/corpus/ once fixed).
$(FUZZ_BUILDDIR)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILDDIR) -Dnet-only=true -Dfuzzing=true \
	  -Db_sanitize=address,undefined -Db_lundef=false

fuzz: deps $(FUZZ_BUILDDIR)/build.ninja
	meson compile -C $(FUZZ_BUILDDIR) $(addprefix tests/fuzz/fuzz-,$(FUZZERS))
	@status=0; \
	for h in $(FUZZERS); do \
	  dict=tests/fuzz/json.dict; [ $$h = link ] && dict=tests/fuzz/link.dict; \
	  mkdir -p $(FUZZ_BUILDDIR)/corpus/$$h $(FUZZ_BUILDDIR)/artifacts/$$h; \
	  log=$(FUZZ_BUILDDIR)/fuzz-$$h.log; \
	  G_SLICE=always-malloc G_DEBUG=fatal-criticals \
	  ASAN_OPTIONS=detect_leaks=1:leak_check_at_exit=0:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(FUZZ_BUILDDIR)/tests/fuzz/fuzz-$$h -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=10 -rss_limit_mb=2048 -dict=$$dict \
	    -artifact_prefix=$(FUZZ_BUILDDIR)/artifacts/$$h/ \
	    $(FUZZ_BUILDDIR)/corpus/$$h tests/fuzz/corpus/$$h >$$log 2>&1; \
	  if [ $$? -eq 0 ]; then \
	    echo "fuzz-$$h: ok, $$(grep -o 'DONE.*' $$log | sed 's/ *lim:.*//')"; \
	  else \
	    tail -n 40 $$log; echo "fuzz-$$h: FAILED (log: $$log)"; status=1; \
	  fi; \
	done; \
	exit $$status

test-fuzz:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20

# The benchmarks (docs/BENCHMARKS.md): real lattice-peer processes on
# 127.0.0.1, about 10 minutes; figures go to bench/results/latest.json.
bench: build
	meson compile -C $(BUILDDIR) bench

clean:
	rm -rf $(BUILDDIR) $(ASAN_BUILDDIR) $(FUZZ_BUILDDIR)
