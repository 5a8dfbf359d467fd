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

# The main job: a short JIT training run of method.md's micro model on the sample photos
# (setup extracts them into data/photos), with progress, metrics, checkpoints and a plot.
DEMO_RUN ?= runs/demo
demo: setup build
	rm -rf $(DEMO_RUN)
	$(VFC) train IR/ssl_micro.ir --data data/photos --out $(DEMO_RUN) --steps 60 --batch 8 --checkpoint-every 20
	$(VFC) plot $(DEMO_RUN) -o $(DEMO_RUN)/curves.png
	@echo "demo: metrics in $(DEMO_RUN)/metrics.jsonl, TensorBoard events in $(DEMO_RUN)/tb, curves in $(DEMO_RUN)/curves.png"

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
