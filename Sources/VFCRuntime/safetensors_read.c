// Reads safetensors files for state.c. See safetensors_read.h.
#define _POSIX_C_SOURCE 200809L
#include "safetensors_read.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Refuse headers beyond this (the format's own readers cap it at 100 MB).
#define MAX_HEADER ((uint64_t)100 * 1000 * 1000)

const char *const vfc_safetensors_dtype_names[5] = {"F32", "F64", "I32", "I64", "U8"};

typedef struct {
    const char *p, *end;
} scanner;

int vfc_safetensors_fail(char *error, size_t size, const char *format, ...) {
    if (error && size > 0) {
        va_list ap;
        va_start(ap, format);
        vsnprintf(error, size, format, ap);
        va_end(ap);
    }
    return -1;
}

static void skip_space(scanner *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int expect(scanner *s, char c) {
    skip_space(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    return 0;
}

// A JSON string into a new malloc'd buffer (\uXXXX escapes as UTF-8); NULL if malformed.
static char *scan_string(scanner *s) {
    if (!expect(s, '"')) return NULL;
    size_t cap = 32, n = 0;
    char *out = malloc(cap);
    while (out && s->p < s->end && *s->p != '"') {
        if (n + 5 > cap) {
            char *bigger = realloc(out, cap *= 2);
            if (!bigger) break;
            out = bigger;
        }
        char c = *s->p++;
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        if (s->p >= s->end) break;
        c = *s->p++;
        switch (c) {
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            if (s->end - s->p < 4) goto bad;
            unsigned u = 0;
            for (int i = 0; i < 4; i++) {
                char h = *s->p++;
                u = u * 16 + (unsigned)(h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : 99);
                if (u > 0xffff) goto bad;
            }
            if (u < 0x80) {
                out[n++] = (char)u;
            } else if (u < 0x800) {
                out[n++] = (char)(0xc0 | (u >> 6));
                out[n++] = (char)(0x80 | (u & 0x3f));
            } else {
                out[n++] = (char)(0xe0 | (u >> 12));
                out[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
                out[n++] = (char)(0x80 | (u & 0x3f));
            }
            break;
        }
        default: out[n++] = c; break;  // \" \\ \/
        }
    }
    if (!out || s->p >= s->end) goto bad;
    s->p++;
    out[n] = 0;
    return out;
bad:
    free(out);
    return NULL;
}

static int scan_uint(scanner *s, uint64_t *v) {
    skip_space(s);
    if (s->p >= s->end || *s->p < '0' || *s->p > '9') return 0;
    uint64_t x = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
        if (x > (UINT64_MAX - 9) / 10) return 0;
        x = x * 10 + (uint64_t)(*s->p++ - '0');
    }
    *v = x;
    return 1;
}

// A JSON array of unsigned integers (at most `cap`); returns the count or -1.
static int scan_uints(scanner *s, uint64_t *out, int cap) {
    if (!expect(s, '[')) return -1;
    int n = 0;
    if (expect(s, ']')) return 0;
    do {
        if (n == cap || !scan_uint(s, &out[n])) return -1;
        n++;
    } while (expect(s, ','));
    return expect(s, ']') ? n : -1;
}

// Skips any JSON value (the __metadata__ object); 0 if malformed.
static int skip_value(scanner *s, int depth) {
    skip_space(s);
    if (s->p >= s->end || depth > 16) return 0;
    char c = *s->p;
    if (c == '"') {
        char *str = scan_string(s);
        free(str);
        return str != NULL;
    }
    if (c == '{' || c == '[') {
        s->p++;
        char close = c == '{' ? '}' : ']';
        if (expect(s, close)) return 1;
        do {
            if (c == '{') {
                char *key = scan_string(s);
                free(key);
                if (!key || !expect(s, ':')) return 0;
            }
            if (!skip_value(s, depth + 1)) return 0;
        } while (expect(s, ','));
        return expect(s, close);
    }
    while (s->p < s->end && strchr(",}] \t\r\n", *s->p) == NULL) s->p++;
    return 1;
}

static int scan_entry(scanner *s, vfc_safetensors_entry *e) {
    if (!expect(s, '{')) return 0;
    int have = 0;
    e->dtype = -1;
    do {
        char *key = scan_string(s);
        if (!key || !expect(s, ':')) {
            free(key);
            return 0;
        }
        uint64_t v[VFC_MAX_RANK];
        int n;
        if (strcmp(key, "dtype") == 0) {
            char *d = scan_string(s);
            if (!d) { free(key); return 0; }
            for (int i = 0; i < 5; i++) if (strcmp(d, vfc_safetensors_dtype_names[i]) == 0) e->dtype = i;
            if (strcmp(d, "BOOL") == 0) e->dtype = VFC_DTYPE_U8;
            free(d);
            have |= 1;
        } else if (strcmp(key, "shape") == 0) {
            if ((n = scan_uints(s, v, VFC_MAX_RANK)) < 0) { free(key); return 0; }
            e->rank = n;
            for (int i = 0; i < n; i++) {
                if (v[i] > (uint64_t)INT64_MAX) { free(key); return 0; }
                e->shape[i] = (int64_t)v[i];
            }
            have |= 2;
        } else if (strcmp(key, "data_offsets") == 0) {
            if (scan_uints(s, v, 2) != 2 || v[0] > v[1]) { free(key); return 0; }
            e->begin = v[0];
            e->end = v[1];
            have |= 4;
        } else if (!skip_value(s, 1)) {
            free(key);
            return 0;
        }
        free(key);
    } while (expect(s, ','));
    return expect(s, '}') && have == 7;
}

void vfc_safetensors_close(vfc_safetensors *f) {
    for (size_t i = 0; i < f->count; i++) free(f->entries[i].name);
    free(f->entries);
    free(f->bytes);
}

static int read_all(const char *path, vfc_safetensors *f, char *error, size_t size) {
    FILE *in = fopen(path, "rb");
    if (!in) return vfc_safetensors_fail(error, size, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            unsigned char *bigger = realloc(buf, cap *= 2);
            if (!bigger) { free(buf); buf = NULL; break; }
            buf = bigger;
        }
        size_t got = fread(buf + n, 1, cap - n, in);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(in);
    fclose(in);
    if (!buf) return vfc_safetensors_fail(error, size, "'%s': out of memory", path);
    if (bad) {
        free(buf);
        return vfc_safetensors_fail(error, size, "cannot read '%s'", path);
    }
    f->bytes = buf;
    f->size = n;
    return 0;
}

int vfc_safetensors_open(const char *path, vfc_safetensors *f, char *error, size_t size) {
    memset(f, 0, sizeof *f);
    if (read_all(path, f, error, size) != 0) return -1;
    uint64_t header = 0;
    if (f->size < 8) goto bad;
    for (int i = 7; i >= 0; i--) header = header << 8 | f->bytes[i];
    if (header > MAX_HEADER || header > f->size - 8) goto bad;
    f->data_start = 8 + header;
    scanner s = {(const char *)f->bytes + 8, (const char *)f->bytes + 8 + header};
    if (!expect(&s, '{')) goto bad;
    if (expect(&s, '}')) return 0;
    do {
        char *name = scan_string(&s);
        if (!name || !expect(&s, ':')) { free(name); goto bad; }
        if (strcmp(name, "__metadata__") == 0) {
            free(name);
            if (!skip_value(&s, 1)) goto bad;
            continue;
        }
        vfc_safetensors_entry *more = realloc(f->entries, (f->count + 1) * sizeof *more);
        if (!more) { free(name); goto bad; }
        f->entries = more;
        vfc_safetensors_entry *e = &f->entries[f->count++];
        memset(e, 0, sizeof *e);
        e->name = name;
        if (!scan_entry(&s, e) || e->end > f->size - f->data_start) goto bad;
    } while (expect(&s, ','));
    if (!expect(&s, '}')) goto bad;
    return 0;
bad:
    vfc_safetensors_close(f);
    return vfc_safetensors_fail(error, size, "'%s' is not a safetensors file (bad or truncated header)", path);
}

