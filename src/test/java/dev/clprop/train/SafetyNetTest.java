package dev.clprop.train;

import dev.clprop.Trainer;

import dev.clprop.spi.RunConfig;

import dev.clprop.ClpropTestBase;
import dev.clprop.DelegatingBackend;
import dev.clprop.OpenClDevices;
import dev.clprop.data.Dataset;
import dev.clprop.device.Backend;
import dev.clprop.device.IndexBuffer;
import dev.clprop.device.Tensor;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.error.DeviceException;
import dev.clprop.loss.Loss;
import dev.clprop.model.Activation;
import dev.clprop.model.Architecture;
import dev.clprop.model.Parameters;
import dev.clprop.optim.Optimizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import dev.clprop.device.DeviceOps;
import dev.clprop.device.OpDeclaration;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The safety nets fail when they should: a device that gets any one op slightly wrong is refused by
 * the self-test and stopped by lockstep verification, with the op named; a correct device passes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SafetyNetTest extends ClpropTestBase {
    /**
     * A wrong formula no single-element skew models: the kernel bugs that are not "one value off". Every
     * op's outputs are also skewed one by one ({@link #everyDeclaredOutput}), from DeviceOps' own list.
     */
    enum Fault {
        /**
         * tanh' written as 1 − a instead of 1 − a²: right at 0 and 1, wrong in between. Reported under the op
         * that applies it: a dense layer above a tanh layer does as it passes the gradient back (the
         * self-test's network), else the layer itself (the training run's, where a prelu layer is above).
         */
        ACTIVATION_DERIVATIVE("dense_backward_data tanh", "activation_backward tanh"),
        /** Only the output layer's softmax is off (the one forward epilogue no backend fuses into its GEMM). */
        SOFTMAX_EPILOGUE("dense_forward softmax"),
        /** The fused forward pass (GEMM with its epilogue) forgets the bias. */
        FUSED_FORWARD_WITHOUT_BIAS("dense_forward"),
        /** The update uses a learning rate 1% too large. */
        OPTIMIZER_UPDATE("step"),
        /** The update of all parameters (one launch on OpenCL) stops before the last parameter. */
        UPDATE_OF_ALL_STOPS_SHORT("parameter"),
        /** Copies the batch's rows in file order, as if the shuffled index were not there. */
        GATHER_IGNORES_ORDER("gather");

        /** How lockstep may name the op the fault is in (one of these). */
        final List<String> opNames;

        Fault(String... opNames) {
            this.opNames = List.of(opNames);
        }

        boolean namedIn(String message) {
            return opNames.stream().anyMatch(message::contains);
        }

        Backend on(Backend inner) {
            return new DelegatingBackend(inner) {
                @Override
                public void activationBackward(Tensor g, Tensor a, Activation act, int m) {
                    if (Fault.this == ACTIVATION_DERIVATIVE && act == Activation.TANH) {
                        float[] gv = new float[g.size()], av = new float[a.size()];
                        inner.download(g, gv);
                        inner.download(a, av);
                        for (int i = 0; i < m * g.cols(); i++) gv[i] *= 1 - Math.abs(av[i]);
                        inner.upload(g, gv);
                    } else {
                        inner.activationBackward(g, a, act, m);
                    }
                }

                @Override
                public void denseForward(Tensor a, Tensor w, Tensor b, Activation act, Tensor out, int m) {
                    if (Fault.this == FUSED_FORWARD_WITHOUT_BIAS && act != Activation.SOFTMAX) inner.denseForward(a, w, null, act, out, m);
                    else super.denseForward(a, w, b, act, out, m);
                }

                @Override
                public void biasActivation(Tensor z, Tensor b, Activation act, int m) {
                    inner.biasActivation(z, b, act, m);
                    if (Fault.this == SOFTMAX_EPILOGUE && act == Activation.SOFTMAX) perturb(z, z.cols() * (m / 2), 1e-3f);
                }

                @Override
                public void optimizerStep(Optimizer o, long step, Tensor p, Tensor g, Tensor s1, Tensor s2) {
                    inner.optimizerStep(Fault.this == OPTIMIZER_UPDATE ? o.withLearningRate(o.learningRate() * 1.01f) : o, step, p, g, s1, s2);
                }

                @Override
                public void optimizerStepAll(Optimizer o, long step, List<Tensor> p, List<Tensor> g, List<Tensor> s1, List<Tensor> s2) {
                    if (Fault.this != UPDATE_OF_ALL_STOPS_SHORT) {
                        super.optimizerStepAll(o, step, p, g, s1, s2);
                        return;
                    }
                    int n = p.size() - 1;
                    inner.optimizerStepAll(o, step, p.subList(0, n), g.subList(0, n), s1 == null ? null : s1.subList(0, n), s2 == null ? null : s2.subList(0, n));
                }

                @Override
                public void gatherBatch(Tensor x, Tensor y, IndexBuffer ix, int off, int count, Tensor bx, Tensor by) {
                    // a training batch: both gathers, each as the single one below
                    gather(x, ix, off, count, bx);
                    gather(y, ix, off, count, by);
                }

                @Override
                public void gather(Tensor src, IndexBuffer ix, int off, int count, Tensor dst) {
                    if (Fault.this == GATHER_IGNORES_ORDER) {
                        float[] s = new float[src.size()], d = new float[dst.size()];
                        inner.download(src, s);
                        inner.download(dst, d);
                        System.arraycopy(s, off * src.cols(), d, 0, count * src.cols());
                        inner.upload(dst, d);
                        return;
                    }
                    inner.gather(src, ix, off, count, dst);
                }
            };
        }
    }

    /**
     * Ops a network never calls through its backend: backends build {@code dense_forward} from the first
     * two, {@code optimizer_step_all} from the third, {@code dense_param_grads} from the next two and
     * {@code dense_backward_data} from the last. A fault in one is injected under the op that uses it,
     * and lockstep names that op.
     */
    static final Map<String, String> PARTS = Map.of("gemm_forward", "dense_forward", "bias_activation", "dense_forward", "optimizer_step", "optimizer_step_all",
            "gemm_weight_grad", "dense_param_grads", "column_sums", "dense_param_grads", "gemm_backward_data", "dense_backward_data");

    /** One output of one declared op, off by a relative 1e-3 in one element: the kind of kernel bug that matters. */
    record OutputFault(OpDeclaration op, int output) {
        /** Where lockstep reports it: the op, or the op it is a part of. */
        String reportedAs() {
            return PARTS.getOrDefault(op.name(), op.name());
        }

        String outputName() {
            return op.parameterName(output);
        }

        @Override
        public String toString() {
            return op.name() + ": " + outputName();
        }

        Backend on(Backend inner) {
            boolean part = PARTS.containsKey(op.name());
            return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, new InvocationHandler() {
                @Override
                public Object invoke(Object proxy, Method m, Object[] a) throws Throwable {
                    // a part's fault reaches the op built from it: that op runs in its unfused form here
                    if (part && m.getName().equals("denseForward")) {
                        DeviceOps.denseForwardUnfused((Backend) proxy, (Tensor) a[0], (Tensor) a[1], (Tensor) a[2], (Activation) a[3], (Tensor) a[4], (Integer) a[5]);
                        return null;
                    }
                    if (part && m.getName().equals("denseBackwardData")) {
                        DeviceOps.denseBackwardDataUnfused((Backend) proxy, (Tensor) a[0], (Tensor) a[1], (Tensor) a[2], (Activation) a[3], (Tensor) a[4], (Integer) a[5]);
                        return null;
                    }
                    if (part && m.getName().equals("denseParamGrads")) {
                        DeviceOps.denseParamGradsUnfused((Backend) proxy, (Tensor) a[0], (Tensor) a[1], (Tensor) a[2], (Tensor) a[3], (Integer) a[4]);
                        return null;
                    }
                    if (part && m.getName().equals("optimizerStepAll")) {
                        DeviceOps.optimizerStepEach((Backend) proxy, (Optimizer) a[0], (Long) a[1], list(a[2]), list(a[3]), list(a[4]), list(a[5]));
                        return null;
                    }
                    Object r;
                    try {
                        r = m.invoke(inner, a);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (m.equals(op.method())) skew(a);
                    return r;
                }

                private void skew(Object[] a) {
                    Object target = a[output];
                    // a layer kind's op: the last tensor it names as an output
                    Tensor t = target instanceof List<?> l ? (Tensor) l.get(l.size() - 1)
                            : target instanceof Tensor[] ts ? ts[last(OpDeclaration.kernelOp(a).outputs())] : (Tensor) target;
                    if (t == null) return;
                    float[] v = new float[t.size()];
                    inner.download(t, v);
                    int i = Math.min(v.length - 1, t.cols() * (writtenRows(a, t) / 2) + t.cols() / 2);
                    v[i] += 1e-3f * (1 + Math.abs(v[i])); // never a no-op (v·1.001 + 1e-3 is one at v = −1)
                    inner.upload(t, v);
                }

                /** The rows the op writes: its m or count where the tensor is batch-shaped. */
                private int writtenRows(Object[] a, Tensor t) {
                    for (int i = 0; i < a.length; i++) {
                        String n = op.parameterName(i);
                        if ((n.equals("m") || n.equals("count")) && a[i] instanceof Integer rows && rows <= t.rows() && t.rows() > 1) return rows;
                    }
                    return t.rows();
                }
            });
        }
    }

    static int last(List<Integer> l) {
        return l.get(l.size() - 1);
    }

    @SuppressWarnings("unchecked")
    static List<Tensor> list(Object o) {
        return (List<Tensor>) o;
    }

    /** Every output of every op DeviceOps declares. */
    static Stream<OutputFault> everyDeclaredOutput() {
        return OpDeclaration.all().stream().flatMap(op -> op.outputs().stream().map(i -> new OutputFault(op, i)));
    }

    /** The ops a backend is called for while {@code work} runs on it. */
    static Set<String> opsCalledBy(Function<Backend, ?> work) {
        Set<String> called = new TreeSet<>();
        try (EjmlBackend ejml = new EjmlBackend()) {
            Backend watching = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, (proxy, m, a) -> {
                OpDeclaration op = OpDeclaration.of(m);
                if (op != null) called.add(op.name());
                try {
                    return m.invoke(ejml, a);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
            work.apply(watching);
        }
        return called;
    }

    /** A new op the self-test never runs fails here: the self-test must exercise every declared op. */
    @Test
    void theSelfTestRunsEveryDeclaredOp() {
        Set<String> called = opsCalledBy(b -> {
            DeviceSelfTest.check(b);
            return null;
        });
        for (OpDeclaration op : OpDeclaration.all()) {
            assertTrue(called.contains(PARTS.getOrDefault(op.name(), op.name())), "the self-test never runs " + op.name() + "; it ran " + called);
        }
        assertEquals(OpDeclaration.all().size() - PARTS.size(), called.size(), "ops called: " + called);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyDeclaredOutput")
    void theSelfTestRefusesADeviceWithAnyOutputOfAnyOpWrong(OutputFault fault) {
        try (EjmlBackend ejml = new EjmlBackend()) {
            DeviceException e = assertThrows(DeviceException.class, () -> DeviceSelfTest.check(fault.on(ejml)));
            assertTrue(e.getMessage().startsWith("device self-test failed: lockstep verification failed"), e.getMessage());
            assertTrue(e.getMessage().contains("disagree on " + fault.reportedAs() + " "), e.getMessage());
            if (!PARTS.containsKey(fault.op().name())) assertTrue(e.getMessage().contains("): " + fault.outputName()), "names the output: " + e.getMessage());
            // an optimizer's state by the name PyTorch gives it (the self-test's first network trains with Adam)
            if (fault.outputName().equals("state1")) assertTrue(e.getMessage().contains("state1 (exp_avg)"), e.getMessage());
            if (fault.outputName().equals("state2")) assertTrue(e.getMessage().contains("state2 (exp_avg_sq)"), e.getMessage());
            assertTrue(e.getMessage().contains("max |diff|"), "the numbers are given: " + e.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void theSelfTestRefusesADeviceWithAWrongFormula(Fault fault) {
        try (Backend bad = fault.on(new EjmlBackend())) {
            DeviceException e = assertThrows(DeviceException.class, () -> DeviceSelfTest.check(bad));
            assertTrue(e.getMessage().startsWith("device self-test failed: lockstep verification failed"), e.getMessage());
            assertTrue(e.getMessage().contains("disagree on ") && fault.namedIn(e.getMessage()), e.getMessage());
            assertTrue(e.getMessage().contains("max |diff|"), "the numbers are given: " + e.getMessage());
            if (fault == Fault.UPDATE_OF_ALL_STOPS_SHORT) {
                assertTrue(java.util.regex.Pattern.compile("parameter (\\d+) of \\1,").matcher(e.getMessage()).find(), "names the last parameter: " + e.getMessage());
            }
        }
    }

    /** Lockstep's check of one parameter's update (the op outside a network's update of all parameters). */
    @Test
    void lockstepChecksASingleParameterUpdate() {
        float[] p = {0.5f, -1f, 2f, 0.25f, -0.75f}, g = {0.1f, 0.2f, -0.3f, 0.4f, 0f};
        for (Fault fault : new Fault[]{null, Fault.OPTIMIZER_UPDATE}) {
            try (EjmlBackend ejml = new EjmlBackend(); Backend device = fault == null ? ejml : fault.on(ejml); Lockstep lockstep = new Lockstep(device);
                 Tensor pt = device.allocate(1, 5); Tensor gt = device.allocate(1, 5); Tensor m1 = device.allocate(1, 5); Tensor m2 = device.allocate(1, 5)) {
                Backend lock = lockstep.backend();
                lock.upload(pt, p);
                lock.upload(gt, g);
                lockstep.begin();
                lock.optimizerStep(Optimizer.adam(0.1f), 1, pt, gt, m1, m2);
                if (fault == null) {
                    assertTrue(lockstep.end("one update").contains("1 ops agree (3 outputs)"), "parameters and both moments are checked");
                    float[] after = new float[5];
                    lock.download(pt, after);
                    assertEquals(0.5f - 0.1f, after[0], 1e-6f, "Adam's first step moves each parameter by lr against its gradient's sign");
                } else {
                    DeviceException e = assertThrows(DeviceException.class, () -> lockstep.end("one update"));
                    assertTrue(e.getMessage().contains("optimizer_step adam step 1 (param 1x5, grad 1x5, state1 1x5, state2 1x5): param"), e.getMessage());
                }
            }
        }
    }

    @Test
    void theSelfTestPassesCorrectDevices() {
        try (Backend ejml = new EjmlBackend(); Backend cl = OpenClDevices.backend()) {
            DeviceSelfTest.check(ejml);
            DeviceSelfTest.check(cl);
        }
    }


    List<String> train(Backend b, int verifyEvery) {
        return train(b, verifyEvery, false);
    }

    /** With {@code extras}: a dropout layer, gradient clipping to a norm below the gradients' and class weights. */
    List<String> train(Backend b, int verifyEvery, boolean extras) {
        return train(b, verifyEvery, extras, Optimizer.adam(0.01f));
    }

    List<String> train(Backend b, int verifyEvery, boolean extras, Optimizer optimizer) {
        Dataset d = TrainingParityTest.dataFor(Loss.CROSS_ENTROPY, Architecture.parse("6,9:sigmoid,7:tanh,4:softmax"), 4);
        // gelu, layernorm and batchnorm layers, and every registered layer kind: their ops are watched too
        StringBuilder registered = new StringBuilder();
        for (dev.clprop.model.LayerSpec k : dev.clprop.model.LayerSpec.registeredKinds()) registered.append(k.spelling()).append(',');
        Architecture arch = Architecture.parse(extras ? "6,9:tanh,dropout:0.3,7:relu,4:softmax" : "6,9:tanh," + registered + "8:gelu,layernorm,7:relu,batchnorm,4:softmax");
        RunConfig cfg = RunConfig.builder(arch, Trainer.builder(arch).loss(Loss.CROSS_ENTROPY).optimizer(optimizer).batchSize(8).epochs(3).seed(4).shuffle(true).verifyEvery(verifyEvery).clipNorm(extras ? 0.01f : 0f).classWeights(extras ? new float[]{1f, 0.5f, 2f, 0.25f} : null).build().settings()).build();
        List<String> lines = new ArrayList<>();
        new TrainingLoop(b, cfg, new TrainingListener() {
            @Override
            public void onMessage(String line) {
                lines.add(line);
            }
        }, null).run(d, null, TrainingLoop.Start.fresh(Parameters.initialise(arch, 4)));
        return lines;
    }

    /**
     * The training runs whose ops are watched: the plain network with Adam, with SGD and momentum (dense layers
     * then step as their gradients are formed, velocities included), and with dropout, clipping and class weights.
     */
    enum Run {
        PLAIN, MOMENTUM, EXTRAS;

        List<String> on(SafetyNetTest t, Backend b, int verifyEvery) {
            return t.train(b, verifyEvery, this == EXTRAS, this == MOMENTUM ? Optimizer.momentum(0.05f, 0.9f) : Optimizer.adam(0.01f));
        }
    }

    private final Map<Run, Set<String>> opsByRun = new java.util.EnumMap<>(Run.class);

    /** The ops a training run calls (watched once per run). */
    Set<String> opsInTraining(Run run) {
        return opsByRun.computeIfAbsent(run, r -> opsCalledBy(b -> r.on(this, b, 0)));
    }

    /** Every output of every op a training step runs (prediction's ops are the self-test's to catch, above). */
    Stream<OutputFault> everyOutputATrainingStepWrites() {
        Set<String> all = new TreeSet<>();
        for (Run run : Run.values()) all.addAll(opsInTraining(run));
        Set<String> never = new TreeSet<>();
        for (OpDeclaration op : OpDeclaration.all()) if (!all.contains(PARTS.getOrDefault(op.name(), op.name()))) never.add(op.name());
        // prediction's ops (batchnorm in evaluation, a gather without targets): the self-test's to catch
        assertEquals(Set.of("batchnorm_eval", "gather"), never, "ops no training run here calls: add them to its networks");
        return everyDeclaredOutput().filter(f -> all.contains(f.reportedAs()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyOutputATrainingStepWrites")
    void lockstepStopsARunOnADeviceWithAnyOutputOfAnyOpWrong(OutputFault fault) {
        Run run = Stream.of(Run.values()).filter(r -> opsInTraining(r).contains(fault.reportedAs())).findFirst().orElseThrow();
        try (EjmlBackend ejml = new EjmlBackend()) {
            DeviceException e = assertThrows(DeviceException.class, () -> run.on(this, fault.on(ejml), 5));
            assertTrue(e.getMessage().startsWith("lockstep verification failed at step 5: "), e.getMessage());
            assertTrue(e.getMessage().contains("disagree on " + fault.reportedAs() + " "), e.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void lockstepStopsARunOnADeviceWithAWrongFormula(Fault fault) {
        try (Backend bad = fault.on(new EjmlBackend())) {
            DeviceException e = assertThrows(DeviceException.class, () -> train(bad, 5, false, Optimizer.momentum(0.05f, 0.9f)));
            assertTrue(e.getMessage().startsWith("lockstep verification failed at step 5: "), e.getMessage());
            assertTrue(fault.namedIn(e.getMessage()), e.getMessage());
        }
    }

    /** Verified steps and the unverified ones between them: every op must still reach the device. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void lockstepDoesNotChangeARunsResult(boolean extras) {
        for (Backend b : new Backend[]{new EjmlBackend(), OpenClDevices.backend()}) {
            try (b) {
                Dataset d = TrainingParityTest.dataFor(Loss.CROSS_ENTROPY, Architecture.parse("6,9:sigmoid,7:tanh,4:softmax"), 4);
                Architecture arch = Architecture.parse(extras ? "6,9:tanh,dropout:0.3,7:relu,4:softmax" : "6,9:tanh,7:relu,4:softmax");
                Parameters[] out = new Parameters[2];
                for (int verify : new int[]{0, 3}) {
                    RunConfig cfg = RunConfig.builder(arch, Trainer.builder(arch).loss(Loss.CROSS_ENTROPY).optimizer(Optimizer.adam(0.01f)).batchSize(8).epochs(3).seed(4).shuffle(true).verifyEvery(verify).clipNorm(extras ? 0.01f : 0f).classWeights(extras ? new float[]{1f, 0.5f, 2f, 0.25f} : null).build().settings()).build();
                    out[verify == 0 ? 0 : 1] = new TrainingLoop(b, cfg, null, null).run(d, null, TrainingLoop.Start.fresh(Parameters.initialise(arch, 4))).parameters();
                }
                assertTrue(out[0].bitwiseEquals(out[1]), b.name() + ": a run verified every 3 steps ends with other weights than an unverified one");
            }
        }
    }

    @Test
    void lockstepReportsTheLargestDifferenceItSaw() {
        // a device whose forward GEMM is off by 2e-6 (within tolerance) and whose column sums are off by 5e-6
        try (Backend near = new DelegatingBackend(new EjmlBackend()) {
            void add(Tensor t, float d) {
                float[] v = new float[t.size()];
                inner.download(t, v);
                v[0] += d;
                inner.upload(t, v);
            }

            @Override
            public void gemmForward(Tensor a, Tensor w, Tensor out, int m) {
                inner.gemmForward(a, w, out, m);
                add(out, 2e-6f);
            }

            @Override
            public void columnSums(Tensor d, Tensor out, int m) {
                inner.columnSums(d, out, m);
                add(out, 5e-6f);
            }
        }) {
            List<String> r = train(near, 1);
            // the bias gradient is the column sums of dense_param_grads
            assertTrue(r.get(0).contains("largest difference dense_param_grads") && r.get(0).contains("biasGrad: max |diff|"), r.get(0));
            double diff = Double.parseDouble(r.get(0).replaceAll(".*max \\|diff\\| ", ""));
            assertEquals(5e-6, diff, 1e-7, r.get(0));
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void lockstepPassesACorrectDeviceOnEveryStep(boolean extras) {
        try (Backend cl = OpenClDevices.backend()) {
            List<String> reports = train(cl, 1, extras);
            assertEquals(18, reports.size(), "3 epochs of 6 steps, each verified: " + reports);
            for (String r : reports) assertTrue(r.matches("verify step \\d+ vs ejml: \\d+ ops agree \\(\\d+ outputs\\); largest difference .*"), r);
        }
    }

    @Test
    void lockstepChecksTheOpsFromTheSameInputsSoIdenticalBackendsAgreeExactly() {
        Function<Backend, List<String>> run = b -> train(b, 2);
        try (Backend ejml = new EjmlBackend()) {
            for (String r : run.apply(ejml)) assertTrue(r.endsWith("max |diff| 0.00e+00"), r);
        }
    }
}
