package dev.clprop.device;

import dev.clprop.optim.Optimizer;

import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One op as {@link DeviceOps} declares it: its method, report name, outputs and tolerance. Read by
 * lockstep verification and by the tests that inject a fault into every op, so that neither keeps a
 * list of its own.
 */
public record OpDeclaration(Method method, String name, boolean exact, List<Integer> outputs, int sumArgument, DeviceOps.SumLength sumLength) {
    private static final Map<Method, OpDeclaration> ALL = declarations();

    private static Map<Method, OpDeclaration> declarations() {
        Map<Method, OpDeclaration> out = new LinkedHashMap<>();
        List<Method> methods = new ArrayList<>(List.of(DeviceOps.class.getMethods()));
        methods.sort(Comparator.comparing(Method::getName));
        for (Method m : methods) {
            DeviceOps.Op op = m.getAnnotation(DeviceOps.Op.class);
            if (op == null) continue;
            List<Integer> outs = new ArrayList<>();
            int sumArg = -1;
            DeviceOps.SumLength sum = null;
            Parameter[] ps = m.getParameters();
            for (int i = 0; i < ps.length; i++) {
                if (ps[i].isAnnotationPresent(DeviceOps.Out.class)) outs.add(i);
                if (ps[i].isAnnotationPresent(DeviceOps.SumLength.class)) {
                    sumArg = i;
                    sum = ps[i].getAnnotation(DeviceOps.SumLength.class);
                }
            }
            if (outs.isEmpty()) throw new IllegalStateException(m.getName() + " is declared an op but modifies nothing (no @Out)");
            out.put(m, new OpDeclaration(m, op.value(), op.exact(), List.copyOf(outs), sumArg, sum));
        }
        return out;
    }

    /** Every declared op, by method name. */
    public static Collection<OpDeclaration> all() {
        return ALL.values();
    }

    /** The declaration of {@code m}, or null when {@code m} is not an op (memory, transfers, Object's methods). */
    public static OpDeclaration of(Method m) {
        return ALL.get(m);
    }

    /** The layer kind's op this call runs ({@link DeviceOps#run}), or null. */
    public static KernelOp kernelOp(Object[] args) {
        for (Object a : args) if (a instanceof KernelOp k) return k;
        return null;
    }

    /** How closely a correct device's outputs of this call agree with the reference's. */
    public Tolerance tolerance(Object[] args) {
        KernelOp k = kernelOp(args);
        if (k != null) {
            int m = 0;
            for (int i = 0; i < args.length; i++) if (parameterName(i).equals("m")) m = (Integer) args[i];
            for (Object a : args) if (a instanceof Tensor[] t) return k.tolerance(t, m);
        }
        if (exact) return new Tolerance(0, 0);
        if (sumLength == null) return Tolerance.OP;
        Object a = args[sumArgument];
        long terms = switch (sumLength.value()) {
            case VALUE -> ((Number) a).longValue();
            case ROWS -> ((Tensor) a).rows();
            case COLS -> ((Tensor) a).cols();
            case SIZE -> ((Tensor) a).size();
        };
        return Tolerance.gemm((int) Math.min(terms, sumLength.atMost()));
    }

    /** The name of argument {@code i} as declared (compiled with {@code -parameters}), e.g. "runningVar". */
    public String parameterName(int i) {
        Parameter p = method.getParameters()[i];
        return p.isNamePresent() ? p.getName() : "argument " + (i + 1);
    }

    /**
     * The name of output argument {@code i} in a report; an optimizer's state carries the name PyTorch
     * gives that slot ("state2 (exp_avg_sq)").
     */
    public String outputName(int i, Object[] args) {
        String n = parameterName(i);
        if (n.startsWith("state") && n.length() == 6) {
            int slot = n.charAt(5) - '1';
            for (Object a : args) {
                if (a instanceof Optimizer o && slot >= 0 && slot < o.kind().slots().size()) return n + " (" + o.kind().slots().get(slot) + ")";
            }
        }
        return n;
    }

    /** This call in a report: the op, its settings and the shapes it ran on, e.g. "gemm_forward (a 13x37, w 23x37, out 13x23, m 13)". */
    public String describe(Object[] args) {
        KernelOp k = kernelOp(args);
        StringBuilder settings = new StringBuilder(k != null ? name + " " + k.name() : name);
        List<String> shapes = new ArrayList<>();
        Parameter[] ps = method.getParameters();
        for (int i = 0; i < ps.length; i++) {
            Object a = args[i];
            if (a instanceof KernelOp) continue;
            if (a instanceof Tensor[] ts) {
                for (int j = 0; j < ts.length; j++) if (ts[j] != null) shapes.add(parameterName(i) + "[" + j + "] " + ts[j].rows() + "x" + ts[j].cols());
                continue;
            }
            if (a instanceof Optimizer o) settings.append(' ').append(o.kind());
            else if (a instanceof Enum<?> e) settings.append(' ').append(e);
            else if (a instanceof Tensor t && ps[i].getType() == Tensor.class) shapes.add(parameterName(i) + " " + t.rows() + "x" + t.cols());
            else if (a instanceof IndexBuffer ix && ps[i].getType() == IndexBuffer.class) shapes.add(parameterName(i) + " of " + ix.length());
            else if (a instanceof List<?> l) shapes.add(parameterName(i) + " " + l.size() + " tensors");
            else if (a instanceof Long step && parameterName(i).equals("step")) settings.append(" step ").append(step);
            else if (a instanceof Number n && !(a instanceof Long)) shapes.add(parameterName(i) + " " + n);
        }
        return settings + " (" + String.join(", ", shapes) + ")";
    }
}
