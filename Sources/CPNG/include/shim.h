// libpng (Debian libpng-dev: /usr/include/png.h): the simplified API (png_image_*) for
// encoding, and a decoder over the full API (shim.c) that reproduces PIL's
// Image.convert("RGB") rather than the simplified API's gamma-correct conversions.
#include <png.h>
#include <stddef.h>

// The macros of the simplified API as functions (function-like macros are not imported).
static inline unsigned vfc_png_image_version(void) { return PNG_IMAGE_VERSION; }
static inline unsigned vfc_png_format_gray(void) { return PNG_FORMAT_GRAY; }
static inline unsigned vfc_png_format_rgb(void) { return PNG_FORMAT_RGB; }
static inline unsigned vfc_png_format_rgba(void) { return PNG_FORMAT_RGBA; }
static inline int vfc_png_image_failed(const png_image *image) { return PNG_IMAGE_FAILED(*image); }

/// What vfc_png_decode_rgb reports: the IHDR fields, and a message on failure.
typedef struct {
    unsigned width, height;
    int bit_depth, color_type;
    char message[256];
} vfc_png_info;

/// Decodes to interleaved 8-bit RGB in `out` (width * height * 3 bytes, `out_size` checked)
/// as PIL's open(...).convert("RGB") does: no gamma or colour management; 16-bit samples
/// keep their high byte, except 16-bit grayscale (PIL's mode I;16), whose values are
/// clipped to 255; 1, 2 and 4-bit gray are scaled to 0..255; palettes are looked up;
/// alpha and tRNS transparency are dropped without compositing. Errors (bad CRC in a
/// critical chunk, truncated data) return -1 with `message` set; warnings are ignored.
int vfc_png_decode_rgb(const unsigned char *data, size_t size, unsigned char *out, size_t out_size,
                       vfc_png_info *info);
