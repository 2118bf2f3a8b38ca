package dev.clprop;

/**
 * A device clprop can use: {@code id} is what {@link Device#open(String)} takes ({@code opencl:N}, or
 * {@code cpu} for the EJML reference path), the rest is what the driver reports.
 */
public record DeviceDescription(String id, String name, String vendor, String platform, String type, int computeUnits,
                                long globalMemoryBytes, String openClVersion) {
    /** The EJML reference path on the CPU, always available. */
    public static final DeviceDescription CPU = new DeviceDescription("cpu", "ejml (CPU reference path)", "", "", "CPU", 0, 0, "");
}
