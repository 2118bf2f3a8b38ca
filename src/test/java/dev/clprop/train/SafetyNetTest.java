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
class SafetyNetTest extends ClpropTestBase {
    /** One op off by a relative 1e-3 in one element, or (derivative) a wrong formula: the kinds of kernel bug that matter. */
    enum Fault {
        FORWARD_GEMM("gemm_forward"),
        BACKWARD_DATA_GEMM("gemm_backward_data"),
        WEIGHT_GRADIENT_GEMM("gemm_weight_grad"),
        ACTIVATION_DERIVATIVE("activation_backward"),
        ACTIVATION_FORWARD("bias_activation"),
        /** The out-of-place activation of the layers that keep z (gelu, silu) is off. */
        ACTIVATION_OUT_OF_PLACE("activation_forward"),
        LAYERNORM_FORWARD("layernorm_forward"),
        BATCHNORM_TRAIN("batchnorm_train"),
        /** The running variance moves by the biased variance (a classic slip): only the buffer is wrong. */
        BATCHNORM_RUNNING_VARIANCE("running variance"),
        BATCHNORM_BACKWARD("batchnorm_backward"),
        /** Prediction's batchnorm (running statistics) is off; training is right. */
        BATCHNORM_EVAL("batchnorm_eval"),
        LAYERNORM_BACKWARD("layernorm_backward"),
        /** gelu's derivative, taken from z, is off. */
        DERIVATIVE_FROM_INPUT("activation_backward gelu"),
        /** Only the output layer's softmax epilogue is off (the one forward epilogue no backend fuses into its GEMM). */
        SOFTMAX_EPILOGUE("bias_activation softmax"),
        /** The fused forward pass (GEMM with its epilogue) forgets the bias. */
        FUSED_FORWARD_WITHOUT_BIAS("gemm_forward + bias_activation"),
        LOSS_GRADIENT("loss_gradient"),
        LOSS_SUM("loss_sum"),
        BIAS_GRADIENT("column_sums"),
        OPTIMIZER_UPDATE("step"),
        OPTIMIZER_STATE("exp_avg_sq"),
        OPTIMIZER_FIRST_MOMENT(": exp_avg:"),
        MOMENTUM_BUFFER("momentum_buffer"),
        /** The update of all parameters (one launch on OpenCL) stops before the last parameter. */
        UPDATE_OF_ALL_STOPS_SHORT("parameter"),
        GATHER("gather"),
        /** Copies the batch's rows in file order, as if the shuffled index were not there. */
        GATHER_IGNORES_ORDER("gather"),
        DROPOUT("dropout", true),
        WEIGHTED_LOSS_GRADIENT("weighted_loss_gradient", true),
        WEIGHTED_LOSS_SUM("weighted_loss_sum", true),
        SUM_OF_SQUARES("sum_squares", true),
        CLIP_COEFFICIENT("clip_coefficient", true),
        SCALE("scale", true);

        final String opName;
        /** Whether the op runs only with dropout, gradient clipping and class weights switched on. */
        final boolean extras;

        Fault(String opName) {
            this(opName, false);
        }

        Fault(String opName, boolean extras) {
            this.opName = opName;
            this.extras = extras;
        }

