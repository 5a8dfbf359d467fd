// libpng's simplified API (png_image_*; Debian libpng-dev: /usr/include/png.h).
#include <png.h>

// The macros of the simplified API as functions (function-like macros are not imported).
static inline unsigned vfc_png_image_version(void) { return PNG_IMAGE_VERSION; }
static inline unsigned vfc_png_format_gray(void) { return PNG_FORMAT_GRAY; }
static inline unsigned vfc_png_format_rgb(void) { return PNG_FORMAT_RGB; }
static inline unsigned vfc_png_format_rgba(void) { return PNG_FORMAT_RGBA; }
static inline int vfc_png_image_failed(const png_image *image) { return PNG_IMAGE_FAILED(*image); }
