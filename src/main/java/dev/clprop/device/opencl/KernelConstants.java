package dev.clprop.device.opencl;

import dev.clprop.loss.Loss;
import dev.clprop.model.Activation;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The constants the kernels share with Java, generated as {@code -D} build options from the enums and
 * fields that define them, so that they are written once. The kernel files use these names and
 * refuse to compile without them ({@code #error}).
 */
final class KernelConstants {
    private KernelConstants() {
    }

    /**
     * Elements per work-item of the kernels written with float8 (the optimizers, the minibatch gather,
     * the activations and column sums, and the GEMM's packing: steps of K per work-item).
     */
    static final int ITEM_WIDTH = dev.clprop.device.KernelOp.ITEM_WIDTH;

    /** Work-items of the one work-group that computes a batch's loss gradient and loss sum (a power of two). */
    static final int LOSS_GROUP = dev.clprop.device.KernelOp.LOSS_GROUP;

    /** Name → value, e.g. ACT_RELU → 2, LEAKY_SLOPE → (0x1.47ae14p-7f). */
    static Map<String, String> definitions() {
        Map<String, String> d = new LinkedHashMap<>();
        for (Activation a : Activation.values()) d.put("ACT_" + a.name(), Integer.toString(a.code()));
        d.put("LEAKY_SLOPE", floatLiteral(Activation.LEAKY_SLOPE));
        for (Loss l : Loss.values()) d.put("LOSS_" + l.name(), Integer.toString(l.code()));
        d.put("BCE_LOG_FLOOR", floatLiteral(Loss.BCE_LOG_FLOOR));
        d.put("BCE_GRAD_EPS", floatLiteral(Loss.BCE_GRAD_EPS));
        d.put("HUBER_DELTA", floatLiteral(Loss.HUBER_DELTA));
        d.put("LAYERNORM_EPS", floatLiteral(dev.clprop.model.LayerNormSpec.EPS));
        d.put("BATCHNORM_EPS", floatLiteral(dev.clprop.model.BatchNormSpec.EPS));
        d.put("BATCHNORM_MOMENTUM", floatLiteral(dev.clprop.model.BatchNormSpec.MOMENTUM));
        d.put("ITEM_WIDTH", Integer.toString(ITEM_WIDTH));
        d.put("LOSS_GROUP", Integer.toString(LOSS_GROUP));
        return d;
    }

    static String buildOptions() {
        StringBuilder sb = new StringBuilder();
        definitions().forEach((k, v) -> sb.append(" -D").append(k).append('=').append(v));
        return sb.toString().trim();
    }

    /** A float as an exact OpenCL C literal: hexadecimal, so no decimal rounding can differ. */
    static String floatLiteral(float f) {
        return "(" + Float.toHexString(f) + "f)";
    }
}
