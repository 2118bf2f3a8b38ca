package dev.clprop.device;

import java.util.List;

/**
 * An op that a layer kind brings with it instead of declaring it in {@link DeviceOps}: in one place its
 * definition on host arrays (what the EJML backend runs and lockstep compares with), its OpenCL kernel file
 * and launch, the arguments it modifies and its tolerance. Any backend runs it through
 * {@link DeviceOps#run}; lockstep verifies it and the fault tests skew its outputs like any declared op.
 * Arguments are whole tensors, of which batch-shaped ones are read and written in their first m rows.
 */
public interface KernelOp {
    /**
     * Elements a work-item takes as one float8 in the kernels written that way (the kernels' ITEM_WIDTH,
     * which they receive as a -D option from here and check); a launch over n such elements has
     * ⌈n / ITEM_WIDTH⌉ work-items.
     */
    int ITEM_WIDTH = 8;

    /** Work-items of a work-group that sums a batch's loss terms (the kernels' LOSS_GROUP, a power of two). */
    int LOSS_GROUP = 64;

    /** Its name in reports, e.g. {@code prelu_forward}. */
    String name();

    /** The kernel file under {@code kernels/} its kernels are in; built once per backend, after the shared function files (activations, losses, the dropout hash). */
    String kernelFile();

    /**
     * -D options its kernel file is built with, e.g. {@code -DHP_LR=0}: constants the file shares with
     * the host, generated from the class that defines them so that the kernel never retypes them.
     * Constant per kernel file (the program is built once per backend).
     */
    default String buildOptions() {
        return "";
    }

    /** Indices into the arguments of the tensors it modifies; the others it only reads. */
    List<Integer> outputs();

    /** How closely a correct device agrees with {@link #reference}; {@link Tolerance#OP} unless a long sum needs more. */
    default Tolerance tolerance(Tensor[] args, int m) {
        return Tolerance.OP;
    }

    /**
     * The definition, in float32 on the host: {@code values[i]} holds argument i's contents (row-major,
     * {@code args[i]}'s shape); modifies the arrays of {@link #outputs}.
     */
    void reference(float[][] values, Tensor[] args, int m);

    /** The same on an OpenCL device: which kernels to launch, with which arguments, over which range. */
    void launch(KernelLauncher device, Tensor[] args, int m);
}
