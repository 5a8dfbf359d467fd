// Empty: CTurboJPEG only exposes turbojpeg.h (include/shim.h) and links libturbojpeg.
