# A thin wrapper around meson for the README's two commands:
#   make run    installs what is missing, builds, starts the app
#   make test   the same set-up, then the whole test suite (and the
#               sanitizer build of net/)
BUILDDIR      ?= _build
ASAN_BUILDDIR ?= _build-asan
MESON_ARGS    ?=

.PHONY: all deps build run test test-main test-asan bench clean

all: build

deps:
	@build-aux/install-deps.sh

$(BUILDDIR)/build.ninja:
	meson setup $(BUILDDIR) $(MESON_ARGS)

build: deps $(BUILDDIR)/build.ninja
	meson compile -C $(BUILDDIR)

run: build
	@if [ -x $(BUILDDIR)/ui/lattice ]; then \
	  exec $(BUILDDIR)/ui/lattice; \
	else \
	  echo "The desktop app is not built yet; starting lattice-server on 127.0.0.1:8787."; \
	  echo "Join with: $(BUILDDIR)/app/lattice-peer http://127.0.0.1:8787/demo"; \
	  exec $(BUILDDIR)/app/lattice-server --host 127.0.0.1 --port 8787; \
	fi

test: build
	@status=0; \
	meson test -C $(BUILDDIR) --print-errorlogs || status=1; \
	$(MAKE) --no-print-directory test-asan || status=1; \
	exit $$status

$(ASAN_BUILDDIR)/build.ninja:
	meson setup $(ASAN_BUILDDIR) -Dnet-only=true \
	  -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

test-asan: deps $(ASAN_BUILDDIR)/build.ninja
	meson compile -C $(ASAN_BUILDDIR)
	meson test -C $(ASAN_BUILDDIR) --print-errorlogs

bench: build
	@echo "The benchmarks are not written yet (issue 6)."

clean:
	rm -rf $(BUILDDIR) $(ASAN_BUILDDIR)
