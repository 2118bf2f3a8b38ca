package dev.clprop.device;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;

import java.util.Locale;

/**
 * Which family of GEMM kernels an OpenCL device runs. {@link #TILED} is kernels/gemm.cl
 * (local-memory tiles and barriers, what GPUs want); {@link #VECTOR} is kernels/gemm_vec.cl
 * (explicit SIMD vectors and packed panels, what CPU drivers such as PoCL want). {@link #AUTO} takes the
 * configuration {@code clprop tune} cached for the device, else the device's default family. Forcing a
 * family runs its tuned configuration if the cache holds one of that family, else its default; it lets
 * the GPU path run, and be tested, on any device.
 */
public enum GemmFamily {
    /** The tuned configuration cached for the device, else the device's default family. */
    AUTO,
    /** kernels/gemm.cl: local-memory tiles and barriers, the GPUs' default. */
    TILED,
    /** kernels/gemm_vec.cl: SIMD vectors and packed panels, the CPU drivers' default. */
    VECTOR;

    /** {@code auto}, {@code tiled} or {@code vector}, any case. */
    public static GemmFamily parse(String s) {
        if (s != null) {
            for (GemmFamily f : values()) if (f.name().equalsIgnoreCase(s.trim())) return f;
        }
        throw new InvalidSettingException("gemm", Quote.of(s) + ": expected auto, tiled or vector");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
