# Glimpse: `make run` builds and serves on the embedded defaults; `make test` runs every suite.
# Both install what is missing on a fresh machine (Rust wasm target, cargo-leptos, wasm-bindgen,
# wasm-opt from npm for release, Debian's chromium, the end2end npm packages, the python clients).

SHELL := /bin/bash
# end2end/node_modules/.bin holds wasm-opt (binaryen 116 from npm) for release builds.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

CARGO_LEPTOS_VERSION := 0.3.10
WASM_BINDGEN_VERSION := 0.2.130
VENV                 := target/venv
# Glance's shipped namespace files (etc/glance/metadefs in its wheel), loaded unchanged by a test.
GLANCE_VERSION       := 33.0.0
GLANCE_METADEFS      := target/glance-metadefs
# cargo-leptos builds debug with this flag; using it for cargo test and clippy as well lets every
# debug build share one set of compiled dependencies.
export RUSTFLAGS     := --cfg erase_components
# The upload digests use OpenSSL's libcrypto (Debian's libssl-dev, installed by `tools`), linked
# statically so that the binary runs where no OpenSSL is installed. Expanded when a recipe runs,
# i.e. after `tools` has installed it.
export OPENSSL_STATIC      := 1
export OPENSSL_INCLUDE_DIR := /usr/include
export OPENSSL_LIB_DIR      = $(realpath $(dir $(shell gcc -print-file-name=libcrypto.a)))

## bench: transfer speed, peak RSS, memory under logins, and list latency on SQLite and on a
## throwaway PostgreSQL, on a release build (prints figures). The bench's server is built as
## `make run` builds it, component types erased (Cargo.toml's always-erase-components; the
## exported RUSTFLAGS says the same to cargo bench).
bench: tools tools-release s3s-fs chromium e2e-deps
	env -u RUSTFLAGS cargo leptos build --release --precompress --split
	.ci/with-postgres .ci/with-s3-signed cargo bench --features ssr --bench api
	.ci/bench-web

## bench-web: only a new user's first visit in chromium over a Fast-3G-like link (bytes on the
## wire cold and warm, time until hydrated), on a release build
bench-web: tools tools-release chromium e2e-deps
	env -u RUSTFLAGS cargo leptos build --release --precompress --split
	.ci/bench-web

## fuzz: the format-inspector fuzzer for longer runs (needs a nightly toolchain and cargo-fuzz;
## not part of make test, whose property tests make the same checks)
FUZZ_SECONDS ?= 600
fuzz:
	cd fuzz && env -u RUSTFLAGS cargo +nightly fuzz run inspect -- -max_total_time=$(FUZZ_SECONDS)

.PHONY: fuzz bench bench-web run test test-postgres tools tools-release chromium disk-tools e2e-deps venv glance-metadefs fmt-check lint test-rust test-s3 test-s3-signed s3s-fs test-e2e build-debug clean-data

## run: build release and serve at http://127.0.0.1:9292 (GLIMPSE_* settings are honoured)
run: tools tools-release
	env -u RUSTFLAGS cargo leptos build --release --precompress --split
	./target/release/glimpse serve

## test: formatting, clippy (server and wasm), unit + integration + real clients, end-to-end
test: tools venv glance-metadefs e2e-deps chromium disk-tools fmt-check lint test-rust test-postgres test-s3 test-e2e
	@echo "make test: every suite passed"

# cargo-leptos is built unoptimised (--debug): 4.5 minutes instead of 9.4 on 2 cores, and it only
# drives the build (its one slower step, the release build's brotli copies, takes 26 s, not 5).
tools:
	@dpkg -s libssl-dev pkg-config >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev pkg-config; }
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@cargo leptos --version 2>/dev/null | grep -qx "cargo-leptos $(CARGO_LEPTOS_VERSION)" || \
		env -u RUSTFLAGS cargo install cargo-leptos@$(CARGO_LEPTOS_VERSION) --locked --features no_downloads --debug
	@wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $(WASM_BINDGEN_VERSION)" || \
		env -u RUSTFLAGS cargo install wasm-bindgen-cli@$(WASM_BINDGEN_VERSION)

