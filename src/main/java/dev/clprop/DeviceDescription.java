package dev.clprop;

/**
 * A device clprop can use: {@code id} is what {@link Device#open(String)} takes ({@code opencl:N}, or
 * {@code cpu} for the EJML reference path), the rest is what the driver reports; {@code maxSubDevices}
 * (2 or more) says that {@code id + "/K"} splits it into K sub-devices for data-parallel training.
 */
public record DeviceDescription(String id, String name, String vendor, String platform, String type, int computeUnits,
                                long globalMemoryBytes, String openClVersion, int maxSubDevices) {
    /** A device that cannot be split into sub-devices. */
    public DeviceDescription(String id, String name, String vendor, String platform, String type, int computeUnits, long globalMemoryBytes,
                             String openClVersion) {
        this(id, name, vendor, platform, type, computeUnits, globalMemoryBytes, openClVersion, 0);
    }

    /** The EJML reference path on the CPU, always available. */
    public static final DeviceDescription CPU = new DeviceDescription("cpu", "ejml (CPU reference path)", "", "", "CPU", 0, 0, "");
}
