package dev.clprop.device.opencl;

import dev.clprop.device.IndexBuffer;
import dev.clprop.device.Tensor;
import org.jocl.CL;
import org.jocl.Sizeof;
import org.jocl.cl_buffer_region;
import org.jocl.cl_mem;

import java.util.List;

/**
 * A device buffer of rows×cols 4-byte elements (floats, or ints as an {@link IndexBuffer}), zero-filled.
 * A tensor may be a part of a {@link Block}: a sub-buffer of one allocation shared with other parts,
 * so that an op over the whole block is one launch.
 */
final class ClTensor implements Tensor, IndexBuffer {
    final cl_mem mem;
    final int rows;
    final int cols;
    /** The block this tensor is a part of, or null. */
    final Block block;
    private final OpenClBackend owner;
    /** Whether this buffer counts in {@link OpenClBackend#liveBuffers()} (a block's whole does not; its parts do). */
    private final boolean counted;
    private boolean closed;

    /** {@code scratch} if it holds at least {@code rows} rows, else a new one-column buffer that does (the old one released). */
    static ClTensor grown(OpenClBackend owner, ClContext ctx, ClTensor scratch, int rows) {
        if (scratch != null && scratch.rows >= rows) return scratch;
        if (scratch != null) scratch.close();
        return new ClTensor(owner, ctx, rows, 1);
    }

    ClTensor(OpenClBackend owner, ClContext ctx, int rows, int cols) {
        this(owner, ctx, rows, cols, true);
    }

    private ClTensor(OpenClBackend owner, ClContext ctx, int rows, int cols, boolean counted) {
        this.owner = owner;
        this.counted = counted;
        this.rows = rows;
        this.cols = cols;
        this.block = null;
        long bytes = 4L * Math.max(1, (long) rows * cols);
        mem = CL.clCreateBuffer(ctx.context, CL.CL_MEM_READ_WRITE, bytes, null, null);
        if (counted) owner.live++;
        try {
            CL.clEnqueueFillBuffer(ctx.queue, mem, ClContext.ZERO_PATTERN, Sizeof.cl_float, 0, bytes, 0, null, null);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private ClTensor(OpenClBackend owner, Block block, int part, int rows, int cols) {
        this.owner = owner;
        this.counted = true;
        this.rows = rows;
        this.cols = cols;
        this.block = block;
        cl_buffer_region region = new cl_buffer_region(4L * block.offsets[part], 4L * Math.max(1, (long) rows * cols));
        mem = CL.clCreateSubBuffer(block.whole.mem, CL.CL_MEM_READ_WRITE, CL.CL_BUFFER_CREATE_TYPE_REGION, region, null);
        owner.live++;
        block.open++;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public int length() {
        return rows * cols;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            CL.clReleaseMemObject(mem);
            if (counted) owner.live--;
            if (block != null && --block.open == 0) block.whole.close();
        }
    }

    /**
     * Tensors of the given shapes carved from one zero-filled buffer, each starting at a multiple of
     * the device's sub-buffer alignment. The gaps between them stay zero: only ops over the whole block
     * touch them, and the optimizer updates keep a zero parameter with a zero gradient and state at zero.
     * The buffer is released with the last part.
     */
    static final class Block {
        /** The whole allocation; not counted as a live buffer of its own (its parts are). */
        final ClTensor whole;
        /** Where each part starts, in elements. */
        final int[] offsets;
        final ClTensor[] parts;
        private int open;

        Block(OpenClBackend owner, ClContext ctx, List<int[]> shapes) {
            int align = (int) Math.max(1, ctx.subBufferAlignBytes / 4);
            offsets = new int[shapes.size()];
            long next = 0;
            for (int i = 0; i < shapes.size(); i++) {
                offsets[i] = Math.toIntExact(next);
                long size = Math.max(1, (long) shapes.get(i)[0] * shapes.get(i)[1]);
                next = (next + size + align - 1) / align * align;
            }
            whole = new ClTensor(owner, ctx, 1, Math.toIntExact(next), false); // released with the last part
            parts = new ClTensor[shapes.size()];
            try {
                for (int i = 0; i < parts.length; i++) parts[i] = new ClTensor(owner, this, i, shapes.get(i)[0], shapes.get(i)[1]);
            } catch (RuntimeException e) {
                for (ClTensor t : parts) if (t != null) t.close();
                if (open == 0) whole.close();
                throw e;
            }
        }

        /** Whether {@code tensors} are exactly this block's parts, in order. */
        boolean isExactly(List<? extends Tensor> tensors) {
            if (tensors.size() != parts.length) return false;
            for (int i = 0; i < parts.length; i++) if (tensors.get(i) != parts[i]) return false;
            return true;
        }

        /** Whether {@code other} has this block's layout (same part offsets and total size). */
        boolean sameLayout(Block other) {
            return other.whole.cols == whole.cols && java.util.Arrays.equals(other.offsets, offsets);
        }
    }
}
