package dev.clprop.train;

import dev.clprop.data.Dataset;
import dev.clprop.data.Splits;
import dev.clprop.device.Backend;
import dev.clprop.error.DeviceException;
import dev.clprop.loss.Loss;
import dev.clprop.model.Activation;
import dev.clprop.model.Architecture;
import dev.clprop.model.Parameters;
import dev.clprop.nn.DeviceNetwork;
import dev.clprop.optim.Optimizer;

import java.util.List;
import java.util.Random;

/**
 * Before a device trains: two training steps and a prediction pass of small networks on the device under {@link Lockstep},
 * so that every op it will run (each GEMM form, every activation forward and backward, every loss
 * gradient (class-weighted too), every optimizer update, gradient clipping, dropout, the minibatch gather) is compared with EJML from the
 * same inputs. A device that disagrees is refused with the op and the numbers. Shapes are odd (13 rows,
 * widths that are no tile's multiple) so edge handling is exercised too.
 */
public final class DeviceSelfTest {
    /**
     * Architecture, loss, optimizer, gradient clipping (0 = off) and class weights (null = none) of each
     * case; together they cover every activation, loss, optimizer and op.
     */
    record Case(String spec, Loss loss, Optimizer optimizer, float clipNorm, float[] classWeights) {
        Case(String spec, Loss loss, Optimizer optimizer) {
            this(spec, loss, optimizer, 0f, null);
        }
    }

    static final List<Case> CASES = List.of(
            new Case("37,23:tanh,19:relu,11:leaky-relu,7:sigmoid,5:softmax", Loss.CROSS_ENTROPY, Optimizer.adam(0.01f).withWeightDecay(0.01f)),
            new Case("37,9:linear,5:sigmoid", Loss.BCE, Optimizer.momentum(0.05f, 0.9f).withWeightDecay(0.01f)),
            new Case("37,17:relu:nobias,batchnorm,5:linear", Loss.MSE, Optimizer.sgd(0.05f)),
            new Case("37,7:sigmoid,5:softmax", Loss.HALF_SSE, Optimizer.sgd(0.05f)),
            new Case("37,13:gelu,layernorm,11:silu,5:linear", Loss.HUBER, Optimizer.adamw(0.01f)),
            new Case("37,dropout:0.25,19:relu,dropout:0.5,5:softmax", Loss.CROSS_ENTROPY, Optimizer.sgd(0.05f)),
            // a clip norm well below the gradients' norm, so the scaling really happens
            new Case("37,19:tanh,5:softmax", Loss.CROSS_ENTROPY, Optimizer.momentum(0.05f, 0.9f), 0.01f, new float[]{1f, 0.5f, 2f, 0.25f, 1.5f}),
            // every element-wise activation in one network, so that a new one is self-tested by being declared
            new Case(everyActivation(), Loss.MSE, Optimizer.sgd(0.05f)),
            // and every layer kind registered as a service, first (no input gradient) and between dense layers
            new Case(everyRegisteredKind(), Loss.MSE, Optimizer.sgd(0.05f)));

    /** A network with each registered layer kind first and after a dense layer; a plain one where none is registered. */
    static String everyRegisteredKind() {
        StringBuilder spec = new StringBuilder("37");
        for (dev.clprop.model.LayerSpec k : dev.clprop.model.LayerSpec.registeredKinds()) spec.append(',').append(k.spelling()).append(",11:tanh,").append(k.spelling());
        return spec.append(",5:linear").toString();
    }

    /** A network with a hidden layer of each element-wise activation, in declaration order. */
    static String everyActivation() {
        StringBuilder spec = new StringBuilder("37");
        for (Activation a : Activation.values()) if (a != Activation.SOFTMAX) spec.append(",9:").append(a.spelling());
        return spec.append(",5:linear").toString();
    }

    static final int ROWS = 29;
    static final int BATCH = 13;

    private DeviceSelfTest() {
    }

    /** Throws a {@link DeviceException} naming the op that disagrees. */
    public static void check(Backend device) {
        Random rng = new Random(7);
        try (Lockstep lock = new Lockstep(device)) {
            for (Case c : CASES) {
                Architecture arch = Architecture.parse(c.spec());
                Dataset data = data(arch, c.loss(), rng);
                lock.begin();
                try (DeviceNetwork net = new DeviceNetwork(lock.backend(), arch, c.loss(), c.optimizer(), BATCH, 11);
                     DeviceData d = new DeviceData(lock.backend(), data, arch.outputs(), BATCH)) {
                    net.setParameters(Parameters.initialise(arch, 11));
                    net.setClipNorm(c.clipNorm());
                    net.setClassWeights(c.classWeights());
                    d.setOrder(Splits.permutation(ROWS, 3));
                    for (int off = 0; off < 2 * BATCH; off += BATCH) {
                        d.gatherBatch(off, BATCH);
                        net.trainStep(d.batchX, d.batchY, BATCH);
                    }
                    // and a prediction's forward pass, its rows gathered without targets as prediction gathers them:
                    // dropout passes values through, batchnorm uses its running statistics
                    try (DeviceData rows = new DeviceData(lock.backend(), data.featureMatrix(), data.featureCount(), null, 0, BATCH)) {
                        rows.setOrder(Splits.permutation(ROWS, 5));
                        rows.gatherBatch(BATCH, BATCH);
                        net.forward(rows.batchX, BATCH, dev.clprop.nn.Pass.INFERENCE);
                    }
                    lock.end("the self-test (" + c.spec() + ", " + c.loss() + ", " + c.optimizer().kind() + ")");
                } catch (DeviceException e) {
                    throw new DeviceException("device self-test failed: " + e.getMessage() + "; refusing to use " + device.name()
                            + " (choose device cpu, or another device)", e);
                }
            }
        }
    }

