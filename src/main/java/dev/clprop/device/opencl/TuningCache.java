package dev.clprop.device.opencl;

import dev.clprop.io.AtomicFiles;



import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The best GEMM configuration per device and driver, found by {@code clprop tune}, in
 * {@code $CLPROP_CACHE_DIR/tuning.properties} (default {@code ~/.cache/clprop}). Training and bench
 * use it without being asked; an entry that no longer parses is ignored.
 */
public final class TuningCache {
    private TuningCache() {
    }

    /** Where the cache is: $CLPROP_CACHE_DIR/tuning.properties, else ~/.cache/clprop/tuning.properties. */
    public static Path file() {
        String dir = System.getenv("CLPROP_CACHE_DIR");
        Path base = dir != null && !dir.isBlank() ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".cache", "clprop");
        return base.resolve("tuning.properties");
    }

    static Properties read() {
        Properties p = new Properties();
        Path f = file();
        if (Files.isRegularFile(f)) {
            try (InputStream in = Files.newInputStream(f)) {
                p.load(in);
            } catch (IOException | IllegalArgumentException e) {
                return new Properties(); // a damaged cache only costs the tuning
            }
        }
        return p;
    }

    /** Entries this process has refused, each warned about once. */
    private static final java.util.Set<String> REFUSED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * The cached configuration for a device, or null. An entry that does not parse, does not fit the
     * device ({@link GemmConfig#validFor}: such values could crash a kernel) or has been {@link #refuse refused}
     * is ignored, with one warning.
     */
    public static GemmConfig lookup(DeviceInfo d) {
        String v = read().getProperty(d.cacheKey());
        if (v == null) return null;
        if (REFUSED.contains(d.cacheKey() + "=" + v.trim())) return null;
        try {
            GemmConfig g = GemmConfig.parse(v);
            if (g.validFor(d)) return g;
            refuse(d, v.trim(), "its sizes are out of bounds for this device");
        } catch (RuntimeException e) {
            refuse(d, v.trim(), "it does not parse (" + e.getMessage() + ")");
        }
        return null;
    }

    /** Ignores the cached entry {@code value} for {@code d} from now on in this process, saying why once. */
    public static void refuse(DeviceInfo d, String value, String why) {
        if (!REFUSED.add(d.cacheKey() + "=" + value)) return;
        System.getLogger("dev.clprop").log(System.Logger.Level.WARNING, "tuning cache " + file() + ": ignoring GEMM "
                + dev.clprop.error.Quote.of(value) + " for " + d.name() + ": " + why + "; using the default (run 'clprop tune' again)");
    }

    /** Records {@code g} as the tuned configuration of {@code d}, atomically. */
    public static void store(DeviceInfo d, GemmConfig g) {
        Properties p = read();
        p.setProperty(d.cacheKey(), g.toString());
        // Properties.store flushes its writer; AtomicFiles closes the stream
        AtomicFiles.write(file(), out -> p.store(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8),
                "clprop tune: best GEMM configuration per OpenCL device and driver"));
    }
}
