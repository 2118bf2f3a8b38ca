package dev.clprop;

import dev.clprop.device.opencl.DeviceInfo;
import dev.clprop.device.opencl.OpenCl;
import dev.clprop.device.opencl.OpenClBackend;
import dev.clprop.error.OpenClUnavailableException;

import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The OpenCL device the tests run on: CLPROP_TEST_DEVICE=N or a part of its name picks one, else the first.
 * Without a device the tests skip with the reason, except when CI=true: there it is a failure,
 * because CI installs PoCL and OpenCL tests must really run.
 */
public final class OpenClDevices {
    private static List<DeviceInfo> devices;
    private static String unavailable;

    private OpenClDevices() {
    }

    public static synchronized DeviceInfo device() {
        if (devices == null && unavailable == null) {
            try {
                devices = OpenCl.devices();
            } catch (OpenClUnavailableException e) {
                unavailable = e.getMessage();
            }
        }
        if (devices == null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true but no OpenCL device is available: " + unavailable);
            }
            assumeTrue(false, "OpenCL tests skipped, no device: " + unavailable);
        }
        return pick(devices, System.getenv("CLPROP_TEST_DEVICE"));
    }

    /** CLPROP_TEST_DEVICE: a device index, or part of a device or platform name (llvmpipe, Oclgrind); a miss fails. */
    static DeviceInfo pick(List<DeviceInfo> devices, String choice) {
        if (choice == null || choice.isBlank()) return devices.get(0);
        String c = choice.trim().toLowerCase(java.util.Locale.ROOT);
        if (c.matches("\\d+")) {
            int n = Integer.parseInt(c);
            if (n >= devices.size()) fail("CLPROP_TEST_DEVICE=" + choice + " but there are " + devices.size() + " device(s)");
            return devices.get(n);
        }
        for (DeviceInfo d : devices) {
            if (d.name().toLowerCase(java.util.Locale.ROOT).contains(c) || d.platformName().toLowerCase(java.util.Locale.ROOT).contains(c)) return d;
        }
        return fail("CLPROP_TEST_DEVICE=" + choice + " matches no OpenCL device");
    }

    public static OpenClBackend backend() {
        return new OpenClBackend(device());
    }
}
