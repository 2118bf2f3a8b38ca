package dev.clprop.device;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Signal chaining is read from what the process has mapped, not from the text of LD_PRELOAD. */
class SignalChainingTest {
    static final String MAPPED = "7f1c2a400000-7f1c2a401000 r-xp 00001000 08:01 1234 /usr/lib/jvm/java-17/lib/libjsig.so";
    static final String OTHER = "7f1c2a500000-7f1c2a501000 r-xp 00001000 08:01 1235 /usr/lib/x86_64-linux-gnu/libc.so.6";

    @TempDir
    Path dir;

    Path maps(String... lines) throws IOException {
        return Files.write(dir.resolve("maps"), java.util.List.of(lines));
    }

    @Test
    void aMappedLibjsigCounts() throws IOException {
        assertTrue(DeviceSelection.signalChaining(maps(OTHER, MAPPED), null));
    }

    @Test
    void aPreloadOfAPathThatDoesNotExistDoesNotCount() throws IOException {
        // the loader skips a preload it cannot open, so nothing is mapped though the variable names libjsig
        assertFalse(DeviceSelection.signalChaining(maps(OTHER), "/nowhere/libjsig.so"));
    }

    @Test
    void withoutAMapsFileTheVariableIsTrusted() {
        assertTrue(DeviceSelection.signalChaining(dir.resolve("absent"), "/usr/lib/jvm/java-17/lib/libjsig.so"));
        assertFalse(DeviceSelection.signalChaining(dir.resolve("absent"), null));
    }

    @Test
    void thisTestJvmHasItMapped() {
        // surefire preloads it (pom.xml), so the real /proc/self/maps must show it on Linux
        if (Files.isReadable(Path.of("/proc/self/maps"))) assertTrue(DeviceSelection.signalChaining());
    }
}
