package dev.clprop;

import dev.clprop.device.Backend;
import dev.clprop.device.DeviceSelection;
import dev.clprop.device.GemmFamily;
import dev.clprop.device.opencl.DeviceInfo;
import dev.clprop.device.opencl.OpenCl;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.error.DeviceException;
import dev.clprop.error.OpenClUnavailableException;
import dev.clprop.train.DeviceSelfTest;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Where training and prediction run: an OpenCL device (a GPU, or a CPU through a driver such as
 * PoCL) or the EJML reference path on the CPU. Open one with a choice:
 * <ul>
 *   <li>{@code "auto"}: a GPU, else a CPU OpenCL device, else EJML;</li>
 *   <li>{@code "cpu"}: EJML; {@code "opencl"}: the best OpenCL device; {@code "opencl:N"}: device N of
 *       {@link #available()}; any other word: the OpenCL device whose name contains it;</li>
 *   <li>{@code "gpus"}: every OpenCL GPU; {@code "opencl:N/K"}: device N split into K sub-devices;</li>
 *   <li>a comma-separated list of these: several devices, for data-parallel training (one replica per
 *       device, one combined gradient and one update per step; the weights of one device, within
 *       rounding).</li>
 * </ul>
 * Before an OpenCL device is handed out it passes a self-test: small training steps whose every op
 * is compared with EJML. A device that fails is refused ({@link DeviceException}); with
 * {@code auto}, clprop falls back to EJML and says why.
 * <p><b>Resources and threads.</b> A Device holds native OpenCL resources (context, queue, compiled
 * kernels): close it, e.g. with try-with-resources; whoever opened it closes it. Its methods may be
 * called from any thread, one at a time (calls from several threads wait for each other).
 * <p><b>Signal chaining.</b> OpenCL drivers built on LLVM (PoCL among them) replace the JVM's
 * SIGSEGV handler, which the JVM uses internally; a run can then die at random. Start the JVM with
 * {@code LD_PRELOAD=$JAVA_HOME/lib/libjsig.so}. clprop warns once (through
 * {@code System.getLogger("dev.clprop")}) when it is not loaded.
 */
public final class Device implements AutoCloseable {
    private final List<Backend> backends;
    private final ReentrantLock lock = new ReentrantLock();
    private boolean closed;

    private Device(List<Backend> backends) {
        this.backends = backends;
    }

    /** Opens a device by choice (see the class comment), saying nothing. */
    public static Device open(String choice) {
        return open(choice, line -> { });
    }

    /** Opens a device by choice; {@code log} receives which device was picked and why. */
    public static Device open(String choice, Consumer<String> log) {
        return open(choice, GemmFamily.AUTO, log);
    }

    /**
     * As {@link #open(String, Consumer)}, each OpenCL device running the given family of GEMM kernels
     * ({@link GemmFamily#TILED}, the GPU kernels, runs on a CPU driver too). EJML ignores it.
     */
    public static Device open(String choice, GemmFamily gemm, Consumer<String> log) {
        boolean auto = DeviceSelection.isAuto(choice);
        List<Backend> opened = DeviceSelection.open(auto ? "auto" : choice, gemm, log);
        List<Backend> checked = new ArrayList<>();
        try {
            for (Backend b : opened) {
                if (b instanceof EjmlBackend) {
                    checked.add(b);
                    continue;
                }
                try {
                    checked.add(selfTested(b, gemm, log));
                } catch (DeviceException e) {
                    if (!auto) throw e;
                    log.accept("device: ejml (CPU reference path), because " + e.getMessage());
                    checked.add(new EjmlBackend());
                }
            }
        } catch (RuntimeException e) {
            for (Backend b : opened) if (!checked.contains(b)) b.close();
            for (int i = checked.size() - 1; i >= 0; i--) checked.get(i).close();
            throw e;
        }
        return new Device(checked);
    }

    /**
     * Training work per step, in floating-point operations (about 6 per parameter per row: forward,
     * backward-data and weight gradient), from which {@code auto} trains on an OpenCL device rather than on
     * EJML. Measured with {@code clprop bench --only training --optimizers adam} on PoCL (2-core AMD EPYC,
     * AVX-512): 64-128-10 at batch 8 (0.46 MFLOP a step) ran 74k samples/s on EJML and 45k on PoCL, at batch 32
     * (1.8 MFLOP) 75k and 186k; 64-256-10 at batch 8 (0.92 MFLOP) 36k and 49k; 4-16-3 (115 parameters) was
     * 3-8× faster on EJML at every batch up to 128. A step is about 24 launches, which a GPU starts faster
     * than PoCL (a few us each, against 11-22) but still not for free, so one threshold serves both.
     */
    public static final long OPENCL_FROM_FLOPS_PER_STEP = 750_000;

    /**
     * Opens a device to train {@code architecture} in batches of {@code batch} rows. An explicit choice is
     * {@link #open(String, GemmFamily, Consumer)}; {@code auto} first weighs the work of a training step: below
     * {@link #OPENCL_FROM_FLOPS_PER_STEP} the launches of an OpenCL device cost more than the arithmetic
     * they save, and EJML trains faster (an iris-sized network, 4.5-7.5× here). {@code log} hears which and why.
     */
    public static Device openForTraining(String choice, GemmFamily gemm, dev.clprop.model.Architecture architecture, int batch,
                                         Consumer<String> log) {
        if (DeviceSelection.isAuto(choice)) {
            long flops = 6L * architecture.parameterCount() * Math.max(1, batch);
            if (flops < OPENCL_FROM_FLOPS_PER_STEP) {
                log.accept(String.format(java.util.Locale.ROOT, "device: ejml (CPU reference path), because a training step of %s at batch %d is"
                        + " %.2f MFLOP, below the %.2f MFLOP from which an OpenCL device trains faster; choose a device to override",
                        architecture, batch, flops / 1e6, OPENCL_FROM_FLOPS_PER_STEP / 1e6));
                return cpu();
            }
        }
        return open(choice, gemm, log);
    }

    /**
     * {@code b} once it has passed the self-test; a device whose tuned GEMM fails it is opened again with its
     * default GEMM and tested once more. On failure the backend is closed and the exception thrown.
     */
    private static Backend selfTested(Backend b, GemmFamily gemm, Consumer<String> log) {
        try {
            DeviceSelfTest.check(b);
            return b;
        } catch (DeviceException e) {
            Backend again = DeviceSelection.withoutTuning(b, gemm, e.getMessage(), log);
            if (again == null) {
                b.close();
                throw e;
            }
            try {
                DeviceSelfTest.check(again);
                return again;
            } catch (DeviceException e2) {
                again.close();
                throw e2;
            }
        }
    }

    /** The EJML reference path: always available, nothing native to release. */
    public static Device cpu() {
        return new Device(List.of(new EjmlBackend()));
    }

    /** Every OpenCL device, then the EJML path ({@code cpu}). */
    public static List<DeviceDescription> available() {
        List<DeviceDescription> out = new ArrayList<>(openClDevices());
        out.add(DeviceDescription.CPU);
        return out;
    }

    /** Every OpenCL device; throws {@link OpenClUnavailableException} (saying what to install) when there is none. */
    public static List<DeviceDescription> openClDevices() {
        List<DeviceDescription> out = new ArrayList<>();
        for (DeviceInfo d : OpenCl.devices()) {
            out.add(new DeviceDescription("opencl:" + d.index(), d.name(), d.vendor(), d.platformName(), d.type(), d.computeUnits(),
                    d.globalMemory(), d.version(), OpenCl.maxSubDevices(d)));
        }
        return out;
    }

    /** e.g. "opencl:0 NVIDIA A100 (NVIDIA CUDA, GPU)" or "ejml"; several devices joined with ", ". */
    public String name() {
        List<String> n = new ArrayList<>();
        for (Backend b : backends) n.add(b.name());
        return String.join(", ", n);
    }

    /** How many devices this handle spans. */
    public int count() {
        return backends.size();
    }

    /** Whether this is the EJML reference path alone. */
    public boolean isReference() {
        return backends.size() == 1 && backends.get(0) instanceof EjmlBackend;
    }

    /** Runs {@code work} on the backends, one caller at a time. */
    <T> T use(java.util.function.Function<List<Backend>, T> work) {
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("device " + name() + " is closed");
            return work.apply(backends);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            for (int i = backends.size() - 1; i >= 0; i--) backends.get(i).close();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
