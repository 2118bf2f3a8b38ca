package dev.clprop.device.opencl;

import dev.clprop.error.DeviceException;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A program built from one or more kernels/*.cl files read from the classpath (never the working
 * directory), with the generated constants ({@link KernelConstants}), the given tunables and argument
 * info on. Several files make one program because a build has a fixed cost (PoCL: ~130 ms each on a
 * cold cache) that one build pays once; each file still compiles on its own. A failed build throws
 * with the compiler's log. Kernels created from it are released with it.
 */
final class ClProgram implements AutoCloseable {
    /** The file names, joined by '+' when there are several. */
    final String file;
    final String options;
    final cl_program program;
    final long buildNanos;
    private final ClContext ctx;
    private final List<cl_kernel> kernels = new ArrayList<>();
    private final List<ClKernel> created = new ArrayList<>();

    /** Builds {@code file} with the generated constants, the tunables, and argument info for {@link ClKernel}'s checks. */
    static ClProgram build(ClContext ctx, String file, String tunables) {
        return build(ctx, List.of(file), tunables);
    }

    /** Builds the files as one program (their kernel and helper names must differ), as {@link #build(ClContext, String, String)}. */
    static ClProgram build(ClContext ctx, List<String> files, String tunables) {
        return new ClProgram(ctx, files, (KernelConstants.buildOptions() + " " + tunables + " " + NUMERICS + " -cl-kernel-arg-info").trim());
    }

    /**
     * Values below 2^-126 may become zero. At small batches Adam's moments of a weight whose gradient
     * is zero (a unit ReLU turned off) decay geometrically into subnormals, which x86 handles ~100x
     * slower: Adam's update took 310 us per step at batch 1 instead of 110 (PoCL). A difference below
     * 1.2e-38 is far inside {@link dev.clprop.device.Tolerance}.
     */
    static final String NUMERICS = "-cl-denorms-are-zero";

    /** Builds {@code file} with exactly these options (tests use it to build without the constants). */
    ClProgram(ClContext ctx, String file, String options) {
        this(ctx, List.of(file), options);
    }

    private ClProgram(ClContext ctx, List<String> files, String options) {
        if (files.isEmpty()) throw new IllegalArgumentException("a program needs at least one kernel file");
        this.file = String.join("+", files);
        this.ctx = ctx;
        this.options = options;
        String[] sources = files.stream().map(ClProgram::source).toArray(String[]::new);
        long t0 = System.nanoTime();
        program = CL.clCreateProgramWithSource(ctx.context, sources.length, sources, null, null);
        try {
            CL.clBuildProgram(program, 0, null, options, null, null);
        } catch (CLException e) {
            String log = buildLog(ctx);
            CL.clReleaseProgram(program);
            throw new DeviceException("building kernels/" + file + " with options '" + options + "' failed on "
                    + ctx.device.name() + " (" + e.getMessage() + "):\n" + log, e);
        }
        buildNanos = System.nanoTime() - t0;
        if (System.getenv("CLPROP_BUILD_LOG") != null) {
            // compiler warnings are otherwise invisible after a successful build
            System.err.println("build log of kernels/" + file + " (" + options + ") on " + ctx.device.name() + ":\n" + buildLog(ctx));
        }
    }

    static String source(String file) {
        try (InputStream in = ClProgram.class.getResourceAsStream("/kernels/" + file)) {
            if (in == null) throw new IllegalStateException("kernel source kernels/" + file + " is missing from the classpath (a broken build?)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read kernels/" + file + " from the classpath: " + e.getMessage());
        }
    }

    private String buildLog(ClContext ctx) {
        try {
            long[] size = new long[1];
            CL.clGetProgramBuildInfo(program, ctx.device.device(), CL.CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] buf = new byte[(int) size[0]];
            CL.clGetProgramBuildInfo(program, ctx.device.device(), CL.CL_PROGRAM_BUILD_LOG, buf.length, Pointer.to(buf), null);
            return new String(buf, StandardCharsets.UTF_8).trim();
        } catch (CLException e) {
            return "(no build log: " + e.getMessage() + ")";
        }
    }

    ClKernel kernel(String name, ClKernel.EventSink sink) {
        ClKernel made = new ClKernel(ctx, create(name), name, sink, () -> create(name));
        created.add(made);
        return made;
    }

    private cl_kernel create(String name) {
        cl_kernel k = CL.clCreateKernel(program, name, null);
        kernels.add(k);
        return k;
    }

    /** The kernels created from this program, in order. */
    List<ClKernel> created() {
        return List.copyOf(created);
    }

    @Override
    public void close() {
        for (int i = kernels.size() - 1; i >= 0; i--) CL.clReleaseKernel(kernels.get(i));
        kernels.clear();
        CL.clReleaseProgram(program);
    }
}
