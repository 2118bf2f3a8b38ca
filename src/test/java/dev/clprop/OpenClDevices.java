package dev.clprop;

import dev.clprop.device.opencl.DeviceInfo;
import dev.clprop.device.opencl.OpenCl;
import dev.clprop.device.opencl.OpenClBackend;
import dev.clprop.error.OpenClUnavailableException;

import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The OpenCL device the tests run on: CLPROP_TEST_DEVICE=N picks one, else the first.
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
        String pick = System.getenv("CLPROP_TEST_DEVICE");
        return devices.get(pick == null || pick.isBlank() ? 0 : Integer.parseInt(pick.trim()));
    }

    public static OpenClBackend backend() {
        return new OpenClBackend(device());
    }
}
