// Calls @step of Inputs/step.ir (compiled with --bind B=2; m.h) through its named-buffer
// struct: params from a `vfc init` state, inputs from a batch file, outputs allocated;
// prints what was loaded and the results, and saves the updated params.
//   call_step STATE BATCH OUT
#include <stdio.h>
#include <string.h>

#include "m.h"

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    vfc_step_args args;
    memset(&args, 0, sizeof args);
    char error[512];
    int params = vfc_state_load(argv[1], &vfc_step_layout, &args, VFC_ROLE_PARAM, error, sizeof error);
    if (params < 0) {
        fprintf(stderr, "call_step: %s\n", error);
        return 1;
    }
    if (params != 3) {
        fprintf(stderr, "call_step: %s holds %d of the 3 params\n", argv[1], params);
        return 1;
    }
    int inputs = vfc_state_load(argv[2], &vfc_step_layout, &args, VFC_ROLE_INPUT, error, sizeof error);
    if (inputs < 0 || vfc_state_alloc(&vfc_step_layout, &args, VFC_ROLE_OUTPUT, error, sizeof error) != 0) {
        fprintf(stderr, "call_step: %s\n", error);
        return 1;
    }
    printf("params %d inputs %d B=%lld\n", params, inputs, (long long)args.B);
    if (vfc_step_call(&args, error, sizeof error) != 0) {
        fprintf(stderr, "call_step: %s\n", error);
        return 1;
    }
    printf("loss %.9g grad.b.0[0] %.9g\n", args.loss[0], args.grad_b_0[0]);
    int saved = vfc_state_save(argv[3], &vfc_step_layout, &args, VFC_ROLE_PARAM, error, sizeof error);
    if (saved < 0) {
        fprintf(stderr, "call_step: %s\n", error);
        return 1;
    }
    printf("saved %d\n", saved);
    vfc_state_free(&vfc_step_layout, &args, VFC_ROLE_ALL);
    return 0;
}
