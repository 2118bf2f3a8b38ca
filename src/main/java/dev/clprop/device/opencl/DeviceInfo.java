package dev.clprop.device.opencl;

import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * One OpenCL device, with its flat index across all platforms (what {@code opencl:N} names). A
 * sub-device ({@link OpenCl#subDevices}) keeps its parent's index and says which part it is in
 * {@code part} ("2/4": the second of four); null for a whole device.
 */
public record DeviceInfo(int index, cl_platform_id platform, cl_device_id device, String platformName, String name,
                         String vendor, String type, int computeUnits, long globalMemory, long maxAllocation, long localMemory,
                         long maxWorkGroupSize, String version, String driverVersion, String part) {
    /** A whole device (not a part of one). */
    public DeviceInfo(int index, cl_platform_id platform, cl_device_id device, String platformName, String name, String vendor, String type,
                      int computeUnits, long globalMemory, long maxAllocation, long localMemory, long maxWorkGroupSize, String version,
                      String driverVersion) {
        this(index, platform, device, platformName, name, vendor, type, computeUnits, globalMemory, maxAllocation, localMemory,
                maxWorkGroupSize, version, driverVersion, null);
    }

    /** Whether this is part of a device, made by {@link OpenCl#subDevices}; its handle is released with its context. */
    public boolean isSubDevice() {
        return part != null;
    }

    /** This device as part {@code k} (1-based) of {@code of}, with its own handle and compute units. */
    DeviceInfo asPart(cl_device_id handle, int k, int of, int units) {
        return new DeviceInfo(index, platform, handle, platformName, name, vendor, type, units, globalMemory, maxAllocation, localMemory,
                maxWorkGroupSize, version, driverVersion, k + "/" + of);
    }

    /** Whether the driver reports the device as a GPU. */
    public boolean isGpu() {
        return type.contains("GPU");
    }

    /** Whether the driver reports the device as a CPU. */
    public boolean isCpu() {
        return type.contains("CPU");
    }

    /** e.g. "opencl:0 pthread-skylake-avx512 (Portable Computing Language, CPU)", or "opencl:0 part 1/2 ... 1 compute unit". */
    public String describe() {
        if (part != null) {
            return "opencl:" + index + " part " + part + " " + name + " (" + platformName + ", " + type + ", " + computeUnits + " compute unit"
                    + (computeUnits == 1 ? "" : "s") + ")";
        }
        return "opencl:" + index + " " + name + " (" + platformName + ", " + type + ")";
    }

    /** Identifies device and driver, for caches such as tuning results. */
    public String cacheKey() {
        return (platformName + "_" + name + "_" + driverVersion).replaceAll("[^A-Za-z0-9._-]+", "_");
    }
}
