package dev.clprop.backend;

import dev.clprop.UserError;
import dev.clprop.backend.opencl.DeviceInfo;
import dev.clprop.backend.opencl.GemmConfig;
import dev.clprop.backend.opencl.OpenCl;
import dev.clprop.backend.opencl.OpenClBackend;
import dev.clprop.backend.opencl.OpenClUnavailable;
import dev.clprop.backend.reference.EjmlBackend;

import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Turns a --device choice into a backend:
 * <ul>
 *   <li>{@code auto}: a GPU, else a CPU OpenCL device, else EJML, saying what it picked and why;</li>
 *   <li>{@code cpu}: the EJML reference path;</li>
 *   <li>{@code opencl}: the best OpenCL device (as auto), {@code opencl:N} device N of {@code clprop devices};</li>
 *   <li>anything else: the OpenCL device whose name contains it (case-insensitive).</li>
 * </ul>
 * An explicit OpenCL choice that cannot be met is a {@link UserError}; auto falls back to EJML.
 */
public final class Backends {
    private Backends() {
    }

    /** The device {@code opencl:N} names, N an index from {@code clprop devices}; anything else is a UserError. */
    public static DeviceInfo byIndex(String choice, List<DeviceInfo> devices) {
        String c = choice.trim().toLowerCase(Locale.ROOT);
        int n;
        try {
            if (!c.startsWith("opencl:")) throw new NumberFormatException();
            n = Integer.parseInt(c.substring(7));
        } catch (NumberFormatException e) {
            throw new UserError("--device " + choice + ": expected opencl:N with N a device index from 'clprop devices'");
        }
        if (n < 0 || n >= devices.size()) {
            throw new UserError("--device " + choice + ": there are " + devices.size() + " OpenCL device(s), numbered 0.." + (devices.size() - 1) + " (see 'clprop devices')");
        }
        return devices.get(n);
    }

    /** Whether the JDK's signal-chaining library is preloaded (see README, "Signal chaining"). */
    static boolean signalChaining() {
        String p = System.getenv("LD_PRELOAD");
        return p != null && p.contains("libjsig");
    }

    public static Backend open(String choice, Consumer<String> say) {
        return open(choice, say, d -> null);
    }

    /** @param tuned GEMM tiles for a device (e.g. from the tuning cache), or null for the default */
    public static Backend open(String choice, Consumer<String> say, Function<DeviceInfo, GemmConfig> tuned) {
        String c = choice == null ? "auto" : choice.trim().toLowerCase(Locale.ROOT);
        if (c.equals("cpu") || c.equals("ejml")) {
            say.accept("device: ejml (CPU reference path), as asked");
            return new EjmlBackend();
        }
        List<DeviceInfo> devices;
        try {
            devices = OpenCl.devices();
        } catch (OpenClUnavailable e) {
            if (c.equals("auto")) {
                say.accept("device: ejml (CPU reference path), because " + e.getMessage());
                return new EjmlBackend();
            }
            throw new UserError("--device " + choice + ": " + e.getMessage());
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
            pick = byIndex(choice, devices);
            why = "as asked";
        } else {
            pick = devices.stream().filter(d -> d.name().toLowerCase(Locale.ROOT).contains(c)
                    || d.platformName().toLowerCase(Locale.ROOT).contains(c)).findFirst().orElse(null);
            if (pick == null) {
                throw new UserError("--device " + choice + ": no OpenCL device matches (expected auto, cpu, opencl, opencl:N or part of a device name; see 'clprop devices')");
            }
            why = "its name matches '" + choice + "'";
        }
        GemmConfig g = tuned.apply(pick);
        try {
            OpenClBackend b = new OpenClBackend(pick, g);
            say.accept("device: " + pick.describe() + ", " + why + (g != null ? "; tuned GEMM " + g : ""));
            if (!signalChaining()) {
                say.accept("warning: libjsig.so is not preloaded; an OpenCL driver built on LLVM can replace the JVM's signal handlers"
                        + " and crash the run. Start clprop through scripts/clprop, or set LD_PRELOAD=$JAVA_HOME/lib/libjsig.so");
            }
            return b;
        } catch (RuntimeException e) {
            if (c.equals("auto")) {
                say.accept("device: ejml (CPU reference path), because " + pick.describe() + " failed to start: " + e.getMessage());
                return new EjmlBackend();
            }
            throw e;
        }
    }
}
