package dev.clprop.train;

import dev.clprop.device.Backend;
import dev.clprop.device.IndexBuffer;
import dev.clprop.device.OpDeclaration;
import dev.clprop.device.Tensor;
import dev.clprop.device.Tolerance;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.error.DeviceException;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Lockstep verification: {@link #backend()} passes every call to a device and, while {@link #begin()}
 * has armed it, also runs each op on EJML from the very inputs the device read (downloaded just before
 * the device runs it) and compares every output the op declares ({@link dev.clprop.device.DeviceOps})
 * under the op's declared tolerance. Each op is thus checked from the same state, so rounding never
 * accumulates between the two paths and a rectifier input near zero cannot flip on one side only: a
 * correct device always passes, and a wrong GEMM, derivative, loss gradient, optimizer update or gather
 * is named with its numbers. Nothing here lists the ops: a new op is verified by being declared.
 * Disarmed, it costs one reflective call per op. Not thread-safe.
 */
public final class Lockstep implements AutoCloseable {
    private final Backend device;
    private final EjmlBackend ref;
    private final Backend backend;
    private boolean armed;
    private int ops, outputs;
    private String worstOp;
    private Tolerance.Report worst;
    private String failure;
    /** Host copies of every index buffer's contents, to run gathers on the reference from. */
    private final Map<IndexBuffer, int[]> indices = new IdentityHashMap<>();

    /** Wraps {@code device}; verification is off until {@link #begin()}. */
    public Lockstep(Backend device) {
        this(device, new EjmlBackend(false));
    }

    /** With the reference backend given (tests watch its buffers). */
    Lockstep(Backend device, EjmlBackend reference) {
        this.device = device;
        this.ref = reference;
        this.backend = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, this::invoke);
    }

    /** The backend to run on: the device's, every op watched while armed. Closing it closes the reference copies, not the device. */
    public Backend backend() {
        return backend;
    }

    /** The backend that does the work. */
    public Backend device() {
        return device;
    }

    /** Starts checking every op. */
    public void begin() {
        armed = true;
        ops = 0;
        outputs = 0;
        worstOp = null;
        worst = null;
        failure = null;
    }

    /**
     * Stops checking and returns a one-line summary of the ops checked since {@link #begin()}, or
     * throws a {@link DeviceException} naming the first op that disagreed.
     * @param what where the ops came from, e.g. "step 60"
     */
    public String end(String what) {
        armed = false;
        if (failure != null) {
            throw new DeviceException("lockstep verification failed at " + what + ": " + device.name() + " and ejml disagree on " + failure
                    + " (tolerance: atol " + fmt(Tolerance.OP.atol()) + " + rtol " + fmt(Tolerance.OP.rtol()) + "·|ejml|, sums a length-dependent atol)");
        }
        return String.format(Locale.ROOT, "verify %s vs ejml: %d ops agree (%d outputs); largest difference %s", what, ops, outputs,
                worst == null ? "none" : worstOp + ": max |diff| " + fmt(worst.maxAbs()));
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2e", v);
    }

    @Override
    public void close() {
        ref.close();
    }

    private Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                default -> "lockstep(" + device.name() + ")";
            };
        }
        if (method.getName().equals("close") && method.getParameterCount() == 0) {
            close();
            return null;
        }
        if (method.getName().equals("uploadIndices")) indices.put((IndexBuffer) args[0], ((int[]) args[1]).clone());
        OpDeclaration op = OpDeclaration.of(method);
        if (op == null || !armed) return call(device, method, args);
        verify(op, args);
        return null;
    }

    private static Object call(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** Runs the op on the device and on reference copies of what it read, and compares each declared output. */
    private void verify(OpDeclaration op, Object[] args) throws Throwable {
        List<AutoCloseable> copies = new ArrayList<>();
        Map<Object, Object> copyOf = new IdentityHashMap<>();
        try {
            Object[] refArgs = new Object[args.length];
            Class<?>[] types = op.method().getParameterTypes();
            for (int i = 0; i < args.length; i++) refArgs[i] = copy(types[i], args[i], copies, copyOf);
            call(device, op.method(), args);
            call(ref, op.method(), refArgs);
            ops++;
            String what = op.describe(args);
            Tolerance tol = op.tolerance(args);
            for (int i : op.outputs()) {
                if (args[i] instanceof Tensor t) {
                    compare(what + ": " + op.outputName(i, args), tol, t, (Tensor) refArgs[i]);
                } else if (args[i] instanceof Tensor[] ts) {
                    // a layer kind's op: the arguments it names as its outputs
                    for (int j : OpDeclaration.kernelOp(args).outputs()) {
                        if (ts[j] != null) compare(what + ": " + op.outputName(i, args) + "[" + j + "]", tol, ts[j], ((Tensor[]) refArgs[i])[j]);
                    }
                } else if (args[i] instanceof List<?> l) {
                    for (int j = 0; j < l.size(); j++) {
                        compare(what + ": " + op.outputName(i, args) + " (parameter " + (j + 1) + " of " + l.size() + ", " + ((Tensor) l.get(j)).size() + " values)",
                                tol, (Tensor) l.get(j), (Tensor) ((List<?>) refArgs[i]).get(j));
                    }
                }
            }
        } finally {
            for (int i = copies.size() - 1; i >= 0; i--) copies.get(i).close();
        }
    }

    /**
     * The reference's copy of one argument of the declared type: tensors and index buffers copied with their
     * contents now, the rest as is (a device's buffer may be both a tensor and an index buffer).
     */
    private Object copy(Class<?> type, Object a, List<AutoCloseable> copies, Map<Object, Object> copyOf) {
        if (a == null) return null;
        Object seen = copyOf.get(a);
        if (seen != null) return seen;
        Object c;
        if (type == Tensor.class) {
            Tensor t = (Tensor) a;
            float[] v = new float[t.size()];
            device.download(t, v);
            Tensor r = ref.allocate(t.rows(), t.cols());
            copies.add(r);
            ref.upload(r, v);
            c = r;
        } else if (type == IndexBuffer.class) {
            IndexBuffer ix = (IndexBuffer) a;
            int[] host = indices.get(ix);
            if (host == null) throw new IllegalStateException("an op reads an index buffer whose contents lockstep has not seen uploaded");
            IndexBuffer r = ref.allocateIndices(ix.length());
            copies.add(r);
            ref.uploadIndices(r, host);
            c = r;
        } else if (type == Tensor[].class) {
            Tensor[] in = (Tensor[]) a, r = new Tensor[in.length];
            for (int i = 0; i < in.length; i++) r[i] = (Tensor) copy(Tensor.class, in[i], copies, copyOf);
            c = r;
        } else if (type == List.class) {
            List<Object> r = new ArrayList<>();
            for (Object e : (List<?>) a) r.add(copy(Tensor.class, e, copies, copyOf));
            c = r;
        } else {
            return a;
        }
        copyOf.put(a, c);
        return c;
    }

    private void compare(String what, Tolerance tol, Tensor got, Tensor want) {
        outputs++;
        float[] g = new float[got.size()], w = new float[want.size()];
        device.download(got, g);
        ref.download(want, w);
        Tolerance.Report r = tol.compare(g, w, g.length);
        if (!r.ok()) {
            if (failure == null) failure = what + ": " + r.describe();
            return;
        }
        if (worst == null || r.maxAbs() > worst.maxAbs()) {
            worst = r;
            worstOp = what;
        }
    }
}
