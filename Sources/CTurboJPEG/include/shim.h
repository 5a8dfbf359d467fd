// libjpeg-turbo's TurboJPEG API (Debian libturbojpeg0-dev: /usr/include/turbojpeg.h).
#include <turbojpeg.h>

// Enum values as plain ints, so Swift does not depend on how the C enums are imported.
static inline int vfc_tjpf_rgb(void) { return TJPF_RGB; }
static inline int vfc_tjpf_gray(void) { return TJPF_GRAY; }
static inline int vfc_tjsamp_444(void) { return TJSAMP_444; }
static inline int vfc_tjsamp_gray(void) { return TJSAMP_GRAY; }
static inline int vfc_tjerr_warning(void) { return TJERR_WARNING; }
static inline int vfc_tjpf_cmyk(void) { return TJPF_CMYK; }
static inline int vfc_tjcs_cmyk(void) { return TJCS_CMYK; }
static inline int vfc_tjcs_ycck(void) { return TJCS_YCCK; }
