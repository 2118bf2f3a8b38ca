package dev.clprop.nn;

import dev.clprop.BackendKind;
import dev.clprop.ClpropTestBase;
import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.device.opencl.OpenClBackend;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.Parameters;
import dev.clprop.optim.Optimizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A training step with SGD (plain, or with momentum) takes the dense layers' steps as their gradients are formed
 * ({@link DeviceNetwork#trainStep}, {@link dev.clprop.device.DeviceOps#denseSgdStep}) and the other
 * parameters' after: the parameters must be, bit for bit, those of the gradients then the update of
 * every parameter, on both paths, for networks of dense layers alone, with other parameterised layers
 * between them, and without biases; and on a device that folds, no update launch is left for the dense layers.
 */
class FoldedSgdStepTest extends ClpropTestBase {
    static final int BATCH = 8, STEPS = 3;

    @ParameterizedTest(name = "{0} {4} {1} m={3}")
    @CsvSource({
            "EJML, '13,17:relu,7:tanh,5:softmax', CROSS_ENTROPY, 8, SGD",
            "OPENCL, '13,17:relu,7:tanh,5:softmax', CROSS_ENTROPY, 8, SGD",
            "OPENCL, '13,17:relu,7:tanh,5:softmax', CROSS_ENTROPY, 1, SGD",
            "EJML, '13,17:relu,dropout:0.3,layernorm,9:gelu,prelu,5:softmax', CROSS_ENTROPY, 7, SGD",
            "OPENCL, '13,17:relu,dropout:0.3,layernorm,9:gelu,prelu,5:softmax', CROSS_ENTROPY, 7, SGD",
            "OPENCL, '13,33:relu:nobias,5:linear', MSE, 5, SGD",
            "EJML, '13,17:relu,7:tanh,5:softmax', CROSS_ENTROPY, 8, MOMENTUM",
            "OPENCL, '13,17:relu,7:tanh,5:softmax', CROSS_ENTROPY, 1, MOMENTUM",
            "EJML, '13,17:relu,dropout:0.3,layernorm,9:gelu,prelu,5:softmax', CROSS_ENTROPY, 7, MOMENTUM",
            "OPENCL, '13,17:relu,dropout:0.3,layernorm,9:gelu,prelu,5:softmax', CROSS_ENTROPY, 7, MOMENTUM",
            "OPENCL, '13,33:relu:nobias,5:linear', MSE, 5, MOMENTUM"})
    void theFoldedStepGivesTheBitsOfGradientsThenUpdate(BackendKind kind, String spec, Loss loss, int m, Optimizer.Kind optimizer) {
        Architecture arch = Architecture.parse(spec);
        Optimizer sgd = (optimizer == Optimizer.Kind.MOMENTUM ? Optimizer.momentum(0.05f, 0.9f) : Optimizer.sgd(0.05f)).withWeightDecay(0.01f);
        String kernel = optimizer == Optimizer.Kind.MOMENTUM ? "momentum_step" : "sgd_step";
        float[] x = randomArray(BATCH * arch.inputs(), 1), y = new float[BATCH * arch.outputs()];
        for (int r = 0; r < BATCH; r++) {
            if (loss == Loss.CROSS_ENTROPY) y[r * arch.outputs() + r % arch.outputs()] = 1;
            else for (int j = 0; j < arch.outputs(); j++) y[r * arch.outputs() + j] = (float) Math.sin(r + j);
        }
        Parameters init = Parameters.initialise(arch, 5);
        try (Backend b = kind.open(); DeviceNetwork folded = new DeviceNetwork(b, arch, loss, sgd, BATCH, 3);
             DeviceNetwork unfolded = new DeviceNetwork(b, arch, loss, sgd, BATCH, 3); Tensor tx = b.allocate(BATCH, arch.inputs()); Tensor ty = b.allocate(BATCH, arch.outputs())) {
            b.upload(tx, x);
            b.upload(ty, y);
            folded.setParameters(init);
            unfolded.setParameters(init);
            OpenClBackend cl = b instanceof OpenClBackend o ? o : null;
            if (cl != null) {
                cl.resetProfile();
                cl.setProfiling(true);
            }
            for (int s = 0; s < STEPS; s++) folded.trainStep(tx, ty, m);
            if (cl != null) {
                cl.setProfiling(false);
                Map<String, long[]> launches = cl.profile();
                int dense = (int) arch.layers().stream().filter(l -> l instanceof dev.clprop.model.DenseSpec).count();
                int others = arch.parameterShapes().size() - arch.layers().stream().filter(l -> l instanceof dev.clprop.model.DenseSpec d).mapToInt(l -> ((dev.clprop.model.DenseSpec) l).bias() ? 2 : 1).sum();
                boolean folds = b.foldsSgdStep(arch.widthAfter(0), arch.inputs(), m);
                long stepLaunches = launches.containsKey(kernel) ? launches.get(kernel)[1] : 0;
                long foldedLaunches = launches.containsKey("dense_sgd_step") ? launches.get("dense_sgd_step")[1] : 0;
                if (folds) {
                    assertEquals((long) STEPS * dense, foldedLaunches, "one launch per dense layer and step");
                    assertEquals((long) STEPS * others, stepLaunches, kernel + " only for the parameters of other layers");
                } else {
                    assertEquals(STEPS, stepLaunches, "a device that does not fold updates everything in one launch");
                }
            }
            for (int s = 0; s < STEPS; s++) {
                unfolded.computeGradients(tx, ty, m, 0);
                unfolded.update();
            }
            assertEquals(unfolded.step(), folded.step());
            if (optimizer == Optimizer.Kind.MOMENTUM) {
                Map<String, float[][]> ev = unfolded.optimizerState().slots(), av = folded.optimizerState().slots();
                for (String name : ev.keySet()) assertArrayEquals(ev.get(name)[0], av.get(name)[0], name + "'s velocity on " + b.name());
            }
            Parameters a = folded.parameters(), e = unfolded.parameters();
            for (var shape : arch.stateShapes()) {
                assertArrayEquals(e.get(shape.name()), a.get(shape.name()), shape.name() + " on " + b.name());
                if (arch.parameterShapes().contains(shape)) assertFalse(java.util.Arrays.equals(init.get(shape.name()), a.get(shape.name())), shape.name() + " moved");
            }
        }
    }

    /**
     * A layer folds at some batch sizes and not at others (the vector GEMM packs 65×100 weight gradients over
     * 600 rows, not over 7): steps that alternate must still update each parameter exactly once, and a network
     * where nothing folds updates everything after the backward pass.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"'100,65:relu,dropout:0.2,5:softmax', SGD", "'100,65:relu,dropout:0.2,5:softmax', MOMENTUM", "'100,65:linear', SGD"})
    void stepsThatFoldAndStepsThatDoNotAlternate(String spec, Optimizer.Kind optimizer) {
        Architecture arch = Architecture.parse(spec);
        Loss loss = arch.outputs() == 65 ? Loss.MSE : Loss.CROSS_ENTROPY;
        int max = 600;
        int[] batches = loss == Loss.MSE ? new int[]{600, 600} : new int[]{600, 7, 600, 7};
        Optimizer sgd = (optimizer == Optimizer.Kind.MOMENTUM ? Optimizer.momentum(0.05f, 0.9f) : Optimizer.sgd(0.05f)).withWeightDecay(0.01f);
        float[] x = randomArray(max * arch.inputs(), 1), y = new float[max * arch.outputs()];
        for (int r = 0; r < max; r++) {
            if (loss == Loss.CROSS_ENTROPY) y[r * arch.outputs() + r % arch.outputs()] = 1;
            else for (int j = 0; j < arch.outputs(); j++) y[r * arch.outputs() + j] = (float) Math.cos(r - j);
        }
        Parameters init = Parameters.initialise(arch, 6);
        try (OpenClBackend b = dev.clprop.OpenClDevices.backend(); DeviceNetwork folded = new DeviceNetwork(b, arch, loss, sgd, max, 3);
             DeviceNetwork unfolded = new DeviceNetwork(b, arch, loss, sgd, max, 3); Tensor tx = b.allocate(max, arch.inputs()); Tensor ty = b.allocate(max, arch.outputs())) {
            if (b.gemmConfig() instanceof dev.clprop.device.opencl.GemmConfig.Vector) {
                assertFalse(b.foldsSgdStep(65, 100, 600), "65x100 over 600 rows packs: no fold");
                assertTrue(b.foldsSgdStep(65, 100, 7), "65x100 over 7 rows folds");
            }
            b.upload(tx, x);
            b.upload(ty, y);
            folded.setParameters(init);
            unfolded.setParameters(init);
            for (int m : batches) {
                folded.trainStep(tx, ty, m);
                unfolded.computeGradients(tx, ty, m, 0);
                unfolded.update();
            }
            Parameters a = folded.parameters(), e = unfolded.parameters();
            for (var shape : arch.parameterShapes()) assertArrayEquals(e.get(shape.name()), a.get(shape.name()), shape.name());
            if (optimizer == Optimizer.Kind.MOMENTUM) {
                Map<String, float[][]> ev = unfolded.optimizerState().slots(), av = folded.optimizerState().slots();
                for (String name : ev.keySet()) assertArrayEquals(ev.get(name)[0], av.get(name)[0], name + "'s velocity");
            }
        }
    }
}
