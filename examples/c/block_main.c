// The second C example: one encoder block of the micro ViT (IR/vit_block.ir, @block)
// compiled by `vfc compile ../../IR/vit_block.ir --func block --bind N=1 --bind T=5`
// (block.o, block.h): layer norms, linear layers (OpenBLAS), attention, softmax, GELU.
// Fills the input and the 12 params deterministically, calls vfc_block and compares with
// the reference interpreter (expected_block.h, from make_fixture.py). Built by run.sh.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "expected_block.h"

// Buffer k of the entry point (the input, then the params in declaration order) holds
// fill(k, i), as in inputs.py: dyadic rationals, exact in float.
static float fill(int k, int64_t i) { return (float)((i * 7919 + (int64_t)k * 104729) % 2003 - 1001) / 4096.0f; }

static float *buffer(int64_t count) {
    size_t bytes = ((size_t)count * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (!p) {
        fprintf(stderr, "block example: out of memory\n");
        exit(2);
    }
    memset(p, 0, bytes ? bytes : 64);
    return p;
}

_Static_assert(VFC_BLOCK_RESULT0_COUNT == EXPECTED_RESULT0_COUNT, "block.h and expected_block.h disagree");

int main(void) {
    // In the order of the declaration: the input, the params, the output.
    const int64_t counts[VFC_BLOCK_NUM_BUFFERS] = {
        VFC_BLOCK_Z_COUNT,
        VFC_BLOCK_BLOCKS_0_NORM1_WEIGHT_COUNT, VFC_BLOCK_BLOCKS_0_NORM1_BIAS_COUNT,
        VFC_BLOCK_BLOCKS_0_ATTN_QKV_WEIGHT_COUNT, VFC_BLOCK_BLOCKS_0_ATTN_QKV_BIAS_COUNT,
        VFC_BLOCK_BLOCKS_0_ATTN_PROJ_WEIGHT_COUNT, VFC_BLOCK_BLOCKS_0_ATTN_PROJ_BIAS_COUNT,
        VFC_BLOCK_BLOCKS_0_NORM2_WEIGHT_COUNT, VFC_BLOCK_BLOCKS_0_NORM2_BIAS_COUNT,
        VFC_BLOCK_BLOCKS_0_MLP_FC1_WEIGHT_COUNT, VFC_BLOCK_BLOCKS_0_MLP_FC1_BIAS_COUNT,
        VFC_BLOCK_BLOCKS_0_MLP_FC2_WEIGHT_COUNT, VFC_BLOCK_BLOCKS_0_MLP_FC2_BIAS_COUNT,
        VFC_BLOCK_RESULT0_COUNT,
    };
    float *b[VFC_BLOCK_NUM_BUFFERS];
    for (int k = 0; k < VFC_BLOCK_NUM_BUFFERS; k++) {
        b[k] = buffer(counts[k]);
        if (k < VFC_BLOCK_NUM_BUFFERS - 1)
            for (int64_t i = 0; i < counts[k]; i++) b[k][i] = fill(k, i);
    }
    float *out = b[VFC_BLOCK_NUM_BUFFERS - 1];
    vfc_block(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], out);

    // Relative 1e-5; elements below a tenth of the largest magnitude are measured against
    // that tenth (a residual block sums terms larger than its result: cancellation).
    float scale = 0;
    for (int i = 0; i < EXPECTED_RESULT0_COUNT; i++) scale = fmaxf(scale, fabsf(expected_result0[i]));
    int bad = 0;
    float worst = 0;
    for (int i = 0; i < EXPECTED_RESULT0_COUNT; i++) {
        float want = expected_result0[i], got = out[i];
        float err = fabsf(got - want) / fmaxf(fabsf(want), 0.1f * scale);
        if (err > worst) worst = err;
        if (!(err <= 1e-5f)) {
            if (bad++ < 10) fprintf(stderr, "block example: result0[%d] = %.9g, expected %.9g\n", i, got, want);
        }
    }

    // The packed entry point: the same pointers in one array, the same bits.
    float *packed = buffer(VFC_BLOCK_RESULT0_COUNT);
    void *buffers[VFC_BLOCK_NUM_BUFFERS];
    for (int k = 0; k < VFC_BLOCK_NUM_BUFFERS - 1; k++) buffers[k] = b[k];
    buffers[VFC_BLOCK_NUM_BUFFERS - 1] = packed;
    vfc_block_packed(buffers);
    if (memcmp(packed, out, sizeof(float) * VFC_BLOCK_RESULT0_COUNT) != 0) {
        fprintf(stderr, "block example: vfc_block_packed differs from vfc_block\n");
        bad++;
    }

    if (bad) {
        printf("examples/c block: FAIL: %d of %d values differ from expected_block.h\n", bad, EXPECTED_RESULT0_COUNT);
    } else {
        printf("examples/c block: %d values match expected_block.h (largest relative error %.3g)\n", EXPECTED_RESULT0_COUNT, worst);
    }
    for (int k = 0; k < VFC_BLOCK_NUM_BUFFERS; k++) free(b[k]);
    free(packed);
    return bad ? 1 : 0;
}
