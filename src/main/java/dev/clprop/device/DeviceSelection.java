package dev.clprop.device;

import dev.clprop.device.opencl.DeviceInfo;
import dev.clprop.device.opencl.GemmConfig;
import dev.clprop.device.opencl.OpenCl;
import dev.clprop.device.opencl.OpenClBackend;
import dev.clprop.device.opencl.TuningCache;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.OpenClUnavailableException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Turns a device choice into backends:
 * <ul>
 *   <li>{@code auto}: a GPU, else a CPU OpenCL device, else EJML, saying what it picked and why;</li>
 *   <li>{@code cpu} (or {@code ejml}): the EJML reference path;</li>
 *   <li>{@code opencl}: the best OpenCL device (as auto), {@code opencl:N} device N of {@link OpenCl#devices()};</li>
 *   <li>{@code opencl:N/K}: device N split into K sub-devices of equal compute units, K devices in all
 *       (a CPU through PoCL: data parallelism tried on one machine, its cores shared);</li>
 *   <li>{@code gpus}: every OpenCL GPU;</li>
 *   <li>anything else: the OpenCL device whose name contains it (case-insensitive);</li>
 *   <li>a comma-separated list of the above: several devices.</li>
 * </ul>
 * An explicit OpenCL choice that cannot be met is an error; {@code auto} falls back to EJML.
 * OpenCL devices use the GEMM configuration {@code clprop tune} cached for them, if any.
 */
public final class DeviceSelection {
    static final String SETTING = "device";
    private static final AtomicBoolean WARNED_JSIG = new AtomicBoolean();

    private DeviceSelection() {
    }

    /** Whether a choice names the automatic pick (null means auto; an empty text names nothing and is refused by {@link #split}). */
    public static boolean isAuto(String choice) {
        return choice == null || choice.trim().equalsIgnoreCase("auto");
    }

    /** The elements of a comma-separated choice, trimmed and lower-cased. */
    public static List<String> split(String choice) {
        List<String> out = new ArrayList<>();
        if (choice != null && choice.isBlank()) throw new InvalidSettingException(SETTING, "is empty (expected auto, cpu, opencl, opencl:N or part of a device name)");
        for (String c : (choice == null ? "auto" : choice).split(",", -1)) {
            String t = c.trim().toLowerCase(Locale.ROOT);
            if (t.isEmpty()) throw new InvalidSettingException(SETTING, dev.clprop.error.Quote.of(choice) + " has an empty element");
            out.add(t);
        }
        return out;
    }

    /** The device {@code opencl:N} names, N an index into {@code devices}. */
    public static DeviceInfo byIndex(String choice, List<DeviceInfo> devices) {
        String c = choice.trim().toLowerCase(Locale.ROOT);
        int n;
        try {
            if (!c.startsWith("opencl:")) throw new NumberFormatException();
            n = Integer.parseInt(c.substring(7));
        } catch (NumberFormatException e) {
            throw new InvalidSettingException(SETTING, choice + ": expected opencl:N with N a device index (see 'clprop devices')");
        }
        if (n < 0 || n >= devices.size()) {
            throw new InvalidSettingException(SETTING, choice + ": there are " + devices.size() + " OpenCL device(s), numbered 0.."
                    + (devices.size() - 1) + " (see 'clprop devices')");
        }
        return devices.get(n);
    }

    /** Opens one backend per element of {@code choice}; on failure, those already opened are closed. */
    public static List<Backend> open(String choice, Consumer<String> say) {
        return open(choice, GemmFamily.AUTO, say);
    }

    /** As {@link #open(String, Consumer)}, each OpenCL device running the given GEMM family. */
    public static List<Backend> open(String choice, GemmFamily gemm, Consumer<String> say) {
        List<Backend> out = new ArrayList<>();
        try {
            for (String c : split(choice)) {
                if (c.equals("gpus")) out.addAll(openAllGpus(gemm, say));
                else if (c.matches("opencl:\\d+/\\d+")) out.addAll(openParts(c, gemm, say));
                else out.add(openOne(c, gemm, say));
            }
        } catch (RuntimeException e) {
            for (int i = out.size() - 1; i >= 0; i--) out.get(i).close();
            throw e;
        }
        return out;
    }

    private static List<DeviceInfo> devicesFor(String c) {
        try {
            return OpenCl.devices();
        } catch (OpenClUnavailableException e) {
            throw new OpenClUnavailableException(SETTING, c + ": " + e.getMessage(), e);
        }
    }

    private static List<Backend> openAllGpus(GemmFamily gemm, Consumer<String> say) {
        List<Backend> out = new ArrayList<>();
        for (DeviceInfo d : devicesFor("gpus")) if (d.isGpu()) out.add(openDevice(d, "every GPU was asked for", gemm, say));
        if (out.isEmpty()) throw new InvalidSettingException(SETTING, "gpus: no OpenCL GPU was found (see 'clprop devices')");
        return out;
    }

    /** {@code opencl:N/K}: K sub-devices of device N, each its own backend. */
    private static List<Backend> openParts(String c, GemmFamily gemm, Consumer<String> say) {
        int slash = c.indexOf('/');
        DeviceInfo parent = byIndex(c.substring(0, slash), devicesFor(c));
        int k;
        try {
            k = Integer.parseInt(c.substring(slash + 1));
        } catch (NumberFormatException e) {
            k = 0;
        }
        if (k < 1) throw new InvalidSettingException(SETTING, c + ": expected opencl:N/K with K a number of parts >= 1");
        List<DeviceInfo> parts;
        try {
            parts = OpenCl.subDevices(parent, k);
        } catch (OpenClUnavailableException e) {
            throw new OpenClUnavailableException(SETTING, c + ": " + e.getMessage(), e);
        }
        List<Backend> out = new ArrayList<>();
        int i = 0;
        try {
            for (; i < parts.size(); i++) out.add(openDevice(parts.get(i), "as asked (sub-devices share the device's memory)", gemm, say));
        } catch (RuntimeException e) {
            for (int j = out.size() - 1; j >= 0; j--) out.get(j).close();
            // part i's handle went with its failed context; the later ones were never handed out
            for (int j = i + 1; j < parts.size(); j++) org.jocl.CL.clReleaseDevice(parts.get(j).device());
            throw e;
        }
        return out;
    }

    private static Backend openDevice(DeviceInfo pick, String why, GemmFamily gemm, Consumer<String> say) {
        var tuned = TuningCache.lookup(pick);
        GemmConfig config = GemmConfig.choose(pick, tuned, gemm);
        OpenClBackend b;
        try {
            b = new OpenClBackend(pick, config);
        } catch (RuntimeException e) {
            if (!config.equals(tuned) || pick.isSubDevice()) throw e;
            TuningCache.refuse(pick, tuned.toString(), "its kernels did not build (" + e.getMessage().lines().findFirst().orElse("") + ")");
            config = GemmConfig.choose(pick, null, gemm);
            b = new OpenClBackend(pick, config);
        }
        say.accept("device: " + pick.describe() + ", " + why + gemmNote(config, tuned, GemmConfig.defaultFor(pick), gemm));
        warnWithoutSignalChaining();
        return b;
    }

    /**
     * For a device whose tuned GEMM configuration failed a check against EJML: closes {@code failed}, refuses
     * the cache entry (one warning, naming {@code why}) and opens the device again with the family's default.
     * Returns null, and leaves {@code failed} open, when it did not run a tuned configuration (or is a
     * sub-device, whose handle went with its context).
     */
    public static Backend withoutTuning(Backend failed, GemmFamily gemm, String why, Consumer<String> say) {
        if (!(failed instanceof OpenClBackend c) || c.device().isSubDevice()) return null;
        DeviceInfo d = c.device();
        GemmConfig tuned = TuningCache.lookup(d);
        if (tuned == null || !tuned.equals(c.gemmConfig())) return null;
        c.close();
        TuningCache.refuse(d, tuned.toString(), "it failed the device self-test (" + why + ")");
        return openDevice(d, "again without the tuned GEMM", gemm, say);
    }

    /** What a user is told of the GEMM: nothing for the device's default, else which configuration and why. */
    static String gemmNote(GemmConfig config, GemmConfig tuned, GemmConfig deviceDefault, GemmFamily gemm) {
        if (config.equals(tuned)) return "; tuned GEMM " + config;
        return config.equals(deviceDefault) ? "" : "; GEMM " + config + ", as asked (--gemm " + gemm + ")";
    }

    private static Backend openOne(String c, GemmFamily gemm, Consumer<String> say) {
        if (c.equals("cpu") || c.equals("ejml")) {
            say.accept("device: ejml (CPU reference path), as asked");
            return new EjmlBackend();
        }
        List<DeviceInfo> devices;
        try {
            devices = OpenCl.devices();
        } catch (OpenClUnavailableException e) {
            if (c.equals("auto")) {
                say.accept("device: ejml (CPU reference path), because " + e.getMessage());
                return new EjmlBackend();
            }
            throw new OpenClUnavailableException(SETTING, c + ": " + e.getMessage(), e);
        }
        DeviceInfo pick;
        String why;
        if (c.equals("auto") || c.equals("opencl")) {
            pick = devices.stream().filter(DeviceInfo::isGpu).findFirst().orElse(null);
            why = "the first GPU";
            if (pick == null) {
                pick = devices.stream().filter(DeviceInfo::isCpu).findFirst().orElse(devices.get(0));
                why = "no OpenCL GPU was found, so the first " + (pick.isCpu() ? "CPU OpenCL device" : "OpenCL device");
            }
        } else if (c.startsWith("opencl:")) {
            pick = byIndex(c, devices);
            why = "as asked";
        } else {
            pick = devices.stream().filter(d -> d.name().toLowerCase(Locale.ROOT).contains(c)
                    || d.platformName().toLowerCase(Locale.ROOT).contains(c)).findFirst().orElse(null);
            if (pick == null) {
                throw new InvalidSettingException(SETTING, dev.clprop.error.Quote.of(c) + ": no OpenCL device matches (expected auto, cpu, opencl, opencl:N or part of a device name; see 'clprop devices')");
            }
            why = "its name matches '" + c + "'";
        }
        try {
            return openDevice(pick, why, gemm, say);
        } catch (RuntimeException e) {
            if (c.equals("auto")) {
                say.accept("device: ejml (CPU reference path), because " + pick.describe() + " failed to start: " + e.getMessage());
                return new EjmlBackend();
            }
            throw e;
        }
    }

    /**
     * Whether the JDK's signal-chaining library is loaded in this process (see docs/devices.md, "Signal chaining").
     * Read from what is mapped ({@code /proc/self/maps}), so a preload of a path that does not exist is
     * not taken for one that worked; where that file does not exist (not Linux) it trusts LD_PRELOAD.
     */
    public static boolean signalChaining() {
        return signalChaining(Path.of("/proc/self/maps"), System.getenv("LD_PRELOAD"));
    }

    static boolean signalChaining(Path maps, String preload) {
        try (var lines = Files.lines(maps)) {
            return lines.anyMatch(l -> l.endsWith("/libjsig.so"));
        } catch (IOException | UncheckedIOException e) {
            return preload != null && preload.contains("libjsig");
        }
    }

    /**
     * OpenCL drivers built on LLVM (PoCL among them) replace the JVM's SIGSEGV handler, which the JVM
     * needs internally; without the JDK's libjsig.so loaded a run can die at random. Said once per JVM,
     * through {@code System.getLogger("dev.clprop")} only (the command line prints that logger's
     * warnings as its own), so that a caller who also passes a message consumer does not read it twice.
     */
    static void warnWithoutSignalChaining() {
        if (!WARNED_JSIG.compareAndSet(false, true) || signalChaining()) return;
        System.getLogger("dev.clprop").log(System.Logger.Level.WARNING, JSIG_WARNING);
    }

    static final String JSIG_WARNING = "libjsig.so is not loaded; an OpenCL driver built on LLVM can replace the JVM's signal"
            + " handlers and crash the run. Start Java with LD_PRELOAD=$JAVA_HOME/lib/libjsig.so (scripts/clprop does)";
}
