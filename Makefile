# pgqrs: the one entry point. PGXS builds and installs the extension; the other
# targets drive setup, the throwaway server, tests, clients, benchmarks and the demo.
#
# The extension is compiled in build/extension, a VPATH build of this same
# Makefile (PGQRS_EXTENSION_BUILD set): no pgqrs.so lands at the top level,
# where Python run from here would import it in place of the pgqrs package.

EXTENSION = pgqrs
PG_CONFIG ?= pg_config
EXT_BUILD_DIR = build/extension

ifdef PGQRS_EXTENSION_BUILD
# --- The extension (PGXS), run inside $(EXT_BUILD_DIR) -----------------------
src := $(dir $(firstword $(MAKEFILE_LIST)))
EXTVERSION = $(shell grep default_version $(src)$(EXTENSION).control | sed -E "s/.*'(.*)'/\1/")

# The library of this version, pgqrs-<version>.so, called by this version's SQL
# (module_pathname in the control file), and pgqrs.so, the name to preload,
# which loads it (loader/pgqrs.c).
MODULE_big = pgqrs-$(EXTVERSION)
OBJS = $(patsubst $(src)%.cpp,%.o,$(wildcard $(src)extension/*.cpp))
MODULES = loader/pgqrs
DATA = $(patsubst $(src)%,%,$(wildcard $(src)sql/$(EXTENSION)--*--*.sql))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql

PG_CPPFLAGS = -I$(src)extension -DPGQRS_VERSION=\"$(EXTVERSION)\"
PG_CXXFLAGS = -std=c++17 -Wno-register -Wno-missing-field-initializers -Werror=return-type
SHLIB_LINK = -lstdc++

# C++ sources are not compiled to LLVM bitcode (no clang needed, no JIT inlining).
override with_llvm = no
# Rebuild a .o when a header it includes changes.
override autodepend = yes

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS puts objects beside their sources' paths but makes no folders for them.
$(shell mkdir -p extension loader)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(src)sql/$(EXTENSION).sql
	mkdir -p sql && cp $< $@

# the version is compiled in (PGQRS_VERSION): a new one rebuilds every object
$(OBJS) loader/pgqrs.o: $(src)$(EXTENSION).control

else
# --- Everything else, from the top level -------------------------------------
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
EXT_MAKE = $(MAKE) --no-print-directory -C $(EXT_BUILD_DIR) -f $(CURDIR)/Makefile PGQRS_EXTENSION_BUILD=1

.DEFAULT_GOAL := build

# --- Project targets ----------------------------------------------------------
# setup        Debian packages and the Python venv (.venv); idempotent, fast when done
# build        compile the extension
# install-ext  install it into the PostgreSQL of $(PG_CONFIG)
# test         setup + build + install, then every suite on a throwaway server
# test-regress / test-isolation   one suite, against the server in PGQRS_DSN
# demo         the SQL quick start (scripts/demo.sql) on PGQRS_DSN or a throwaway server
# bench-sql    pgbench: pgqrs vs bare SQL on the same tables (BENCH_SECONDS per cell)
# bench        every scenario, layer and peer (bench/run.py), bench-quick a short run
# reliability  the short reliability suites, reliability-long the long ones
# wheel        the Python sdist and manylinux wheels for CPython 3.11-3.13 in dist/python
# deb          the Debian package postgresql-15-pgqrs_<version>_amd64.deb in dist/
# dist         the PGXN zip dist/pgqrs-<version>.zip, from git archive of HEAD
# test-packaging  the upgrade from 0.1.0, the wheels, the Debian package and the PGXN zip
#
# The targets that chain steps call $(MAKE) again for each one, so that a fresh
# machine (no pg_config yet, hence no PGXS above) gets through `setup` first.

.PHONY: setup check-pgxs build install-ext all install clean test test-regress test-isolation test-client test-python reliability reliability-long reliability-groups pressure-long demo bench bench-quick bench-sql wheel deb dist test-packaging test-upgrade

setup:
	scripts/setup.sh

# Without pg_config (before `make setup`) PGXS is empty and `all` would do nothing.
check-pgxs:
	@test -n "$(PGXS)" || { echo "$(PG_CONFIG) not found: run 'make setup' first" >&2; exit 1; }

build: check-pgxs
	mkdir -p $(EXT_BUILD_DIR)
	$(EXT_MAKE) all

install-ext: build
	$(EXT_MAKE) install

# `make && make install`, the usual way to install an extension, works too
all: build
install: install-ext
clean:
	rm -rf $(EXT_BUILD_DIR)

test:
	$(MAKE) setup
	$(MAKE) build
	$(MAKE) install-ext
	MAKE="$(MAKE)" scripts/test.sh

test-regress:
	scripts/regress.sh sql

test-isolation:
	scripts/regress.sh isolation

# The client suites, against the server in PGQRS_DSN (scripts/test.sh starts one).
test-client:
	cmake -S client -B build/client -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build/client
	PGQRS_TEST_DSN=$(PGQRS_DSN) ctest --test-dir build/client --output-on-failure

# .venv/bin/pytest, not python -m pytest: nothing from the working directory on sys.path.
test-python:
	.venv/bin/pip install --quiet ./python
	PGQRS_TEST_DSN=$(PGQRS_DSN) .venv/bin/pytest python/tests

# The reliability suites (tests/reliability): crash, delivery and pressure audits,
# fuzz, injection, client faults; each starts its own throwaway server. The
# short mode runs in `make test`; the long one is run by hand (docs/reliability.md).
reliability:
	PGQRS_RELIABILITY_MODE=short .venv/bin/pytest -rxX tests/reliability

reliability-long:
	PGQRS_RELIABILITY_MODE=long .venv/bin/pytest -s -rxX tests/reliability

# The group audit alone in its long mode: 100,000 messages over ordered groups.
reliability-groups:
	PGQRS_RELIABILITY_MODE=long .venv/bin/pytest -s -rxX tests/reliability/test_group_audit.py

# The pressure suite alone in its long mode: 15-minute pins, about 2 h 15 min.
pressure-long:
	PGQRS_RELIABILITY_MODE=long .venv/bin/pytest -s -rxX tests/reliability/test_pressure.py

# --- Packages -----------------------------------------------------------------
VERSION = $(shell sed -nE "s/^default_version = '(.*)'/\1/p" $(EXTENSION).control)
PGXN_META = $(shell command -v pgxn_meta || echo $(HOME)/.cargo/bin/pgxn_meta)

wheel:
	scripts/wheel.sh

deb:
	scripts/deb.sh

dist:
	mkdir -p dist
	git archive --format zip --prefix=$(EXTENSION)-$(VERSION)/ --output dist/$(EXTENSION)-$(VERSION).zip HEAD
	$(PGXN_META) META.json

# 0.1.0 -> this version in a private copy of the PostgreSQL of $(PG_CONFIG)
test-upgrade:
	PG_CONFIG=$(PG_CONFIG) tests/upgrade/run.sh

# Run by scripts/test.sh after `make install-ext`: the wheels' example needs
# the extension on the server; the Debian package goes into the system's
# PostgreSQL and is purged again (tests/packaging/deb.sh).
test-packaging:
	$(MAKE) test-upgrade
	$(MAKE) wheel
	tests/packaging/wheel.sh
	$(MAKE) deb
	tests/packaging/deb.sh
	$(MAKE) dist
	PG_CONFIG=$(PG_CONFIG) tests/packaging/dist.sh

# Benchmarks (bench/run.py): S1-S5 at the SQL, C++ and Python layers beside the
# limit, PgQ and pgqrs from PyPI, written to bench/results/ (REPORT.md, plots).
bench:
	$(MAKE) setup
	$(MAKE) install-ext
	.venv/bin/pip install --quiet ./python
	.venv/bin/python bench/run.py

bench-quick:
	$(MAKE) setup
	$(MAKE) install-ext
	.venv/bin/pip install --quiet ./python
	.venv/bin/python bench/run.py --quick

demo:
	$(MAKE) setup
	$(MAKE) build
	$(MAKE) install-ext
	scripts/demo.sh

bench-sql:
	$(MAKE) setup
	$(MAKE) build
	$(MAKE) install-ext
	bench/sql/run.sh

endif
