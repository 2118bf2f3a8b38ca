package dev.clprop.device.opencl;

import dev.clprop.error.OpenClUnavailableException;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Entry to the OpenCL runtime: turns JOCL exceptions on once, and lists platforms and devices.
 * When the library or a platform is missing it throws {@link OpenClUnavailableException} naming the
 * packages to install.
 */
public final class OpenCl {
    /** What to install when libOpenCL.so is missing. */
    public static final String INSTALL_LOADER = "install the OpenCL ICD loader (Debian/Ubuntu: apt-get install ocl-icd-opencl-dev)";
    /** What to install when no OpenCL driver (platform) exists. */
    public static final String INSTALL_DRIVER = "install an OpenCL driver: your GPU vendor's, or a CPU one (Debian/Ubuntu: apt-get install pocl-opencl-icd)";

    /**
     * Every device type, as the bits the OpenCL specification defines. Not {@code CL.CL_DEVICE_TYPE_ALL}:
     * JOCL holds that as a sign-extended {@code 0xffffffffffffffff}, and a strict driver (Mesa's rusticl)
     * answers CL_INVALID_DEVICE_TYPE to the bits above the 32 the specification's 0xFFFFFFFF has.
     */
    static final long EVERY_DEVICE_TYPE = CL.CL_DEVICE_TYPE_DEFAULT | CL.CL_DEVICE_TYPE_CPU | CL.CL_DEVICE_TYPE_GPU
            | CL.CL_DEVICE_TYPE_ACCELERATOR | CL.CL_DEVICE_TYPE_CUSTOM;

    private static volatile boolean initialised;

    private OpenCl() {
    }

    private static synchronized void init() {
        if (initialised) return;
        try {
            CL.setExceptionsEnabled(true);
        } catch (Throwable t) { // UnsatisfiedLinkError and JOCL's own initialisation errors
            throw new OpenClUnavailableException("the OpenCL library (libOpenCL.so) could not be loaded: " + INSTALL_LOADER, t);
        }
        initialised = true;
    }

