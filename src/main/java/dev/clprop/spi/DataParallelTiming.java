package dev.clprop.spi;

import java.util.Locale;

/**
 * Where a data-parallel run's steps went: wall time per optimizer step, and the part of it spent
 * combining gradients (reading every replica's gradients, summing them on the host, writing the sum
 * back), after every shard's compute had finished.
 */
public record DataParallelTiming(String workers, long steps, double msPerStep, double combineMsPerStep, long bytesPerStep, String route) {
    /** e.g. "2 devices: 3.100 ms per step, of which 0.420 ms (13.5%) combining 1.9 MB of gradients through the host". */
    public String describe() {
        return String.format(Locale.ROOT, "%s: %.3f ms per step, of which %.3f ms (%.1f%%) combining %.1f MB of gradients %s",
                workers, msPerStep, combineMsPerStep, steps == 0 ? 0 : 100 * combineMsPerStep / msPerStep, bytesPerStep / 1e6, route);
    }
}