    /**
     * The ops of models trained together ({@link ModelBatchOps}), compared with their references the same way:
     * two training steps of three small models (every activation's derivative, in the layer's own launch
     * and fused into the backward-data of the layer above; dropout; the softmax fused into cross-entropy
     * with class weights; clipping; every optimizer kind) and a validation pass. Run by {@code Sweep} once
     * per device before it trains models together; throws a {@link DeviceException} naming the op.
     */
    public static void checkModelBatch(Backend device) {
        Random rng = new Random(13);
        List<Case> cases = new java.util.ArrayList<>();
        cases.add(new Case("37,19:gelu,dropout:0.25,11:tanh,5:softmax", Loss.CROSS_ENTROPY, Optimizer.adam(0.01f), 0.01f, new float[]{1f, 0.5f, 2f, 0.25f, 1.5f}));
        cases.add(new Case("37,9:relu,5:linear", Loss.HUBER, Optimizer.momentum(0.05f, 0.9f).withWeightDecay(0.01f)));
        cases.add(new Case("37,9:silu,5:sigmoid", Loss.BCE, Optimizer.sgd(0.05f)));
        cases.add(new Case(everyActivation(), Loss.MSE, Optimizer.adamw(0.01f)));
        try (Lockstep lock = new Lockstep(device)) {
            for (Case c : cases) {
                Architecture arch = Architecture.parse(c.spec());
                Dataset data = data(arch, c.loss(), rng), validation = data(arch, c.loss(), rng);
                List<dev.clprop.spi.RunConfig> cfgs = new java.util.ArrayList<>();
                for (int k = 0; k < 3; k++) {
                    Optimizer o = c.optimizer().withLearningRate(c.optimizer().learningRate() * (k + 1));
                    cfgs.add(dev.clprop.spi.RunConfig.builder(arch, dev.clprop.settings.TrainingSettings.DEFAULTS.withLoss(c.loss()).withOptimizer(o)
                            .withSeed(k).withClipNorm(c.clipNorm()).withBatchSize(BATCH)).classWeights(c.classWeights()).build());
                }
                lock.begin();
                try (ModelBatch mb = new ModelBatch(lock.backend(), cfgs, List.of(data, data, data), List.of(validation, validation, validation), BATCH)) {
                    for (int k = 0; k < 3; k++) {
                        mb.lane(k).setParameters(Parameters.initialise(arch, k));
                        mb.lane(k).setClassWeights(c.classWeights());
                        mb.lane(k).setOrder(Splits.permutation(ROWS, k));
                    }
                    // lanes 1 and 2 leave, so that lane 0's requests run each step, for all three models, on this thread
                    mb.lane(1).close();
                    mb.lane(2).close();
                    for (int off = 0; off < 2 * BATCH; off += BATCH) mb.lane(0).trainBatch(off, BATCH);
                    mb.lane(0).validationOutputs();
                    lock.end("the self-test of models trained together (" + c.spec() + ", " + c.loss() + ", " + c.optimizer().kind() + ")");
                } catch (DeviceException e) {
                    throw new DeviceException("device self-test failed: " + e.getMessage() + "; refusing to train models together on " + device.name()
                            + " (choose device cpu, or --sequential)", e);
                }
            }
        }
    }

    private static Dataset data(Architecture arch, Loss loss, Random rng) {
        int f = arch.inputs(), n = arch.outputs();
        float[] x = new float[ROWS * f];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rng.nextDouble() * 2 - 1);
        if (arch.outputActivation() == Activation.SOFTMAX) {
            int[] labels = new int[ROWS];
            for (int r = 0; r < ROWS; r++) labels[r] = rng.nextInt(n);
            return Dataset.classification("self-test", x, f, labels, null);
        }
        float[] y = new float[ROWS * n];
        // Huber's targets in [-3, 3): errors on both sides of its delta of 1
        for (int i = 0; i < y.length; i++) y[i] = loss == Loss.BCE ? rng.nextInt(2) : loss == Loss.HUBER ? (float) (rng.nextDouble() * 6 - 3) : (float) rng.nextDouble();
        return Dataset.regression("self-test", x, f, y, n, null);
    }
}
