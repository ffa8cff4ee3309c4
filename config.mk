# baton build configuration. Override on the command line: make PREFIX=/usr CC=clang
VERSION    = 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share/baton
DESTDIR   ?=

CC        ?= cc
AR        ?= ar
PKG_CONFIG ?= pkg-config

# Libraries every program links, found through pkg-config; PKGS_DLOPEN only
# for their headers (the console dlopen()s libnotify when it is used).
PKGS       = ncursesw libwebsockets jansson sqlite3
PKGS_DLOPEN = libnotify

# Debian 12 packages the build, the tests and the demo need (make deps).
DEB_BUILD  = build-essential pkg-config libncurses-dev libwebsockets-dev libjansson-dev \
             libnotify-dev libsqlite3-dev
DEB_TEST   = tmux curl python3 python3-websockets clang libclang-rt-14-dev man-db groff-base \
             sqlite3 procps poppler-utils zbar-tools jq openssl
DEB_PKGS   = $(DEB_BUILD) $(DEB_TEST)
# The peers the benchmarks compare against (make bench installs them too).
# node and npm only when missing: a node from elsewhere bundles its own npm,
# which Debian's npm package conflicts with.
DEB_BENCH  = weechat-curses weechat-headless util-linux \
             $(if $(shell command -v node),,nodejs) $(if $(shell command -v npm),,npm)

WARN       = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wwrite-strings -Wformat=2 -Werror
OPT       ?= -O2 -g
CPPFLAGS  += -Iinclude -D_GNU_SOURCE -DBATON_VERSION='"$(VERSION)"' \
             -DBATON_DATADIR='"$(DATADIR)"'
CFLAGS    += -std=c11 $(WARN) $(OPT)
