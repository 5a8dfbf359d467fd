"""The examples' inputs and params, shared by make_fixture.py and mirrored in main.c and
block_main.c. Every value is a small dyadic rational, exact in float32, so the C programs
and the fixtures see bit-identical inputs without depending on libm or float formatting."""

# model.ir (main.c), compiled with --bind N=4.
N = 4
COLS = 8


def x_value(i):
    return ((i * 37) % 101 - 50) / 16.0        # main.c: x_value


def m_value(i):
    return 1 if i % 3 != 0 else 0              # main.c: m_value


GAIN = 1.5                                     # main.c: GAIN
SHIFT = -0.25                                  # main.c: SHIFT

# IR/vit_block.ir's @block (block_main.c), compiled with --bind N=1 --bind T=5: buffer k of
# the entry point (k = 0 for %z, then the params in declaration order) holds fill(k, i).
BLOCK_BINDINGS = {"N": 1, "T": 5}


def fill(k, i):
    return ((i * 7919 + k * 104729) % 2003 - 1001) / 4096.0   # block_main.c: fill
