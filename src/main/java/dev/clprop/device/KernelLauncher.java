package dev.clprop.device;

/**
 * How a {@link KernelOp} launches its kernels, without the OpenCL host layer: a kernel by name, its
 * arguments in the kernel's order by name (checked against the compiled signature on first launch),
 * then the range. Launches are queued; none waits.
 */
public interface KernelLauncher {
    /** A launch of {@code kernel} from the op's kernel file. */
    Launch kernel(String kernel);

    /** One launch being set up. */
    interface Launch {
        /** A {@code __global float*} argument. */
        Launch tensor(String arg, Tensor t);

        /** An {@code int} argument. */
        Launch i32(String arg, int v);

        /** A {@code float} argument. */
        Launch f32(String arg, float v);

        /** One work-item per (column, row): {@code get_global_id(0) < cols}, {@code get_global_id(1) < rows}, rounded up to work-groups. */
        void grid(long cols, long rows);

        /** {@code items} work-items in one dimension (rounded up to work-groups). */
        void items(long items);

        /** {@code count} work-groups of exactly {@code size} work-items each, in one dimension (for a kernel with that reqd_work_group_size). */
        void groups(long count, int size);
    }
}
