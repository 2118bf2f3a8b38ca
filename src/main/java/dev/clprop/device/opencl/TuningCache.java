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

    /** The cached configuration for a device, or null. */
    public static GemmConfig lookup(DeviceInfo d) {
        String v = read().getProperty(d.cacheKey());
        if (v == null) return null;
        try {
            GemmConfig g = GemmConfig.parse(v);
            return g.validFor(d) ? g : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    public static void store(DeviceInfo d, GemmConfig g) {
        Properties p = read();
        p.setProperty(d.cacheKey(), g.toString());
        // Properties.store flushes its writer; AtomicFiles closes the stream
        AtomicFiles.write(file(), out -> p.store(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8),
                "clprop tune: best GEMM configuration per OpenCL device and driver"));
    }
}