        Backend on(Backend inner) {
            return new DelegatingBackend(inner) {
                void skew(Tensor t, int m) {
                    float[] v = new float[t.size()];
                    inner.download(t, v);
                    int i = Math.min(v.length - 1, t.cols() * (m / 2) + t.cols() / 2);
                    v[i] = v[i] * 1.001f + 1e-3f;
                    inner.upload(t, v);
                }

                @Override
                public void gemmForward(Tensor a, Tensor w, Tensor out, int m) {
                    inner.gemmForward(a, w, out, m);
                    if (Fault.this == FORWARD_GEMM) skew(out, m);
                }

                @Override
                public void gemmBackwardData(Tensor d, Tensor w, Tensor out, int m) {
                    inner.gemmBackwardData(d, w, out, m);
                    if (Fault.this == BACKWARD_DATA_GEMM) skew(out, m);
                }

                @Override
                public void gemmWeightGrad(Tensor d, Tensor a, Tensor out, int m) {
                    inner.gemmWeightGrad(d, a, out, m);
                    if (Fault.this == WEIGHT_GRADIENT_GEMM) skew(out, out.rows());
                }

                @Override
                public void batchNormTrain(Tensor x, Tensor g, Tensor b, Tensor rm, Tensor rv, Tensor h, Tensor r, Tensor y, int m) {
                    inner.batchNormTrain(x, g, b, rm, rv, h, r, y, m);
                    if (Fault.this == BATCHNORM_TRAIN) skew(y, m);
                    if (Fault.this == BATCHNORM_RUNNING_VARIANCE) skew(rv, 1);
                }

                @Override
                public void batchNormEval(Tensor x, Tensor g, Tensor b, Tensor rm, Tensor rv, Tensor y, int m) {
                    inner.batchNormEval(x, g, b, rm, rv, y, m);
                    if (Fault.this == BATCHNORM_EVAL) skew(y, m);
                }

                @Override
                public void batchNormBackward(Tensor dy, Tensor h, Tensor r, Tensor g, Tensor dx, Tensor dg, Tensor db, int m) {
                    inner.batchNormBackward(dy, h, r, g, dx, dg, db, m);
                    if (Fault.this == BATCHNORM_BACKWARD) skew(db, 1);
                }

                @Override
                public void layerNormForward(Tensor x, Tensor g, Tensor b, Tensor h, Tensor r, Tensor y, int m) {
                    inner.layerNormForward(x, g, b, h, r, y, m);
                    if (Fault.this == LAYERNORM_FORWARD) skew(y, m);
                }

                @Override
                public void layerNormBackward(Tensor dy, Tensor h, Tensor r, Tensor g, Tensor dx, Tensor dg, Tensor db, int m) {
                    inner.layerNormBackward(dy, h, r, g, dx, dg, db, m);
                    if (Fault.this == LAYERNORM_BACKWARD) skew(dg, 1);
                }

                @Override
                public void activate(Tensor z, Activation act, Tensor out, int m) {
                    inner.activate(z, act, out, m);
                    if (Fault.this == ACTIVATION_OUT_OF_PLACE) skew(out, m);
                }

                @Override
                public void activationBackward(Tensor g, Tensor a, Activation act, int m) {
                    if (Fault.this == DERIVATIVE_FROM_INPUT && act == Activation.GELU) {
                        inner.activationBackward(g, a, act, m);
                        skew(g, m);
                        return;
                    }
                    // tanh' written as 1 - a instead of 1 - a²: right at 0 and 1, wrong in between
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
                    if (Fault.this == ACTIVATION_FORWARD || (Fault.this == SOFTMAX_EPILOGUE && act == Activation.SOFTMAX)) skew(z, m);
                }

                @Override
                public void lossGradient(Loss l, Tensor o, Tensor t, int m, Tensor g, Tensor s) {
                    inner.lossGradient(l, o, t, m, g, s);
                    if (Fault.this == LOSS_GRADIENT) skew(g, m);
                    if (Fault.this == LOSS_SUM) skew(s, 1);
                }

                @Override
                public void columnSums(Tensor d, Tensor out, int m) {
                    inner.columnSums(d, out, m);
                    if (Fault.this == BIAS_GRADIENT) skew(out, 1);
                }

                @Override
                public void optimizerStep(Optimizer o, long step, Tensor p, Tensor g, Tensor s1, Tensor s2) {
                    inner.optimizerStep(Fault.this == OPTIMIZER_UPDATE ? o.withLearningRate(o.learningRate() * 1.01f) : o, step, p, g, s1, s2);
                    if (Fault.this == OPTIMIZER_STATE && s2 != null) skew(s2, 1);
                    if (Fault.this == OPTIMIZER_FIRST_MOMENT && s1 != null) skew(s1, 1);
                    if (Fault.this == MOMENTUM_BUFFER && o.kind() == Optimizer.Kind.MOMENTUM) skew(s1, 1);
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
                    if (Fault.this == GATHER) skew(dst, count);
                }

                @Override
                public void dropout(Tensor src, Tensor dst, long key, int threshold, float scale, int m) {
                    inner.dropout(src, dst, key, threshold, scale, m);
                    if (Fault.this == DROPOUT) skew(dst, m);
                }

                @Override
                public void weightedLossGradient(Tensor o, Tensor t, Tensor w, int m, Tensor g, Tensor s) {
                    inner.weightedLossGradient(o, t, w, m, g, s);
                    if (Fault.this == WEIGHTED_LOSS_GRADIENT) skew(g, m);
                    if (Fault.this == WEIGHTED_LOSS_SUM) skew(s, 1);
                }

                @Override
                public void sumOfSquares(Tensor t, Tensor partials, int offset) {
                    inner.sumOfSquares(t, partials, offset);
                    if (Fault.this == SUM_OF_SQUARES) skew(partials, 1);
                }

                @Override
                public void clipCoefficient(Tensor partials, int count, float maxNorm, Tensor coef) {
                    inner.clipCoefficient(partials, count, maxNorm, coef);
                    if (Fault.this == CLIP_COEFFICIENT) skew(coef, 1);
                }

                @Override
                public void scale(Tensor t, Tensor coef) {
                    inner.scale(t, coef);
                    if (Fault.this == SCALE) skew(t, t.rows());
                }
            };
        }
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void theSelfTestRefusesADeviceWithAWrongOp(Fault fault) {
        try (Backend bad = fault.on(new EjmlBackend())) {
            DeviceException e = assertThrows(DeviceException.class, () -> DeviceSelfTest.check(bad));
            assertTrue(e.getMessage().startsWith("device self-test failed: lockstep verification failed"), e.getMessage());
            assertTrue(e.getMessage().contains("disagree on ") && e.getMessage().contains(fault.opName), e.getMessage());
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
            try (EjmlBackend ejml = new EjmlBackend(); Backend device = fault == null ? ejml : fault.on(ejml); Lockstep lock = new Lockstep(device);
                 Tensor pt = lock.allocate(1, 5); Tensor gt = lock.allocate(1, 5); Tensor m1 = lock.allocate(1, 5); Tensor m2 = lock.allocate(1, 5)) {
                lock.upload(pt, p);
                lock.upload(gt, g);
                lock.begin();
                lock.optimizerStep(Optimizer.adam(0.1f), 1, pt, gt, m1, m2);
                if (fault == null) {
                    assertTrue(lock.end("one update").contains("3 ops agree"), "parameters and both moments are checked");
                    float[] after = new float[5];
                    lock.download(pt, after);
                    assertEquals(0.5f - 0.1f, after[0], 1e-6f, "Adam's first step moves each parameter by lr against its gradient's sign");
                } else {
                    DeviceException e = assertThrows(DeviceException.class, () -> lock.end("one update"));
                    assertTrue(e.getMessage().contains("adam step 1 (5 values): parameters"), e.getMessage());
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
        // gelu, layernorm and batchnorm layers: their ops are watched too
        Architecture arch = Architecture.parse(extras ? "6,9:tanh,dropout:0.3,7:relu,4:softmax" : "6,9:tanh,8:gelu,layernorm,7:relu,batchnorm,4:softmax");
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

    /** Every fault of an op a training step runs (prediction's batchnorm is the self-test's to catch, above). */
    @ParameterizedTest
    @EnumSource(value = Fault.class, mode = EnumSource.Mode.EXCLUDE, names = "BATCHNORM_EVAL")
    void lockstepStopsARunOnADeviceWithAWrongOp(Fault fault) {
        try (Backend bad = fault.on(new EjmlBackend())) {
            DeviceException e = assertThrows(DeviceException.class, () -> train(bad, 5, fault.extras,
                    fault == Fault.MOMENTUM_BUFFER ? Optimizer.momentum(0.05f, 0.9f) : Optimizer.adam(0.01f)));
            assertTrue(e.getMessage().startsWith("lockstep verification failed at step 5: "), e.getMessage());
            assertTrue(e.getMessage().contains(fault.opName), e.getMessage());
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
            assertTrue(r.get(0).contains("largest difference column_sums"), r.get(0));
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
            for (String r : reports) assertTrue(r.matches("verify step \\d+ vs ejml: \\d+ ops agree; largest difference .*"), r);
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
