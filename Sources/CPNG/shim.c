// Empty: CPNG only exposes png.h's simplified API (include/shim.h) and links libpng16.
