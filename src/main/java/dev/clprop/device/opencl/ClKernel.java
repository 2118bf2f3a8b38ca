package dev.clprop.device.opencl;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One kernel of a built program, launched through {@link #call()}: every argument is given with its
 * name and type ({@code floats("z", t).i32("m", m)...}). The first launch compares them, position by
 * position, with the kernel's own signature as the compiler reports it (programs are built with
 * {@code -cl-kernel-arg-info}), so an argument passed in the wrong place fails at once with both
 * names, instead of computing garbage. Where a driver gives no argument info, the check is skipped.
 * <p>
 * A launch sets only the arguments that differ from what the kernel object already holds. Setting an
 * argument costs about 0.5 us on PoCL, and a training step's ~100 of them took as long as its kernels
 * at batch 1. Since one kernel serves several call sites (a GEMM per layer), each distinct set of
 * buffer arguments gets a kernel object of its own ({@link #BOUND_LIMIT} at most, the least recently
 * used one rebound beyond that), so a layer's launch usually sets only its changed scalars.
 * Not thread-safe, like the queue it launches on.
 */
final class ClKernel {
    /** Receives each launch's event when profiling, with the kernel's name. */
    interface EventSink {
        boolean wantsEvents();

        void record(String name, cl_event event);
    }

    /** Kernel objects per kernel, one per set of buffer arguments: enough for every layer of a network and its evaluation. */
    static final int BOUND_LIMIT = 16;

    final String name;
    final cl_kernel kernel;
    private final ClContext ctx;
    private final EventSink sink;
    private final Supplier<cl_kernel> another;
    private final String[] argNames;
    private final String[] argTypes;
    private boolean verified;
    private long workGroupLimit;
    private final Call call;
    private final List<Bound> bound = new ArrayList<>();
    private long launches, argumentsSet;

    /**
     * @param another creates one more object of the same kernel, released by its owner (the program)
     */
    ClKernel(ClContext ctx, cl_kernel kernel, String name, EventSink sink, Supplier<cl_kernel> another) {
        this.ctx = ctx;
        this.kernel = kernel;
        this.name = name;
        this.sink = sink;
        this.another = another;
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
        call = new Call(n[0]);
        bound.add(new Bound(kernel, n[0]));
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

    /** How many kernel objects this kernel has made (at most {@link #BOUND_LIMIT}). */
    int kernelObjects() {
        return bound.size();
    }

    /** Launches so far, and the arguments they actually had to set (the rest were already held). */
    long[] argumentCounts() {
        return new long[]{launches, argumentsSet};
    }

    /** A kernel object and the argument values it holds (size 0: never set). */
    private static final class Bound {
        final cl_kernel kernel;
        final cl_mem[] mems;
        final long[] bits;
        final int[] sizes;
        long lastUse;

        Bound(cl_kernel kernel, int args) {
            this.kernel = kernel;
            mems = new cl_mem[args];
            bits = new long[args];
            sizes = new int[args];
        }

        boolean holdsBuffers(cl_mem[] wanted, int count) {
            for (int i = 0; i < count; i++) if (wanted[i] != null && mems[i] != wanted[i]) return false;
            return true;
        }
    }

    /** The kernel object for these buffer arguments: the one that holds them, a new one, or the least recently used. */
    private Bound boundFor(cl_mem[] mems, int count) {
        Bound oldest = null;
        for (Bound b : bound) {
            if (b.holdsBuffers(mems, count)) return b;
            if (oldest == null || b.lastUse < oldest.lastUse) oldest = b;
        }
        if (bound.size() < BOUND_LIMIT) {
            Bound b = new Bound(another.get(), mems.length);
            bound.add(b);
            return b;
        }
        return oldest;
    }

    /** The arguments of one launch; reused between launches. */
    final class Call {
        private int index;
        private String label;
        private final cl_mem[] mems;
        private final long[] bits;
        private final int[] sizes;

        private Call(int args) {
            mems = new cl_mem[args];
            bits = new long[args];
            sizes = new int[args];
        }

        /** The name this launch is profiled under (default: the kernel's), e.g. the GEMM form it computes. */
        Call as(String profileLabel) {
            label = profileLabel;
            return this;
        }

        Call floats(String argName, ClTensor t) {
            check(argName, "float*");
            return buffer(t.mem);
        }

        Call ints(String argName, ClTensor t) {
            check(argName, "int*");
            return buffer(t.mem);
        }

        Call i32(String argName, int v) {
            check(argName, "int");
            return scalar(v, Sizeof.cl_int);
        }

        Call u64(String argName, long v) {
            check(argName, "ulong");
            return scalar(v, Sizeof.cl_ulong);
        }

        Call f32(String argName, float v) {
            check(argName, "float");
            return scalar(Float.floatToRawIntBits(v), Sizeof.cl_float);
        }

        private Call buffer(cl_mem m) {
            if (index >= mems.length) throw tooMany();
            mems[index] = m;
            sizes[index++] = Sizeof.cl_mem;
            return this;
        }

        private Call scalar(long v, int size) {
            if (index >= mems.length) throw tooMany();
            mems[index] = null;
            bits[index] = v;
            sizes[index++] = size;
            return this;
        }

        private IllegalStateException tooMany() {
            return new IllegalStateException("kernel " + name + " takes " + mems.length + " arguments, the launch passes more");
        }

        /** Sets on the kernel object what it does not already hold. */
        private cl_kernel bind() {
            Bound b = boundFor(mems, index);
            b.lastUse = ++launches;
            for (int i = 0; i < index; i++) {
                if (mems[i] != null) {
                    if (b.mems[i] == mems[i] && b.sizes[i] == Sizeof.cl_mem) continue;
                    CL.clSetKernelArg(b.kernel, i, Sizeof.cl_mem, Pointer.to(mems[i]));
                    b.mems[i] = mems[i];
                } else {
                    if (b.mems[i] == null && b.sizes[i] == sizes[i] && b.bits[i] == bits[i]) continue;
                    CL.clSetKernelArg(b.kernel, i, sizes[i], sizes[i] == 4 ? Pointer.to(new int[]{(int) bits[i]}) : Pointer.to(new long[]{bits[i]}));
                    b.mems[i] = null;
                    b.bits[i] = bits[i];
                }
                b.sizes[i] = sizes[i];
                argumentsSet++;
            }
            return b.kernel;
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

        /** One work-group of exactly {@code size} work-items (a kernel with that reqd_work_group_size). */
        void runGroup(long size) {
            run(new long[]{size}, new long[]{size});
        }

        /** Enqueues a single work-item, for the kernels that reduce in a fixed order. */
        void runOnce() {
            run(new long[]{1}, new long[]{1});
        }

        /** Enqueues the launch with an explicit work-group size. */
        void run(long[] global, long[] local) {
            if (index != mems.length) {
                throw new IllegalStateException("kernel " + name + " takes " + mems.length + " arguments, the launch set " + index);
            }
            verified = true;
            cl_kernel k = bind();
            cl_event ev = sink.wantsEvents() ? new cl_event() : null;
            CL.clEnqueueNDRangeKernel(ctx.queue, k, global.length, null, global, local, 0, null, ev);
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
