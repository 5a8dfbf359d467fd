// A libpng full-API decoder with PIL's conversion to RGB (see include/shim.h). libpng
// reports errors by longjmp, which must not cross Swift frames: everything between
// setjmp and the return happens here, in C.
#include "shim.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *data;
    size_t size, pos;
    vfc_png_info *info;
} vfc_reader;

static void vfc_read(png_structp png, png_bytep out, png_size_t n) {
    vfc_reader *r = (vfc_reader *)png_get_io_ptr(png);
    if (n > r->size - r->pos) {
        snprintf(r->info->message, sizeof r->info->message,
                 "truncated: %zu bytes needed at byte offset %zu of %zu", (size_t)n, r->pos, r->size);
        png_longjmp(png, 1);
    }
    memcpy(out, r->data + r->pos, n);
    r->pos += n;
}

static void vfc_error(png_structp png, png_const_charp msg) {
    vfc_reader *r = (vfc_reader *)png_get_error_ptr(png);
    if (r->info->message[0] == 0) snprintf(r->info->message, sizeof r->info->message, "%s", msg);
    png_longjmp(png, 1);
}

static void vfc_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

// Shared set-up: structs, reader, IHDR. Returns 0 or -1 (message set).
static int vfc_begin(vfc_reader *r, png_structp *png, png_infop *pinfo) {
    r->info->message[0] = 0;
    if (r->size < 8 || png_sig_cmp(r->data, 0, 8) != 0) {
        snprintf(r->info->message, sizeof r->info->message, "not a PNG signature");
        return -1;
    }
    *png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, vfc_error, vfc_warning);
    if (!*png) { snprintf(r->info->message, sizeof r->info->message, "out of memory"); return -1; }
    *pinfo = png_create_info_struct(*png);
    if (!*pinfo) {
        png_destroy_read_struct(png, NULL, NULL);
        snprintf(r->info->message, sizeof r->info->message, "out of memory");
        return -1;
    }
    png_set_read_fn(*png, r, vfc_read);
    // The caller bounds the pixel count; libpng's own per-side limit would refuse wide strips.
    png_set_user_limits(*png, 0x7fffffff, 0x7fffffff);
    return 0;
}

int vfc_png_decode_rgb(const unsigned char *data, size_t size, unsigned char *out, size_t out_size,
                       vfc_png_info *info) {
    vfc_reader r = {data, size, 0, info};
    png_structp png = NULL;
    png_infop pinfo = NULL;
    if (vfc_begin(&r, &png, &pinfo) != 0) return -1;
    // Volatile: assigned after setjmp and read after a longjmp.
    png_bytep *volatile rows = NULL;
    unsigned char *volatile wide = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        free(wide);
        png_destroy_read_struct(&png, &pinfo, NULL);
        return -1;
    }
    png_read_info(png, pinfo);
    png_uint_32 w = png_get_image_width(png, pinfo), h = png_get_image_height(png, pinfo);
    int depth = png_get_bit_depth(png, pinfo), type = png_get_color_type(png, pinfo);
    info->width = w; info->height = h; info->bit_depth = depth; info->color_type = type;
    if ((size_t)w * h * 3 != out_size) {
        snprintf(info->message, sizeof info->message, "output buffer of %zu bytes for %ux%u", out_size, w, h);
        png_longjmp(png, 1);
    }
    int gray16 = depth == 16 && (type == PNG_COLOR_TYPE_GRAY);
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    // Without png_set_tRNS_to_alpha a tRNS chunk is ignored: transparency is dropped.
    if (type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    if (depth == 16 && !gray16) png_set_strip_16(png);   // the high byte, as PIL's ;16B unpackers
    int passes = png_set_interlace_handling(png);
    (void)passes;
    png_read_update_info(png, pinfo);
    size_t rowbytes = png_get_rowbytes(png, pinfo);
    int channels = png_get_channels(png, pinfo);
    rows = malloc(sizeof(png_bytep) * (h ? h : 1));
    wide = malloc(rowbytes * (h ? h : 1));
    if (!rows || !wide) {
        snprintf(info->message, sizeof info->message, "out of memory (%zu bytes)", rowbytes * h);
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = wide + rowbytes * y;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    for (png_uint_32 y = 0; y < h; y++) {
        const unsigned char *src = rows[y];
        unsigned char *dst = out + (size_t)y * w * 3;
        for (png_uint_32 x = 0; x < w; x++) {
            unsigned v;
            if (gray16) {
                // PIL reads 16-bit gray as I;16 and converts to L by clipping at 255.
                v = ((unsigned)src[2 * x] << 8) | src[2 * x + 1];
                if (v > 255) v = 255;
                dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = (unsigned char)v;
            } else if (channels == 1) {
                dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = src[x];
            } else if (channels == 2) {  // gray + alpha not stripped (cannot happen): gray
                dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = src[2 * x];
            } else {
                dst[3 * x] = src[channels * x];
                dst[3 * x + 1] = src[channels * x + 1];
                dst[3 * x + 2] = src[channels * x + 2];
            }
        }
    }
    free(rows);
    free(wide);
    png_destroy_read_struct(&png, &pinfo, NULL);
    return 0;
}
