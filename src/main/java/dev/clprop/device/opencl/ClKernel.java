package dev.clprop.device.opencl;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

import java.nio.charset.StandardCharsets;

/**
 * One kernel of a built program, launched through {@link #call()}: every argument is given with its
 * name and type ({@code floats("z", t).i32("m", m)...}). The first launch compares them, position by
 * position, with the kernel's own signature as the compiler reports it (programs are built with
 * {@code -cl-kernel-arg-info}), so an argument passed in the wrong place fails at once with both
 * names, instead of computing garbage. Where a driver gives no argument info, the check is skipped.
 * Not thread-safe, like the queue it launches on.
 */
final class ClKernel {
    /** Receives each launch's event when profiling, with the kernel's name. */
    interface EventSink {
        boolean wantsEvents();

        void record(String name, cl_event event);
    }

    final String name;
    final cl_kernel kernel;
    private final ClContext ctx;
    private final EventSink sink;
    private final String[] argNames;
    private final String[] argTypes;
    private boolean verified;
    private long workGroupLimit;
    private final Call call = new Call();

    ClKernel(ClContext ctx, cl_kernel kernel, String name, EventSink sink) {
        this.ctx = ctx;
        this.kernel = kernel;
        this.name = name;
        this.sink = sink;
        int[] n = new int[1];
        CL.clGetKernelInfo(kernel, CL.CL_KERNEL_NUM_ARGS, Sizeof.cl_uint, Pointer.to(n), null);
        String[] names = new String[n[0]], types = new String[n[0]];
        try {
            for (int i = 0; i < n[0]; i++) {
                names[i] = argInfo(i, CL.CL_KERNEL_ARG_NAME);
                types[i] = argInfo(i, CL.CL_KERNEL_ARG_TYPE_NAME).replace(" ", "");
            }
        } catch (CLException e) {
            names = null; // CL_KERNEL_ARG_INFO_NOT_AVAILABLE: this driver cannot tell
            types = null;
        }
        argNames = names;
        argTypes = types;
        verified = names == null;
    }

    private long workGroupLimit() {
        if (workGroupLimit == 0) {
            long[] v = new long[1];
            CL.clGetKernelWorkGroupInfo(kernel, ctx.device.device(), CL.CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(v), null);
            workGroupLimit = Math.max(1, v[0]);
        }
        return workGroupLimit;
    }

    private static long roundUp(long n, long multiple) {
        return Math.max(1, (n + multiple - 1) / multiple) * multiple;
    }

    private String argInfo(int i, int param) {
        long[] size = new long[1];
        CL.clGetKernelArgInfo(kernel, i, param, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        CL.clGetKernelArgInfo(kernel, i, param, b.length, Pointer.to(b), null);
        int len = b.length;
        while (len > 0 && b[len - 1] == 0) len--;
        return new String(b, 0, len, StandardCharsets.US_ASCII);
    }

    /** Whether the arguments of a launch have been checked against the kernel's signature. */
    boolean verified() {
        return verified && argNames != null;
    }

    /** Starts setting the arguments of a launch, in the kernel's order. */
    Call call() {
        call.index = 0;
        call.label = name;
        return call;
    }

    /** The arguments of one launch; reused between launches. */
    final class Call {
        private int index;
        private String label;

        /** The name this launch is profiled under (default: the kernel's), e.g. the GEMM form it computes. */
        Call as(String profileLabel) {
            label = profileLabel;
            return this;
        }

        Call floats(String argName, ClTensor t) {
            check(argName, "float*");
            CL.clSetKernelArg(kernel, index++, Sizeof.cl_mem, Pointer.to(t.mem));
            return this;
        }

        Call ints(String argName, ClTensor t) {
            check(argName, "int*");
            CL.clSetKernelArg(kernel, index++, Sizeof.cl_mem, Pointer.to(t.mem));
            return this;
        }

        Call i32(String argName, int v) {
            check(argName, "int");
            CL.clSetKernelArg(kernel, index++, Sizeof.cl_int, Pointer.to(new int[]{v}));
            return this;
        }

        Call u64(String argName, long v) {
            check(argName, "ulong");
            CL.clSetKernelArg(kernel, index++, Sizeof.cl_ulong, Pointer.to(new long[]{v}));
            return this;
        }

        Call f32(String argName, float v) {
            check(argName, "float");
            CL.clSetKernelArg(kernel, index++, Sizeof.cl_float, Pointer.to(new float[]{v}));
            return this;
        }

        /**
         * Enqueues one work-item per item, {@code items} of them, in work-groups of the context's
         * fixed 1-D size (the kernel ignores the items past {@code items}). A fixed size matters: a
         * driver left to choose picks a divisor of each global size, and PoCL compiles the kernel
         * anew for every work-group size it meets.
         */
        void runItems(long items) {
            runItemsInGroupsOf(items, ctx.groupSize1d);
        }

        /** Enqueues {@code items} work-items in work-groups of a fixed {@code groupSize} (capped by the kernel's limit). */
        void runItemsInGroupsOf(long items, long groupSize) {
            long local = Math.max(1, Math.min(groupSize, workGroupLimit()));
            run(new long[]{roundUp(items, local)}, new long[]{local});
        }

        /** Enqueues a grid of cols × rows work-items in the context's fixed 2-D work-groups. */
        void runGrid(long cols, long rows) {
            long[] local = ctx.groupSize2d.clone();
            while (local[0] * local[1] > workGroupLimit()) {
                if (local[0] >= local[1]) local[0] /= 2;
                else local[1] /= 2;
            }
            run(new long[]{roundUp(cols, local[0]), roundUp(rows, local[1])}, local);
        }

        /** Enqueues a single work-item, for the kernels that reduce in a fixed order. */
        /** One work-group of exactly {@code size} work-items (a kernel with that reqd_work_group_size). */
        void runGroup(long size) {
            run(new long[]{size}, new long[]{size});
        }

        void runOnce() {
            run(new long[]{1}, new long[]{1});
        }

        /** Enqueues the launch with an explicit work-group size. */
        void run(long[] global, long[] local) {
            if (!verified) {
                if (index != argNames.length) {
                    throw new IllegalStateException("kernel " + name + " takes " + argNames.length + " arguments, the launch set " + index);
                }
                verified = true;
            }
            cl_event ev = sink.wantsEvents() ? new cl_event() : null;
            CL.clEnqueueNDRangeKernel(ctx.queue, kernel, global.length, null, global, local, 0, null, ev);
            if (ev != null) sink.record(label, ev);
        }

        private void check(String argName, String type) {
            if (verified) return;
            if (index >= argNames.length) {
                throw new IllegalStateException("kernel " + name + " takes " + argNames.length + " arguments, the launch passes more ('" + argName + "')");
            }
            if (!argNames[index].equals(argName) || !argTypes[index].equals(type)) {
                throw new IllegalStateException("kernel " + name + " argument " + index + " is '" + argTypes[index] + " " + argNames[index]
                        + "', but the launch passes '" + type + " " + argName + "'");
            }
        }
    }
}
