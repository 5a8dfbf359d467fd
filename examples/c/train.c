// Training in C: the micro model's train_step compiled ahead of time
//   vfc compile IR/ssl_micro.ir --func train_step --bind B=2 -o train_step.o
// runs STEPS steps (default 20) on one batch, starting from a `vfc init` state, and saves
// the state after the last step. The buffers are filled by tensor name through the header's
// vfc_train_step_args / vfc_train_step_layout and the runtime's vfc_state_load/save:
//   train STATE.safetensors BATCH.safetensors OUT.safetensors [STEPS]
//         [--lr X] [--weight-decay X] [--teacher-momentum X]
// The batch holds the step's arguments by name (`vfc data batch` writes the views, boxes,
// flips and masks; lr, weight_decay and teacher_momentum come from the batch when it has
// them, else from the flags). One line per step: "step K loss L loss_cls .. grad_norm G".
// Exit code 0 on success, 1 on bad input (with a message on stderr).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_step.h"

static int usage(void) {
    fprintf(stderr, "usage: train STATE.safetensors BATCH.safetensors OUT.safetensors [STEPS] "
                    "[--lr X] [--weight-decay X] [--teacher-momentum X]\n");
    return 1;
}

// How many fields of `layout` have a role in `roles`.
static int count_fields(const vfc_layout *layout, int roles) {
    int n = 0;
    for (size_t i = 0; i < layout->field_count; i++) n += (layout->fields[i].role & roles) != 0;
    return n;
}

// A run-time scalar the batch lacks, from its flag; -1 with a message when neither gives it.
static int set_scalar(const float **field, const char *name, const char *flag, const char *flag_value, float *storage) {
    if (*field) return 0;
    if (!flag_value) {
        fprintf(stderr, "train: the batch has no '%s'; give %s\n", name, flag);
        return -1;
    }
    char *end;
    *storage = strtof(flag_value, &end);
    if (*end != 0 || end == flag_value) {
        fprintf(stderr, "train: '%s' is not a number\n", flag_value);
        return -1;
    }
    *field = storage;
    return 0;
}

int main(int argc, char **argv) {
    const char *positional[4] = {NULL, NULL, NULL, "20"};
    const char *lr = NULL, *weight_decay = NULL, *momentum = NULL;
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char **flag = strcmp(argv[i], "--lr") == 0 ? &lr
                          : strcmp(argv[i], "--weight-decay") == 0 ? &weight_decay
                          : strcmp(argv[i], "--teacher-momentum") == 0 ? &momentum : NULL;
        if (flag) {
            if (++i == argc) return usage();
            *flag = argv[i];
        } else if (npos < 4) {
            positional[npos++] = argv[i];
        } else {
            return usage();
        }
    }
    if (npos < 3) return usage();
    char *end;
    long steps = strtol(positional[3], &end, 10);
    if (*end != 0 || steps < 1) return usage();

    const vfc_layout *layout = &vfc_train_step_layout;
    vfc_train_step_args args;
    memset(&args, 0, sizeof args);
    char error[512];
    int params = vfc_state_load(positional[0], layout, &args, VFC_ROLE_PARAM, error, sizeof error);
    if (params < 0) {
        fprintf(stderr, "train: %s\n", error);
        return 1;
    }
    if (params != count_fields(layout, VFC_ROLE_PARAM)) {
        fprintf(stderr, "train: %s holds %d of the %d params of @train_step (a `vfc init` state of another model?)\n",
                positional[0], params, count_fields(layout, VFC_ROLE_PARAM));
        return 1;
    }
    if (vfc_state_load(positional[1], layout, &args, VFC_ROLE_INPUT, error, sizeof error) < 0) {
        fprintf(stderr, "train: %s\n", error);
        return 1;
    }
    float scalars[3];
    if (set_scalar(&args.lr, "lr", "--lr", lr, &scalars[0]) != 0 ||
        set_scalar(&args.weight_decay, "weight_decay", "--weight-decay", weight_decay, &scalars[1]) != 0 ||
        set_scalar(&args.teacher_momentum, "teacher_momentum", "--teacher-momentum", momentum, &scalars[2]) != 0)
        return 1;
    if (vfc_state_alloc(layout, &args, VFC_ROLE_OUTPUT, error, sizeof error) != 0) {
        fprintf(stderr, "train: %s\n", error);
        return 1;
    }
    for (long k = 1; k <= steps; k++) {
        // The params are donated: each step updates them in place.
        if (vfc_train_step_call(&args, error, sizeof error) != 0) {
            fprintf(stderr, "train: %s: %s\n", positional[1], error);
            return 1;
        }
        printf("step %ld loss %.9g loss_cls %.9g loss_mim %.9g loss_pos %.9g grad_norm %.9g\n", k,
               args.loss[0], args.loss_cls[0], args.loss_mim[0], args.loss_pos[0], args.grad_norm[0]);
    }
    if (vfc_state_save(positional[2], layout, &args, VFC_ROLE_PARAM, error, sizeof error) < 0) {
        fprintf(stderr, "train: %s\n", error);
        return 1;
    }
    vfc_state_free(layout, &args, VFC_ROLE_PARAM | VFC_ROLE_OUTPUT);
    // Inputs the batch gave were allocated by vfc_state_load; scalars from flags were not.
    for (int i = 0; i < 3; i++) {
        const float *s = i == 0 ? args.lr : i == 1 ? args.weight_decay : args.teacher_momentum;
        if (s == &scalars[i]) {
            if (i == 0) args.lr = NULL;
            if (i == 1) args.weight_decay = NULL;
            if (i == 2) args.teacher_momentum = NULL;
        }
    }
    vfc_state_free(layout, &args, VFC_ROLE_INPUT);
    return 0;
}
