package dev.clprop.optim;

import dev.clprop.error.InvalidSettingException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Optimizer settings and state as values. */
class OptimizerTest {
    @Test
    void defaultsAreTorchs() {
        Optimizer a = Optimizer.adam(0.002f);
        assertEquals(0.9f, a.beta1());
        assertEquals(0.999f, a.beta2());
        assertEquals(1e-8f, a.epsilon());
        assertEquals(0f, a.weightDecay());
        assertEquals(0.9f, Optimizer.sgd(0.1f).momentum());
        assertEquals(0.001f, Optimizer.Kind.ADAM.defaultLearningRate());
        assertEquals(0.01f, Optimizer.Kind.SGD.defaultLearningRate());
        assertEquals(0.01f, Optimizer.Kind.MOMENTUM.defaultLearningRate());
        assertEquals(List.of("exp_avg", "exp_avg_sq"), Optimizer.Kind.ADAM.slots());
        assertEquals(List.of("momentum_buffer"), Optimizer.Kind.MOMENTUM.slots());
        assertEquals(List.of(), Optimizer.Kind.SGD.slots());
        assertEquals(2, Optimizer.Kind.ADAM.code());
        assertEquals("momentum", Optimizer.Kind.MOMENTUM.toString());
        assertEquals(Optimizer.Kind.ADAM, Optimizer.Kind.parse(" Adam "));
        assertEquals((float) (1 - Math.pow(a.beta1(), 3)), a.biasCorrection1(3), "in double, from the float β1");
        assertEquals((float) (1 - Math.pow(a.beta2(), 3)), a.biasCorrection2(3));
    }

    @Test
    void describesItselfAsTheCommandLineWouldSetIt() {
        assertEquals("adam lr 0.001", Optimizer.adam(0.001f).describe());
        assertEquals("momentum lr 0.05 momentum 0.8", Optimizer.momentum(0.05f, 0.8f).describe());
        assertEquals("sgd lr 0.1 weight-decay 0.01", Optimizer.sgd(0.1f).withWeightDecay(0.01f).describe());
    }

    @Test
    void adamwDecaysTheWeightsApartFromTheGradientWithPyTorchsDefault() {
        Optimizer w = Optimizer.adamw(0.001f);
        assertEquals(0.01f, w.weightDecay());
        assertEquals(0f, w.gradientDecay(), "nothing is added to the gradient");
        assertEquals((float) (1 - 0.001 * 0.01), w.parameterDecay());
        assertEquals("adamw lr 0.001 weight-decay 0.01", w.describe());
        assertEquals(0.001f, Optimizer.Kind.ADAMW.defaultLearningRate());
        Optimizer a = Optimizer.adam(0.001f).withWeightDecay(0.01f);
        assertEquals(0.01f, a.gradientDecay(), "adam's weight decay is L2, in the gradient");
        assertEquals(1f, a.parameterDecay());
        assertEquals(0f, Optimizer.adam(0.001f).weightDecay());
        assertEquals(List.of("exp_avg", "exp_avg_sq"), Optimizer.Kind.ADAMW.slots());
        assertEquals(Optimizer.Kind.ADAMW, Optimizer.Kind.parse(" AdamW "));
    }

    @Test
    void impossibleSettingsAreNamed() {
        assertEquals("learningRate", assertThrows(InvalidSettingException.class, () -> Optimizer.sgd(0)).setting());
        assertEquals("learningRate", assertThrows(InvalidSettingException.class, () -> Optimizer.sgd(Float.POSITIVE_INFINITY)).setting());
        assertEquals("momentum", assertThrows(InvalidSettingException.class, () -> Optimizer.momentum(0.1f, 1f)).setting());
        assertEquals("momentum", assertThrows(InvalidSettingException.class, () -> Optimizer.momentum(0.1f, -0.1f)).setting());
        assertEquals("beta1", assertThrows(InvalidSettingException.class, () -> new Optimizer(Optimizer.Kind.ADAM, 0.1f, 0, 1, 0.9f, 1e-8f, 0)).setting());
        assertEquals("beta2", assertThrows(InvalidSettingException.class, () -> new Optimizer(Optimizer.Kind.ADAM, 0.1f, 0, 0.9f, -1, 1e-8f, 0)).setting());
        assertEquals("epsilon", assertThrows(InvalidSettingException.class, () -> new Optimizer(Optimizer.Kind.ADAM, 0.1f, 0, 0.9f, 0.9f, 0, 0)).setting());
        assertEquals("weightDecay", assertThrows(InvalidSettingException.class, () -> Optimizer.sgd(0.1f).withWeightDecay(-1)).setting());
        assertEquals("optimizer", assertThrows(InvalidSettingException.class, () -> Optimizer.of(null, 0.1f)).setting());
        assertEquals("optimizer 'rmsprop' is unknown (expected one of sgd, momentum, adam, adamw)",
                assertThrows(InvalidSettingException.class, () -> Optimizer.Kind.parse("rmsprop")).getMessage());
        Optimizer.momentum(0.1f, 0f);
        new Optimizer(Optimizer.Kind.ADAM, 0.1f, 0, 0, 0, 1e-8f, 0);
    }

    @Test
    void stateIsComparedBitForBit() {
        OptimizerState a = new OptimizerState(Optimizer.Kind.ADAM, 3, Map.of("W1", new float[][]{{1, 2}, {3, 4}}));
        assertTrue(a.bitwiseEquals(new OptimizerState(Optimizer.Kind.ADAM, 3, Map.of("W1", new float[][]{{1, 2}, {3, 4}}))));
        assertFalse(a.bitwiseEquals(new OptimizerState(Optimizer.Kind.ADAM, 4, Map.of("W1", new float[][]{{1, 2}, {3, 4}}))));
        assertFalse(a.bitwiseEquals(new OptimizerState(Optimizer.Kind.MOMENTUM, 3, Map.of("W1", new float[][]{{1, 2}, {3, 4}}))));
        assertFalse(a.bitwiseEquals(new OptimizerState(Optimizer.Kind.ADAM, 3, Map.of("W2", new float[][]{{1, 2}, {3, 4}}))));
        assertFalse(a.bitwiseEquals(new OptimizerState(Optimizer.Kind.ADAM, 3, Map.of("W1", new float[][]{{1, 2}, {3, 5}}))));
        assertEquals(4f, a.get("W1", "exp_avg_sq")[1]);
        assertThrows(IllegalArgumentException.class, () -> a.get("W1", "momentum_buffer"));
        assertThrows(IllegalArgumentException.class, () -> a.get("W9", "exp_avg"));
    }
}
