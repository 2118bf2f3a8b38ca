package dev.clprop.util;

import java.util.function.LongSupplier;

/**
 * The heap that is left, for the checks that refuse an allocation before it is made (a declared
 * array size in a file, a network's parameters, rows of a CSV file). One place, so tests can set
 * the figure and pin each check's boundary.
 */
public final class Memory {
    private static volatile LongSupplier free = Memory::measured;

    private Memory() {
    }

    /** Bytes the JVM can still allocate: its maximum heap less what is in use. */
    public static long free() {
        return free.getAsLong();
    }

    /** Whether {@code bytes} fit within {@code 1/share} of the free heap (share 2: half of it). */
    public static boolean fits(long bytes, int share) {
        return bytes <= free() / share;
    }

    static long measured() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /** For tests: pretend {@code bytes} are free until {@link #measure()} is called. */
    public static void pretend(long bytes) {
        free = () -> bytes;
    }

    /** Back to measuring the heap. */
    public static void measure() {
        free = Memory::measured;
    }
}
