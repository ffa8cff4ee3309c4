# baton: terminal console for support agents (baton) and its hub (batond).
#
#   make            build build/baton, build/batond and the tests
#   make check      install missing packages (as root), build, run the whole suite
#   make check-asan the same suite built with clang -fsanitize=address,undefined
#   make fuzz       libFuzzer targets in build-fuzz/ (see README for a run)
#   make bench      build and run the benchmarks in bench/
#   make demo       batond --demo on loopback and the console against it
#
# Objects go to $(BUILD) (default build/), so several flavours coexist.
include config.mk

BUILD     ?= build
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) $(PKGS_DLOPEN) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
LDLIBS    += -Wl,--as-needed $(PKG_LIBS) -lm -lpthread

LIB_SRC     := $(wildcard src/common/*.c src/proto/*.c src/text/*.c)
CONSOLE_SRC := $(filter-out src/console/main.c,$(wildcard src/console/*.c src/console/ui/*.c))
HUB_SRC     := $(filter-out src/hub/main.c,$(wildcard src/hub/*.c))
TEST_SRC    := $(wildcard tests/unit/test-*.c)
BENCH_SRC   := $(wildcard bench/*.c)
PEER_SRC    := $(wildcard bench/peers/*.c)

LIB_OBJ     := $(LIB_SRC:%.c=$(BUILD)/%.o)
CONSOLE_OBJ := $(CONSOLE_SRC:%.c=$(BUILD)/%.o)
HUB_OBJ     := $(HUB_SRC:%.c=$(BUILD)/%.o)
TESTS       := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCHES     := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
# Peers the benchmarks compare against (not benchmarks themselves).
PEERS       := $(PEER_SRC:bench/peers/%.c=$(BUILD)/bench/peers/%)
PROGS       := $(if $(wildcard src/console/main.c),$(BUILD)/baton) \
               $(if $(wildcard src/hub/main.c),$(BUILD)/batond)

LIBBATON    := $(BUILD)/libbaton.a
LIBCONSOLE  := $(BUILD)/libconsole.a
LIBHUB      := $(BUILD)/libhub.a

.PHONY: all check check-run check-asan fuzz bench demo deps deps-bench install uninstall clean
# Benchmarks and their peers are built too, so a change that breaks them
# fails `make check`; `make bench` runs them.
all: $(PROGS) $(TESTS) $(BENCHES) $(PEERS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# ar with no members still writes a valid empty archive.
$(LIBBATON): $(LIB_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^
$(LIBCONSOLE): $(CONSOLE_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^
$(LIBHUB): $(HUB_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/baton: $(BUILD)/src/console/main.o $(LIBCONSOLE) $(LIBBATON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/batond: $(BUILD)/src/hub/main.o $(LIBHUB) $(LIBBATON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Each unit test is its own program printing TAP; the archives give it
# whichever modules it uses.
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBCONSOLE) $(LIBHUB) $(LIBBATON)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIBCONSOLE) $(LIBHUB) $(LIBBATON)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

check: deps
	$(MAKE) check-run

check-run: all
	BUILD=$(BUILD) tests/run

# clang's sanitizers; a separate object tree so the normal build stays.
ASAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=undefined
check-asan: deps
	$(MAKE) BUILD=build-asan CC=clang OPT="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" check-run

# libFuzzer: libbaton instrumented, one binary per tests/fuzz/fuzz-*.c.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang OPT="$(FUZZ_CFLAGS)" build-fuzz/libbaton.a
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "clang ... -o build-fuzz/$$n"; \
	  clang $(CPPFLAGS) $(PKG_CFLAGS) -std=c11 $(WARN) -O1 -g -fsanitize=address,undefined,fuzzer \
	    -o build-fuzz/$$n $$f build-fuzz/libbaton.a $(LDLIBS) || exit 1; done

$(BUILD)/bench/peers/%: $(BUILD)/bench/peers/%.o $(LIBBATON)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench: deps-bench all
	BUILD=$(BUILD) bench/run

demo: deps all
	BUILD=$(BUILD) contrib/demo.sh

# Installs what is missing when root; otherwise prints the command to run.
deps-bench:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(DEB_PKGS) $(DEB_BENCH)"
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
	  echo "deps: missing packages; run:  sudo apt-get install -y $$missing"; exit 1; \
	fi

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/themes
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)/
	for m in man/*.[1-9]; do s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
	  install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	if ls themes/*.theme >/dev/null 2>&1; then install -m 644 themes/*.theme $(DESTDIR)$(DATADIR)/themes/; fi
	install -d $(DESTDIR)$(DATADIR)/macros
	install -m 644 contrib/macros/*.macro $(DESTDIR)$(DATADIR)/macros/
	install -m 755 contrib/macros/order-lookup $(DESTDIR)$(DATADIR)/macros/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/baton $(DESTDIR)$(BINDIR)/batond
	for m in man/*.[1-9]; do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$m); done
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
