// The C example: calls the entry point `vfc compile model.ir --bind N=4` wrote (model.o,
// declared in model.h) on deterministic inputs and compares its results with the reference
// interpreter's (expected.h, from make_fixture.py). Exit code 0 when every value matches
// to 1e-5 relative, 1 otherwise. Built and run by run.sh.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expected.h"
#include "model.h"

// The inputs and params, as in inputs.py: small dyadic rationals, exact in float.
static float x_value(int i) { return (float)((i * 37) % 101 - 50) / 16.0f; }
static uint8_t m_value(int i) { return i % 3 != 0; }
#define GAIN 1.5f
#define SHIFT (-0.25f)

_Static_assert(VFC_MODEL_RESULT0_COUNT == EXPECTED_RESULT0_COUNT, "model.h and expected.h disagree on result0");
_Static_assert(VFC_MODEL_RESULT1_COUNT == EXPECTED_RESULT1_COUNT, "model.h and expected.h disagree on result1");
_Static_assert(VFC_MODEL_NUM_BUFFERS == 6, "vfc_model takes x, m, gain, shift, result0, result1");

// A 64-byte aligned buffer (the alignment model.h advises), zeroed.
static void *buffer(size_t bytes) {
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (!p) {
        fprintf(stderr, "example: out of memory\n");
        exit(2);
    }
    memset(p, 0, rounded ? rounded : 64);
    return p;
}

// The relative error, measured against 1e-3 for elements smaller than that.
static float relative_error(float got, float want) {
    return fabsf(got - want) / fmaxf(fabsf(want), 1e-3f);
}

int main(void) {
    float *x = buffer(sizeof(float) * VFC_MODEL_X_COUNT);
    uint8_t *m = buffer(VFC_MODEL_M_COUNT);
    float *gain = buffer(sizeof(float) * VFC_MODEL_GAIN_COUNT);
    float *shift = buffer(sizeof(float) * VFC_MODEL_SHIFT_COUNT);
    float *result0 = buffer(sizeof(float) * VFC_MODEL_RESULT0_COUNT);
    uint8_t *result1 = buffer(VFC_MODEL_RESULT1_COUNT);
    for (int i = 0; i < VFC_MODEL_X_COUNT; i++) x[i] = x_value(i);
    for (int i = 0; i < VFC_MODEL_M_COUNT; i++) m[i] = m_value(i);
    gain[0] = GAIN;
    shift[0] = SHIFT;

    // Inputs, then params in declaration order, then outputs.
    vfc_model(x, m, gain, shift, result0, result1);

    int bad = 0;
    float worst = 0;
    for (int i = 0; i < VFC_MODEL_RESULT0_COUNT; i++) {
        float want = expected_result0[i], got = result0[i];
        float rel = relative_error(got, want);
        if (rel > worst) worst = rel;
        if (!(rel <= 1e-5f)) {
            if (bad++ < 10) fprintf(stderr, "example: result0[%d] = %.9g, expected %.9g\n", i, got, want);
        }
    }
    for (int i = 0; i < VFC_MODEL_RESULT1_COUNT; i++) {
        if (result1[i] != expected_result1[i]) {
            if (bad++ < 10) fprintf(stderr, "example: result1[%d] = %d, expected %d\n", i, result1[i], expected_result1[i]);
        }
    }

    // The packed entry point takes the same buffers as one array and gives the same bits.
    float *packed0 = buffer(sizeof(float) * VFC_MODEL_RESULT0_COUNT);
    uint8_t *packed1 = buffer(VFC_MODEL_RESULT1_COUNT);
    void *buffers[VFC_MODEL_NUM_BUFFERS] = {x, m, gain, shift, packed0, packed1};
    vfc_model_packed(buffers);
    if (memcmp(packed0, result0, sizeof(float) * VFC_MODEL_RESULT0_COUNT) != 0 ||
        memcmp(packed1, result1, VFC_MODEL_RESULT1_COUNT) != 0) {
        fprintf(stderr, "example: vfc_model_packed differs from vfc_model\n");
        bad++;
    }

    int total = VFC_MODEL_RESULT0_COUNT + VFC_MODEL_RESULT1_COUNT;
    if (bad) {
        printf("examples/c: FAIL: %d of %d values differ from expected.h\n", bad, total);
    } else {
        printf("examples/c: %d values match expected.h (largest relative error %.3g)\n", total, worst);
    }
    free(x); free(m); free(gain); free(shift); free(result0); free(result1); free(packed0); free(packed1);
    return bad ? 1 : 0;
}
