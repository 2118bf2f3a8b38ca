package dev.clprop.device;

import dev.clprop.model.ParamShape;

import java.util.ArrayList;
import java.util.List;

/**
 * The memory half of a {@link Backend}: allocate, copy in and out, wait, and how much room there is.
 * Nothing here computes; the ops are in {@link DeviceOps}. Transfers are never verified by lockstep:
 * they are the device's own, fused where it fuses them.
 */
public interface DeviceMemory extends AutoCloseable {
    /** Short description, e.g. "ejml" or "opencl:0 pthread-skylake (PoCL 3.1)". */
    String name();

    /** A zero-filled rows×cols tensor. */
    Tensor allocate(int rows, int cols);

    /** An index buffer of {@code length} ints on this backend, zeroed. */
    IndexBuffer allocateIndices(int length);

    /**
     * Zero-filled tensors of these shapes ({rows, cols} each), each closed by the caller. A backend may
     * carve them from one allocation so that {@link DeviceOps#optimizerStepAll} updates them in one launch.
     * <p>This and the other fused paths ({@link #downloadAll}, {@link #uploadAll}, {@link DeviceOps#denseForward},
     * {@link DeviceOps#optimizerStepAll}) have no default: every backend states whether it fuses or takes the
     * unfused form ({@link #allocateEach} and the like). Wrappers ({@code Lockstep}) forward every method
     * generically, so none can lose a fused path by forgetting it.
     */
    List<Tensor> allocateAll(List<int[]> shapes);

    /** {@link #allocateAll} as separate allocations on {@code b}: the unfused form. */
    static List<Tensor> allocateEach(DeviceMemory b, List<int[]> shapes) {
        List<Tensor> out = new ArrayList<>();
        try {
            for (int[] s : shapes) out.add(b.allocate(s[0], s[1]));
        } catch (RuntimeException e) {
            for (int i = out.size() - 1; i >= 0; i--) out.get(i).close();
            throw e;
        }
        return out;
    }

    /** Copies {@code src} (rows×cols values, row-major) into {@code dst}. */
    void upload(Tensor dst, float[] src);

    /** Copies {@code src} (as long as {@code dst}) into {@code dst}. Modifies dst. */
    void uploadIndices(IndexBuffer dst, int[] src);

    /** Copies the whole tensor into {@code dst} after all queued work has finished. */
    void download(Tensor src, float[] dst);

    /**
     * {@link #download} of each tensor into the array at the same index; a backend may do it in one
     * transfer when the tensors are exactly one {@link #allocateAll} (each transfer waits for the device).
     */
    void downloadAll(List<Tensor> src, float[][] dst);

    /** {@link #downloadAll} one tensor at a time: the unfused form. */
    static void downloadEach(DeviceMemory b, List<Tensor> src, float[][] dst) {
        for (int i = 0; i < src.size(); i++) b.download(src.get(i), dst[i]);
    }

    /** {@link #upload} of each array into the tensor at the same index, in one transfer where {@link #downloadAll} can. */
    void uploadAll(List<Tensor> dst, float[][] src);

    /** {@link #uploadAll} one tensor at a time: the unfused form. */
    static void uploadEach(DeviceMemory b, List<Tensor> dst, float[][] src) {
        for (int i = 0; i < dst.size(); i++) b.upload(dst.get(i), src[i]);
    }

    /** Sets every element to zero. */
    void zero(Tensor t);

    /** Bytes this backend can still allocate in all (the free heap, or the device's memory). */
    long capacityBytes();

    /**
     * What the backend allocates for itself to run the GEMMs of dense layers with these weight shapes
     * (rows = outputs n, cols = inputs k) at up to {@code batch} rows: upper bounds, for checks that
     * refuse a network before allocating it. {@link GemmWorkspace#NONE} where the GEMMs need no working memory.
     */
    default GemmWorkspace gemmWorkspace(int batch, List<ParamShape> weights) {
        return GemmWorkspace.NONE;
    }

    /** Working memory of the GEMMs: all of it, and its largest single buffer (each checked against its own limit). */
    record GemmWorkspace(long bytes, long largestBufferBytes) {
        /** No workspace: a backend that packs nothing. */
        public static final GemmWorkspace NONE = new GemmWorkspace(0, 0);
    }

    /** The largest single tensor this backend can allocate, in bytes. */
    long maxTensorBytes();

    /** Waits until all queued work is done. */
    void finish();

    /** Number of tensors and index buffers allocated and not yet closed (for leak tests). */
    int liveBuffers();

    @Override
    void close();
}
