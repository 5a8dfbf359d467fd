# vfc build and test entry points.  `make test` is what CI runs (.ci/run).

SWIFT   ?= swift
PYTHON  ?= python3
LIT     ?= /usr/lib/llvm-19/build/utils/lit/lit.py
VFC     ?= .build/release/vfc

.PHONY: all setup build demo test lit unit example fixtures

all: build

# Install the system packages (LLVM 19, OpenBLAS, python3, numpy) when missing.
setup:
	@scripts/setup.sh

build:
	$(SWIFT) build -c release --product vfc

demo: setup build
	$(VFC) check -q IR/vit_block.ir && $(VFC) check -q IR/patch_embed.ir
	$(VFC) run IR/vit_block.ir --func block --random-inputs --seed 0 --bind N=2 --bind T=65 -v
	$(VFC) run IR/vit_block.ir --func block --random-inputs --seed 0 --bind N=2 --bind T=65 --backend interp
	$(VFC) run IR/patch_embed.ir --func embed --random-inputs --seed 0 --bind N=2

# Everything: release build, swift test, lit, the C example; last line "N passed, M failed".
test: setup
	@scripts/test.sh

# The lit suite only (needs the release vfc, built first).
lit: build
	$(PYTHON) $(LIT) -sv Tests/lit

# The C example only: vfc compile, link with the runtime, compare with the interpreter.
example: build
	VFC=$(abspath $(VFC)) BUILD=$(CURDIR)/.build/examples-c examples/c/run.sh

# The Swift unit tests only.
unit:
	$(SWIFT) test

# Regenerate the NumPy reference fixtures (deterministic; outputs are checked in).
fixtures:
	$(PYTHON) Tests/fixtures/make_fixtures.py
