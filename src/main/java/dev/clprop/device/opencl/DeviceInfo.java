package dev.clprop.device.opencl;

import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/** One OpenCL device, with its flat index across all platforms (what {@code opencl:N} names). */
public record DeviceInfo(int index, cl_platform_id platform, cl_device_id device, String platformName, String name,
                         String vendor, String type, int computeUnits, long globalMemory, long maxAllocation, long localMemory,
                         long maxWorkGroupSize, String version, String driverVersion) {
    public boolean isGpu() {
        return type.contains("GPU");
    }

    public boolean isCpu() {
        return type.contains("CPU");
    }

    /** e.g. "opencl:0 pthread-skylake-avx512 (Portable Computing Language, CPU)". */
    public String describe() {
        return "opencl:" + index + " " + name + " (" + platformName + ", " + type + ")";
    }

    /** Identifies device and driver, for caches such as tuning results. */
    public String cacheKey() {
        return (platformName + "_" + name + "_" + driverVersion).replaceAll("[^A-Za-z0-9._-]+", "_");
    }
}
