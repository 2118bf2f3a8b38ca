package dev.clprop.device;

/**
 * The narrow interface both compute paths implement: {@link DeviceMemory} (allocate, copy in and out)
 * and {@link DeviceOps} (the ops of a training step, each declared once with its outputs and tolerance).
 * The EJML implementation defines correct; the OpenCL one must agree with it. Shapes: a (m×k)
 * activations, w (n×k) weights, delta (m×n). Every op reads and writes only the first {@code m} rows
 * of its batch-shaped arguments. Ops may run asynchronously; {@link #download} waits for all earlier work.
 */
public interface Backend extends DeviceMemory, DeviceOps {
}