    /** Every device of every platform, in platform order; never empty. */
    public static List<DeviceInfo> devices() {
        init();
        cl_platform_id[] platforms;
        try {
            int[] n = new int[1];
            CL.clGetPlatformIDs(0, null, n);
            if (n[0] == 0) throw new OpenClUnavailableException("no OpenCL platform found: " + INSTALL_DRIVER, null);
            platforms = new cl_platform_id[n[0]];
            CL.clGetPlatformIDs(n[0], platforms, null);
        } catch (CLException e) {
            throw new OpenClUnavailableException("no OpenCL platform found (" + e.getMessage() + "): " + INSTALL_DRIVER, e);
        } catch (UnsatisfiedLinkError e) {
            throw new OpenClUnavailableException("the OpenCL library (libOpenCL.so) could not be loaded: " + INSTALL_LOADER, e);
        }
        List<DeviceInfo> out = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        for (cl_platform_id p : platforms) {
            String platformName = platformString(p, CL.CL_PLATFORM_NAME);
            cl_device_id[] ds;
            try {
                int[] n = new int[1];
                CL.clGetDeviceIDs(p, EVERY_DEVICE_TYPE, 0, null, n);
                ds = new cl_device_id[n[0]];
                CL.clGetDeviceIDs(p, EVERY_DEVICE_TYPE, n[0], ds, null);
            } catch (CLException e) {
                // CL_DEVICE_NOT_FOUND is a platform without devices (rusticl without RUSTICL_ENABLE);
                // anything else is a driver refusing the question, which the user must hear of
                if (e.getStatus() != CL.CL_DEVICE_NOT_FOUND) refusals.add(platformName + ": " + e.getMessage());
                continue;
            }
            for (cl_device_id d : ds) {
                out.add(new DeviceInfo(out.size(), p, d, platformName, deviceString(d, CL.CL_DEVICE_NAME),
                        deviceString(d, CL.CL_DEVICE_VENDOR), typeName(deviceLong(d, CL.CL_DEVICE_TYPE)),
                        (int) deviceInt(d, CL.CL_DEVICE_MAX_COMPUTE_UNITS), deviceLong(d, CL.CL_DEVICE_GLOBAL_MEM_SIZE),
                        deviceLong(d, CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                        deviceLong(d, CL.CL_DEVICE_LOCAL_MEM_SIZE), deviceSize(d, CL.CL_DEVICE_MAX_WORK_GROUP_SIZE),
                        deviceString(d, CL.CL_DEVICE_VERSION), deviceString(d, CL.CL_DRIVER_VERSION)));
            }
        }
        if (out.isEmpty()) {
            throw new OpenClUnavailableException("OpenCL platforms exist but have no devices"
                    + (refusals.isEmpty() ? "" : " (" + String.join("; ", refusals) + ")") + ": " + INSTALL_DRIVER, null);
        }
        return out;
    }

    /**
     * Splits {@code parent} into {@code parts} sub-devices of equal compute units
     * ({@code clCreateSubDevices} by counts), each usable as a device of its own. PoCL offers this for
     * CPUs; its compute units are the worker threads, {@code POCL_MAX_PTHREAD_COUNT} by default the
     * cores. Each sub-device's handle is released when the context made on it closes.
     */
    public static List<DeviceInfo> subDevices(DeviceInfo parent, int parts) {
        init();
        if (parts < 1) throw new IllegalArgumentException("parts " + parts);
        if (parts > parent.computeUnits()) {
            throw new OpenClUnavailableException(parent.describe() + " has " + parent.computeUnits() + " compute unit(s), so it splits into at most "
                    + parent.computeUnits() + " parts, not " + parts + (parent.platformName().contains("Portable") ? " (PoCL: set POCL_MAX_PTHREAD_COUNT)" : ""), null);
        }
        int units = parent.computeUnits() / parts;
        long[] props = new long[parts + 2];
        props[0] = CL.CL_DEVICE_PARTITION_BY_COUNTS;
        for (int i = 0; i < parts; i++) props[i + 1] = units;
        props[parts + 1] = CL.CL_DEVICE_PARTITION_BY_COUNTS_LIST_END;
        cl_device_id[] out = new cl_device_id[parts];
        try {
            CL.clCreateSubDevices(parent.device(), partitionProperties(props), parts, out, null);
        } catch (CLException e) {
            throw new OpenClUnavailableException(parent.describe() + " cannot be split into " + parts + " sub-devices: " + e.getMessage(), e);
        }
        List<DeviceInfo> list = new ArrayList<>();
        for (int i = 0; i < parts; i++) list.add(parent.asPart(out[i], i + 1, parts, units));
        return list;
    }

    /** How many sub-devices {@code d} can be split into (0 or 1: none). */
    public static int maxSubDevices(DeviceInfo d) {
        init();
        return (int) deviceInt(d.device(), CL.CL_DEVICE_PARTITION_MAX_SUB_DEVICES);
    }

    /** JOCL adds properties in pairs and ends the list with 0; an odd list gets one more 0 after its own end. */
    private static org.jocl.cl_device_partition_property partitionProperties(long[] values) {
        org.jocl.cl_device_partition_property p = new org.jocl.cl_device_partition_property();
        for (int i = 0; i < values.length; i += 2) p.addProperty(values[i], i + 1 < values.length ? values[i + 1] : 0);
        return p;
    }

    static String typeName(long t) {
        List<String> s = new ArrayList<>();
        if ((t & CL.CL_DEVICE_TYPE_GPU) != 0) s.add("GPU");
        if ((t & CL.CL_DEVICE_TYPE_CPU) != 0) s.add("CPU");
        if ((t & CL.CL_DEVICE_TYPE_ACCELERATOR) != 0) s.add("ACCELERATOR");
        if ((t & CL.CL_DEVICE_TYPE_CUSTOM) != 0) s.add("CUSTOM");
        if (s.isEmpty()) s.add("OTHER");
        return String.join("+", s);
    }

    static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        CL.clGetPlatformInfo(p, param, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        CL.clGetPlatformInfo(p, param, buf.length, Pointer.to(buf), null);
        return cString(buf);
    }

    static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        CL.clGetDeviceInfo(d, param, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        CL.clGetDeviceInfo(d, param, buf.length, Pointer.to(buf), null);
        return cString(buf);
    }

    static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        CL.clGetDeviceInfo(d, param, Sizeof.cl_ulong, Pointer.to(v), null);
        return v[0];
    }

    static long deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        CL.clGetDeviceInfo(d, param, Sizeof.cl_uint, Pointer.to(v), null);
        return v[0];
    }

    static long deviceSize(cl_device_id d, int param) {
        long[] v = new long[1];
        CL.clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(v), null);
        return v[0];
    }

    private static String cString(byte[] buf) {
        int n = buf.length;
        while (n > 0 && buf[n - 1] == 0) n--;
        return new String(buf, 0, n, StandardCharsets.UTF_8).trim();
    }
}