# wasm-opt is binaryen 116 from npm (end2end's package.json; binaryen compiled to wasm, installed in
# seconds where the wasm-opt crate compiles binaryen's C++ for ~17 minutes; the same binaryen
# release, so the same output). Debian's binaryen breaks hydration, so never use it.
tools-release: e2e-deps
	@wasm-opt --version | grep -q "version 116" || { echo "wasm-opt is not binaryen 116: $$(command -v wasm-opt)"; exit 1; }

chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# qemu-img and xorriso make the disk images the format-inspection tests upload.
disk-tools:
	@command -v qemu-img >/dev/null && command -v xorriso >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-utils xorriso; }

e2e-deps:
	cd end2end && npm ci --no-audit --no-fund --loglevel=error

venv: $(VENV)/.installed
$(VENV)/.installed: src/tests/clients-requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r src/tests/clients-requirements.txt
	touch $@

# The pinned glance wheel without its dependencies; only its etc/glance/metadefs/*.json are kept.
glance-metadefs: $(GLANCE_METADEFS)/.installed
$(GLANCE_METADEFS)/.installed: $(VENV)/.installed
	rm -rf $(GLANCE_METADEFS) target/glance-wheel
	$(VENV)/bin/pip download --quiet --disable-pip-version-check --no-deps glance==$(GLANCE_VERSION) -d target/glance-wheel
	$(VENV)/bin/python -c 'import glob, os, sys, zipfile; \
		out = sys.argv[1]; os.makedirs(out); z = zipfile.ZipFile(glob.glob("target/glance-wheel/*.whl")[0]); \
		[open(os.path.join(out, n.rsplit("/", 1)[1]), "wb").write(z.read(n)) for n in z.namelist() \
		 if "/etc/glance/metadefs/" in n and n.endswith(".json")]' $(GLANCE_METADEFS)
	touch $@

fmt-check:
	cargo fmt --check

lint:
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings

# .ci/with-rabbitmq starts a throwaway RabbitMQ (Debian's rabbitmq-server, installed when missing)
# for the notifications' AMQP test; it runs in the SQLite pass only.
test-rust: venv glance-metadefs disk-tools
	GLIMPSE_CLIENT_VENV=$(CURDIR)/$(VENV) .ci/with-rabbitmq .ci/with-s3 cargo test --features ssr

## test-s3: the integration suite again with every in-process app keeping image data in S3
## (moto's server, started by .ci/with-s3); the tests of spawned servers, which keep their data
## in files either way, run only in the other passes
test-s3: venv glance-metadefs disk-tools
	GLIMPSE_CLIENT_VENV=$(CURDIR)/$(VENV) GLIMPSE_TEST_STORE=s3 .ci/with-s3 cargo test --features ssr --test api -- \
		--skip load:: --skip nodes:: --skip interrupted:: --skip amqp::

## s3s-fs: a signature-checking S3 server from crates.io, built once (not part of make test)
s3s-fs:
	command -v s3s-fs >/dev/null || cargo install s3s-fs --version 0.14.1 --features binary --locked

## test-s3-signed: the S3 store against s3s-fs, which checks signatures (a wrong secret is refused)
test-s3-signed: s3s-fs
	.ci/with-s3-signed cargo test --features ssr --test api -- --ignored s3::signatures

## test-postgres: the integration suite (API, real clients, CLI, two nodes, repository
## contracts) again on a throwaway PostgreSQL 15 cluster (.ci/with-postgres starts and stops it)
test-postgres: venv glance-metadefs disk-tools
	GLIMPSE_CLIENT_VENV=$(CURDIR)/$(VENV) .ci/with-postgres .ci/with-s3 cargo test --features ssr --test api -- \
		--skip amqp::

# cargo-leptos adds --cfg erase_components itself; an inherited copy would change the flags and
# rebuild everything, so it runs without RUSTFLAGS.
build-debug: tools
	env -u RUSTFLAGS cargo leptos build --split

test-e2e: build-debug e2e-deps chromium disk-tools
	cd end2end && npx playwright test

clean-data:
	rm -rf data target/e2e-data
