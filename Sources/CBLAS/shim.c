// Empty: CBLAS only exposes cblas.h (include/shim.h) and links OpenBLAS.
