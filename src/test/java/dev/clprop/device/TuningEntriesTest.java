package dev.clprop.device;

import dev.clprop.OpenClDevices;
import dev.clprop.device.opencl.DeviceInfo;
import dev.clprop.device.opencl.GemmConfig;
import dev.clprop.device.opencl.OpenClBackend;
import dev.clprop.device.opencl.TuningCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tuning cache is a file anyone can edit: an entry is used only when its sizes are in bounds and its
 * kernels pass the device's check; otherwise it is ignored with one warning, and the run goes on.
 */
class TuningEntriesTest {
    @TempDir
    Path home;
    String savedHome;

    @BeforeEach
    void privateCache() {
        // TuningCache reads ~/.cache/clprop unless CLPROP_CACHE_DIR is set
        savedHome = System.getProperty("user.home");
        System.setProperty("user.home", home.toString());
    }

    @AfterEach
    void restore() {
        System.setProperty("user.home", savedHome);
    }

    void cache(Path dir, DeviceInfo d, String entry) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tuning.properties"), d.cacheKey() + "=" + entry + "\n");
    }

    @Test
    void anEntryWhoseBlocksWouldOverflowAWorkItemsStackDoesNotCrashTheRun() throws Exception {
        // before bounds were checked, this entry killed the JVM with SIGSEGV inside gemm_packed on PoCL
        DeviceInfo d = OpenClDevices.device();
        Path dir = home.resolve("child-cache");
        cache(dir, d, "vector:16,64,64,64,64,1");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Djava.awt.headless=true", "-XX:-PrintWarnings", "dev.clprop.cli.Main",
                "train", "--device", "opencl:" + d.index(), "--epochs", "1", "--layers", "64,16:relu,10:softmax", "--quiet"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("CLPROP_CACHE_DIR", dir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertEquals(1, out.split("ignoring GEMM 'vector:16,64,64,64,64,1'", -1).length - 1, out);
        assertTrue(out.contains("out of bounds"), out);
    }

    @Test
    void outOfBoundsAndUnparsableEntriesAreIgnored() throws IOException {
        DeviceInfo d = OpenClDevices.device();
        Path dir = home.resolve(".cache/clprop");
        for (String entry : new String[]{"vector:16,64,64,64,64,1", "vector:8,0,2,4,1,512", "tiled:64,64,16,0,4", "vector:x", "tiled:-64,64,16,4,4"}) {
            cache(dir, d, entry);
            assertNull(TuningCache.lookup(d), entry);
        }
        cache(dir, d, "vector:8,2,2,4,1,64");
        assertEquals(new GemmConfig.Vector(8, 2, 2, 4, 1, 64), TuningCache.lookup(d));
    }

    @Test
    void aTunedConfigurationThatFailedItsCheckIsRefusedAndTheDeviceReopenedWithItsDefault() throws IOException {
        DeviceInfo d = OpenClDevices.device();
        GemmConfig tuned = new GemmConfig.Vector(4, 2, 2, 2, 1, 64);
        cache(home.resolve(".cache/clprop"), d, tuned.toString());
        List<String> said = new ArrayList<>();
        try (OpenClBackend untuned = new OpenClBackend(d, GemmConfig.TILED_SMALL)) {
            assertNull(DeviceSelection.withoutTuning(untuned, GemmFamily.AUTO, "injected", said::add), "only a tuned configuration is refused");
        }
        OpenClBackend failed = new OpenClBackend(d, tuned);
        try (Backend again = DeviceSelection.withoutTuning(failed, GemmFamily.AUTO, "injected", said::add)) {
            assertNotNull(again);
            OpenClBackend reopened = (OpenClBackend) again;
            assertEquals(GemmConfig.choose(d, null, GemmFamily.AUTO), reopened.gemmConfig());
            assertNull(TuningCache.lookup(d), "refused for the rest of the process");
            assertTrue(said.get(0).contains("again without the tuned GEMM"), said.toString());
            assertFalse(said.get(0).contains("tuned GEMM " + tuned), said.toString());
        }
    }
}
